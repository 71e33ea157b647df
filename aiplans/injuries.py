"""Which exercises an injury rules out: a small, deliberately conservative mapping.

An exercise is contraindicated for an injury when its slug contains one of the injury's
movement words below. The words name loaded movement patterns that physiotherapy guidance
commonly pauses for the joint (overhead pressing for a shoulder, spinal loading for a lower
back, jumping and deep knee flexion under load for a knee). Private exercises are matched
by their slug too, so a trainer's own "landmine-overhead-press" is caught like the library's.
The trainer reviews every draft: this list keeps the obvious out, it does not diagnose.
"""

from aiplans.models import Injury

CONTRAINDICATED_MOVEMENTS: dict[str, tuple[str, ...]] = {
    Injury.SHOULDER: (
        "overhead", "shoulder-press", "push-press", "upright-row", "snatch", "pike-push-up", "arnold",
        "pullover", "turkish-get-up", "bottoms-up", "thruster", "wall-ball", "windmill", "dip",
    ),
    Injury.ELBOW: ("skull-crusher", "triceps-extension", "close-grip", "preacher", "kickback", "reverse-curl"),
    Injury.WRIST: (
        "push-up", "front-squat", "clean", "snatch", "wrist-curl", "reverse-curl", "renegade", "burpee",
        "mountain-climber", "rollout",
    ),
    Injury.LOWER_BACK: (
        "deadlift", "good-morning", "bent-over-row", "pendlay-row", "back-squat", "clean", "snatch", "swing",
        "rollout", "slam", "woodchop", "rotational-throw",
    ),
    Injury.HIP: ("sumo", "lateral-lunge", "cossack", "pistol", "pigeon", "deep-squat", "skater", "adduction"),
    Injury.KNEE: (
        "jump", "lunge", "pistol", "split-squat", "front-squat", "hack-squat", "leg-extension", "burpee",
        "wall-ball", "high-knees", "step-up", "cossack", "sled", "treadmill-run", "tuck",
    ),
    Injury.ANKLE: ("jump", "treadmill-run", "skater", "burpee", "high-knees", "sled", "tuck", "jacks"),
}  # fmt: skip


def contraindications(*, slug: str, injuries: list[str]) -> list[str]:
    """Return the listed injuries that rule out the exercise with this slug."""
    return [injury for injury in injuries if any(word in slug for word in CONTRAINDICATED_MOVEMENTS[injury])]


def injury_label(injury: str) -> str:
    return Injury(injury).label.lower()
