"""`make rollback-check`, the rollback drill of docs/MIGRATIONS.md, passes on a scratch database.

Over a minute (a full migrate of a new database first), so a test runs it in CI rather than .ci/run.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.migrations.conftest import server_url

pytestmark = pytest.mark.migration_test

DRILL = Path(__file__).with_name("rollback_check.sh")
COACHING_MIGRATIONS = Path(__file__).parents[2] / "kinetix" / "coaching" / "migrations"


def test_the_rollback_drill_passes():
    env = {**os.environ, "SERVER_URL": server_url(), "PY": sys.executable}
    drill = subprocess.run(["bash", str(DRILL)], env=env, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603, S607

    assert drill.returncode == 0, drill.stdout + drill.stderr
    *_, before_latest, _latest = sorted(p.stem for p in COACHING_MIGRATIONS.glob("0*.py"))
    assert f"coaching back 1 step(s), to {before_latest}" in drill.stdout
    assert "rollback check passed" in drill.stdout
