#!/usr/bin/env bash
# The rollback drill of docs/MIGRATIONS.md on a scratch database: migrate to the latest state, load the demo
# data, back it up with pg_dump, migrate one app back STEPS migrations and forward again, then check that no
# table gained or lost a row and that the backup restores. Run by `make rollback-check` and by
# tests/migrations/test_rollback_drill.py.
# Usage: rollback_check.sh [APP (coaching)] [STEPS (1)], with SERVER_URL naming the PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/../.."

app=${1:-coaching}
steps=${2:-1}
server=${SERVER_URL:-postgres://postgres@127.0.0.1:5432}
python=${PY:-.venv/bin/python}
scratch=kinetix_rollback_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
restored=${scratch}_restored
workdir=$(mktemp -d)

# The project's settings with their embedded defaults (no Redis: eager tasks), on the scratch database.
export DJANGO_SETTINGS_MODULE=kinetix.settings DJANGO_DEBUG=True DJANGO_SECRET_KEY=kinetix-rollback-check-only
export DATABASE_URL=$server/$scratch LOG_LEVEL=WARNING
unset REDIS_URL

manage() { "$python" manage.py "$@"; }
sql() { psql --no-psqlrc -qtAX "$1" -c "$2"; }
row_counts() { # every table with its exact number of rows, a line each
  sql "$1" "SELECT table_name || ' ' || (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I',
    table_name), false, true, '')))[1]::text FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
}
cleanup() {
  sql "$server/postgres" "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)" || true
  sql "$server/postgres" "DROP DATABASE IF EXISTS \"$restored\" WITH (FORCE)" || true
  rm -rf "$workdir"
}
trap cleanup EXIT

echo "== $scratch: migrate to the latest state and load the demo data"
sql "$server/postgres" "CREATE DATABASE \"$scratch\""
manage migrate --noinput -v0
manage seed_demo >/dev/null
manage migration_status
row_counts "$DATABASE_URL" >"$workdir/before"

echo "== back up before the destructive step"
pg_dump --format=custom --file="$workdir/backup.dump" "$DATABASE_URL"

# The migration STEPS before the app's latest, or zero.
mapfile -t applied < <(manage showmigrations "$app" | sed -n 's/^ \[X\] \([^ ]*\).*/\1/p')
target=zero
if ((steps < ${#applied[@]})); then target=${applied[${#applied[@]} - steps - 1]}; fi
echo "== migrate $app back $steps step(s), to $target"
manage migrate "$app" "$target" --noinput -v0
behind=0
manage migration_status || behind=$?
if ((behind != 1)); then echo "migration_status should say behind (exit 1), not exit $behind" >&2 && exit 1; fi

echo "== migrate forward again"
manage migrate --noinput -v0
manage migration_status
row_counts "$DATABASE_URL" >"$workdir/after"
diff -u "$workdir/before" "$workdir/after" || { echo "rows were lost or gained" >&2 && exit 1; }

echo "== restore the backup into $restored"
sql "$server/postgres" "CREATE DATABASE \"$restored\""
pg_restore --no-owner --exit-on-error --dbname="$server/$restored" "$workdir/backup.dump"
row_counts "$server/$restored" | diff -u "$workdir/before" - || { echo "the backup restores other rows" >&2 && exit 1; }

echo "rollback check passed: $app back $steps step(s) and forward, $(wc -l <"$workdir/before") tables kept their rows"
