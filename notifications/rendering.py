"""Sandboxed rendering of notification texts: `{name}` placeholders and nothing else.

`str.format` would follow `{user.password}` or `{items[0]}` into whatever object it is given, and a
format spec such as `{name:>999999999}` can exhaust memory; here a placeholder is a bare name looked
up in a flat mapping of strings, with no conversion and no format spec, and `{{`/`}}` stay literal.
"""

import string
from collections.abc import Iterable, Mapping

_PARSER = string.Formatter()


def template_placeholders(text: str) -> tuple[set[str], list[str]]:
    """Return the placeholder names the text uses and the problems that make it unusable."""
    names: set[str] = set()
    problems: list[str] = []
    try:
        parsed = list(_PARSER.parse(text))
    except ValueError as exc:  # an unmatched brace
        return names, [f"Braces do not match ({exc}); write {{{{ or }}}} for a literal brace."]
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier():
            shown = field or "{}"
            problems.append(f"Placeholder {{{shown}}} is not a plain name; use {{name}} without dots or brackets.")
            continue
        if conversion or spec:
            problems.append(f"Placeholder {{{field}}} may not carry a conversion or format spec.")
            continue
        names.add(field)
    return names, problems


def template_problems(text: str, *, allowed: Iterable[str]) -> list[str]:
    """Return why the text cannot be rendered from a context of the allowed names (empty when it can)."""
    names, problems = template_placeholders(text)
    unknown = sorted(names - set(allowed))
    if unknown:
        listed = ", ".join(f"{{{name}}}" for name in unknown)
        offered = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "none"
        problems.append(f"Unknown placeholder {listed}; this event offers {offered}.")
    return problems


def render(text: str, context: Mapping[str, str]) -> str:
    """Fill the text's placeholders from the context; a text that fails validation raises ValueError."""
    names, problems = template_placeholders(text)
    missing = sorted(names - set(context))
    if problems or missing:
        raise ValueError("; ".join(problems + [f"No value for {{{name}}}." for name in missing]))
    parts = _PARSER.parse(text)
    return "".join(literal + (context[field] if field is not None else "") for literal, field, _, _ in parts)


def template_field_problems(
    *, placeholders: Iterable[str], title: str, body: str, deep_link: str, data: object
) -> dict[str, list[str]]:
    """Return each field of a template that cannot be rendered from the event's placeholders, with why."""
    allowed = set(placeholders)
    problems = {
        field: found
        for field, text in (("title", title), ("body", body), ("deep_link", deep_link))
        if (found := template_problems(text, allowed=allowed))
    }
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        problems["data"] = ['Give a JSON object of strings, such as {"plan_id": "{plan_id}"}.']
    elif found := [f"{key}: {p}" for key, value in data.items() for p in template_problems(value, allowed=allowed)]:
        problems["data"] = found
    return problems
