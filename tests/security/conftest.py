import io
import json
import logging

import pytest

from monitoring.logs import build_formatter

HOST = "kinetix.example.com"


@pytest.fixture
def production_https(settings):
    """Production's transport settings on a public host name: HTTPS redirect and HSTS on."""
    settings.ALLOWED_HOSTS = [HOST]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    return HOST


@pytest.fixture
def log_lines():
    """Collect what the root logger writes, as the production JSON lines, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    root.removeHandler(handler)
