from django.urls import path

from notifications import api

urlpatterns = [
    path("devices/", api.DeviceListRegisterApi.as_view(), name="devices"),
    path("devices/<str:registration_id>/", api.DeviceDetailApi.as_view(), name="device-detail"),
    path("notifications/", api.NotificationListApi.as_view(), name="notifications"),
    path("notifications/read-all/", api.NotificationReadAllApi.as_view(), name="notifications-read-all"),
    path("notifications/preferences/", api.PreferenceApi.as_view(), name="notification-preferences"),
    path("notifications/<int:notification_id>/read/", api.NotificationReadApi.as_view(), name="notification-read"),
]
