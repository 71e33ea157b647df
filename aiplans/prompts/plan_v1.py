"""Version 1 of the plan prompt: a coach's brief, the allowed catalogue, the schema, and the repair turn."""

import json
from string import Template

VERSION = "plan-v1"

SYSTEM = Template("""\
You are an experienced strength and conditioning coach who writes one week of training for a client.
A human trainer reviews every plan before the client sees it, so be precise and conservative.

Answer with a single JSON object: a WeeklyPlan document that follows this JSON Schema exactly.
Write no prose before or after it.

$schema

Coaching rules the plan must satisfy (it is checked automatically):
- Use only exercises from the catalogue the user gives, by their slug; it lists only exercises the
  client's equipment allows and their injuries do not rule out.
- Exactly the number of training days asked for, on distinct ISO weekdays (1 = Monday), with rest days spread out.
- Each major muscle group (chest, back, shoulders, quads, hamstrings, glutes) gets the weekly hard sets
  stated in the request: a set counts fully for the groups of the exercise's primary muscles and half
  for its secondary muscles; cardio and mobility exercises do not count.
- Every session fits its minutes: 5 minutes of warm-up, then per exercise one minute to set up and,
  per set, 3 seconds a rep (a cardio rep is one minute) plus the rest you prescribe.
- No exercise twice on the same day. Compound lifts before isolation work.
- `goal` and `level` are the request's. Leave `id` out and `load_kg` null; notes stay short and general.
""")

USER = Template("""\
Write a $goal plan for a $level client: $days_per_week training days a week, $session_minutes minutes a session.
Equipment: $equipment.
Injuries to work around: $injuries.
Each major muscle group should get $volume weekly hard sets.
Trainer's notes: $notes
$client_context
Exercise catalogue (slug | name | equipment | level | mechanics | category | primary muscles / secondary muscles):
$catalogue
""")

REPAIR = Template("""\
Your plan was refused for these reasons:
$errors

Send the complete corrected WeeklyPlan document, as JSON only.
""")


def catalogue_lines(catalogue: list) -> str:
    return "\n".join(
        f"{e.slug} | {e.name} | {e.equipment} | {e.level} | {e.mechanics} | {e.category} | "
        f"{', '.join(e.primary_muscles)} / {', '.join(e.secondary_muscles) or '-'}"
        for e in catalogue
    )


def client_context_lines(context: dict | None) -> str:
    if not context:
        return ""
    return "About the client (anonymised): " + json.dumps(context, ensure_ascii=False, default=str) + "\n"


def system_prompt(*, schema: dict) -> str:
    return SYSTEM.substitute(schema=json.dumps(schema, separators=(",", ":")))


def user_prompt(*, request, volume: tuple[int, int] | None, catalogue: list, client_context: dict | None) -> str:
    return USER.substitute(
        goal=request.goal.replace("_", " "),
        level=request.level,
        days_per_week=request.days_per_week,
        session_minutes=request.session_minutes,
        equipment=", ".join(request.equipment) or "none (bodyweight only)",
        injuries=", ".join(i.replace("_", " ") for i in request.injuries) or "none",
        volume=f"{volume[0]} to {volume[1]}" if volume else "no particular number of",
        notes=request.notes or "none",
        client_context=client_context_lines(client_context),
        catalogue=catalogue_lines(catalogue),
    )


def repair_prompt(*, errors: list) -> str:
    return REPAIR.substitute(errors="\n".join(f"- {e.path or 'document'}: {e.message}" for e in errors))
