"""The shared exercise library shipped with Kinetix as JSON under `data/`.

The loader takes the model classes as arguments so that data migrations can pass
their historical models; it upserts by slug and so is safe to run again.
"""

import json
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


def library_entries() -> list[dict[str, Any]]:
    """Return every shipped exercise, in file order."""
    entries: list[dict[str, Any]] = []
    for path in sorted(DATA_DIR.glob("exercises*.json")):
        entries += json.loads(path.read_text(encoding="utf-8"))
    return entries


def library_sync(exercise_model: Any, muscle_model: Any) -> int:
    """Create or update the shared library's exercises and their muscles; return how many."""
    entries = library_entries()
    for entry in entries:
        exercise, _ = exercise_model.objects.update_or_create(
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
        muscle_model.objects.filter(exercise=exercise).delete()
        muscle_model.objects.bulk_create(
            [muscle_model(exercise=exercise, muscle=m, is_primary=True) for m in entry["primary_muscles"]]
            + [muscle_model(exercise=exercise, muscle=m, is_primary=False) for m in entry["secondary_muscles"]]
        )
    return len(entries)


def library_remove(exercise_model: Any) -> None:
    """Delete the shipped exercises again (the reverse of the first load)."""
    exercise_model.objects.filter(owner=None, slug__in=[e["slug"] for e in library_entries()]).delete()
