"""Keep people out of prompts and training data: e-mail addresses and the names of those involved."""

import re

from kinetix.accounts.models import User

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MIN_NAME_PART = 3


def pseudonymise(text: str, *, people: dict[str, User | None]) -> str:
    """Replace e-mail addresses with [email] and each named person's names with their role ("the client")."""
    text = EMAIL.sub("[email]", text)
    for role, user in people.items():
        if user is None:
            continue
        names = [user.full_name, *user.full_name.split(), user.email.split("@")[0]]
        for name in sorted({n for n in names if len(n) >= MIN_NAME_PART}, key=len, reverse=True):
            text = re.sub(rf"\b{re.escape(name)}\b", role, text, flags=re.IGNORECASE)
    return text
