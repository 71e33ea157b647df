"""Structured logging: one structlog pipeline for our loggers and the standard library's.

Every record leaves through `build_formatter`, which redacts secrets and renders a JSON
line (`LOG_FORMAT=json`) or a readable console line (`LOG_FORMAT=console`).
"""

import logging
import re
from typing import Any

import structlog

LOG_FORMATS = ("json", "console")
REDACTED = "[redacted]"

# Keys whose value is never logged, compared lower-cased: exact names and name fragments.
SENSITIVE_KEYS = {"access", "refresh", "key", "invite_code", "dsn"}
SENSITIVE_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "api_key",
    "apikey",
    "cookie",
    "credential",
    "private_key",
    "signature",
)
# Values that look like credentials wherever they appear in a string.
SENSITIVE_VALUE = re.compile(
    r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"  # JWT
    r"|\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]+"  # Stripe keys
    r"|\bsk-[A-Za-z0-9_-]{10,}"  # OpenAI/Anthropic-style keys
    r"|\bwhsec_[A-Za-z0-9]+"  # Stripe webhook secrets
    r"|(?i:bearer)\s+[^\s\"',]+"
)
SENSITIVE_QUERY = re.compile(
    r"([?&](?:[^=&\s]*(?:token|password|secret|key|signature)[^=&\s]*|access|refresh|code)=)[^&\s]*",
    re.IGNORECASE,
)
# For scrubbers that drop query strings whole (Sentry): a `?name=value...` tail, and the keys that hold one.
QUERY_STRING = re.compile(r"\?[^\s'\"<>#?]*=[^\s'\"<>#]*")
QUERY_STRING_KEYS = {"query_string", "http.query"}


def is_sensitive_key(key: object) -> bool:
    name = str(key).lower()
    return name in SENSITIVE_KEYS or any(part in name for part in SENSITIVE_KEY_PARTS)


def redact_value(value: Any, *, drop_query_strings: bool = False) -> Any:
    """Return `value` with every credential-looking part replaced, walking dicts and lists.

    With `drop_query_strings`, every query string goes too, not only its credential-named parameters.
    """
    if isinstance(value, str):
        value = SENSITIVE_QUERY.sub(r"\1" + REDACTED, SENSITIVE_VALUE.sub(REDACTED, value))
        return QUERY_STRING.sub("?" + REDACTED, value) if drop_query_strings else value
    if isinstance(value, dict):
        return {k: _redact_item(k, v, drop_query_strings=drop_query_strings) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v, drop_query_strings=drop_query_strings) for v in value)
    if value is None or isinstance(value, bool | int | float):
        return value
    # Any other object is written as its repr, which may hold a secret: Django's request in django.request's
    # lines reads `<WSGIRequest: GET '/path?token=...'>`. Keep the object only when its repr is clean.
    text = repr(value)
    redacted = redact_value(text, drop_query_strings=drop_query_strings)
    return value if redacted == text else redacted


def _redact_item(key: Any, value: Any, *, drop_query_strings: bool) -> Any:
    if is_sensitive_key(key) or (drop_query_strings and key in QUERY_STRING_KEYS):
        return REDACTED
    if key == "exc_info":  # the console renderer formats it; the JSON pipeline has made it a string already
        return value
    return redact_value(value, drop_query_strings=drop_query_strings)


def redact_secrets(logger: Any, method_name: str, event_dict: dict) -> dict:
    """Structlog processor: drop the values of sensitive keys and mask credential-looking strings."""
    return redact_value(event_dict)


# Run on records from the standard library (Django, Celery, gunicorn) before they are rendered.
FOREIGN_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def build_formatter(fmt: str = "json") -> logging.Formatter:
    """Return the formatter that renders every log record in `fmt` (json or console), secrets redacted."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {fmt!r}")
    if fmt == "json":
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            structlog.processors.JSONRenderer(),
        ]
    else:
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_secrets,
            structlog.dev.ConsoleRenderer(),
        ]
    return structlog.stdlib.ProcessorFormatter(processors=processors, foreign_pre_chain=FOREIGN_PRE_CHAIN)


def logging_config(*, fmt: str, level: str) -> dict:
    """Return Django's LOGGING: one stderr handler whose formatter is `build_formatter(fmt)`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": "monitoring.logs.build_formatter", "fmt": fmt}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        # Django's own per-request line would repeat django-structlog's request_finished.
        "loggers": {"django.server": {"level": "WARNING"}},
    }


def configure_structlog() -> None:
    """Route structlog loggers through the standard library so one handler renders everything."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
