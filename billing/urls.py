from django.urls import path

from billing import api

urlpatterns = [
    path("billing/tiers/", api.TierListApi.as_view(), name="billing-tiers"),
    path("billing/subscription/", api.SubscriptionApi.as_view(), name="billing-subscription"),
    path("billing/subscription/upgrade/", api.SubscriptionUpgradeApi.as_view(), name="billing-upgrade"),
    path(
        "billing/subscription/upgrade/preview/",
        api.SubscriptionUpgradePreviewApi.as_view(),
        name="billing-upgrade-preview",
    ),
    path("billing/subscription/cancel/", api.SubscriptionCancelApi.as_view(), name="billing-cancel"),
    path("billing/subscription/resume/", api.SubscriptionResumeApi.as_view(), name="billing-resume"),
    path("billing/invoices/", api.InvoiceListApi.as_view(), name="billing-invoices"),
    # Stripe ids match `slug`; other text (a NUL, which PostgreSQL cannot compare) never reaches a query.
    path("billing/invoices/<slug:invoice_id>/pdf/", api.InvoicePdfApi.as_view(), name="billing-invoice-pdf"),
    path("billing/payments/", api.PaymentListApi.as_view(), name="billing-payments"),
    path("billing/portal/", api.PortalSessionApi.as_view(), name="billing-portal"),
]
