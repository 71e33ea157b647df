"""Our apps, and scratch PostgreSQL databases that the migration tests may take apart.

The test database of pytest-django is left alone: each scratch database is created empty under its own
alias, and dropped after its test. Tests on them are marked `migration_test` (registered by
django-test-migrations): `-m "not migration_test"` leaves them out of a quick local run; CI runs them.
"""

import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connections
from psycopg import sql

SCRATCH_ALIAS = "migrations_scratch"


def project_app_labels() -> list[str]:
    """Return the labels of the project's own apps that have migrations, in INSTALLED_APPS order."""
    return [
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(settings.BASE_DIR)
        and "site-packages" not in Path(config.path).parts
        and (Path(config.path) / "migrations").is_dir()
    ]


def server_url() -> str:
    """Return the PostgreSQL server of the test database as a URL without a database name."""
    db = connections.settings["default"]
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"


def connect(dbname: str, *, autocommit: bool = False) -> psycopg.Connection:
    """Open a connection of our own (not Django's) to a database on the test database's server."""
    db = connections.settings["default"]
    params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"]}
    return psycopg.connect(dbname=dbname, autocommit=autocommit, **{k: v for k, v in params.items() if v})


def _server(statement: sql.Composed) -> None:
    with connect("postgres", autocommit=True) as server:
        server.execute(statement)


@pytest.fixture
def scratch_database(django_db_blocker) -> Iterator[str]:
    """Create an empty database `kinetix_migrations_<random>` under the alias SCRATCH_ALIAS; drop it after."""
    name = f"kinetix_migrations_{secrets.token_hex(4)}"
    _server(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connections.settings[SCRATCH_ALIAS] = {**connections.settings["default"], "NAME": name}
    try:
        with django_db_blocker.unblock():
            yield SCRATCH_ALIAS
    finally:
        connections[SCRATCH_ALIAS].close()
        del connections[SCRATCH_ALIAS]
        del connections.settings[SCRATCH_ALIAS]
        _server(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
