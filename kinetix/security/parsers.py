"""The API's JSON parser, refusing documents nested deeper than JSON_MAX_DEPTH or carrying a NUL character.

Python's json module recurses: a deep enough body would end in a RecursionError (a 500), and any
deep one costs work out of proportion to its size. Body size is Django's DATA_UPLOAD_MAX_MEMORY_SIZE,
which DRF applies by reading the body through HttpRequest.body. PostgreSQL stores no NUL character in
text or jsonb, so a string carrying one (`\u0000`) would fail at the database (a 500) wherever it went.
"""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth_and_nul(document: object) -> tuple[int, bool]:
    """Return how deeply `document`'s objects and arrays nest (a scalar is 0) and whether any string in it, key or
    value, holds a NUL character: one pass, a level at a time, without recursion."""
    depth, has_nul, level = 0, False, [document]
    while level:
        deeper: list = []
        holds_containers = False
        for value in level:
            if isinstance(value, str):
                has_nul = has_nul or "\x00" in value
            elif isinstance(value, dict):
                holds_containers = True
                deeper += value  # its keys
                deeper += value.values()
            elif isinstance(value, list):
                holds_containers = True
                deeper += value
        depth += holds_containers
        level = deeper
    return depth, has_nul


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, answering 400 to a document nested deeper than JSON_MAX_DEPTH or holding a NUL."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ParseError(f"JSON nested deeper than {settings.JSON_MAX_DEPTH} levels.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # deeper than Python parses, so far deeper than the limit
            raise too_deep from exc
        depth, has_nul = json_depth_and_nul(data)
        if depth > settings.JSON_MAX_DEPTH:
            raise too_deep
        if has_nul:
            raise ParseError("JSON strings may not contain the NUL character (\\u0000).")
        return data
