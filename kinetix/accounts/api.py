from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from kinetix.accounts import selectors, services
from kinetix.accounts.models import Invitation, Locale, Role, User
from kinetix.accounts.permissions import IsClient, IsTrainer
from kinetix.pagination import paginated_response, paginated_schema
from kinetix.schema import error_response

CLIENT_LIMIT_REACHED = error_response("The trainer's tier allows no more active clients (`client_limit_reached`).")


class TrainerSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name"]


class ProfileSerializer(serializers.ModelSerializer):
    trainer = TrainerSummarySerializer(allow_null=True, help_text="The client's current trainer.")

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "locale", "timezone", "trainer", "date_joined"]


def profile_data(user: User) -> dict:
    user.trainer = selectors.client_trainer(client=user) if user.is_client else None
    return ProfileSerializer(user).data


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class RegisterInputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(write_only=True, trim_whitespace=False)
        role = serializers.ChoiceField(choices=Role.choices, required=False)
        invite_code = serializers.CharField(required=False, allow_blank=True)
        full_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
        locale = serializers.ChoiceField(choices=Locale.choices, required=False)
        timezone = serializers.CharField(required=False, max_length=64)

    @extend_schema(
        request=RegisterInputSerializer,
        responses={201: ProfileSerializer, 402: CLIENT_LIMIT_REACHED},
        summary="Register a trainer, or a client with an invitation code",
    )
    def post(self, request: Request) -> Response:
        data = self.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        user = services.user_register(
            email=fields["email"],
            password=fields["password"],
            role=fields.get("role"),
            invite_code=fields.get("invite_code") or None,
            full_name=fields.get("full_name", ""),
            locale=fields.get("locale"),
            timezone_name=fields.get("timezone"),
        )
        return Response(profile_data(user), status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        responses={200: TokenObtainPairSerializer, 401: error_response("No active account with these credentials.")}
    )
)
class TokenObtainApi(TokenObtainPairView):
    """Exchange an e-mail and password for an access token and a refresh token."""


@extend_schema_view(
    post=extend_schema(
        responses={200: TokenRefreshSerializer, 401: error_response("The refresh token is invalid or expired.")}
    )
)
class TokenRefreshApi(TokenRefreshView):
    """Exchange a refresh token for a new access token."""


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    class ProfileUpdateInputSerializer(serializers.Serializer):
        full_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
        locale = serializers.ChoiceField(choices=Locale.choices, required=False)
        timezone = serializers.CharField(required=False, max_length=64)

    @extend_schema(responses=ProfileSerializer, summary="The signed-in user's profile")
    def get(self, request: Request) -> Response:
        return Response(profile_data(request.user))

    @extend_schema(
        request=ProfileUpdateInputSerializer, responses=ProfileSerializer, summary="Change name, locale or time zone"
    )
    def patch(self, request: Request) -> Response:
        data = self.ProfileUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        user = services.user_update_profile(
            user=request.user,
            full_name=fields.get("full_name"),
            locale=fields.get("locale"),
            timezone_name=fields.get("timezone"),
        )
        return Response(profile_data(user))


class InvitationSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "code", "status", "created_at", "expires_at", "accepted_at"]


class InvitationListCreateApi(APIView):
    permission_classes = [IsTrainer]

    class InvitationCreateInputSerializer(serializers.Serializer):
        email = serializers.EmailField()

    @extend_schema(responses=paginated_schema(InvitationSerializer), summary="The trainer's invitations")
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=selectors.invitation_list(trainer=request.user),
            serializer_class=InvitationSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        request=InvitationCreateInputSerializer,
        responses={201: InvitationSerializer, 402: CLIENT_LIMIT_REACHED},
        summary="Invite a client",
    )
    def post(self, request: Request) -> Response:
        data = self.InvitationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(trainer=request.user, email=data.validated_data["email"])
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationRevokeApi(APIView):
    permission_classes = [IsTrainer]

    @extend_schema(
        responses={204: None, 409: error_response("The invitation is no longer pending (`invitation_not_pending`).")},
        summary="Revoke a pending invitation",
    )
    def delete(self, request: Request, invitation_id: int) -> Response:
        invitation = selectors.invitation_get_for_user(user=request.user, invitation_id=invitation_id)
        services.invitation_revoke(invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptApi(APIView):
    permission_classes = [IsClient]

    class InvitationAcceptInputSerializer(serializers.Serializer):
        code = serializers.CharField()

    @extend_schema(
        request=InvitationAcceptInputSerializer,
        responses={200: ProfileSerializer, 402: CLIENT_LIMIT_REACHED},
        summary="Join (or switch to) the inviting trainer",
    )
    def post(self, request: Request) -> Response:
        data = self.InvitationAcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.invitation_accept(code=data.validated_data["code"], client=request.user)
        return Response(profile_data(request.user))
