"""Scope Django admin to the signed-in trainer: their own objects, their own clients, nothing else.

Trainers are staff in the "Trainers" group; model permissions say what they may do with a kind
of object, `TrainerScopedAdmin` says which objects. Each admin declares how its model reaches
the trainer (`trainer_lookup`) or a client (`client_lookup`), and the mixin scopes the changelist,
every object view, foreign-key choices and object permissions from that one declaration.
Anything undeclared is hidden (fail closed); superusers see and edit everything.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from kinetix.accounts.models import User
from kinetix.accounts.selectors import trainer_clients

ChoiceScope = Callable[[User], QuerySet]

_choice_scopes: dict[type[models.Model], ChoiceScope] = {}


def choice_scope_register(model: type[models.Model], scope: ChoiceScope) -> None:
    """Declare what a trainer may pick wherever a form offers a relation to `model`."""
    _choice_scopes[model] = scope


choice_scope_register(get_user_model(), lambda trainer: trainer_clients(trainer=trainer))


def choices_for_trainer(model: type[models.Model], trainer: User) -> QuerySet:
    """Return the `model` objects the trainer may pick in a form; none unless a scope is registered."""
    scope = _choice_scopes.get(model)
    return scope(trainer) if scope else model._default_manager.none()


def _is_scoped(request: HttpRequest) -> bool:
    return not request.user.is_superuser


class TrainerScopedAdmin:
    """Mix into a ModelAdmin or an inline so that a trainer reaches only what is theirs.

    Declare one of:
    - `trainer_lookup`: the path from the model to the trainer who owns an object
      (`"trainer"`, `"day__plan__trainer"`);
    - `client_lookup`: the path from the model to a client; objects of the trainer's current
      clients (`accounts.selectors.trainer_clients`) are theirs (`"client"`, `"session__client"`).
    `owner_field` names the field set to the trainer when they add an object; they never pick it.
    Override `visible_queryset` where trainers may also see objects they cannot change (the
    shared exercise library). An inline may write only while its parent may be changed.
    """

    trainer_lookup: str | None = None
    client_lookup: str | None = None
    owner_field: str | None = None

    # Scopes -----------------------------------------------------------------------------------

    def owned_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Narrow `queryset` to the objects the trainer may change and delete."""
        if self.trainer_lookup:
            return queryset.filter(**{self.trainer_lookup: request.user})
        if self.client_lookup:
            clients = trainer_clients(trainer=request.user).values("pk")
            return queryset.filter(**{f"{self.client_lookup}__in": clients})
        return queryset.none()

    def visible_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Narrow `queryset` to the objects the trainer may see."""
        return self.owned_queryset(request, queryset)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        return self.visible_queryset(request, queryset) if _is_scoped(request) else queryset

    def _reaches(self, request: HttpRequest, obj: models.Model | None, *, change: bool) -> bool:
        if obj is None or obj.pk is None or not _is_scoped(request):
            return True
        # Django asks several times per page; one query per object and kind of access is enough.
        cache = request.__dict__.setdefault("_trainer_scope_cache", {})
        key = (obj._meta.label, obj.pk, change)
        if key not in cache:
            row = self.model._default_manager.filter(pk=obj.pk)
            scoped = self.owned_queryset(request, row) if change else self.visible_queryset(request, row)
            cache[key] = scoped.exists()
        return cache[key]

    # Object permissions -----------------------------------------------------------------------
    # For an inline, Django passes the parent object: the inline follows the parent's admin.

    def _parent_allows(self, request: HttpRequest, obj: models.Model | None, *, change: bool) -> bool:
        if obj is None or not _is_scoped(request):
            return True
        parent_admin = self.admin_site._registry.get(self.parent_model)
        if parent_admin is None:
            return False
        if change:
            return parent_admin.has_change_permission(request, obj)
        return parent_admin.has_view_permission(request, obj)

    def _allows(self, request: HttpRequest, obj: models.Model | None, *, change: bool) -> bool:
        if isinstance(self, InlineModelAdmin):
            return self._parent_allows(request, obj, change=change)
        return self._reaches(request, obj, change=change)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self._allows(request, obj, change=False)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._allows(request, obj, change=True)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._allows(request, obj, change=True)

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if isinstance(self, InlineModelAdmin):
            return super().has_add_permission(request, obj) and self._parent_allows(request, obj, change=True)
        return super().has_add_permission(request)

    # Forms ------------------------------------------------------------------------------------

    def formfield_for_foreignkey(self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any):
        if _is_scoped(request) and "queryset" not in kwargs:
            kwargs["queryset"] = choices_for_trainer(db_field.related_model, request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any):
        if _is_scoped(request) and "queryset" not in kwargs:
            kwargs["queryset"] = choices_for_trainer(db_field.related_model, request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if not (self.owner_field and _is_scoped(request)):
            return fieldsets
        return [
            (name, {**options, "fields": _without(options["fields"], self.owner_field)}) for name, options in fieldsets
        ]

    def get_exclude(self, request: HttpRequest, obj: models.Model | None = None):
        exclude = super().get_exclude(request, obj)
        if self.owner_field and _is_scoped(request):
            return [*(exclude or ()), self.owner_field]
        return exclude

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        if self.owner_field and not change and _is_scoped(request):
            setattr(obj, self.owner_field, request.user)
        super().save_model(request, obj, form, change)

    def get_list_filter(self, request: HttpRequest):
        list_filter = super().get_list_filter(request)
        if not _is_scoped(request):
            return list_filter
        # A plain relation filter lists every row of the related table (all users, say);
        # offer only the related objects that occur in the trainer's own rows.
        return [self._related_only(entry) for entry in list_filter]

    def _related_only(self, entry: Any) -> Any:
        if not isinstance(entry, str):
            return entry
        try:
            field = get_fields_from_path(self.model, entry)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return entry
        return (entry, admin.RelatedOnlyFieldListFilter) if field.is_relation else entry

    # Checks -----------------------------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        overrides_scope = type(self).owned_queryset is not TrainerScopedAdmin.owned_queryset
        if not (self.trainer_lookup or self.client_lookup or overrides_scope):
            errors.append(
                checks.Error(
                    "A TrainerScopedAdmin declares trainer_lookup or client_lookup (or overrides owned_queryset).",
                    obj=self.__class__,
                    id="kinetix.E001",
                )
            )
        for lookup in (self.trainer_lookup, self.client_lookup):
            if lookup and lookup != "pk":
                try:
                    get_fields_from_path(self.model, lookup)
                except (FieldDoesNotExist, NotRelationField):
                    errors.append(
                        checks.Error(
                            f"{lookup!r} is not a path of fields from {self.model._meta.label}.",
                            obj=self.__class__,
                            id="kinetix.E002",
                        )
                    )
        return errors


def _without(fields: Any, name: str) -> list:
    # A fieldset row may itself be a tuple of fields shown on one line.
    kept = []
    for entry in fields:
        if isinstance(entry, list | tuple):
            row = [field for field in entry if field != name]
            if row:
                kept.append(tuple(row))
        elif entry != name:
            kept.append(entry)
    return kept
