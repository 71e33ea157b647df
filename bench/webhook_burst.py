"""Benchmark 3, Stripe webhook burst: 1,000 signed events, 10% of them posted twice, posted concurrently.

    python -m bench.webhook_burst        (make bench-webhooks; BENCH_WEBHOOK_POSTS scales it)

Stripe's API is the tests' fake (tests/fakes/stripe_server.py), run in this process; gunicorn reaches it
through STRIPE_API_BASE, as dj-stripe re-fetches every event's object and billing's receivers list the
customer's subscriptions. `billing_setup` registers the webhook endpoint; trainers subscribe through
Checkout (completed on the fake) and then renew, fail a renewal, upgrade, get a refund, cancel or
downgrade, as the customer portal and the clock would. The events that makes, of the types the endpoint
subscribes to, are shuffled, a tenth of them posted a second time a few posts after the first (as Stripe
redelivers an event whose delivery it gave up waiting for), signed as Stripe signs them and posted to
dj-stripe's `/stripe/webhook/<uuid>/`.

The posts run in slices alternating with the baseline, `bench/ping/`, as the other HTTP benchmarks do.
The budget is correctness: every post answered 2xx within LATENCY_BUDGET_MS at p99, and every event
processed exactly once (see `check`). The queries and Stripe calls of each event type are counted
in-process beforehand, on one more trainer's Checkout.
"""

import collections
import io
import json
import os
import random
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from bench import harness

POSTS = int(os.environ.get("BENCH_WEBHOOK_POSTS", "1000"))
DUPLICATE_SHARE = 0.1
ROUNDS = 5
SEED = 9
# Stripe redelivers an event whose delivery took too long (its timeout is not published) and gunicorn kills a
# worker after 30 s: a p99 above this would make redeliveries common.
LATENCY_BUDGET_MS = 10_000
# dj-stripe refuses keys with fewer than 24 characters after the prefix.
STRIPE_ENV = {
    "STRIPE_SECRET_KEY": "sk_test_kinetixBenchFakeStripeKey0123456789",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_kinetixBenchFakeStripeKey0123456789",
}
INVOICE_RETRIEVE_EXPAND = "payments.data.payment.payment_intent"


@dataclass
class Story:
    """One trainer's billing history on the fake Stripe, and the tier it must leave them with."""

    name: str
    tier: str
    interval: str
    expect_tier: str
    expect_status: str


# What a trainer does after Checkout; each leaves a known tier (cycled over the trainers).
STORIES = [
    Story("checkout", "pro", "month", "pro", "active"),
    Story("checkout", "studio", "year", "studio", "active"),
    Story("renewal", "pro", "month", "pro", "active"),
    Story("failed renewal", "pro", "month", "pro", "past_due"),
    Story("upgrade", "pro", "month", "studio", "active"),
    Story("refund", "pro", "month", "pro", "active"),
    Story("cancel at period end", "studio", "month", "studio", "active"),
    Story("downgrade at period end", "studio", "month", "pro", "active"),
    Story("cancel now", "pro", "month", "free", ""),
]


@dataclass
class World:
    """The fake Stripe, the registered webhook endpoint, and the trainers whose stories made the events."""

    fake: object
    url: str
    endpoint: object
    trainers: dict[str, tuple[object, Story]] = field(default_factory=dict)  # customer id -> (user, story)

    @property
    def path(self) -> str:
        from django.urls import reverse

        return reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": self.endpoint.djstripe_uuid})


def _act(world: World, path: str, **params: str) -> dict:
    """Call one of the fake's /_test/ routes: what the customer or the clock does in real Stripe."""
    data = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(f"{world.url}{path}", data=data, method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read())


def _story_play(world: World, trainer, story: Story) -> str:
    """Play the story on Stripe for the trainer; return their Stripe customer id."""
    import stripe

    from billing import services
    from billing.catalog import TIERS, Interval, TierCode
    from billing.stripe_api import stripe_options

    def change(tier: TierCode, interval: Interval) -> services.TierChange:
        return services.subscription_change(user=trainer, tier=TIERS[tier], interval=interval)

    checkout = change(TierCode(story.tier), Interval(story.interval))
    session = _act(world, f"/_test/checkout/sessions/{checkout.checkout_url.rsplit('/', 1)[1]}/complete")
    subscription_id, customer_id, options = session["subscription"], session["customer"], stripe_options()
    # Then what the trainer does through our API (the services), the customer portal, the dashboard and the clock.
    if story.name == "renewal":
        _act(world, f"/_test/subscriptions/{subscription_id}/period_end")
    elif story.name == "failed renewal":
        card = stripe.PaymentMethod.attach("pm_card_chargeDeclined", customer=customer_id, **options)
        stripe.Subscription.modify(subscription_id, default_payment_method=card["id"], **options)
        _act(world, f"/_test/subscriptions/{subscription_id}/period_end")
    elif story.name == "upgrade":
        change(TierCode.STUDIO, Interval.MONTH)
    elif story.name == "refund":
        charge = stripe.Charge.list(customer=customer_id, limit=1, **options)["data"][0]
        stripe.Refund.create(charge=charge["id"], amount=500, **options)
    elif story.name == "cancel at period end":
        services.subscription_cancel(user=trainer)
    elif story.name == "downgrade at period end":
        change(TierCode.PRO, Interval.MONTH)
        _act(world, f"/_test/subscriptions/{subscription_id}/period_end")
    elif story.name == "cancel now":
        stripe.Subscription.cancel(subscription_id, **options)
    return customer_id


def events_make(world: World, distinct: int) -> list[dict]:
    """Play stories for new trainers until Stripe has made `distinct` events the endpoint subscribes to."""
    from bench import seed

    with world.fake.lock:
        cursor = len(world.fake.events)
    events: list[dict] = []
    number = 0
    while len(events) < distinct:
        trainer = seed.trainer_create(f"bench-billing-{number:04}")
        story = STORIES[number % len(STORIES)]
        world.trainers[_story_play(world, trainer, story)] = (trainer, story)
        number += 1
        made, cursor = _new_events(world, cursor)
        events += made
    harness.log(f"{number} trainers made {len(events)} events; posting {distinct} of them")
    return _trim(events, distinct)


def _trim(events: list[dict], distinct: int) -> list[dict]:
    """Drop the surplus from the newest events that billing's receivers ignore (no trainer's tier depends on them)."""
    from billing.receivers import RECEIVERS

    surplus = len(events) - distinct
    keep = list(events)
    for index in range(len(keep) - 1, -1, -1):
        if surplus == 0:
            break
        if keep[index]["type"] not in RECEIVERS:
            del keep[index]
            surplus -= 1
    return keep


def _new_events(world: World, cursor: int) -> tuple[list[dict], int]:
    """The events Stripe made since `cursor`, of the types the endpoint subscribes to; and the new cursor."""
    from billing.stripe_api import WEBHOOK_EVENTS

    with world.fake.lock:
        made = [
            json.loads(json.dumps(event)) for event in world.fake.events[cursor:] if event["type"] in WEBHOOK_EVENTS
        ]
        return made, len(world.fake.events)


def per_event_cost(world: World) -> list[list]:
    """Queries and Stripe calls of each event of one Checkout, posted in-process one at a time, in order."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import seed

    with world.fake.lock:
        cursor = len(world.fake.events)
    _story_play(world, seed.trainer_create("bench-billing-cost"), STORIES[0])
    events, _ = _new_events(world, cursor)
    client = Client(HTTP_HOST=harness.HOST)
    rows = []
    for request, event in zip(signed(world, events), events, strict=True):
        with world.fake.lock:
            calls_before = len(world.fake.requests)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                request["path"],
                request["body"],
                content_type="application/json",
                secure=True,
                HTTP_STRIPE_SIGNATURE=request["headers"]["Stripe-Signature"],
            )
        assert response.status_code == 200, (event["type"], response.status_code)
        with world.fake.lock:
            calls = len(world.fake.requests) - calls_before
        rows.append([event["type"], len(queries), calls])
    return rows


def burst_order(events: list[dict], duplicates: int) -> list[dict]:
    """Shuffle the events and post `duplicates` of them again, 1 to 3 x CONCURRENCY posts after the first copy.

    The second copy then arrives while the first is being processed or just after, as Stripe's retry of a
    delivery it gave up waiting for does.
    """
    rng = random.Random(SEED)  # noqa: S311 - a reproducible order, not a secret
    posts = list(events)
    rng.shuffle(posts)
    for event in rng.sample(events, duplicates):
        first = next(index for index, posted in enumerate(posts) if posted is event)
        posts.insert(min(len(posts), first + rng.randint(1, 3 * harness.CONCURRENCY)), event)
    return posts


def signed(world: World, events: list[dict]) -> list[dict]:
    """Each delivery as Stripe sends it: the event's JSON, signed now with the endpoint's secret."""
    import stripe

    requests = []
    for event in events:
        payload = json.dumps(event)
        signature = stripe.WebhookSignature.generate_signature_header(payload, world.endpoint.secret)
        request = harness.post(world.path, "", payload)
        request["headers"]["Stripe-Signature"] = signature
        requests.append(request)
    return requests


def burst_run(port: int, world: World, posts: list[dict], ping: dict) -> tuple[dict, dict]:
    """Post the burst in ROUNDS consecutive slices, each after a baseline slice of as many pings; merge each."""
    from bench.api_load import merge

    size = -(-len(posts) // ROUNDS)
    harness.load(port, [ping], duration=harness.WARMUP, warmup=0)
    parts: dict[str, list[dict]] = {"baseline": [], "burst": []}
    for start in range(0, len(posts), size):
        chunk = posts[start : start + size]
        parts["baseline"].append(harness.load(port, [ping] * len(chunk), once=True, duration=600))
        # Signed just before they go: Stripe's signatures are valid for 5 minutes.
        parts["burst"].append(harness.load(port, signed(world, chunk), once=True, duration=600))
    base, burst = merge(parts["baseline"]), merge(parts["burst"])
    rates = base["slices_rps"]
    base["drift"] = (max(rates) - min(rates)) / max(max(rates), 1e-9)
    for name, result in (("baseline", base), ("burst", burst)):
        harness.log(f"{name}: {result['rps']:.1f} req/s, statuses {result['statuses']}")
        if result["errors"]:
            harness.log(f"{name} errors: {result['errors']}")
    return base, burst


def _queued_pushes() -> collections.Counter:
    """Count the push tasks waiting in Redis, by notification (no worker consumes them during a run)."""
    import base64

    import redis

    pushes: collections.Counter = collections.Counter()
    for raw in redis.Redis.from_url(harness.REDIS_URL).lrange("celery", 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == "notifications.push":
            _, kwargs, _ = json.loads(base64.b64decode(message["body"]))
            pushes[kwargs["notification_id"]] += 1
    return pushes


def _expected_receiver_calls(events: list[dict]) -> tuple[collections.Counter, collections.Counter]:
    """The Stripe calls billing's receivers make, each run once per event.

    billing_account_sync lists the customer's subscriptions (every receiver but the refund's, which lists
    the charge's refunds); the invoice receivers also retrieve their invoice with its payments.
    """
    from billing.receivers import RECEIVERS

    lists: collections.Counter = collections.Counter()
    invoice_reads: collections.Counter = collections.Counter()
    for event in events:
        obj = event["data"]["object"]
        if event["type"] == "charge.refunded":
            lists[obj["id"]] += 1
        elif event["type"] in RECEIVERS:
            lists[obj["id"] if obj["object"] == "customer" else obj["customer"]] += 1
        if event["type"] in ("invoice.paid", "invoice.payment_failed"):
            invoice_reads[obj["id"]] += 1
    return lists, invoice_reads


def _receiver_calls(requests: list[dict]) -> tuple[collections.Counter, collections.Counter]:
    gets = [r for r in requests if r["method"] == "GET"]
    lists = collections.Counter(
        r["params"].get("customer") or r["params"].get("charge")
        for r in gets
        if r["path"] in ("/v1/subscriptions", "/v1/refunds")
    )
    invoice_reads = collections.Counter(
        r["path"].rsplit("/", 1)[1]
        for r in gets
        if r["path"].startswith("/v1/invoices/") and INVOICE_RETRIEVE_EXPAND in (r["params"].get("expand") or [])
    )
    return lists, invoice_reads


def _expected_messages(world: World, events: list[dict]) -> set[tuple[str, str]]:
    """(event, dedupe key) of the message each paid or failed invoice owes its trainer, from Stripe's state."""
    expected = set()
    for event in events:
        if event["type"] not in ("invoice.paid", "invoice.payment_failed"):
            continue
        invoice = world.fake.get("invoice", event["data"]["object"]["id"])
        if event["type"] == "invoice.paid" and invoice["amount_paid"] > 0:
            kind = "subscription_renewed" if invoice["billing_reason"] == "subscription_cycle" else "payment_succeeded"
            expected.add((kind, invoice["id"]))
        elif event["type"] == "invoice.payment_failed" and invoice["status"] == "open":
            expected.add(("payment_failed", f"{invoice['id']}:{invoice['attempt_count']}"))
    return expected


def check(world: World, posts: list[dict], since: tuple[int, int]) -> list[tuple[str, str, bool]]:
    """Each event processed exactly once: stored once, its receivers run once, each side effect once.

    `since`: how many requests the fake had answered, and the last webhook trigger's id, before the burst.
    """
    from djstripe.models import Event, WebhookEventTrigger

    from billing.models import BillingAccount
    from notifications.models import Notification

    posted = collections.Counter(event["id"] for event in posts)
    events = list({event["id"]: event for event in posts}.values())
    requests_before, last_trigger = since
    triggers = WebhookEventTrigger.objects.filter(webhook_endpoint=world.endpoint, id__gt=last_trigger)
    per_event = collections.Counter(triggers.values_list("event_id", flat=True))
    failed = triggers.exclude(valid=True, processed=True, exception="").count()
    stored = set(Event.objects.filter(id__in=posted).values_list("id", flat=True))

    with world.fake.lock:
        requests = list(world.fake.requests[requests_before:])
    lists, invoice_reads = _receiver_calls(requests)
    expect_lists, expect_invoice_reads = _expected_receiver_calls(events)
    for name, found, expected in (
        ("receiver", lists, expect_lists),
        ("invoice receiver", invoice_reads, expect_invoice_reads),
    ):
        if found != expected:
            harness.log(
                f"{name} runs beyond one per event: {dict(found - expected)}; missing: {dict(expected - found)}"
            )

    users = [user for user, _ in world.trainers.values()]
    messages = Notification.objects.filter(user__in=users)
    billing_messages = collections.Counter(
        messages.filter(event__in=["payment_succeeded", "subscription_renewed", "payment_failed"]).values_list(
            "event", "dedupe_key"
        )
    )
    expect_messages = _expected_messages(world, events)
    cancelled = collections.Counter(messages.filter(event="subscription_cancelled").values_list("user", flat=True))
    message_ids = set(messages.values_list("id", flat=True))
    pushes = _queued_pushes()

    accounts = {account.user_id: account for account in BillingAccount.objects.filter(user__in=users)}
    tier_right = [
        (account.tier, account.status) == (story.expect_tier, story.expect_status)
        for user, story in world.trainers.values()
        if (account := accounts.get(user.pk))
    ]
    return [
        (
            "every event stored once (djstripe Event)",
            f"{len(stored):,} of {len(posted):,}",
            stored == set(posted),
        ),
        (
            "one trigger per post, each valid and processed",
            f"{triggers.count():,} for {len(posts):,} posts, {failed} not processed",
            per_event == posted and failed == 0,
        ),
        (
            "receivers ran once per event (their Stripe list calls)",
            f"{sum(lists.values()):,} of {sum(expect_lists.values()):,}",
            lists == expect_lists,
        ),
        (
            "invoice receivers ran once per invoice event",
            f"{sum(invoice_reads.values()):,} of {sum(expect_invoice_reads.values()):,}",
            invoice_reads == expect_invoice_reads,
        ),
        (
            "one payment/renewal/failure message per invoice",
            f"{sum(billing_messages.values()):,} of {len(expect_messages):,}",
            set(billing_messages) == expect_messages and max(billing_messages.values(), default=1) == 1,
        ),
        (
            "at most one cancellation message per trainer",
            f"{sum(cancelled.values())} for {len(cancelled)} trainers",
            max(cancelled.values(), default=1) == 1,
        ),
        (
            "one push queued per message",
            f"{sum(pushes[message] for message in message_ids):,} for {len(message_ids):,} messages",
            all(pushes[message] == 1 for message in message_ids),
        ),
        (
            "each trainer's tier as Stripe has it",
            f"{sum(tier_right)} of {len(users)} trainers",
            sum(tier_right) == len(users),
        ),
    ]


def main() -> None:
    from tests.fakes.stripe_server import FakeStripeServer

    fake_server = FakeStripeServer().start()
    stripe_env = {**STRIPE_ENV, "STRIPE_API_BASE": fake_server.url}
    os.environ.update(stripe_env)
    harness.setup()
    from django.core.management import call_command
    from djstripe.models import WebhookEndpoint, WebhookEventTrigger

    from bench import seed

    duplicates = round(POSTS * DUPLICATE_SHARE)
    with harness.server(extra_env=stripe_env) as port:
        call_command("billing_setup", "--webhook-base-url", f"http://{harness.HOST}:{port}", stdout=io.StringIO())
        endpoint = WebhookEndpoint.objects.get(metadata__kinetix="billing_setup")
        world = World(fake=fake_server.fake, url=fake_server.url, endpoint=endpoint)
        costs = per_event_cost(world)
        events = events_make(world, POSTS - duplicates)
        posts = burst_order(events, duplicates)
        pinger = seed.trainer_create("bench-ping-trainer")
        ping = harness.get("/bench/ping/", harness.access_token(pinger))
        with world.fake.lock:
            requests_before = len(world.fake.requests)
        last_trigger = WebhookEventTrigger.objects.order_by("id").last().id
        base, burst = burst_run(port, world, posts, ping)

    checks = check(world, posts, (requests_before, last_trigger))
    fake_server.stop()
    answered = set(burst["statuses"]) <= {"200"} and burst["requests"] == len(posts)
    fast = burst["p99_ms"] < LATENCY_BUDGET_MS
    exactly_once = all(ok for _, _, ok in checks)
    met = answered and fast and exactly_once
    types = collections.Counter(event["type"] for event in events)
    cost = {kind: (queries, calls) for kind, queries, calls in costs}
    harness.report(
        harness.table(
            f"Stripe webhook burst: gunicorn {harness.WORKERS} sync workers, {harness.CONCURRENCY} connections, "
            f"{len(posts):,} posts ({len(events):,} events, {duplicates} twice) in {ROUNDS} slices "
            f"(baseline spread over slices {base['drift']:.0%}); {len(types)} event types",
            ["endpoint", "requests", "req/s", "p50 ms", "p99 ms", "x baseline", "statuses", "verdict"],
            [
                [
                    "bench/ping/ (baseline)",
                    base["requests"],
                    base["rps"],
                    base["p50_ms"],
                    base["p99_ms"],
                    1.0,
                    _statuses(base),
                    "-",
                ],
                [
                    "POST stripe/webhook/<uuid>/",
                    burst["requests"],
                    burst["rps"],
                    burst["p50_ms"],
                    burst["p99_ms"],
                    burst["rps"] / base["rps"],
                    _statuses(burst),
                    harness.verdict(answered and fast),
                ],
            ],
        )
    )
    harness.report(
        harness.table(
            "Exactly once, after the burst",
            ["check", "found", "verdict"],
            [[name, found, harness.verdict(ok)] for name, found, ok in checks],
        )
    )
    harness.report(
        harness.table(
            "Events posted, by type (distinct), and what one costs (one Checkout's events, in-process, in order)",
            ["type", "events", "queries", "Stripe calls"],
            [[kind, count, *cost.get(kind, ("-", "-"))] for kind, count in types.most_common()],
        )
    )
    raise SystemExit(0 if met else 1)


def _statuses(result: dict) -> str:
    return ", ".join(f"{status}: {count:,}" for status, count in sorted(result["statuses"].items()))


if __name__ == "__main__":
    main()
