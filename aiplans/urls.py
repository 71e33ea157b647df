from django.urls import path

from aiplans import api

urlpatterns = [
    path("ai/generate-plan/", api.GeneratePlanApi.as_view(), name="ai-generate-plan"),
    path("ai/generations/", api.GenerationListApi.as_view(), name="ai-generations"),
    path("ai/generations/<int:generation_id>/", api.GenerationDetailApi.as_view(), name="ai-generation-detail"),
    path(
        "ai/generations/<int:generation_id>/approve/", api.GenerationApproveApi.as_view(), name="ai-generation-approve"
    ),
    path("ai/generations/<int:generation_id>/reject/", api.GenerationRejectApi.as_view(), name="ai-generation-reject"),
    path("ai/training-data/", api.TrainingDataApi.as_view(), name="ai-training-data"),
]
