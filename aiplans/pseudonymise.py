"""Keep people out of prompts and training data: e-mail addresses and the names of those involved."""

import re
from functools import lru_cache
from typing import Protocol

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MIN_NAME_PART = 3


class Person(Protocol):
    """Whose names are kept out: a User, or the export's row of a user's name and e-mail."""

    @property
    def full_name(self) -> str: ...

    @property
    def email(self) -> str: ...


def _folded(text: str) -> str | None:
    # What a name is looked for in before its regex runs: the lower-cased text, when that is exact (ASCII,
    # where the regex's IGNORECASE folds ASCII case only); None sends every name to the regex.
    return text.lower() if text.isascii() else None


@lru_cache(maxsize=4096)
def _names(full_name: str, email: str) -> tuple[str, ...]:
    # A person's names to replace, longest first (the full name before its parts); the export asks for
    # the same people's on every record.
    names = [full_name, *full_name.split(), email.split("@")[0]]
    return tuple(sorted({n for n in names if len(n) >= MIN_NAME_PART}, key=len, reverse=True))


def _may_name(folded: str | None, name: str) -> bool:
    # Most texts name nobody: a substring test skips the regex then.
    return folded is None or not name.isascii() or name.lower() in folded


def pseudonymise(text: str, *, people: dict[str, Person | None]) -> str:
    """Replace e-mail addresses with [email] and each named person's names with their role ("the client")."""
    if "@" in text:
        text = EMAIL.sub("[email]", text)
    folded = _folded(text)
    for role, user in people.items():
        if user is None:
            continue
        for name in _names(user.full_name, user.email):
            if _may_name(folded, name):
                text = re.sub(rf"\b{re.escape(name)}\b", role, text, flags=re.IGNORECASE)
                folded = _folded(text)
    return text


def pseudonymise_all(texts: list[str], *, people: dict[str, Person | None]) -> list[str]:
    """Pseudonymise each text, looking at them all at once first: most name nobody (a plan's and its days' titles)."""
    # Each text is part of the joined one: an e-mail or name that the joined text cannot hold, no text holds.
    together = "\n".join(texts)
    folded = _folded(together)
    if "@" in together or any(
        _may_name(folded, name)
        for user in people.values()
        if user is not None
        for name in _names(user.full_name, user.email)
    ):
        return [pseudonymise(text, people=people) for text in texts]
    return texts
