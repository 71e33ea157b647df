"""OpenAPI additions: the one error shape, documented on every operation that can answer it."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Stable machine-readable error code."},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "description": (
                "Each invalid field by its dotted path; inside a plan document relative to it: days.0.exercises.2.sets."
            ),
            "items": {
                "type": "object",
                "properties": {
                    "path": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
                "required": ["path", "code", "message"],
            },
        },
    },
    "required": ["code", "message", "errors"],
}

_ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `errors` lists each field by its path.",
    "401": "Missing or invalid bearer token.",
    "403": "The user's role may not do this.",
    "404": "Not found, or not yours.",
}


def error_response(description: str) -> OpenApiResponse:
    """Document an answer in the error shape beyond those every operation gets (a 409, a 402), for `extend_schema`."""
    return OpenApiResponse({"$ref": "#/components/schemas/Error"}, description=description)


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Document the error answers of every operation (a drf-spectacular postprocessing hook)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            codes = []
            if method in ("post", "put", "patch") or operation.get("parameters"):
                codes.append("400")
            if {} not in operation.get("security", [{}]):
                codes += ["401", "403"]
            if "{" in path:
                codes.append("404")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {"description": _ERROR_DESCRIPTIONS[code], "content": content})
    return result
