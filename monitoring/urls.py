from django.urls import path

from monitoring.views import LiveView, ReadyView, metrics

urlpatterns = [
    path("health/live/", LiveView.as_view(), name="health-live"),
    path("health/ready/", ReadyView.as_view(), name="health-ready"),
    path("metrics", metrics, name="metrics"),
]
