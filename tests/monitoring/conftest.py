import io
import json
import logging

import pytest

from monitoring.logs import build_formatter


@pytest.fixture
def log_lines():
    """Collect what the root logger writes, rendered as production JSON lines, and parse it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)

    def read() -> tuple[str, list[dict]]:
        text = stream.getvalue()
        return text, [json.loads(line) for line in text.splitlines() if line.strip()]

    yield read
    root.removeHandler(handler)


def lines_of(lines: list[dict], event: str) -> list[dict]:
    return [line for line in lines if line["event"] == event]
