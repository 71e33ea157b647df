"""Test settings: the real PostgreSQL and Redis of the development machine, fast hashing."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kinetix")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("DJANGO_SECRET_KEY", "kinetix-test-secret-key-not-for-production-use-0123456789")

from kinetix.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
# Eager in the tests themselves; a worker started by tests/celery_worker.py turns it off to consume for real.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "True").lower() == "true"
WHITENOISE_AUTOREFRESH = True
# Pages render without a collectstatic run; production's manifest storage is tested by the docs test.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Rate limits stay off; tests/security turns them on with the rates each test needs.
RATELIMIT_ENABLE = False

# `make migration-lint` (docs/MIGRATIONS.md): django-migration-linter, a development dependency, reads the SQL
# that `sqlmigrate` gives on PostgreSQL and fails on what an older release running beside the new schema,
# or a big table's lock, would not survive.
INSTALLED_APPS = [*INSTALLED_APPS, "django_migration_linter"]  # noqa: F405
MIGRATION_LINTER_OPTIONS = {
    # Our apps; a third-party app's migrations are read by whoever upgrades it (docs/MIGRATIONS.md).
    "include_apps": ["accounts", "coaching", "billing", "notifications", "aiplans"],
    # An initial migration creates tables that no release running beside it reads or writes, so neither its
    # columns nor its index builds (on empty tables, in the same transaction) can break or block anything.
    "ignore_initial_migrations": True,
    # Acknowledged backward-incompatible migrations by name (the linter matches names without the app label):
    # each one with the reason it is safe, and the release whose code stopped using what it drops.
    "ignore_name": [],
}
