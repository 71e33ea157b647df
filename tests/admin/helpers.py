"""Reading and posting Django admin pages in tests."""

from typing import Any

from django.urls import reverse


def admin_url(model, view: str, *args: Any) -> str:
    """Return the admin URL of a model's view: changelist, add, change, delete, autocomplete."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response) -> dict[str, Any]:
    """Return what a browser would post back for the admin form in `response`, as rendered."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
        forms += formset.forms
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = "on" if value is True else value
    return data


def form_errors(response) -> dict[str, Any]:
    """Return the errors of the admin form and its inline formsets in `response`."""
    errors: dict[str, Any] = dict(response.context["adminform"].form.errors)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        errors.update({f"{formset.prefix}-{i}": e for i, e in enumerate(formset.errors) if e})
        if formset.non_form_errors():
            errors[formset.prefix] = list(formset.non_form_errors())
    return errors


def changelist_pks(response) -> set[int]:
    """Return the pks a changelist lists, over all its pages."""
    return set(response.context["cl"].queryset.values_list("pk", flat=True))
