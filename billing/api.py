"""The billing routes: tiers, the trainer's subscription and its changes, invoices and payments.

Amounts are integers in the currency's minor unit (cents), as Stripe gives them.
"""

from typing import Any

import stripe
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors, services
from billing.catalog import TIERS, Interval, TierCode
from billing.stripe_api import billing_require_configured
from kinetix.accounts.permissions import IsTrainer
from kinetix.errors import ApplicationError, NotFoundError
from kinetix.pagination import paginated_response, paginated_schema
from kinetix.schema import error_response

# The answers of every route that needs Stripe, besides those every operation documents.
STRIPE_ERRORS = {
    502: error_response("Stripe could not complete the request (`payment_provider_error`)."),
    503: error_response("Billing is not configured on this server (`billing_not_configured`)."),
}
NO_SUBSCRIPTION = error_response("There is no paid subscription (`no_subscription`).")


class BillingApi(APIView):
    """A billing view: Stripe's own failures answer 502 in the one error shape."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, stripe.StripeError):
            exc = ApplicationError(
                "payment_provider_error",
                "Stripe could not complete the request; try again later.",
                status_code=status.HTTP_502_BAD_GATEWAY,
            )
        return super().handle_exception(exc)


class LimitsSerializer(serializers.Serializer):
    clients = serializers.IntegerField(allow_null=True, help_text="Active clients allowed; null for unlimited.")
    ai_drafts_per_month = serializers.IntegerField()


class TierPriceSerializer(serializers.Serializer):
    interval = serializers.ChoiceField(choices=[i.value for i in Interval])
    amount = serializers.IntegerField(help_text="In the currency's minor unit (cents).")
    currency = serializers.CharField()


class TierSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="free, pro or studio.")
    name = serializers.CharField()
    prices = TierPriceSerializer(many=True, help_text="Empty for the free tier.")
    limits = LimitsSerializer()


class TierListApi(BillingApi):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="billing_tiers_list",
        responses=paginated_schema(TierSerializer),
        summary="The tiers with their prices and limits (listed even while billing is not configured)",
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=list(TIERS.values()), serializer_class=TierSerializer, request=request, view=self
        )


class UsageSerializer(serializers.Serializer):
    clients = serializers.IntegerField(help_text="Active clients now.")


class SubscriptionSerializer(serializers.Serializer):
    tier = serializers.CharField(source="tier.code")
    tier_name = serializers.CharField(source="tier.name")
    interval = serializers.CharField(help_text='"month" or "year"; empty on the free tier.')
    status = serializers.CharField(help_text="The Stripe subscription status; empty on the free tier.")
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    scheduled_tier = serializers.CharField(
        source="scheduled_tier.code", allow_null=True, help_text="A downgrade taking effect at period end."
    )
    scheduled_interval = serializers.CharField()
    limits = LimitsSerializer(source="tier.limits", help_text="The entitlements of the tier.")
    usage = UsageSerializer(source="*")
    payment_failed_at = serializers.DateTimeField(allow_null=True)
    payment_failure_reason = serializers.CharField()


def subscription_data(request: Request) -> dict:
    return SubscriptionSerializer(selectors.subscription_summary(user=request.user)).data


class SubscriptionApi(BillingApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: SubscriptionSerializer, **STRIPE_ERRORS},
        summary="The user's tier, its state, entitlements and usage",
    )
    def get(self, request: Request) -> Response:
        billing_require_configured()
        return Response(subscription_data(request))


class TierChoiceSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=[c.value for c in TierCode])
    interval = serializers.ChoiceField(choices=[i.value for i in Interval], default=Interval.MONTH.value)


class PreviewLineSerializer(serializers.Serializer):
    description = serializers.CharField()
    amount = serializers.IntegerField()
    period_start = serializers.DateTimeField(allow_null=True)
    period_end = serializers.DateTimeField(allow_null=True)


class ChangePreviewSerializer(serializers.Serializer):
    change = serializers.ChoiceField(choices=["new", "upgrade", "downgrade", "unchanged"])
    amount_due = serializers.IntegerField(help_text="Charged now: the prorated difference for an upgrade.")
    currency = serializers.CharField()
    proration_date = serializers.IntegerField(
        allow_null=True, help_text="Send it back with the upgrade so that the charge equals this preview."
    )
    effective_at = serializers.DateTimeField(allow_null=True)
    lines = PreviewLineSerializer(many=True)


class SubscriptionUpgradePreviewApi(BillingApi):
    permission_classes = [IsTrainer]

    @extend_schema(
        parameters=[
            OpenApiParameter("tier", str, enum=[c.value for c in TierCode], required=True),
            OpenApiParameter("interval", str, enum=[i.value for i in Interval]),
        ],
        responses={200: ChangePreviewSerializer, **STRIPE_ERRORS},
        summary="What changing tier costs now (the prorated amount of an upgrade)",
    )
    def get(self, request: Request) -> Response:
        data = TierChoiceSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        preview = services.subscription_change_preview(
            user=request.user,
            tier=TIERS[TierCode(data.validated_data["tier"])],
            interval=Interval(data.validated_data["interval"]),
        )
        return Response(ChangePreviewSerializer(preview).data)


class SubscriptionUpgradeApi(BillingApi):
    permission_classes = [IsTrainer]

    class UpgradeInputSerializer(TierChoiceSerializer):
        proration_date = serializers.IntegerField(required=False, help_text="From the preview.")

    @extend_schema(
        request=UpgradeInputSerializer,
        responses={
            200: inline_serializer(
                "TierChange",
                {
                    "result": serializers.ChoiceField(
                        choices=["checkout", "upgraded", "downgrade_scheduled", "downgrade_cancelled", "unchanged"]
                    ),
                    "checkout_url": serializers.URLField(
                        allow_blank=True, help_text="For a new subscriber: pay on Stripe Checkout."
                    ),
                    "subscription": SubscriptionSerializer(),
                },
            ),
            402: OpenApiTypes.OBJECT,
            409: error_response("The subscription ends at period end: resume it first (`subscription_cancelling`)."),
            **STRIPE_ERRORS,
        },
        summary="Change tier: Checkout for a new subscriber, a paid prorated upgrade, or a downgrade at period end",
        description=(
            "An upgrade applies only once paid. If the card is declined (`payment_declined`) or needs 3-D Secure "
            "(`payment_action_required`) the answer is 402 with `client_secret`, `payment_intent` and "
            "`hosted_invoice_url`, and the current tier stays."
        ),
    )
    def post(self, request: Request) -> Response:
        data = self.UpgradeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.subscription_change(
            user=request.user,
            tier=TIERS[TierCode(data.validated_data["tier"])],
            interval=Interval(data.validated_data["interval"]),
            proration_date=data.validated_data.get("proration_date"),
        )
        return Response(
            {"result": change.result, "checkout_url": change.checkout_url, "subscription": subscription_data(request)}
        )


class SubscriptionCancelApi(BillingApi):
    permission_classes = [IsTrainer]

    @extend_schema(
        request=None,
        responses={200: SubscriptionSerializer, 409: NO_SUBSCRIPTION, **STRIPE_ERRORS},
        summary="Cancel at the end of the paid period",
    )
    def post(self, request: Request) -> Response:
        services.subscription_cancel(user=request.user)
        return Response(subscription_data(request))


class SubscriptionResumeApi(BillingApi):
    permission_classes = [IsTrainer]

    @extend_schema(
        request=None,
        responses={
            200: SubscriptionSerializer,
            409: error_response(
                "There is no paid subscription (`no_subscription`), or it is not set to cancel "
                "(`subscription_not_cancelling`)."
            ),
            **STRIPE_ERRORS,
        },
        summary="Undo a cancellation at period end",
    )
    def post(self, request: Request) -> Response:
        services.subscription_resume(user=request.user)
        return Response(subscription_data(request))


class InvoiceSerializer(serializers.Serializer):
    id = serializers.CharField()
    number = serializers.CharField(source="stripe_data.number", allow_null=True)
    status = serializers.CharField(source="stripe_data.status")
    billing_reason = serializers.CharField(source="stripe_data.billing_reason", allow_null=True)
    currency = serializers.CharField(source="stripe_data.currency")
    subtotal = serializers.IntegerField(source="stripe_data.subtotal")
    total = serializers.IntegerField(source="stripe_data.total")
    amount_due = serializers.IntegerField(source="stripe_data.amount_due")
    amount_paid = serializers.IntegerField(source="stripe_data.amount_paid")
    created = serializers.DateTimeField()
    period_start = serializers.SerializerMethodField()
    period_end = serializers.SerializerMethodField()
    hosted_invoice_url = serializers.URLField(source="stripe_data.hosted_invoice_url", allow_null=True)
    pdf_url = serializers.SerializerMethodField(help_text="This API's path to the PDF (it checks ownership).")

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_period_start(self, invoice: Any) -> Any:
        return serializers.DateTimeField().to_representation(selectors.invoice_period(invoice)[0])

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_period_end(self, invoice: Any) -> Any:
        return serializers.DateTimeField().to_representation(selectors.invoice_period(invoice)[1])

    @extend_schema_field(OpenApiTypes.STR)
    def get_pdf_url(self, invoice: Any) -> str | None:
        if not invoice.stripe_data.get("invoice_pdf"):
            return None
        return reverse("billing-invoice-pdf", kwargs={"invoice_id": invoice.id})


class InvoiceListApi(BillingApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="billing_invoices_list",
        responses={200: paginated_schema(InvoiceSerializer), **STRIPE_ERRORS},
        summary="Own invoices",
    )
    def get(self, request: Request) -> Response:
        billing_require_configured()
        return paginated_response(
            queryset=selectors.invoice_list_for_user(user=request.user),
            serializer_class=InvoiceSerializer,
            request=request,
            view=self,
        )


class InvoicePdfApi(BillingApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={302: None, **STRIPE_ERRORS},
        summary="The invoice's PDF: a redirect to Stripe's file, for the invoice's owner only",
    )
    def get(self, request: Request, invoice_id: str) -> Response:
        billing_require_configured()
        invoice = selectors.invoice_get_for_user(user=request.user, invoice_id=invoice_id)
        pdf = invoice.stripe_data.get("invoice_pdf")
        if not pdf:
            raise NotFoundError("Invoice PDF")
        return Response(status=status.HTTP_302_FOUND, headers={"Location": pdf})


class RefundSerializer(serializers.Serializer):
    id = serializers.CharField()
    amount = serializers.IntegerField(source="stripe_data.amount")
    status = serializers.CharField(source="stripe_data.status")
    reason = serializers.CharField(source="stripe_data.reason", allow_null=True)
    created = serializers.DateTimeField()


class PaymentSerializer(serializers.Serializer):
    id = serializers.CharField()
    amount = serializers.IntegerField(source="stripe_data.amount")
    currency = serializers.CharField(source="stripe_data.currency")
    status = serializers.CharField(source="stripe_data.status", help_text="succeeded, pending or failed.")
    description = serializers.CharField(source="stripe_data.description", allow_null=True)
    amount_refunded = serializers.IntegerField(source="stripe_data.amount_refunded")
    refunds = RefundSerializer(many=True)
    failure_code = serializers.CharField(source="stripe_data.failure_code", allow_null=True)
    failure_reason = serializers.CharField(source="stripe_data.failure_message", allow_null=True)
    receipt_url = serializers.URLField(source="stripe_data.receipt_url", allow_null=True)
    created = serializers.DateTimeField()


class PaymentListApi(BillingApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="billing_payments_list",
        responses={200: paginated_schema(PaymentSerializer), **STRIPE_ERRORS},
        summary="Payment history: amounts, statuses, refunds and failure reasons",
    )
    def get(self, request: Request) -> Response:
        billing_require_configured()
        return paginated_response(
            queryset=selectors.payment_list_for_user(user=request.user),
            serializer_class=PaymentSerializer,
            request=request,
            view=self,
        )


class PortalSessionApi(BillingApi):
    permission_classes = [IsTrainer]

    @extend_schema(
        request=None,
        responses={201: inline_serializer("PortalSession", {"url": serializers.URLField()}), **STRIPE_ERRORS},
        summary="Open Stripe's customer portal (cards, invoices, cancellation)",
    )
    def post(self, request: Request) -> Response:
        return Response({"url": services.portal_session_create(user=request.user)}, status=status.HTTP_201_CREATED)
