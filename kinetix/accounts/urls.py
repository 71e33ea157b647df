from django.urls import path

from kinetix.accounts import api

urlpatterns = [
    path("auth/register/", api.RegisterApi.as_view(), name="auth-register"),
    path("auth/token/", api.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", api.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("me/", api.MeApi.as_view(), name="me"),
    path("invitations/", api.InvitationListCreateApi.as_view(), name="invitations"),
    path("invitations/accept/", api.InvitationAcceptApi.as_view(), name="invitation-accept"),
    path("invitations/<int:invitation_id>/", api.InvitationRevokeApi.as_view(), name="invitation-detail"),
]
