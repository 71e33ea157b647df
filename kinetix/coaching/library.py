"""The shared exercise library shipped with Kinetix as JSON under `data/`.

The loader takes the model classes as arguments so that data migrations can pass
their historical models (and their database); it upserts by slug and so is safe to run again.
"""

import json
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS

DATA_DIR = Path(__file__).resolve().parent / "data"


def library_entries() -> list[dict[str, Any]]:
    """Return every shipped exercise, in file order."""
    entries: list[dict[str, Any]] = []
    for path in sorted(DATA_DIR.glob("exercises*.json")):
        entries += json.loads(path.read_text(encoding="utf-8"))
    return entries


def library_sync(exercise_model: Any, muscle_model: Any, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Create or update the shared library's exercises and their muscles; return how many."""
    entries = library_entries()
    exercises, muscles = exercise_model.objects.db_manager(using), muscle_model.objects.db_manager(using)
    for entry in entries:
        exercise, _ = exercises.update_or_create(
            slug=entry["slug"],
            owner=None,
            defaults={
                "name": entry["name"],
                "equipment": entry["equipment"],
                "level": entry["level"],
                "mechanics": entry["mechanics"],
                "category": entry["category"],
                "instructions": entry["instructions"],
            },
        )
        muscles.filter(exercise=exercise).delete()
        muscles.bulk_create(
            [muscle_model(exercise=exercise, muscle=m, is_primary=True) for m in entry["primary_muscles"]]
            + [muscle_model(exercise=exercise, muscle=m, is_primary=False) for m in entry["secondary_muscles"]]
        )
    return len(entries)


def library_remove(exercise_model: Any, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Delete the shipped exercises again (the reverse of the first load)."""
    slugs = [e["slug"] for e in library_entries()]
    exercise_model.objects.db_manager(using).filter(owner=None, slug__in=slugs).delete()
