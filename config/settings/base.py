"""Settings for every deployment, driven by environment variables (see `.env.example`).

The embedded defaults need nothing installed: SQLite, an in-memory channel layer, local-memory
cache and a filesystem Celery broker. `DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and Redis.
"""
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Everything the app writes at run time (SQLite file, broker queue, uploads) lives here.
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-change-me-" + "x" * 32)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_EXPOSE_HEADERS = [
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
]
# Public address of the site, used in links sent by email (invitations, password reset).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "django_celery_beat",
    "axes",
    "core",
    "accounts",
    "teams",
    "auditing",
    "metadata",
    "queries",
    "assistant",
    "chat",
    "knowledge",
    "console",
]

MIDDLEWARE = [
    "core.middleware.RequestIDMiddleware",
    "core.middleware.NullCharacterMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "console.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.RateLimitHeadersMiddleware",
    "core.middleware.ApiExceptionMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

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

# --- Database ---------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'insightengine.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker write concurrently: WAL lets readers and one writer
    # proceed together, IMMEDIATE transactions take the write lock up front (no deadlocked
    # upgrade from a read lock), and the timeout makes a second writer wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # 0: a connection per request. Under ASGI (daphne) every request runs in a thread of its own, so a
    # "persistent" connection is never reused: it stays open until its thread is garbage-collected, and
    # 50 busy users exhausted PostgreSQL's max_connections (bench/load.py). Django's advice for ASGI is
    # to disable persistent connections; a Celery worker, where they are reused, may set a lifetime.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, broker --------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            # Degrades to "nothing cached" while Redis is away (core/cache.py).
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ie",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # capacity: messages waiting per Redis key. Every socket of one server process shares one key,
            # so the default (100) dropped events silently when 50 sessions answered at once (ws_fanout).
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "ie:channels",
                       "capacity": env.int("CHANNEL_LAYER_CAPACITY", default=10000)},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ie"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery ------------------------------------------------------------------------------
BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker that needs no server: messages are files in DATA_DIR/broker.
    (BROKER_DIR / "queue").mkdir(parents=True, exist_ok=True)
    (BROKER_DIR / "processed").mkdir(parents=True, exist_ok=True)
    (BROKER_DIR / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Progress and outcome live on core.Job rows, which REST and WebSocket read; no result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=660)
CELERY_TASK_DEFAULT_QUEUE = "interactive"
# Interactive work (a user waits for it) must never queue behind a long schema sync.
CELERY_TASK_QUEUES_NAMES = ("interactive", "queries", "long_running")
CELERY_TASK_ROUTES = {
    "teams.*": {"queue": "interactive"},
    "metadata.sync_schema": {"queue": "long_running"},
    "metadata.auto_guess": {"queue": "long_running"},
    "queries.*": {"queue": "queries"},
    "core.reap_stale_jobs": {"queue": "interactive"},
    "accounts.flush_expired_tokens": {"queue": "long_running"},
    "knowledge.*": {"queue": "long_running"},
    "chat.answer_question": {"queue": "queries"},
    "auditing.*": {"queue": "interactive"},
    "exports.*": {"queue": "long_running"},
    "chat.purge_deleted_sessions": {"queue": "long_running"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "reap-stale-jobs": {"task": "core.reap_stale_jobs", "schedule": 60.0},
    "flush-expired-tokens": {"task": "accounts.flush_expired_tokens", "schedule": 6 * 3600.0},
    "reap-stale-query-runs": {"task": "queries.reap_stale_runs", "schedule": 60.0},
    "reap-stale-webhook-deliveries": {"task": "auditing.reap_stale_deliveries", "schedule": 60.0},
    "purge-deleted-chat-sessions": {"task": "chat.purge_deleted_sessions", "schedule": 86400.0},
    "purge-expired-exports": {"task": "exports.purge_expired", "schedule": 3600.0},
}
# A running Job whose heartbeat is older than this is considered abandoned by a dead worker.
JOB_STALE_AFTER = timedelta(seconds=env.int("JOB_STALE_AFTER_SECONDS", default=900))

# --- Auth --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailOrUsernameBackend",
]
PASSWORD_HASHERS = [
    "accounts.hashers.OwaspArgon2PasswordHasher",  # Argon2id, m=19 MiB, t=2, p=1 (see accounts/hashers.py)
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ALLOW_REGISTRATION = env.bool("ALLOW_REGISTRATION", default=True)

# Login lock-out (django-axes): per account *and* address.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "core.exceptions.axes_lockout_response"
AXES_VERBOSE = False
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_CLIENT_IP_CALLABLE = "accounts.backends.client_ip"
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the header is ignored,
# so a client cannot pick its own address to dodge rate limits and lock-outs.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("ACCESS_TOKEN_LIFETIME_MINUTES", default=30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("REFRESH_TOKEN_LIFETIME_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "TOKEN_OBTAIN_SERIALIZER": None,
}

# --- REST framework ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.SessionJWTAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.TieredRateThrottle"],
    # JSON everywhere; the few views that take a form or files say so (sign-in's OAuth2 form, uploads).
    # A multipart body elsewhere is a 415, not a file silently written to disk and ignored.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageLimitPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

# Requests per window, per user tier; anonymous requests (login, register) are limited per address.
RATE_LIMITS = {
    "anon": env.str("RATE_LIMIT_ANON", default="60/min"),
    "free": env.str("RATE_LIMIT_FREE", default="300/min"),
    "pro": env.str("RATE_LIMIT_PRO", default="1200/min"),
    "enterprise": env.str("RATE_LIMIT_ENTERPRISE", default="6000/min"),
}
DEFAULT_DAILY_QUERY_LIMIT = env.int("DEFAULT_DAILY_QUERY_LIMIT", default=10000)

SPECTACULAR_SETTINGS = {
    "TITLE": "InsightEngine API",
    "DESCRIPTION": (
        "Ask questions about your databases in plain language and get safe SQL, results, charts "
        "and reasoning. Every error has the shape "
        '`{"error": {"code", "message", "details": [{"field", "message"}]}}`. '
        "Authenticate with `Authorization: Bearer <access_token>` (from `/api/v1/auth/login`) or "
        "`X-API-Key`. Pick a workspace with `X-Workspace-ID` (default: your first workspace)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.strip_trailing_slashes",
        "core.schema.document_framework_errors",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    "ENUM_NAME_OVERRIDES": {
        "WorkspaceRoleEnum": "teams.roles.Role",
        "JobStatusEnum": "core.models.JobStatus",
        "InvitationStatusEnum": "teams.models.InvitationStatus",
        "UserRoleEnum": "accounts.models.UserRole",
        "HealthStatusEnum": [("ok", "ok"), ("error", "error")],
        "DataSourceEngineEnum": "metadata.models.DataSourceEngine",
        "DataSourceStatusEnum": "metadata.models.DataSourceStatus",
        "SuggestionStatusEnum": "metadata.models.SuggestionStatus",
        "DocumentStatusEnum": "knowledge.models.DocumentStatus",
        "PassageKindEnum": [("document", "document"), ("answer", "answer")],
        "TableKindEnum": [("table", "Table"), ("view", "View")],
        "GrantPermissionEnum": "teams.serializers.PERMISSION_LEVELS",
        "GrantResourceTypeEnum": "teams.serializers.RESOURCE_TYPES",
        "SharePermissionEnum": "queries.models.Permission",
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "OAuth2Password": {
                "type": "oauth2",
                "flows": {"password": {"tokenUrl": "/api/v1/auth/login", "scopes": {}}},
            }
        }
    },
}

# --- Data sources ----------------------------------------------------------------------------
# Secrets at rest (data-source passwords, later API keys of AI providers): MultiFernet, first key
# encrypts. Without FERNET_KEYS a key is derived from SECRET_KEY — set your own in production.
FERNET_KEYS = [key for key in env.list("FERNET_KEYS", default=[]) if key.strip()] or [SECRET_KEY]
# SQLite and DuckDB data sources may only be files inside this directory.
DATA_SOURCE_FILES_DIR = Path(env.str("DATA_SOURCE_FILES_DIR", default=str(DATA_DIR / "datasources")))
DATA_SOURCE_FILES_DIR.mkdir(parents=True, exist_ok=True)
DATA_SOURCE_CONNECT_TIMEOUT = env.int("DATA_SOURCE_CONNECT_TIMEOUT", default=10)
DATA_SOURCE_QUERY_TIMEOUT = env.int("DATA_SOURCE_QUERY_TIMEOUT", default=30)
DATA_SOURCE_POOL_SIZE = env.int("DATA_SOURCE_POOL_SIZE", default=5)
# Link-local and cloud-metadata addresses are always refused; private networks only when this is on.
DATA_SOURCE_BLOCK_PRIVATE_NETWORKS = env.bool("DATA_SOURCE_BLOCK_PRIVATE_NETWORKS", default=False)
# Columns with at most this many distinct values get their values sampled at sync.
SCHEMA_SAMPLE_MAX_DISTINCT = env.int("SCHEMA_SAMPLE_MAX_DISTINCT", default=25)

# --- Queries -------------------------------------------------------------------------------------
QUERY_PREVIEW_ROWS = env.int("QUERY_PREVIEW_ROWS", default=200)
QUERY_CACHE_TTL = env.int("QUERY_CACHE_TTL", default=300)
QUERY_DEFAULT_LIMIT = env.int("QUERY_DEFAULT_LIMIT", default=1000)
# A result stops being read past this many bytes (marked truncated); one text value past this many
# characters is cut. Both keep a single query from filling the server's memory.
QUERY_MAX_RESULT_BYTES = env.int("QUERY_MAX_RESULT_BYTES", default=20 * 1024 * 1024)
QUERY_MAX_CELL_CHARS = env.int("QUERY_MAX_CELL_CHARS", default=100_000)
# PostgreSQL/MySQL statements whose planner estimate exceeds this run on the queries queue even when
# the request did not ask for async (0 disables the check and its EXPLAIN round trip).
QUERY_ASYNC_COST = env.float("QUERY_ASYNC_COST", default=1e7)
# SQLite/DuckDB have no such estimate: a statement reading more rows than this (synced row counts of
# its tables; multiplied for a join without a condition) goes to the queue (0: never by size).
QUERY_ASYNC_ROWS = env.int("QUERY_ASYNC_ROWS", default=20_000_000)
# How often a running async query reports progress on ws/query/{id}/ (seconds).
QUERY_PROGRESS_SECONDS = env.float("QUERY_PROGRESS_SECONDS", default=1.0)

# --- Exports ----------------------------------------------------------------------------------------
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=10_000_000)  # never unbounded
EXPORT_TIMEOUT = env.int("EXPORT_TIMEOUT", default=600)  # seconds, the whole export
EXPORT_SYNC_MAX_ROWS = env.int("EXPORT_SYNC_MAX_ROWS", default=100_000)  # above: a background job
EXPORT_TTL_HOURS = env.int("EXPORT_TTL_HOURS", default=24)  # a background export's file, then 410
EXPORT_CHUNK_ROWS = env.int("EXPORT_CHUNK_ROWS", default=5000)
EXPORT_PARQUET_ROW_GROUP = env.int("EXPORT_PARQUET_ROW_GROUP", default=100_000)
# CSV cells starting with = + - @ (formulas to a spreadsheet) get a leading quote (OWASP CSV injection).
EXPORT_ESCAPE_FORMULAS = env.bool("EXPORT_ESCAPE_FORMULAS", default=True)

# --- Chat and the knowledge base ----------------------------------------------------------------
# Deleted sessions (and those of a deleted project) can be restored for this many days, then purged.
CHAT_RETENTION_DAYS = env.int("CHAT_RETENTION_DAYS", default=30)
# Recent turns a follow-up question sees (and that are cached per active session).
CHAT_HISTORY_MESSAGES = env.int("CHAT_HISTORY_MESSAGES", default=20)
# Answer chat questions on the Celery "queries" queue instead of the web process (needs the Redis
# channel layer, through which the worker's events reach the sockets).
CHAT_ANSWER_IN_WORKER = env.bool("CHAT_ANSWER_IN_WORKER", default=False)
DOCUMENTS_DIR = env.path("DOCUMENTS_DIR", default=DATA_DIR / "documents")
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
DOCUMENT_MAX_COUNT = env.int("DOCUMENT_MAX_COUNT", default=500)

# --- Webhooks -----------------------------------------------------------------------------------
# Receivers on private, loopback or CGNAT addresses are refused unless this is on (metadata and
# link-local addresses always are). Deliveries are pinned to the address that was checked.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)
WEBHOOK_MAX_RETRIES = env.int("WEBHOOK_MAX_RETRIES", default=6)
WEBHOOK_MAX_CONSECUTIVE_FAILURES = env.int("WEBHOOK_MAX_CONSECUTIVE_FAILURES", default=10)
WEBHOOK_CONNECT_TIMEOUT = env.int("WEBHOOK_CONNECT_TIMEOUT", default=3)
WEBHOOK_READ_TIMEOUT = env.int("WEBHOOK_READ_TIMEOUT", default=10)
# A pending or retrying delivery overdue by this long lost its task message: the reaper queues it again.
WEBHOOK_STALE_AFTER_SECONDS = env.int("WEBHOOK_STALE_AFTER_SECONDS", default=900)

# --- i18n, static, email, logging ------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# The console's front-end libraries: installed by `npm ci` into node_modules/ (never copied into the
# repository), each package's browser build served under /static/vendor/<name>/.
from console.vendor import VENDOR_STATICFILES_DIRS  # noqa: E402

STATICFILES_DIRS = [BASE_DIR / "static", *VENDOR_STATICFILES_DIRS]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve from the finder too, so `make run` works before collectstatic.
WHITENOISE_USE_FINDERS = True

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="InsightEngine <noreply@localhost>")

INVITATION_TTL = timedelta(days=env.int("INVITATION_TTL_DAYS", default=7))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.middleware.RequestIDLogFilter"}},
    "formatters": {
        "standard": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "standard", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "axes": {"level": "WARNING"},
    },
}
