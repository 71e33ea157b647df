"""Kinetix settings, read from the environment (see the README's configuration table).

Infrastructure defaults are embedded (SQLite, local-memory cache, eager Celery);
security defaults fail closed (debug off, a secret key required outside debug).
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from monitoring.logs import logging_config
from monitoring.sentry import git_sha, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    # Only reachable with DEBUG on: production refuses to start without a real key.
    SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_structlog",
    "django_prometheus",
    "rest_framework",
    "rest_framework_simplejwt",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "fcm_django",
    "kinetix.accounts",
    "kinetix.coaching",
    "djstripe",
    "billing",
    "notifications",
    "aiplans",
    "monitoring",
]

MIDDLEWARE = [
    # Outermost, so that request metrics time everything below them.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Next, so that every later middleware's log lines carry the request id.
    "monitoring.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "kinetix.security.headers.SecurityHeadersMiddleware",
    "kinetix.security.headers.PageCSPMiddleware",
    # Before anything that answers on its own, so that those answers carry CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication, so that an admin session spends its user's budget rather than its IP's.
    "kinetix.security.ratelimit.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "kinetix.urls"
WSGI_APPLICATION = "kinetix.wsgi.application"
ASGI_APPLICATION = "kinetix.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# django-prometheus's wrappers of the same backends count and time every query.
if DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
    DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace("django.db.", "django_prometheus.db.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, timed for /metrics.
            "BACKEND": "monitoring.cache.TimedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="kinetix"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("sr-latn", "Srpski (latinica)")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# In development static files come straight from the apps; production serves the collected, hashed copies.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's bearer tokens, binding user_id to the request's log lines.
        "monitoring.authentication.LoggedJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON nested at most JSON_MAX_DEPTH deep.
    "DEFAULT_PARSER_CLASSES": ["kinetix.security.parsers.DepthLimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "kinetix.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kinetix.errors.api_exception_handler",
    "PAGE_SIZE": 20,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
MAX_PAGE_SIZE = 100

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "UPDATE_LAST_LOGIN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Kinetix API",
    "DESCRIPTION": "Weekly workout plans, workout logging and progress for trainers and their clients.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1 speaks JSON Schema, so the pydantic WeeklyPlan schema is published as it is.
    "OAS_VERSION": "3.1.0",
    # Swagger UI is served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {
        "MuscleEnum": "kinetix.coaching.models.Muscle.choices",
        "EquipmentEnum": "kinetix.coaching.models.Equipment.choices",
        "LevelEnum": "kinetix.coaching.models.Level.choices",
        "GoalEnum": "kinetix.coaching.models.Goal.choices",
        "CategoryEnum": "kinetix.coaching.models.Category.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kinetix.schema.add_error_responses",
    ],
}

# Celery: Redis in production; without REDIS_URL tasks run eagerly in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "kinetix.celery:RedisTransport"  # kombu's, keeping its redis-py client
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}

# Security (kinetix/security/, docs/DEPLOY.md) -----------------------------------------------------
# Transport security in production; `check --deploy` holds us to these.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Only the admin's forms use the CSRF cookie, and no script of ours reads it.
CSRF_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The API's policy: JSON needs nothing. The admin and /api/docs/ get theirs in kinetix/security/headers.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

# CORS for web clients of the API; mobile apps do not need it. Credentials (cookies) stay off unless asked for.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_ALL_ORIGINS = env.bool("CORS_ALLOW_ALL_ORIGINS", default=False)
CORS_ALLOW_CREDENTIALS = env.bool("CORS_ALLOW_CREDENTIALS", default=False)
if CORS_ALLOW_ALL_ORIGINS and CORS_ALLOW_CREDENTIALS:
    raise ImproperlyConfigured(
        "CORS_ALLOW_ALL_ORIGINS with CORS_ALLOW_CREDENTIALS would let any site act as a signed-in user; "
        "list the origins in CORS_ALLOWED_ORIGINS instead."
    )

# Proxies in front of gunicorn that append to X-Forwarded-For; the client IP is read that many entries
# from the right (kinetix/security/client_ip.py), so a client cannot choose its own address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT  # the same reading for any DRF throttle

# Rate limits (kinetix/security/ratelimit.py), "count/period" as django-ratelimit reads them ("10/m", "5/15m").
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATE_LIMITS = {
    "anonymous": env.str("RATE_LIMIT_ANONYMOUS", default="120/m"),  # per client IP
    "user": env.str("RATE_LIMIT_USER", default="600/m"),  # per signed-in user
    "auth": env.str("RATE_LIMIT_AUTH", default="10/m"),  # sign-in, sign-up, token refresh, per IP
    "invitations": env.str("RATE_LIMIT_INVITATIONS", default="30/h"),
    "ai-generation": env.str("RATE_LIMIT_AI_GENERATION", default="20/h"),
}
# Request size: bodies (DRF's JSON included) and form or query fields; larger answers 413, more fields 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
# A WeeklyPlan document nests 5 deep inside a request; nothing legitimate comes near this.
JSON_MAX_DEPTH = 20
# A query running longer is cancelled by PostgreSQL, before gunicorn's 30 s timeout kills the worker.
DATABASE_STATEMENT_TIMEOUT_MS = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=25_000)
if DATABASES["default"]["ENGINE"].endswith("postgresql") and DATABASE_STATEMENT_TIMEOUT_MS:
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}"

# Failed sign-ins before a lock-out, which lasts until the window closes.
LOGIN_LOCKOUT = {
    "account": env.str("LOGIN_LOCKOUT_ACCOUNT", default="5/15m"),
    "ip": env.str("LOGIN_LOCKOUT_IP", default="20/15m"),
}

# Domain settings.
INVITATION_TTL = timedelta(days=env.int("INVITATION_TTL_DAYS", default=14))

# Logging: structlog lines to stderr, JSON in production, readable in development (monitoring/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
# Trust the X-Request-ID of the proxy in front (django-structlog ignores it otherwise); see monitoring/middleware.py.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
# Tasks carry the request_id of the request that queued them; the worker step is in kinetix/celery.py.
DJANGO_STRUCTLOG_CELERY_ENABLED = True

# Metrics: /metrics answers only a bearer METRICS_TOKEN, and 404 while it is unset.
# With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (see gunicorn.conf.py, docs/OPERATIONS.md).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Celery workers serve their own metrics on this port (0: not at all), behind the same token; see monitoring/worker.py.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)

# The deployed commit: from the build's environment, else .git. Sentry's release; cached answers
# (kinetix/cached_responses.py) rendered by another release are not reused.
RELEASE = env.str("GIT_SHA", default="") or env.str("SOURCE_VERSION", default="") or git_sha(BASE_DIR) or ""

# Monitoring: slow paths and Sentry (monitoring/, docs/OPERATIONS.md).
# Requests and database queries this slow or slower log `slow_request` and `slow_query` at warning.
SLOW_REQUEST_MS = env.int("SLOW_REQUEST_MS", default=1000)
SLOW_QUERY_MS = env.int("SLOW_QUERY_MS", default=200)
# Sentry is on only with a DSN. The release is the deployed commit: from the build's environment, else .git.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        release=RELEASE or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# Notifications (notifications/, docs/NOTIFICATIONS.md) ---------------------------------------------
# Push goes through Firebase when a service-account file or a project id (with the platform's own
# credentials) is given; without either the inbox works and every push is recorded as skipped.
FCM_CREDENTIALS_FILE = env.str("FCM_CREDENTIALS_FILE", default="")
FCM_PROJECT_ID = env.str("FCM_PROJECT_ID", default="")
FCM_DJANGO_SETTINGS = {
    "APP_VERBOSE_NAME": "Devices",
    # notifications/push.py passes its own Firebase app to every send.
    "DEFAULT_FIREBASE_APP": None,
    "ONE_DEVICE_PER_USER": False,
    # Deactivated devices stay, so that delivery results keep pointing at them.
    "DELETE_INACTIVE_DEVICES": False,
    "UPDATE_ON_DUPLICATE_REG_ID": True,
}
PUSH_MAX_ATTEMPTS = env.int("PUSH_MAX_ATTEMPTS", default=5)
PUSH_RETRY_BACKOFF_SECONDS = env.float("PUSH_RETRY_BACKOFF_SECONDS", default=10.0)
PUSH_RETRY_BACKOFF_MAX_SECONDS = 15 * 60.0
# A retry whose Celery task has not run this long after its time is queued again by push_due.
PUSH_RETRY_GRACE = timedelta(minutes=10)
# A trainer gets single "workout logged" pushes up to this many an hour, then one digest per window.
NOTIFICATIONS_DIGEST_AFTER = env.int("NOTIFICATIONS_DIGEST_AFTER", default=3)
NOTIFICATIONS_DIGEST_WINDOW = timedelta(minutes=env.int("NOTIFICATIONS_DIGEST_WINDOW_MINUTES", default=60))
# Local hour (0-23, the client's time zone) of the daily workout reminder.
WORKOUT_REMINDER_HOUR = env.int("WORKOUT_REMINDER_HOUR", default=8)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["NotificationCategoryEnum"] = "notifications.models.Category.choices"
CELERY_BEAT_SCHEDULE["notifications-push-due"] = {"task": "notifications.push_due", "schedule": 60.0}
# Each workout queues a drain of the trainers' notices; this one catches a drain lost on the way.
CELERY_BEAT_SCHEDULE["coaching-workout-notices"] = {"task": "coaching.workout_notices_send", "schedule": 60.0}
# Hourly, just past the hour: each run reminds the clients whose local hour is WORKOUT_REMINDER_HOUR.
CELERY_BEAT_SCHEDULE["coaching-workout-reminders"] = {
    "task": "coaching.workout_reminders",
    "schedule": crontab(minute=2),
}

# Billing (billing/, docs/BILLING.md) -------------------------------------------------------------
# Stripe through dj-stripe. Without STRIPE_SECRET_KEY the billing routes answer `billing_not_configured`
# (tiers still list) and every trainer has the free tier.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLIC_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_LIVE_MODE = STRIPE_SECRET_KEY.startswith("sk_live_")
# Another server speaking Stripe's API (a proxy; the tests' fake): billing/apps.py points stripe-python at it.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# The API version whose object shapes billing/ and the tests' fake Stripe read; change it deliberately.
STRIPE_API_VERSION = "2026-08-26.dahlia"
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_SUBSCRIBER_MODEL = AUTH_USER_MODEL
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
# Where Checkout and the customer portal send the trainer back (the app's billing page).
BILLING_RETURN_URL = env.str("BILLING_RETURN_URL", default="http://localhost:8000/")

# AI plans (aiplans/, docs/AI.md) ---------------------------------------------------------------------
# The offline generator needs no network; `openai`, `anthropic` and `openai-compatible` (OPENAI_BASE_URL
# at vLLM, Ollama or llama.cpp) call a model. Checked at start-up by aiplans/checks.py.
LLM_PROVIDER = env.str("LLM_PROVIDER", default="offline")
LLM_MODEL = env.str("LLM_MODEL", default="")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="")
# Seconds one model call may take; the SDKs never retry, the Celery task does (backoff with jitter).
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=120.0)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=4)
LLM_RETRY_BACKOFF_SECONDS = env.float("LLM_RETRY_BACKOFF_SECONDS", default=5.0)
# A draft older than this is stale: the client's training has moved on, generate a new one.
AI_DRAFT_MAX_AGE = timedelta(days=env.int("AI_DRAFT_MAX_AGE_DAYS", default=14))
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["GenerationStatusEnum"] = "aiplans.models.GenerationStatus.choices"
