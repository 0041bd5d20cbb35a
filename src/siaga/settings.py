"""One environment-driven settings file: SQLite and one process by default, PostgreSQL + Redis at scale."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

# The package is installed editable from the repository, so the repository root is two levels up.
REPO_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("SIAGA_VAR_DIR", REPO_DIR / "var"))
DATA_DIR = Path(os.environ.get("SIAGA_DATA_DIR", REPO_DIR.parent / "shared" / "data"))
NODE_MODULES_DIR = Path(os.environ.get("SIAGA_NODE_MODULES", REPO_DIR / "node_modules"))
# Kemendagri codes for all regions ship in the npm package idn-area-data.
REGIONS_DIR = Path(os.environ.get("SIAGA_REGIONS_DIR", NODE_MODULES_DIR / "idn-area-data" / "data"))

DEBUG = os.environ.get("SIAGA_DEBUG", "1") == "1"
_INSECURE_DEFAULT_KEY = "siaga-development-only-change-me-in-production-0123456789abcdef"
SECRET_KEY = os.environ.get("SIAGA_SECRET_KEY", _INSECURE_DEFAULT_KEY)
if not DEBUG and SECRET_KEY == _INSECURE_DEFAULT_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SIAGA_DEBUG=0 needs SIAGA_SECRET_KEY: a long random value kept out of the repository")
ALLOWED_HOSTS = [h for h in os.environ.get("SIAGA_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("SIAGA_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Siaga's apps come first: their translation catalogues and templates take precedence over
# Django's own (Django's Indonesian says 'Sandi', ours 'Kata sandi').
INSTALLED_APPS = [
    "siaga.core",
    "siaga.geo",
    "siaga.routing",
    "siaga.callcenter",
    "siaga.dispatch",
    "siaga.blood",
    "siaga.disaster",
    "siaga.disaster.volunteers",
    "siaga.disaster.teams",
    "siaga.disaster.logistics",
    "siaga.disaster.mutualaid",
    "siaga.disaster.reports",
    "siaga.disaster.readiness",
    "siaga.health",
    "siaga.health.plans",
    "siaga.annual",
    "siaga.web",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "ninja",  # serves the API documentation's Swagger files locally (no CDN on site)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "siaga.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "siaga.core.middleware.ActorMiddleware",
    "siaga.core.middleware.IdempotencyMiddleware",
    "siaga.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "siaga.urls"
ASGI_APPLICATION = "siaga.asgi.application"
WSGI_APPLICATION = "siaga.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "siaga.web.context.shell",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'siaga.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers (live streams) run beside one writer; IMMEDIATE takes the write lock at BEGIN
    # so two writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file (not memory) so in-thread test servers share it; one per process so parallel runs don't collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-siaga-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Event bus: "memory" fans out inside this process; "redis://..." uses Redis pub/sub across processes.
SIAGA_BUS = os.environ.get("SIAGA_BUS", "memory")
SIAGA_BUS_QUEUE_SIZE = int(os.environ.get("SIAGA_BUS_QUEUE_SIZE", "1000"))
# Seconds between SSE keep-alive comments, and between re-reads of the user's membership by a stream.
SIAGA_SSE_HEARTBEAT = float(os.environ.get("SIAGA_SSE_HEARTBEAT", "15"))
SIAGA_SSE_ACTOR_REFRESH = float(os.environ.get("SIAGA_SSE_ACTOR_REFRESH", "60"))

# --- call center --------------------------------------------------------------------------------
# SMS: "database" stores every message for a gateway worker to send; "console" also logs it;
# or a dotted path to a gateway class.
SIAGA_SMS_BACKEND = os.environ.get("SIAGA_SMS_BACKEND", "database")
# Shared secret the SMS gateway sends in X-Siaga-Webhook-Secret; the inbound webhook is closed while empty.
SIAGA_SMS_WEBHOOK_SECRET = os.environ.get("SIAGA_SMS_WEBHOOK_SECRET", "")
SIAGA_SMS_DEFAULT_ORGANIZATION = os.environ.get("SIAGA_SMS_DEFAULT_ORGANIZATION", "")
SIAGA_PUBLIC_BASE_URL = os.environ.get("SIAGA_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
SIAGA_LOCATION_LINK_MINUTES = int(os.environ.get("SIAGA_LOCATION_LINK_MINUTES", "30"))
SIAGA_AML_LIVE_CALL_MINUTES = int(os.environ.get("SIAGA_AML_LIVE_CALL_MINUTES", "30"))
SIAGA_AML_PENDING_MINUTES = int(os.environ.get("SIAGA_AML_PENDING_MINUTES", "10"))
# Number of reverse proxies whose X-Forwarded-For entry is trusted for per-IP rate limits.
SIAGA_TRUSTED_PROXIES = int(os.environ.get("SIAGA_TRUSTED_PROXIES", "0"))
SIAGA_REPORT_MIN_FILL_SECONDS = int(os.environ.get("SIAGA_REPORT_MIN_FILL_SECONDS", "3"))
SIAGA_REPORT_FORM_MAX_AGE = int(os.environ.get("SIAGA_REPORT_FORM_MAX_AGE", "7200"))
# A number is flagged after this many prank/silent/accidental calls within the window.
SIAGA_NUISANCE_FLAG_THRESHOLD = int(os.environ.get("SIAGA_NUISANCE_FLAG_THRESHOLD", "3"))
SIAGA_NUISANCE_WINDOW_DAYS = int(os.environ.get("SIAGA_NUISANCE_WINDOW_DAYS", "30"))
SIAGA_NUISANCE_DEFAULT_POLICY = os.environ.get("SIAGA_NUISANCE_DEFAULT_POLICY", "warn")
SIAGA_DUPLICATE_WINDOW_MINUTES = int(os.environ.get("SIAGA_DUPLICATE_WINDOW_MINUTES", "120"))
SIAGA_DUPLICATE_RADIUS_M = int(os.environ.get("SIAGA_DUPLICATE_RADIUS_M", "1000"))

# Dispatch: acknowledgement deadline, position ingest limits, live-stream coalescing of positions.
SIAGA_DISPATCH_ACK_SECONDS = int(os.environ.get("SIAGA_DISPATCH_ACK_SECONDS", "60"))
SIAGA_DISPATCH_MAX_SPEED_KMH = float(os.environ.get("SIAGA_DISPATCH_MAX_SPEED_KMH", "250"))
SIAGA_DISPATCH_POSITION_BATCH = int(os.environ.get("SIAGA_DISPATCH_POSITION_BATCH", "500"))
SIAGA_DISPATCH_POSITION_MAX_AGE_HOURS = float(os.environ.get("SIAGA_DISPATCH_POSITION_MAX_AGE_HOURS", "168"))
SIAGA_DISPATCH_MUTUAL_AID_RADIUS_KM = float(os.environ.get("SIAGA_DISPATCH_MUTUAL_AID_RADIUS_KM", "60"))
SIAGA_SSE_COALESCE_SECONDS = float(os.environ.get("SIAGA_SSE_COALESCE_SECONDS", "1"))
SIAGA_HOSPITAL_STALE_HOURS = float(os.environ.get("SIAGA_HOSPITAL_STALE_HOURS", "6"))

# Cache: rate-limit counters and the public boards' cached answers. Several server processes must count the
# same requests, so with the Redis bus the cache is Redis too (its own database number, default the bus's + 1);
# SIAGA_CACHE_URL overrides. One process: memory.
def _cache_url() -> str:
    explicit = os.environ.get("SIAGA_CACHE_URL", "")
    if explicit or not SIAGA_BUS.startswith(("redis://", "rediss://")):
        return explicit
    base, _sep, db = SIAGA_BUS.rpartition("/")
    if base.count("/") >= 2 and db.isdigit():
        return f"{base}/{int(db) + 1}"
    return SIAGA_BUS.rstrip("/") + "/1"


SIAGA_CACHE_URL = _cache_url()
if SIAGA_CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": SIAGA_CACHE_URL,
                          "KEY_PREFIX": "siaga"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "siaga"}}
# Public endpoints without a login: requests per client address, "count/seconds".
SIAGA_PUBLIC_RATE_LIMITS = {
    "report_status": os.environ.get("SIAGA_RATE_REPORT_STATUS", "60/60"),
    "cap_feed": os.environ.get("SIAGA_RATE_CAP_FEED", "120/60"),
}

HUEY = {
    "huey_class": "huey.RedisHuey" if SIAGA_BUS.startswith("redis") else "huey.SqliteHuey",
    "name": "siaga",
    "immediate": os.environ.get("SIAGA_HUEY_IMMEDIATE", "0") == "1",
}
if SIAGA_BUS.startswith("redis"):
    HUEY["url"] = SIAGA_BUS
else:
    HUEY["filename"] = str(VAR_DIR / "huey.sqlite3")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end libraries come from npm (make installs them into node_modules/, git-ignored); no CDN.
STATICFILES_DIRS = [
    ("vendor/leaflet", NODE_MODULES_DIR / "leaflet" / "dist"),
    ("vendor/htmx", NODE_MODULES_DIR / "htmx.org" / "dist"),
    ("vendor/alpinejs", NODE_MODULES_DIR / "alpinejs" / "dist"),
    ("vendor/chartjs", NODE_MODULES_DIR / "chart.js" / "dist"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Production (SIAGA_DEBUG=0) is served over HTTPS behind a proxy: cookies only over HTTPS unless told otherwise.
SESSION_COOKIE_SECURE = os.environ.get("SIAGA_SECURE_COOKIES", "0" if DEBUG else "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    SECURE_HSTS_SECONDS = int(os.environ.get("SIAGA_HSTS_SECONDS", "31536000"))
if os.environ.get("SIAGA_PROXY_HTTPS_HEADER", "0") == "1":
    # The reverse proxy sets X-Forwarded-Proto; trust it only when the proxy is the only way in.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Nothing inline, nothing remote (tests/browser_support.py holds every browser test to the same policy).
SIAGA_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'"
)
SIAGA_CSP_RELAXED_PATHS = ("/admin/", "/api/docs")
SIAGA_CSP_RELAXED = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURE_CONTENT_TYPE_NOSNIFF = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Imports (boundaries, spreadsheets) are bounded so one upload cannot exhaust a small server.
SIAGA_MAX_IMPORT_BYTES = int(os.environ.get("SIAGA_MAX_IMPORT_BYTES", 50 * 1024 * 1024))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SIAGA_LOG_LEVEL", "WARNING")},
}
