"""HTTP API of the notifications domain: the device registry, the inbox and preferences."""

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from fcm_django.models import DeviceType, FCMDevice
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kinetix.pagination import paginated_response, paginated_schema
from notifications import selectors, services
from notifications.models import Category, Notification, NotificationPreference
from notifications.services import REGISTRATION_ID_LENGTH


class DeviceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(allow_null=True)
    device_id = serializers.CharField(allow_null=True)

    class Meta:
        model = FCMDevice
        fields = ["id", "registration_id", "type", "name", "device_id", "active", "date_created"]


class DeviceRegisterSerializer(serializers.Serializer):
    registration_id = serializers.CharField(max_length=REGISTRATION_ID_LENGTH, help_text="The app's FCM token.")
    type = serializers.ChoiceField(choices=DeviceType.choices)
    name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    device_id = serializers.CharField(
        required=False, allow_blank=True, max_length=255, help_text="The app's own id of the installation."
    )


class DeviceListRegisterApi(APIView):
    @extend_schema(
        operation_id="devices_list",
        responses=paginated_schema(DeviceSerializer),
        summary="Your registered devices",
    )
    def get(self, request: Request) -> Response:
        devices = selectors.device_list(user=request.user)
        return paginated_response(queryset=devices, serializer_class=DeviceSerializer, request=request, view=self)

    @extend_schema(
        request=DeviceRegisterSerializer,
        responses={201: DeviceSerializer, 200: DeviceSerializer},
        summary="Register this device's FCM token",
        description="201 for a new token. A known token answers 200: it is re-activated and, when another "
        "account held it, moved to you.",
    )
    def post(self, request: Request) -> Response:
        data = DeviceRegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device, created = services.device_register(user=request.user, **data.validated_data)
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(DeviceSerializer(device).data, status=answer)


class DeviceDetailApi(APIView):
    @extend_schema(responses={204: None}, summary="Unregister one of your devices")
    def delete(self, request: Request, registration_id: str) -> Response:
        device = selectors.device_get_for_user(user=request.user, registration_id=registration_id)
        services.device_delete(device=device)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "category", "title", "body", "data", "deep_link", "created_at", "read", "read_at"]

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class InboxQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False, help_text="Only the unread entries.")


INBOX_PAGE = inline_serializer(
    name="InboxPage",
    fields={
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "unread_count": serializers.IntegerField(help_text="Unread entries in the whole inbox."),
        "results": NotificationSerializer(many=True),
    },
)


class NotificationListApi(APIView):
    @extend_schema(
        operation_id="notifications_list",
        parameters=[InboxQuerySerializer],
        responses=INBOX_PAGE,
        summary="Your inbox, newest first, with the unread count",
    )
    def get(self, request: Request) -> Response:
        query = InboxQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        notifications = selectors.notification_list(user=request.user, **query.validated_data)
        response = paginated_response(
            queryset=notifications, serializer_class=NotificationSerializer, request=request, view=self
        )
        response.data["unread_count"] = selectors.notification_unread_count(user=request.user)
        return response


class NotificationReadApi(APIView):
    @extend_schema(request=None, responses=NotificationSerializer, summary="Mark one inbox entry read")
    def post(self, request: Request, notification_id: int) -> Response:
        notification = selectors.notification_get_for_user(user=request.user, notification_id=notification_id)
        return Response(NotificationSerializer(services.notification_mark_read(notification=notification)).data)


class NotificationReadAllApi(APIView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            name="InboxReadAll", fields={"marked": serializers.IntegerField(help_text="Entries newly marked read.")}
        ),
        summary="Mark your whole inbox read",
    )
    def post(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})


# Not OpenAPI's `time` format: that is RFC 3339's full-time, with seconds and an offset.
@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "22:00"})
class ClockTimeField(serializers.TimeField):
    """A local time of day, given as HH:MM."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)


class PreferenceSerializer(serializers.ModelSerializer):
    muted_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices),
        help_text="Categories whose pushes you do not want; they still reach your inbox.",
    )
    quiet_hours_start = ClockTimeField(
        allow_null=True, help_text="Local time (your profile's time zone); pushes wait until the end."
    )
    quiet_hours_end = ClockTimeField(allow_null=True)
    timezone = serializers.CharField(source="user.timezone", read_only=True, help_text="Set it on `me/`.")

    class Meta:
        model = NotificationPreference
        fields = ["muted_categories", "quiet_hours_start", "quiet_hours_end", "timezone"]


class PreferenceApi(APIView):
    @extend_schema(responses=PreferenceSerializer, summary="Your notification preferences")
    def get(self, request: Request) -> Response:
        return Response(PreferenceSerializer(selectors.preference_get(user=request.user)).data)

    @extend_schema(
        request=PreferenceSerializer,
        responses=PreferenceSerializer,
        summary="Replace your notification preferences",
        description="Quiet hours may wrap past midnight (22:00 to 07:00); give both ends or neither.",
    )
    def put(self, request: Request) -> Response:
        data = PreferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preference = services.preference_update(user=request.user, **data.validated_data)
        return Response(PreferenceSerializer(preference).data)
