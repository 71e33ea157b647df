"""Seed the English and Serbian (Latin) template of every notification event."""

from django.db import migrations

from kinetix.migration_operations import RunPython

TEMPLATES = {
    "plan_activated": {
        "data": {"plan_id": "{plan_id}"},
        "deep_link": "kinetix://plans/{plan_id}",
        "en": ("Your new plan is ready", '{trainer_name} sent you "{plan_title}" for the week of {week_start}.'),
        "sr-latn": ("Vaš novi plan je spreman", "{trainer_name} vam šalje plan „{plan_title}“ za nedelju od {week_start}."),
    },
    "ai_draft_ready": {
        "data": {"generation_id": "{generation_id}"},
        "deep_link": "kinetix://ai/generations/{generation_id}",
        "en": ("AI draft ready for review", "A {goal} plan for {client_name} is waiting for your review."),
        "sr-latn": ("AI predlog čeka pregled", "Predlog plana za {client_name} (cilj: {goal}) čeka vaš pregled."),
    },
    "ai_plan_approved": {
        "data": {"plan_id": "{plan_id}"},
        "deep_link": "kinetix://plans/{plan_id}",
        "en": ("Your plan is approved", '{trainer_name} approved "{plan_title}" for the week of {week_start}.'),
        "sr-latn": ("Vaš plan je odobren", "Plan „{plan_title}“ za nedelju od {week_start} je odobren. Trener: {trainer_name}."),
    },
    "workout_logged": {
        "data": {"workout_id": "{workout_id}", "client_id": "{client_id}"},
        "deep_link": "kinetix://clients/{client_id}/workouts/{workout_id}",
        "en": ("{client_name} logged a workout", "Workout of {workout_date}: {set_count} sets."),
        "sr-latn": ("Novi trening: {client_name}", "Trening od {workout_date}, broj serija: {set_count}."),
    },
    "workout_digest": {
        "data": {},
        "deep_link": "kinetix://clients",
        "en": ("{workout_count} workouts logged", "Your clients have been training: {client_names}."),
        "sr-latn": ("Novih treninga: {workout_count}", "Vaši klijenti su trenirali: {client_names}."),
    },
    "workout_reminder": {
        "data": {"plan_id": "{plan_id}", "date": "{date}"},
        "deep_link": "kinetix://plan/today",
        "en": ("Today: {day_title}", "{exercise_count} exercises are planned for today. Log your workout when you are done."),
        "sr-latn": ("Danas: {day_title}", "Broj vežbi planiranih za danas: {exercise_count}. Zabeležite trening kada završite."),
    },
    "invitation_accepted": {
        "data": {"client_id": "{client_id}"},
        "deep_link": "kinetix://clients/{client_id}",
        "en": ("New client: {client_name}", "{client_name} ({client_email}) accepted your invitation."),
        "sr-latn": ("Novi klijent: {client_name}", "Poziv je prihvaćen: {client_name} ({client_email}) je sada vaš klijent."),
    },
    "payment_succeeded": {
        "data": {"payment_id": "{payment_id}"},
        "deep_link": "kinetix://billing/payments",
        "en": ("Payment received", "We received {amount} {currency} for Kinetix {tier}. Thank you!"),
        "sr-latn": ("Uplata je primljena", "Primili smo {amount} {currency} za Kinetix {tier}. Hvala vam!"),
    },
    "payment_failed": {
        "data": {"payment_id": "{payment_id}"},
        "deep_link": "kinetix://billing/subscription",
        "en": (
            "Payment failed",
            "We could not charge {amount} {currency} for Kinetix {tier}: {reason} Please update your payment method.",
        ),
        "sr-latn": (
            "Plaćanje nije uspelo",
            "Naplata iznosa {amount} {currency} za Kinetix {tier} nije uspela: {reason} Molimo vas da ažurirate način plaćanja.",
        ),
    },
    "subscription_renewed": {
        "data": {},
        "deep_link": "kinetix://billing/subscription",
        "en": ("Subscription renewed", "Your Kinetix {tier} subscription now runs until {period_end}."),
        "sr-latn": ("Pretplata je obnovljena", "Vaša pretplata na Kinetix {tier} sada važi do {period_end}."),
    },
    "subscription_cancelled": {
        "data": {},
        "deep_link": "kinetix://billing/subscription",
        "en": (
            "Subscription cancelled",
            "Your Kinetix {tier} subscription ends on {period_end}. You can renew it any time before then.",
        ),
        "sr-latn": (
            "Pretplata je otkazana",
            "Vaša pretplata na Kinetix {tier} ističe {period_end}. Možete je obnoviti bilo kada pre toga.",
        ),
    },
}


def seed(apps, schema_editor):
    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    templates = NotificationTemplate.objects.db_manager(schema_editor.connection.alias)
    for event, texts in TEMPLATES.items():
        for locale in ("en", "sr-latn"):
            title, body = texts[locale]
            templates.update_or_create(
                event=event,
                locale=locale,
                defaults={"title": title, "body": body, "data": texts["data"], "deep_link": texts["deep_link"]},
            )


def unseed(apps, schema_editor):
    templates = apps.get_model("notifications", "NotificationTemplate").objects.db_manager(schema_editor.connection.alias)
    templates.filter(event__in=TEMPLATES).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [RunPython(seed, unseed)]
