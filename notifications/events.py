"""The events that `notify()` knows: each one's category and the context its templates may use.

Callers pass every placeholder of their event in `context`; the values given here are samples
for the admin's preview and for test notifications.
"""

from dataclasses import dataclass

from kinetix.errors import ApplicationError
from notifications.models import Category


@dataclass(frozen=True)
class Event:
    key: str
    category: str
    recipient: str
    placeholders: dict[str, str]


EVENTS: dict[str, Event] = {
    event.key: event
    for event in (
        Event(
            "plan_activated",
            Category.PLANS,
            "client",
            {
                "trainer_name": "Ana Petrović",
                "plan_title": "Upper/lower hypertrophy",
                "week_start": "2026-03-02",
                "plan_id": "42",
            },
        ),
        Event(
            "ai_draft_ready",
            Category.PLANS,
            "trainer",
            {"client_name": "Marko Jovanović", "goal": "hypertrophy", "generation_id": "17"},
        ),
        Event(
            "ai_plan_approved",
            Category.PLANS,
            "client",
            {
                "trainer_name": "Ana Petrović",
                "plan_title": "Strength base",
                "week_start": "2026-03-09",
                "plan_id": "43",
            },
        ),
        Event(
            "workout_logged",
            Category.WORKOUTS,
            "trainer",
            {
                "client_name": "Marko Jovanović",
                "workout_date": "2026-03-03",
                "set_count": "16",
                "workout_id": "301",
                "client_id": "7",
            },
        ),
        Event(
            "workout_digest",
            Category.WORKOUTS,
            "trainer",
            {"workout_count": "5", "client_names": "Marko Jovanović, Jelena Ilić"},
        ),
        Event(
            "workout_reminder",
            Category.WORKOUTS,
            "client",
            {"day_title": "Lower A", "exercise_count": "6", "date": "2026-03-04", "plan_id": "42"},
        ),
        Event(
            "invitation_accepted",
            Category.COACHING,
            "trainer",
            {"client_name": "Jelena Ilić", "client_email": "jelena@example.com", "client_id": "8"},
        ),
        Event(
            "payment_succeeded",
            Category.BILLING,
            "payer",
            {"amount": "29.00", "currency": "EUR", "tier": "Pro", "payment_id": "pi_123"},
        ),
        Event(
            "payment_failed",
            Category.BILLING,
            "payer",
            {
                "amount": "29.00",
                "currency": "EUR",
                "tier": "Pro",
                "reason": "Your card was declined.",
                "payment_id": "pi_124",
            },
        ),
        Event(
            "subscription_renewed",
            Category.BILLING,
            "subscriber",
            {"tier": "Pro", "period_end": "2026-04-02"},
        ),
        Event(
            "subscription_cancelled",
            Category.BILLING,
            "subscriber",
            {"tier": "Pro", "period_end": "2026-04-02"},
        ),
    )
}


def event_get(key: str) -> Event:
    """Return the event with this key, or refuse an unknown one."""
    try:
        return EVENTS[key]
    except KeyError:
        raise ApplicationError("notification_event_unknown", f"No notification event {key!r}.") from None
