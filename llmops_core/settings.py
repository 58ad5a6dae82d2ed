"""Django settings, every one read from the environment with an embedded default.

With nothing set the app runs on a SQLite file and a Celery broker that needs no server
(kombu's filesystem transport under ``var/``). Production sets ``DATABASE_URL``,
``CELERY_BROKER_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DEBUG=0``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from llmops_core import envconf
from llmops_core.beat import beat_schedule
from llmops_core.envconf import cache_from_url, database_from_url, env_bool, env_int, env_list

# Lets generic classes (ModelAdmin[Project], Serializer[...]) be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (50+ random characters), "
            "or DEBUG=1 for local use."
        )
    SECRET_KEY = "django-insecure-local-development-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "llmops_core",
    "annotate",
]

MIDDLEWARE = [
    # Outermost: answers JSON for any error under /api/, then refuses oversized bodies unread.
    "llmops_core.api.errors.ApiJsonErrorsMiddleware",
    "llmops_core.api.errors.RequestSizeLimitMiddleware",
    "llmops_core.middleware.UnstorableTextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "llmops_core.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "llmops_core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "llmops_core.urls"
WSGI_APPLICATION = "llmops_core.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# Database -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL, var_dir=VAR_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"

# Caches ---------------------------------------------------------------------------------------
# Correctness never rests on the cache: login counters live in the database and served prompts
# read their label from it. The cache holds rendered charts and served-prompt payloads. With
# DEBUG=0 and no CACHE_URL it is Django's database cache (the table "llmops_cache", created by
# `migrate`), shared by every process; `check --deploy` refuses a per-process one in production.
DATABASE_CACHE_TABLE = "llmops_cache"


CACHE_URL = os.environ.get("CACHE_URL", "") or ("locmem://" if DEBUG else "db://")
CACHES = {"default": cache_from_url(CACHE_URL, table=DATABASE_CACHE_TABLE)}

# Login rate limiting: this many failures within the lock-out window lock further attempts.
LOGIN_MAX_FAILURES_PER_USER = env_int("LOGIN_MAX_FAILURES_PER_USER", 5)
LOGIN_MAX_FAILURES_PER_IP = env_int("LOGIN_MAX_FAILURES_PER_IP", 30)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PROJECT_CREATE_ALLOWED = envconf.env_choice("PROJECT_CREATE_ALLOWED", ["staff", "any"])

# Uploads: files above this size go to disk. A request body is refused from its Content-Length
# before it is read (llmops_core.api.errors.RequestSizeLimitMiddleware): multipart uploads above
# IMPORT_MAX_UPLOAD_BYTES, any other body above DATA_UPLOAD_MAX_MEMORY_SIZE.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 50 * 1024 * 1024)
# A JSON body an API endpoint decodes whole (all but the import endpoints, which stream, and
# dataset uploads, which take up to DATA_UPLOAD_MAX_MEMORY_SIZE).
API_JSON_MAX_BYTES = env_int("API_JSON_MAX_BYTES", 2 * 1024 * 1024)
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 512 * 1024 * 1024)
IMPORT_BATCH_SIZE = env_int("IMPORT_BATCH_SIZE", 2000)
# Files with more rows than this are imported by a Celery task instead of inside the request.
IMPORT_ASYNC_THRESHOLD_BYTES = env_int("IMPORT_ASYNC_THRESHOLD_BYTES", 2 * 1024 * 1024)

# Security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # Load balancers probe the health endpoint over plain HTTP, from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
# Trust X-Forwarded-Proto only when told to: only a proxy that sets it on every request (and
# drops a client's own) makes it true. Without a proxy, anyone could claim https with it.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the app append the client's address to X-Forwarded-For. 0: the
# header is ignored and REMOTE_ADDR is the client (behind a proxy, the per-address login limit
# would then count every client as the proxy). N: the Nth address from the right is the client.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# REST framework ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "llmops_core.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "llmops_core.api.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "llmops_core.api.parsers.SizeCheckingNegotiation",
    "DEFAULT_PARSER_CLASSES": [
        "llmops_core.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "llmops_core.api.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "llmops_core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "10/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LLM Feedback Workbench API",
    "DESCRIPTION": "Import model outputs, manage prompt versions, rubrics and review queues.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind", "format" or "status"; give each choice set its own name.
    "ENUM_NAME_OVERRIDES": {
        "ImportFormatEnum": "llmops_core.models.jobs.ImportFormat",
        "ExportFormatEnum": "llmops_core.models.exports.ExportFormat",
        "ExportKindEnum": "llmops_core.models.exports.ExportKind",
        "ReportKindEnum": "llmops_core.models.reports.ReportKind",
        "JobStatusEnum": "llmops_core.models.jobs.JobStatus",
        "CallStatusEnum": "llmops_core.models.llm.CallStatus",
        "QueueStatusEnum": "annotate.models.queues.QueueStatus",
        "QueueOrderEnum": "annotate.models.queues.QueueOrder",
        "AssignmentStatusEnum": "annotate.models.labels.AssignmentStatus",
        "AlertStateEnum": "llmops_core.models.alerts.AlertState",
        "FeedbackKindEnum": "llmops_core.models.feedback.FeedbackKind",
        "PromptTypeEnum": ["text", "chat"],  # the Langfuse prompt API's prompt types
    },
}

# Celery ----------------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A task unacknowledged for this long is redelivered (acks_late): longer than any task runs.
    # A broker host that does not answer fails a publish in seconds, not minutes (the job row
    # then waits for the stale-job sweep, see llmops_core.services.jobs).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        "socket_connect_timeout": 5,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process whose resident memory passed this after a task is replaced by a fresh fork of
# the worker, so what one job loaded (scipy for a report, pyarrow for an export) or grew (the
# heap of a large export) does not stay resident until the next. 0 keeps pool processes.
WORKER_MAX_MEMORY_MB = env_int("WORKER_MAX_MEMORY_MB", 200)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = WORKER_MAX_MEMORY_MB * 1024 or None  # in KiB
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "default")
# A worker stamps the heartbeat row the health endpoint reports (GET /healthz/) this often.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30)
CELERY_BEAT_SCHEDULE = beat_schedule(heartbeat_seconds=WORKER_HEARTBEAT_SECONDS)
# The stale-job sweep: a job pending this long since it was created or last dispatched had its
# message lost; a running export or import with no heartbeat for this long lost its worker.
# Either is dispatched again; a job started JOB_MAX_ATTEMPTS times without finishing fails.
JOB_PENDING_GRACE_SECONDS = env_int("JOB_PENDING_GRACE_SECONDS", 300)
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 300)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
# Ratings an export job reads per block (memory against round trips); 0: the pipeline's default.
EXPORT_BLOCK_RATINGS = env_int("EXPORT_BLOCK_RATINGS", 0)
# Exports of at least EXPORT_PARALLEL_MIN_RATINGS ratings are split across up to EXPORT_WORKERS
# processes (same bytes as one process); EXPORT_WORKERS=1 turns that off.
EXPORT_WORKERS = env_int("EXPORT_WORKERS", min(2, os.cpu_count() or 1))
EXPORT_PARALLEL_MIN_RATINGS = env_int("EXPORT_PARALLEL_MIN_RATINGS", 200_000)
# Where the parts of a parallel export are written before they are appended. Parts whose export
# process died remove themselves; the hourly exports-expire task removes any folder left there
# (all its processes killed at once) after EXPORT_PARTS_MAX_AGE_SECONDS without a write.
EXPORT_PARTS_DIR = Path(
    os.environ.get("EXPORT_PARTS_DIR") or Path(tempfile.gettempdir()) / "llmops-export-parts"
)
EXPORT_PARTS_MAX_AGE_SECONDS = env_int("EXPORT_PARTS_MAX_AGE_SECONDS", 3600)
# Export files are deleted this many days after the job finished (the job's record, SHA-256 and
# datasheet stay); 0 keeps them forever.
EXPORT_RETENTION_DAYS = env_int("EXPORT_RETENTION_DAYS", 30)

# Reports ---------------------------------------------------------------------------------------
REPORT_BOOTSTRAP_DRAWS = env_int("REPORT_BOOTSTRAP_DRAWS", 1000)
REPORT_REFRESH_WINDOW_DAYS = env_int("REPORT_REFRESH_WINDOW_DAYS", 30)
REPORT_STUCK_MINUTES = env_int("REPORT_STUCK_MINUTES", 60)
REPORT_MAX_ATTEMPTS = env_int("REPORT_MAX_ATTEMPTS", 3)
# Judge re-checks: ratings of the last RECENT days against the BASELINE days before them.
JUDGE_RECHECK_RECENT_DAYS = env_int("JUDGE_RECHECK_RECENT_DAYS", 14)
JUDGE_RECHECK_BASELINE_DAYS = env_int("JUDGE_RECHECK_BASELINE_DAYS", 90)
PROMPT_SERVING_CACHE_SECONDS = env_int("PROMPT_SERVING_CACHE_SECONDS", 300)

# Traces in (OTLP/HTTP at /v1/traces) ------------------------------------------------------------
# An ingest key that authenticated is cached this long (revoking clears it).
# See llmops_core.services.ingest_keys.
INGEST_KEY_CACHE_SECONDS = env_int("INGEST_KEY_CACHE_SECONDS", 60)
# Largest export request body as sent (gzip or not), and what a gzip body may inflate to.
OTLP_MAX_BODY_BYTES = env_int("OTLP_MAX_BODY_BYTES", 16 * 1024 * 1024)
OTLP_MAX_INFLATED_BYTES = env_int("OTLP_MAX_INFLATED_BYTES", 32 * 1024 * 1024)
# A span with an attribute (or event attribute) value larger than this is rejected.
OTLP_MAX_ATTRIBUTE_BYTES = env_int("OTLP_MAX_ATTRIBUTE_BYTES", 1024 * 1024)
# With this many batches waiting for a worker, requests get 503 and Retry-After.
OTLP_MAX_PENDING_BATCHES = env_int("OTLP_MAX_PENDING_BATCHES", 2000)
OTLP_RETRY_AFTER_SECONDS = env_int("OTLP_RETRY_AFTER_SECONDS", 5)

# LLM endpoints -------------------------------------------------------------------------------
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8011/v1")
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
# Non-public hosts LLM calls may reach besides OPENAI_BASE_URL's host and port (always allowed):
# names, IPs or CIDRs, each with an optional :port; syntax in llmops_core/llm/egress.py. With
# DEBUG the local demo servers on loopback are allowed too.
LLM_ALLOWED_HOSTS = env_list("LLM_ALLOWED_HOSTS", ["127.0.0.1", "::1"] if DEBUG else [])


def llm_key_envs(base_url: str, allowed_hosts: list[str]) -> dict[str, list[str]]:
    """Check the LLM egress settings and return ``LLM_KEY_ENVS``.

    Its default binds OPENAI_API_KEY to OPENAI_BASE_URL only. The parsers are pure (no
    Django); their ConfigError is a ValueError that names the setting.
    """
    from llmops_core.llm.egress import base_url_parse, host_rule_parse
    from llmops_core.llm.keys import key_bindings_parse

    try:
        base_url_parse(base_url.rstrip("/"))
    except ValueError as exc:
        raise ImproperlyConfigured(f"OPENAI_BASE_URL: {exc}") from exc
    try:
        for rule in allowed_hosts:
            host_rule_parse(rule)
        raw = os.environ.get("LLM_KEY_ENVS", "").strip()
        return key_bindings_parse(raw) if raw else {"OPENAI_API_KEY": [base_url]}
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from exc


# Environment variables an endpoint may name as its key, each bound to the base URLs it may go
# to (JSON); any other endpoint needs a key stored on it.
LLM_KEY_ENVS = llm_key_envs(OPENAI_BASE_URL, LLM_ALLOWED_HOSTS)
# Prices per 1,000 tokens, {"model": {"input": x, "output": y}}, merged over the defaults.
LLM_PRICES: dict[str, dict[str, float]] = {
    "gpt-4o-mini": {"input": 0.00015, "output": 0.0006},
    "gpt-4o": {"input": 0.0025, "output": 0.01},
    "demo-model": {"input": 0.0005, "output": 0.0015},
    "demo-judge": {"input": 0.001, "output": 0.002},
}
LLM_PRICES.update(json.loads(os.environ.get("LLM_PRICES", "{}")))
LLM_CONCURRENCY = env_int("LLM_CONCURRENCY", 16)
LLM_TIMEOUT_SECONDS = float(os.environ.get("LLM_TIMEOUT_SECONDS", "60"))
LLM_MAX_RETRIES = env_int("LLM_MAX_RETRIES", 5)
LLM_RUN_CHUNK_SIZE = env_int("LLM_RUN_CHUNK_SIZE", 200)
LLM_RUN_STALE_SECONDS = env_int("LLM_RUN_STALE_SECONDS", 120)
# Seconds between looks of a routing rule's judge dispatcher while its judge run is under way.
ROUTING_JUDGE_POLL_SECONDS = env_int("ROUTING_JUDGE_POLL_SECONDS", 5)

# Alerts ----------------------------------------------------------------------------------------
# Links in alert messages point here (workers have no request to build them from).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Non-public hosts alert webhooks may reach (same syntax as LLM_ALLOWED_HOSTS); none by default.
ALERT_WEBHOOK_ALLOWED_HOSTS = env_list("ALERT_WEBHOOK_ALLOWED_HOSTS", [])
# A failed delivery is retried after base, 2 x base, 4 x base... (at most the cap), then given up.
ALERT_DELIVERY_BACKOFF_SECONDS = env_int("ALERT_DELIVERY_BACKOFF_SECONDS", 30)
ALERT_DELIVERY_MAX_BACKOFF_SECONDS = env_int("ALERT_DELIVERY_MAX_BACKOFF_SECONDS", 3600)
ALERT_DELIVERY_MAX_ATTEMPTS = env_int("ALERT_DELIVERY_MAX_ATTEMPTS", 8)
ALERT_WEBHOOK_TIMEOUT_SECONDS = env_int("ALERT_WEBHOOK_TIMEOUT_SECONDS", 10)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "workbench@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
