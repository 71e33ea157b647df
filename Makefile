# Everyday commands. `make run` serves the embedded default; `make test` runs the suite
# against the machine's PostgreSQL and Redis.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

# The embedded default: SQLite, local-memory cache, eager Celery, offline AI.
DEV_ENV := DJANGO_DEBUG=True DJANGO_SECRET_KEY=kinetix-development-only-secret-key

# The test suite's services; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kinetix
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: run test lint format migrate seed shell worker check-deploy clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

run: $(VENV)/.runtime
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# The Mozilla HTTP Observatory's grader for tests/security/test_observatory.py. --ignore-scripts skips its
# post-install download of the HSTS preload list; an empty list stands in (no domain of ours is preloaded).
OBSERVATORY := tests/security/observatory
$(OBSERVATORY)/node_modules/.installed: $(OBSERVATORY)/package.json $(OBSERVATORY)/package-lock.json
	cd $(OBSERVATORY) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	echo '{}' > $(OBSERVATORY)/node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json
	touch $@

# Debian's chromium for the admin browser test (tests/aiplans/test_review_browser.py); Playwright's own
# browser download cannot work here. Installed only when absent, and only where apt-get can (root).
/usr/bin/chromium:
	-command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium)

test: $(VENV)/.dev $(OBSERVATORY)/node_modules/.installed /usr/bin/chromium
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: $(VENV)/.runtime
	$(DEV_ENV) $(PY) manage.py migrate --noinput

seed: $(VENV)/.runtime
	$(DEV_ENV) $(PY) manage.py seed_demo

shell: $(VENV)/.runtime
	$(DEV_ENV) $(PY) manage.py shell

worker: $(VENV)/.runtime
	$(PY) -m celery -A kinetix worker --loglevel=info

# docs/MIGRATIONS.md. The linter reads our apps' migrations as `sqlmigrate` renders them for PostgreSQL; on the
# maintenance database it finds no migration history and writes nothing. The rollback drill (over a minute,
# so CI runs it as tests/migrations/test_rollback_drill.py) works on a scratch database it drops afterwards.
MIGRATION_LINT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
ROLLBACK_CHECK_SERVER_URL ?= postgres://postgres@127.0.0.1:5432
.PHONY: migration-lint rollback-check

migration-lint: $(VENV)/.dev
	LOG_LEVEL=WARNING DATABASE_URL=$(MIGRATION_LINT_DATABASE_URL) \
		$(PY) manage.py lintmigrations --settings=kinetix.settings_test --no-cache --warnings-as-errors

# `make rollback-check ROLLBACK_APP=notifications ROLLBACK_STEPS=2` drills another app and depth.
ROLLBACK_APP ?= coaching
ROLLBACK_STEPS ?= 1
rollback-check: $(VENV)/.dev
	SERVER_URL=$(ROLLBACK_CHECK_SERVER_URL) PY=$(PY) bash tests/migrations/rollback_check.sh $(ROLLBACK_APP) $(ROLLBACK_STEPS)

check-deploy: $(VENV)/.runtime
	DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) DJANGO_ALLOWED_HOSTS=kinetix.example.com \
		$(PY) manage.py check --deploy --fail-level WARNING

# Benchmarks (bench/, docs/BENCHMARKS.md): production set-up on this machine (gunicorn, PostgreSQL database
# kinetix_bench created from a migrated template and dropped after, Redis db 14), each printing a table of
# figures as ratios to a baseline measured in the same run. Not part of `make test`. A benchmark whose budget
# is missed exits 1; `make bench` runs them all anyway, drops the template database and fails at the end.
BENCHMARKS := read_path workout_log webhook_burst fanout export ai_validation
.PHONY: bench bench-read bench-workouts bench-webhooks bench-fanout bench-export bench-ai bench-clean

$(VENV)/.bench: bench/requirements.txt | $(VENV)/.dev
	$(PIP) install --quiet -r bench/requirements.txt
	touch $@

bench: $(VENV)/.bench
	@failed=""; for b in $(BENCHMARKS); do $(PY) -m bench.$$b || failed="$$failed $$b"; done; \
		$(PY) -c "from bench.harness import template_drop; template_drop()"; \
		if [ -n "$$failed" ]; then echo "budgets missed:$$failed"; exit 1; fi

bench-read: $(VENV)/.bench
	$(PY) -m bench.read_path

bench-workouts: $(VENV)/.bench
	$(PY) -m bench.workout_log

bench-webhooks: $(VENV)/.bench
	$(PY) -m bench.webhook_burst

bench-fanout: $(VENV)/.bench
	$(PY) -m bench.fanout

bench-export: $(VENV)/.bench
	$(PY) -m bench.export

bench-ai: $(VENV)/.bench
	$(PY) -m bench.ai_validation

# The benchmarks keep their migrated template database between runs (rebuilt when a migration changes).
bench-clean:
	$(PY) -c "from bench.harness import template_drop; template_drop()"

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
