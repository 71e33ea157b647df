"""Admin of people: users (a trainer sees their clients), invitations, coaching links."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from kinetix.accounts.admin_scope import TrainerScopedAdmin
from kinetix.accounts.models import CoachingLink, Invitation, Role, User
from kinetix.accounts.services import invitation_check, invitation_create, invitation_revoke
from kinetix.errors import ApplicationError, FieldError


def _email_taken(email: str, *, instance: User) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=instance.pk).exists()


class UserCreationForm(AdminUserCreationForm):
    """Create a user who signs in with an e-mail address (there is no username)."""

    class Meta:
        model = User
        fields = ("email", "full_name", "role")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if _email_taken(email, instance=self.instance):
            raise forms.ValidationError("An account with this e-mail already exists.", code="email_taken")
        return email


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if _email_taken(email, instance=self.instance):
            raise forms.ValidationError("An account with this e-mail already exists.", code="email_taken")
        return email


@admin.register(User)
class UserAdmin(TrainerScopedAdmin, DjangoUserAdmin):
    """Superusers manage every account; a trainer looks up their current clients, read-only."""

    client_lookup = "pk"
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "role", "locale", "timezone")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "usable_password", "password1", "password2"),
            },
        ),
    )
    client_fieldsets = (
        (None, {"fields": ("email", "full_name")}),
        ("Profile", {"fields": ("locale", "timezone", "date_joined", "last_login")}),
    )
    list_display = ("email", "full_name", "role", "is_staff", "is_active", "date_joined")
    client_list_display = ("email", "full_name", "locale", "timezone", "date_joined")
    list_filter = ("role", "is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None):
        if obj is not None and not request.user.is_superuser:
            return self.client_fieldsets
        return super().get_fieldsets(request, obj)

    def get_list_display(self, request: HttpRequest):
        return self.list_display if request.user.is_superuser else self.client_list_display

    def get_list_filter(self, request: HttpRequest):
        return super().get_list_filter(request) if request.user.is_superuser else ()

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        if not request.user.is_superuser:
            extra_context = {"title": "Your clients", **(extra_context or {})}
        return super().changelist_view(request, extra_context)


class InvitationStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [("pending", "Pending"), ("accepted", "Accepted"), ("revoked", "Revoked"), ("expired", "Expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> QuerySet[Invitation]:
        # The same order of precedence as Invitation.status.
        open_ = queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True)
        match self.value():
            case "accepted":
                return queryset.filter(accepted_at__isnull=False)
            case "revoked":
                return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=False)
            case "expired":
                return open_.filter(expires_at__lte=timezone.now())
            case "pending":
                return open_.filter(expires_at__gt=timezone.now())
        return queryset


class InvitationForm(forms.ModelForm):
    """Ask only for the e-mail address (and, for a superuser, the trainer); the service does the rest."""

    signed_in: User  # set by InvitationAdmin.get_form

    class Meta:
        model = Invitation
        fields = ("trainer", "email")

    def clean(self) -> dict:
        cleaned = super().clean()
        email = cleaned.get("email")
        trainer = cleaned.get("trainer") if "trainer" in self.fields else self.signed_in
        if not (email and trainer):
            return cleaned
        # The service's own refusals (already a client, a trainer's address, the tier's client limit),
        # shown on the form rather than as a crash when the service refuses the save.
        try:
            invitation_check(trainer=trainer, email=email)
        except ApplicationError as refused:
            for error in refused.errors or [FieldError("", refused.code, refused.message)]:
                self.add_error(error.path if error.path in self.fields else None, error.message)
        return cleaned


@admin.register(Invitation)
class InvitationAdmin(TrainerScopedAdmin, admin.ModelAdmin):
    """A trainer's invitations: created through the service (which issues the code), revoked by an action."""

    trainer_lookup = "trainer"
    owner_field = "trainer"
    form = InvitationForm
    list_display = ("email", "status", "code", "created_at", "expires_at", "accepted_by")
    list_filter = (InvitationStatusFilter, "created_at")
    search_fields = ("email", "code", "accepted_by__full_name")
    date_hierarchy = "created_at"
    list_select_related = ("accepted_by", "trainer")
    actions = ["revoke"]
    detail_fields = (
        "email",
        "status",
        "code",
        "trainer",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )

    def get_fields(self, request: HttpRequest, obj: Invitation | None = None):
        return ("trainer", "email") if obj is None else self.detail_fields

    def get_list_display(self, request: HttpRequest):
        if request.user.is_superuser:
            return (*self.list_display, "trainer")
        return self.list_display

    def get_list_filter(self, request: HttpRequest):
        list_filter = super().get_list_filter(request)
        return (*list_filter, "trainer") if request.user.is_superuser else list_filter

    def get_form(self, request: HttpRequest, obj: Invitation | None = None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"signed_in": request.user})

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "trainer":
            kwargs["queryset"] = User.objects.filter(role=Role.TRAINER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        # An invitation is a record, not a draft: it is revoked, never edited.
        # The model-level permission (obj None) is what the revoke action needs.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Invitation, form: InvitationForm, change: bool) -> None:
        if change:  # unreachable while invitations are not editable; kept so that a change never creates one
            return super().save_model(request, obj, form, change)
        trainer = form.cleaned_data.get("trainer") or request.user
        invitation = invitation_create(trainer=trainer, email=form.cleaned_data["email"])
        # The admin goes on (log entry, redirect) with `obj`: make it the invitation the service created.
        for field in Invitation._meta.concrete_fields:
            setattr(obj, field.attname, getattr(invitation, field.attname))
        obj._state.adding, obj._state.db = False, invitation._state.db

    @admin.action(description="Revoke selected invitations", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        revoked, refused = 0, []
        for invitation in queryset:
            try:
                invitation_revoke(invitation=invitation)
            except ApplicationError as exc:
                refused.append(f"{invitation.email}: {exc.message}")
            else:
                self.log_change(request, invitation, "Revoked.")
                revoked += 1
        if revoked:
            self.message_user(request, f"Revoked {revoked} invitation(s).", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not revoked: " + "; ".join(refused), messages.WARNING)


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """An admin that only superusers open, whatever model permissions a staff member holds."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser


class CoachingLinkActiveFilter(admin.SimpleListFilter):
    title = "active"
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [("yes", "Active"), ("no", "Ended")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[CoachingLink]) -> QuerySet[CoachingLink]:
        if self.value() in ("yes", "no"):
            return queryset.filter(ended_at__isnull=self.value() == "yes")
        return queryset


@admin.register(CoachingLink)
class CoachingLinkAdmin(SuperuserOnlyAdmin):
    list_display = ("trainer", "client", "started_at", "ended_at")
    list_filter = (CoachingLinkActiveFilter, "started_at")
    search_fields = ("trainer__email", "trainer__full_name", "client__email", "client__full_name")
    raw_id_fields = ("trainer", "client")
    list_select_related = ("trainer", "client")
    date_hierarchy = "started_at"
