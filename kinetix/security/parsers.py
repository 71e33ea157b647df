"""The API's JSON parser, refusing documents nested deeper than JSON_MAX_DEPTH or carrying a NUL character.

Python's json module recurses: a deep enough body would end in a RecursionError (a 500), and any
deep one costs work out of proportion to its size. Body size is Django's DATA_UPLOAD_MAX_MEMORY_SIZE,
which DRF applies by reading the body through HttpRequest.body. PostgreSQL stores no NUL character in
text or jsonb, so a string carrying one (`\u0000`) would fail at the database (a 500) wherever it went.
"""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth(document: object) -> int:
    """Return how deeply `document`'s objects and arrays nest (a scalar is 0), without recursion."""
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest


def json_has_nul(document: object) -> bool:
    """Return whether any string in `document`, key or value, holds a NUL character, without recursion."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, answering 400 to a document nested deeper than JSON_MAX_DEPTH or holding a NUL."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ParseError(f"JSON nested deeper than {settings.JSON_MAX_DEPTH} levels.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # deeper than Python parses, so far deeper than the limit
            raise too_deep from exc
        if json_depth(data) > settings.JSON_MAX_DEPTH:
            raise too_deep
        if json_has_nul(data):
            raise ParseError("JSON strings may not contain the NUL character (\\u0000).")
        return data
