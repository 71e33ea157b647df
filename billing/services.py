"""Writes of billing: the client limit, checkout and tier changes, and recording what Stripe tells us.

A trainer's tier (`BillingAccount`) is never set from a request or from an event's payload: it
is derived, each time, from the trainer's subscriptions as Stripe lists them now. That makes the
webhook receivers idempotent and indifferent to the order events arrive in, and lets a tier
change be applied only when Stripe says it is paid.
"""

import datetime
import traceback
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from djstripe.models import Charge, Customer, Invoice, Price, Product, Refund, Subscription, WebhookEventTrigger
from djstripe.models import WebhookEndpoint as DjstripeWebhookEndpoint
from djstripe.settings import djstripe_settings
from rest_framework import status

from billing.catalog import (
    CURRENCY,
    FREE_TIER,
    PAID_TIERS,
    TIERS,
    Interval,
    Tier,
    TierCode,
    TierPrice,
    tier_for_lookup_key,
    tier_next_up,
)
from billing.models import BillingAccount
from billing.selectors import client_count, customer_for, entitlements_for, price_for
from billing.stripe_api import WEBHOOK_EVENTS, billing_require_configured, idempotency_key, stripe_options
from kinetix.accounts.models import User
from kinetix.errors import ApplicationError, FieldError
from monitoring.metrics import WEBHOOKS_PROCESSED
from notifications.services import notify

# Subscriptions in these states keep their tier: past_due while Stripe retries the payment.
ENTITLED_STATUSES = {"active", "trialing", "past_due"}


def _timestamp(value: datetime.datetime | None = None) -> int:
    return int((value or timezone.now()).timestamp())


def _datetime(value: int | None) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if value else None


def _amount(minor_units: int) -> str:
    return f"{minor_units / 100:.2f}"


# ---- entitlements ---------------------------------------------------------------------------


@transaction.atomic
def client_limit_check(*, trainer: User) -> None:
    """Refuse one more active client when the trainer's tier allows no more (402 `client_limit_reached`)."""
    # Lock the trainer so that concurrent joins are counted one after the other.
    get_user_model().objects.select_for_update().filter(pk=trainer.pk).first()
    tier = entitlements_for(trainer).tier
    limit = tier.limits.clients
    if limit is None or client_count(trainer=trainer) < limit:
        return
    upgrade = tier_next_up(tier)
    message = f"The {tier.name} tier allows up to {limit} active clients."
    raise ApplicationError(
        "client_limit_reached",
        f"{message} Upgrade to {upgrade.name} to coach more." if upgrade else message,
        status_code=status.HTTP_402_PAYMENT_REQUIRED,
        extra={"tier": tier.code.value, "limit": limit, "upgrade_tier": upgrade.code.value if upgrade else None},
    )


# ---- deriving the tier from Stripe ----------------------------------------------------------


def _subscription_tier(subscription: stripe.Subscription) -> tuple[Tier, Interval] | None:
    for item in subscription["items"]["data"]:
        billed = tier_for_lookup_key(item["price"]["lookup_key"])
        if billed:
            return billed[0], billed[1].interval
    return None


def _price_tier(price_id: str) -> tuple[Tier, Interval] | None:
    price = Price.objects.filter(id=price_id).first()
    if price is not None:
        lookup_key = price.stripe_data.get("lookup_key")
    else:  # not synced yet: ask Stripe
        lookup_key = stripe.Price.retrieve(price_id, **stripe_options())["lookup_key"]
    billed = tier_for_lookup_key(lookup_key)
    return (billed[0], billed[1].interval) if billed else None


def _scheduled_change(subscription: stripe.Subscription, period_end: int) -> tuple[Tier, Interval] | None:
    schedule = subscription["schedule"]
    if not schedule or schedule["status"] != "active":
        return None
    upcoming = [phase for phase in schedule["phases"] if phase["start_date"] >= period_end]
    return _price_tier(upcoming[0]["items"][0]["price"]) if upcoming else None


def _account_derive(account: BillingAccount, subscriptions: list[stripe.Subscription]) -> None:
    """Set the account from the best subscription that grants a tier, or to the free tier."""
    granting = []
    for subscription in subscriptions:
        billed = _subscription_tier(subscription)
        if billed and subscription["status"] in ENTITLED_STATUSES:
            granting.append((billed[0].rank, subscription["created"], subscription, billed))
    if not granting:
        account.tier, account.interval, account.subscription_id, account.status = FREE_TIER.code, "", "", ""
        account.current_period_end, account.cancel_at_period_end = None, False
        account.scheduled_tier = account.scheduled_interval = ""
        return
    _, _, subscription, (tier, interval) = max(granting, key=lambda row: row[:2])
    period_end = max(item["current_period_end"] for item in subscription["items"]["data"])
    scheduled = _scheduled_change(subscription, period_end)
    account.tier, account.interval = tier.code, interval
    account.subscription_id, account.status = subscription["id"], subscription["status"]
    account.current_period_end = _datetime(period_end)
    account.cancel_at_period_end = bool(subscription["cancel_at_period_end"] or subscription["cancel_at"])
    account.scheduled_tier = scheduled[0].code if scheduled else ""
    account.scheduled_interval = scheduled[1] if scheduled else ""


def billing_account_sync(*, customer: Customer | None) -> BillingAccount | None:
    """Refresh the customer's subscriptions from Stripe and derive their subscriber's tier from them."""
    user = customer.subscriber if customer else None
    if user is None:  # not a customer of ours
        return None
    listed = stripe.Subscription.list(
        customer=customer.id, status="all", limit=100, expand=["data.schedule"], **stripe_options()
    )
    subscriptions = list(listed.auto_paging_iter())
    with transaction.atomic():
        for subscription in subscriptions:
            Subscription.sync_from_stripe_data(subscription, api_key=settings.STRIPE_SECRET_KEY)
        account, _ = BillingAccount.objects.select_for_update().get_or_create(user=user)
        before = BillingAccount(
            tier=account.tier,
            subscription_id=account.subscription_id,
            cancel_at_period_end=account.cancel_at_period_end,
            current_period_end=account.current_period_end,
        )
        _account_derive(account, subscriptions)
        account.save()
        _notify_cancellation(user=user, before=before, after=account)
    return account


def _notify_cancellation(*, user: User, before: BillingAccount, after: BillingAccount) -> None:
    # Derived from the change of state, so each cancellation is told once, however often events repeat.
    cancel_requested = (
        after.cancel_at_period_end
        and not before.cancel_at_period_end
        and after.subscription_id == before.subscription_id
    )
    ended_unannounced = (
        before.tier != FREE_TIER.code and after.tier == FREE_TIER.code and not before.cancel_at_period_end
    )
    if not (cancel_requested or ended_unannounced):
        return
    ended = before if ended_unannounced else after
    period_end = ended.current_period_end or timezone.now()
    context = {"tier": TIERS[TierCode(ended.tier)].name, "period_end": period_end.date()}
    _notify_on_commit(user=user, event="subscription_cancelled", context=context)


def _notify_on_commit(*, user: User, event: str, context: dict, dedupe_key: str = "") -> None:
    # robust: a notification that cannot be made is logged, it does not fail the billing change.
    transaction.on_commit(lambda: notify(user=user, event=event, context=context, dedupe_key=dedupe_key), robust=True)


# ---- invoices and payments ------------------------------------------------------------------


def _invoice_with_payment_intent(invoice_id: str) -> tuple[stripe.Invoice, stripe.PaymentIntent | None]:
    invoice = stripe.Invoice.retrieve(invoice_id, expand=["payments.data.payment.payment_intent"], **stripe_options())
    payments = [payment for payment in invoice["payments"]["data"] if payment["payment"]["type"] == "payment_intent"]
    default = next((payment for payment in payments if payment["is_default"]), payments[-1] if payments else None)
    return invoice, default["payment"]["payment_intent"] if default else None


def invoice_paid_record(*, invoice_id: str) -> None:
    """Apply a paid invoice: refresh the tier, clear an earlier payment failure, tell the payer."""
    invoice_row = Invoice.objects.select_related("customer").get(id=invoice_id)
    account = billing_account_sync(customer=invoice_row.customer)
    if account is None:
        return
    invoice, intent = _invoice_with_payment_intent(invoice_id)
    paid_at = _datetime(invoice["status_transitions"]["paid_at"])
    if invoice["status"] != "paid" or paid_at is None:
        return
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update().get(pk=account.pk)
        if account.payment_failed_at and account.payment_failed_at <= paid_at:
            account.payment_failed_at, account.payment_failure_reason = None, ""
            account.save(update_fields=["payment_failed_at", "payment_failure_reason", "updated_at"])
        tier = TIERS[TierCode(account.tier)].name
        if invoice["billing_reason"] == "subscription_cycle":
            period_end = account.current_period_end or paid_at
            context = {"tier": tier, "period_end": period_end.date()}
            _notify_on_commit(user=account.user, event="subscription_renewed", context=context, dedupe_key=invoice_id)
        elif invoice["amount_paid"] > 0:
            context = {
                "amount": _amount(invoice["amount_paid"]),
                "currency": invoice["currency"].upper(),
                "tier": tier,
                "payment_id": intent["id"] if intent else invoice_id,
            }
            _notify_on_commit(user=account.user, event="payment_succeeded", context=context, dedupe_key=invoice_id)


def invoice_payment_failed_record(*, invoice_id: str) -> None:
    """Record why an invoice's payment failed, unless it has been paid since."""
    invoice_row = Invoice.objects.select_related("customer").get(id=invoice_id)
    account = billing_account_sync(customer=invoice_row.customer)
    if account is None:
        return
    invoice, intent = _invoice_with_payment_intent(invoice_id)
    if invoice["status"] != "open":
        return
    error = intent["last_payment_error"] if intent else None
    reason = (error["message"] if error else "") or "The payment failed."
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update().get(pk=account.pk)
        account.payment_failed_at = timezone.now()
        account.payment_failure_reason = reason[:500]
        account.save(update_fields=["payment_failed_at", "payment_failure_reason", "updated_at"])
        context = {
            "amount": _amount(invoice["amount_due"]),
            "currency": invoice["currency"].upper(),
            "tier": TIERS[TierCode(account.tier)].name,
            "reason": reason,
            "payment_id": intent["id"] if intent else invoice_id,
        }
        # One message per failed attempt, however often the event is delivered.
        dedupe_key = f"{invoice_id}:{invoice['attempt_count']}"
        _notify_on_commit(user=account.user, event="payment_failed", context=context, dedupe_key=dedupe_key)


@transaction.atomic
def charge_refunds_sync(*, charge_id: str) -> None:
    """Sync a charge's refunds from Stripe."""
    api_key = settings.STRIPE_SECRET_KEY
    for refund in stripe.Refund.list(charge=charge_id, limit=100, **stripe_options()).auto_paging_iter():
        Refund.sync_from_stripe_data(refund, api_key=api_key)


# ---- customers, checkout, the portal --------------------------------------------------------


def customer_get_or_create(*, user: User) -> Customer:
    """Return the user's Stripe customer, creating it (idempotently) on first use."""
    customer, _ = Customer.get_or_create(
        subscriber=user, livemode=settings.STRIPE_LIVE_MODE, api_key=settings.STRIPE_SECRET_KEY
    )
    return customer


def _checkout_session_create(*, user: User, customer: Customer, price: Price) -> str:
    subscriber = {djstripe_settings.SUBSCRIBER_CUSTOMER_KEY: str(user.pk)}
    return_url = settings.BILLING_RETURN_URL
    separator = "&" if "?" in return_url else "?"
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        client_reference_id=str(user.pk),
        line_items=[{"price": price.id, "quantity": 1}],
        metadata=subscriber,
        subscription_data={"metadata": subscriber},
        success_url=f"{return_url}{separator}checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{return_url}{separator}checkout=cancelled",
        **stripe_options(idempotency_key=idempotency_key("checkout", customer.id, price.id, unique=True)),
    )
    return session["url"]


def portal_session_create(*, user: User) -> str:
    """Open a Stripe customer-portal session for the user; return its URL."""
    billing_require_configured()
    customer = customer_get_or_create(user=user)
    session = stripe.billing_portal.Session.create(
        customer=customer.id,
        return_url=settings.BILLING_RETURN_URL,
        **stripe_options(idempotency_key=idempotency_key("portal", customer.id, unique=True)),
    )
    return session["url"]


# ---- changing tier ------------------------------------------------------------------------


@dataclass(frozen=True)
class TierChange:
    result: str  # checkout | upgraded | downgrade_scheduled | downgrade_cancelled | unchanged
    checkout_url: str = ""


@dataclass(frozen=True)
class ChangePreviewLine:
    description: str
    amount: int
    period_start: datetime.datetime | None
    period_end: datetime.datetime | None


@dataclass(frozen=True)
class ChangePreview:
    change: str  # new | upgrade | downgrade | unchanged
    amount_due: int
    currency: str
    proration_date: int | None
    effective_at: datetime.datetime | None
    lines: list[ChangePreviewLine]


def _change_kind(account: BillingAccount, tier: Tier, interval: Interval) -> str:
    current = TIERS[TierCode(account.tier)]
    if (tier.code, interval) == (current.code, account.interval):
        return "unchanged"
    if tier.rank > current.rank or (tier.rank == current.rank and interval == Interval.YEAR):
        return "upgrade"
    return "downgrade"


def _paid_tier_required(tier: Tier) -> None:
    if not tier.prices:
        raise ApplicationError(
            "tier_not_purchasable",
            "The free tier is not bought: cancel the subscription to return to it at period end.",
            errors=[FieldError("tier", "tier_not_purchasable", "Choose a paid tier.")],
        )


def _live_subscription(account: BillingAccount) -> stripe.Subscription:
    return stripe.Subscription.retrieve(account.subscription_id, expand=["schedule"], **stripe_options())


def subscription_change_preview(*, user: User, tier: Tier, interval: Interval) -> ChangePreview:
    """Show what moving to `tier` costs now: the prorated amount an upgrade charges at once."""
    billing_require_configured()
    _paid_tier_required(tier)
    price = price_for(tier=tier, interval=interval)
    account = billing_account_sync(customer=customer_for(user=user))
    if account is None or not account.subscription_id:
        amount = tier.price(interval).amount
        return ChangePreview("new", amount, CURRENCY, None, timezone.now(), [])
    change = _change_kind(account, tier, interval)
    if change != "upgrade":
        effective_at = account.current_period_end if change == "downgrade" else None
        return ChangePreview(change, 0, CURRENCY, None, effective_at, [])
    subscription = _live_subscription(account)
    proration_date = _timestamp()
    preview = stripe.Invoice.create_preview(
        customer=subscription["customer"],
        subscription=subscription["id"],
        subscription_details={
            "items": [{"id": subscription["items"]["data"][0]["id"], "price": price.id}],
            "proration_behavior": "always_invoice",
            "proration_date": proration_date,
        },
        **stripe_options(idempotency_key=idempotency_key("preview", subscription["id"], price.id, unique=True)),
    )
    lines = [
        ChangePreviewLine(
            line["description"], line["amount"], _datetime(line["period"]["start"]), _datetime(line["period"]["end"])
        )
        for line in preview["lines"]["data"]
    ]
    return ChangePreview("upgrade", preview["amount_due"], preview["currency"], proration_date, timezone.now(), lines)


def subscription_change(*, user: User, tier: Tier, interval: Interval, proration_date: int | None = None) -> TierChange:
    """Move the user to `tier`: Checkout for a new subscriber, a paid prorated upgrade, or a downgrade at period end."""
    billing_require_configured()
    _paid_tier_required(tier)
    price = price_for(tier=tier, interval=interval)
    customer = customer_get_or_create(user=user)
    account = billing_account_sync(customer=customer)
    if not account.subscription_id:
        return TierChange("checkout", _checkout_session_create(user=user, customer=customer, price=price))
    if account.cancel_at_period_end:
        raise ApplicationError(
            "subscription_cancelling",
            "The subscription ends at period end; resume it before changing its tier.",
            status_code=status.HTTP_409_CONFLICT,
        )
    subscription = _live_subscription(account)
    change = _change_kind(account, tier, interval)
    result = {"unchanged": "unchanged", "downgrade": "downgrade_scheduled", "upgrade": "upgraded"}[change]
    if subscription["schedule"]:
        _schedule_release(subscription["schedule"]["id"])
        if change == "unchanged":
            result = "downgrade_cancelled"
    if change == "downgrade":
        _downgrade_schedule(subscription, price)
    elif change == "upgrade":
        _upgrade(subscription, price, proration_date)
    billing_account_sync(customer=customer)
    return TierChange(result)


def _schedule_release(schedule_id: str) -> None:
    stripe.SubscriptionSchedule.release(
        schedule_id, **stripe_options(idempotency_key=idempotency_key("schedule-release", schedule_id))
    )


def _downgrade_schedule(subscription: stripe.Subscription, price: Price) -> None:
    # A schedule keeps the paid tier to the end of the period, then bills the lower price.
    item = subscription["items"]["data"][0]
    schedule = stripe.SubscriptionSchedule.create(
        from_subscription=subscription["id"],
        **stripe_options(idempotency_key=idempotency_key("schedule-create", subscription["id"], unique=True)),
    )
    current = schedule["phases"][0]
    stripe.SubscriptionSchedule.modify(
        schedule["id"],
        end_behavior="release",
        proration_behavior="none",
        phases=[
            {
                "items": [{"price": item["price"]["id"], "quantity": 1}],
                "start_date": current["start_date"],
                "end_date": current["end_date"],
            },
            {"items": [{"price": price.id, "quantity": 1}], "iterations": 1},
        ],
        **stripe_options(idempotency_key=idempotency_key("schedule-downgrade", schedule["id"], price.id)),
    )


def _upgrade(subscription: stripe.Subscription, price: Price, proration_date: int | None) -> None:
    item = subscription["items"]["data"][0]
    now = _timestamp()
    if proration_date is None:
        proration_date = now
    elif not item["current_period_start"] <= proration_date <= now:
        message = "The preview is out of date: preview the upgrade again."
        raise ApplicationError(
            "proration_date_invalid", message, errors=[FieldError("proration_date", "invalid", message)]
        )
    # The same preview upgraded twice is one upgrade: the key names the change and its proration date.
    updated = stripe.Subscription.modify(
        subscription["id"],
        items=[{"id": item["id"], "price": price.id}],
        proration_behavior="always_invoice",
        proration_date=proration_date,
        payment_behavior="pending_if_incomplete",
        expand=["latest_invoice"],
        **stripe_options(idempotency_key=idempotency_key("upgrade", subscription["id"], price.id, proration_date)),
    )
    if not updated["pending_update"]:
        return
    # Payment failed or needs the customer: Stripe keeps the old tier and holds the change as pending.
    invoice, intent = _invoice_with_payment_intent(updated["latest_invoice"]["id"])
    needs_action = intent is not None and intent["status"] == "requires_action"
    error = intent["last_payment_error"] if intent else None
    raise ApplicationError(
        "payment_action_required" if needs_action else "payment_declined",
        "Confirm the payment (3-D Secure) to complete the upgrade."
        if needs_action
        else (error["message"] if error else "The payment failed.") + " The upgrade was not applied.",
        status_code=status.HTTP_402_PAYMENT_REQUIRED,
        extra={
            "client_secret": intent["client_secret"] if intent else None,
            "payment_intent": intent["id"] if intent else None,
            "hosted_invoice_url": invoice["hosted_invoice_url"],
            "publishable_key": settings.STRIPE_PUBLIC_KEY,
        },
    )


def _subscription_required(account: BillingAccount | None) -> BillingAccount:
    if account is None or not account.subscription_id:
        raise ApplicationError(
            "no_subscription", "There is no paid subscription.", status_code=status.HTTP_409_CONFLICT
        )
    return account


def subscription_cancel(*, user: User) -> BillingAccount:
    """Cancel the user's subscription at the end of the paid period (a scheduled downgrade is dropped)."""
    billing_require_configured()
    customer = customer_for(user=user)
    account = _subscription_required(billing_account_sync(customer=customer))
    if account.cancel_at_period_end:
        return account
    subscription = _live_subscription(account)
    if subscription["schedule"]:
        _schedule_release(subscription["schedule"]["id"])
    stripe.Subscription.modify(
        subscription["id"],
        cancel_at_period_end=True,
        **stripe_options(idempotency_key=idempotency_key("cancel", subscription["id"], unique=True)),
    )
    return billing_account_sync(customer=customer)


def subscription_resume(*, user: User) -> BillingAccount:
    """Undo a cancellation at period end: the subscription renews again."""
    billing_require_configured()
    customer = customer_for(user=user)
    account = _subscription_required(billing_account_sync(customer=customer))
    if not account.cancel_at_period_end:
        raise ApplicationError(
            "subscription_not_cancelling",
            "The subscription is not set to cancel.",
            status_code=status.HTTP_409_CONFLICT,
        )
    stripe.Subscription.modify(
        account.subscription_id,
        cancel_at_period_end=False,
        **stripe_options(idempotency_key=idempotency_key("resume", account.subscription_id, unique=True)),
    )
    return billing_account_sync(customer=customer)


# ---- operations: setup, sync, re-processing -------------------------------------------------


def catalog_push() -> list[str]:
    """Create or update the catalog's Products and Prices in Stripe and sync them; report each step."""
    billing_require_configured()
    report = []
    api_key = settings.STRIPE_SECRET_KEY
    for tier in PAID_TIERS:
        product, action = _product_push(tier)
        Product.sync_from_stripe_data(product, api_key=api_key)
        report.append(f"product {product['id']}: {action}")
        for tier_price in tier.prices:
            price, action = _price_push(product_id=product["id"], tier_price=tier_price)
            Price.sync_from_stripe_data(price, api_key=api_key)
            report.append(f"price {tier_price.lookup_key}: {action} ({price['id']})")
    return report


def _product_push(tier: Tier) -> tuple[stripe.Product, str]:
    wanted = {"name": f"Kinetix {tier.name}", "metadata": {"kinetix_tier": tier.code.value}}
    try:
        product = stripe.Product.retrieve(tier.stripe_product_id, **stripe_options())
    except stripe.InvalidRequestError as exc:
        if exc.code != "resource_missing":
            raise
        key = idempotency_key("product-create", tier.stripe_product_id)
        return stripe.Product.create(
            id=tier.stripe_product_id, **wanted, **stripe_options(idempotency_key=key)
        ), "created"
    if (
        product["name"] == wanted["name"]
        and product["metadata"]["kinetix_tier"] == tier.code.value
        and product["active"]
    ):
        return product, "unchanged"
    key = idempotency_key("product-update", tier.stripe_product_id, unique=True)
    return stripe.Product.modify(
        tier.stripe_product_id, active=True, **wanted, **stripe_options(idempotency_key=key)
    ), "updated"


def _price_push(*, product_id: str, tier_price: TierPrice) -> tuple[stripe.Price, str]:
    found = stripe.Price.list(lookup_keys=[tier_price.lookup_key], limit=1, **stripe_options())["data"]
    current = found[0] if found else None
    if (
        current is not None
        and current["active"]
        and current["unit_amount"] == tier_price.amount
        and current["currency"] == CURRENCY
        and current["product"] == product_id
        and current["recurring"]["interval"] == tier_price.interval
    ):
        return current, "unchanged"
    # Prices are immutable: a new amount is a new Price that takes over the lookup key.
    price = stripe.Price.create(
        product=product_id,
        currency=CURRENCY,
        unit_amount=tier_price.amount,
        recurring={"interval": tier_price.interval.value},
        lookup_key=tier_price.lookup_key,
        transfer_lookup_key=True,
        **stripe_options(
            idempotency_key=idempotency_key("price-create", tier_price.lookup_key, tier_price.amount, product_id)
        ),
    )
    if current is None:
        return price, "created"
    old = stripe.Price.modify(
        current["id"], active=False, **stripe_options(idempotency_key=idempotency_key("price-archive", current["id"]))
    )
    Price.sync_from_stripe_data(old, api_key=settings.STRIPE_SECRET_KEY)
    return price, f"replaced {current['id']}"


def webhook_endpoint_register(*, base_url: str) -> str:
    """Point a Stripe webhook endpoint at this deployment's dj-stripe view, with the events billing needs."""
    billing_require_configured()
    api_key = settings.STRIPE_SECRET_KEY
    endpoint = DjstripeWebhookEndpoint.objects.filter(metadata__kinetix="billing_setup").first()
    if endpoint is not None:
        url = base_url.rstrip("/") + reverse(
            "djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid}
        )
        data = stripe.WebhookEndpoint.modify(
            endpoint.id,
            url=url,
            enabled_events=WEBHOOK_EVENTS,
            disabled=False,
            **stripe_options(idempotency_key=idempotency_key("webhook-update", endpoint.id, unique=True)),
        )
        data["secret"] = endpoint.secret  # Stripe shows the secret only on creation
        DjstripeWebhookEndpoint.sync_from_stripe_data(data, api_key=api_key)
        return f"webhook endpoint {endpoint.id}: updated, {url}"
    endpoint = DjstripeWebhookEndpoint()  # for its fresh djstripe_uuid
    url = base_url.rstrip("/") + reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})
    data = stripe.WebhookEndpoint.create(
        url=url,
        enabled_events=WEBHOOK_EVENTS,
        api_version=settings.STRIPE_API_VERSION,
        metadata={"djstripe_uuid": str(endpoint.djstripe_uuid), "kinetix": "billing_setup"},
        **stripe_options(idempotency_key=idempotency_key("webhook-create", endpoint.djstripe_uuid)),
    )
    endpoint = DjstripeWebhookEndpoint.sync_from_stripe_data(data, api_key=api_key)
    return f"webhook endpoint {endpoint.id}: created, {url}"


def customer_sync_from_stripe(*, customer: Customer) -> BillingAccount | None:
    """Re-read a customer's subscriptions, invoices and charges from Stripe (the admin's "sync" action)."""
    billing_require_configured()
    api_key = settings.STRIPE_SECRET_KEY
    with transaction.atomic():
        Customer.sync_from_stripe_data(stripe.Customer.retrieve(customer.id, **stripe_options()), api_key=api_key)
        for invoice in stripe.Invoice.list(customer=customer.id, limit=100, **stripe_options()).auto_paging_iter():
            Invoice.sync_from_stripe_data(invoice, api_key=api_key)
        for charge in stripe.Charge.list(customer=customer.id, limit=100, **stripe_options()).auto_paging_iter():
            Charge.sync_from_stripe_data(charge, api_key=api_key)
    return billing_account_sync(customer=customer)


def webhook_event_lock(*, trigger: WebhookEventTrigger) -> None:
    """Hold the trigger's event id until this transaction ends: deliveries of one event are processed one at a time.

    dj-stripe looks for the event's row, then stores and processes it. Without the lock, a redelivery that
    looked while the first delivery was still uncommitted ran the receivers again once that delivery had
    committed (Stripe redelivers an event it gave up waiting for). Behind the lock it finds the row.
    PostgreSQL only, production's database: SQLite has no advisory locks.
    """
    body = trigger.json_body
    event_id = body.get("id") if isinstance(body, dict) else None
    if not event_id or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"stripe-event:{event_id}"])


def webhook_count(*, trigger: WebhookEventTrigger, outcome: str) -> None:
    """Count one attempt at a webhook: `ok` and `rejected` once their transaction commits, `failed` at once.

    A failure is counted after its transaction has rolled back, so the same attempt is never counted twice.
    The event type is a label only when the endpoint subscribes to it (anything else is `other`).
    """
    body = trigger.json_body
    event_type = body.get("type") if isinstance(body, dict) else None
    label = event_type if event_type in WEBHOOK_EVENTS else "other"
    count = WEBHOOKS_PROCESSED.labels(source="stripe", event_type=label, outcome=outcome).inc
    if outcome == "failed":
        count()
    else:
        transaction.on_commit(count)


def webhook_trigger_reprocess(*, trigger: WebhookEventTrigger) -> bool:
    """Process a stored webhook again (after a receiver failed); record the error if it fails again."""
    if not trigger.valid or trigger.processed:
        return trigger.processed
    api_key = djstripe_settings.get_default_api_key(trigger.json_body.get("livemode"))
    try:
        with transaction.atomic():
            webhook_event_lock(trigger=trigger)
            trigger.process(save=True, api_key=api_key)
            webhook_count(trigger=trigger, outcome="ok")
    except Exception as exc:  # any failure is recorded on the trigger, as dj-stripe's view does
        webhook_count(trigger=trigger, outcome="failed")
        trigger.exception = str(exc)[: WebhookEventTrigger._meta.get_field("exception").max_length]
        trigger.traceback = traceback.format_exc()
        trigger.processed = False
        trigger.save(update_fields=["exception", "traceback", "processed", "updated"])
        return False
    return True
