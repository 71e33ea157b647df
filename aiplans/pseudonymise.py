"""Keep people out of prompts and training data: e-mail addresses and the names of those involved."""

import re
from functools import lru_cache

from kinetix.accounts.models import User

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MIN_NAME_PART = 3


def _may_name(text: str, name: str) -> bool:
    # Most texts name nobody: a substring test skips the regex then. It is exact for ASCII, where the
    # regex's IGNORECASE folds ASCII case only; anything else goes to the regex.
    return not (text.isascii() and name.isascii()) or name.lower() in text.lower()


@lru_cache(maxsize=4096)
def _names(full_name: str, email: str) -> tuple[str, ...]:
    # A person's names to replace, longest first (the full name before its parts); the export asks for
    # the same people's on every record.
    names = [full_name, *full_name.split(), email.split("@")[0]]
    return tuple(sorted({n for n in names if len(n) >= MIN_NAME_PART}, key=len, reverse=True))


def pseudonymise(text: str, *, people: dict[str, User | None]) -> str:
    """Replace e-mail addresses with [email] and each named person's names with their role ("the client")."""
    text = EMAIL.sub("[email]", text)
    for role, user in people.items():
        if user is None:
            continue
        for name in _names(user.full_name, user.email):
            if _may_name(text, name):
                text = re.sub(rf"\b{re.escape(name)}\b", role, text, flags=re.IGNORECASE)
    return text
