"""Django settings for anbang, read from ANBANG_* environment variables (see docs/operations.md)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

from backend.env import (
    EnvError,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data"))).resolve()
# The data folder holds the database and, in the embedded default, the keys: private to the service user.
# Every process loads these settings, so every file the product writes (the database with its WAL and
# shared memory, backups, the audit heads) is created 0600; an older install's folder and database, made
# under a looser umask, are tightened here (tests/core/test_data_file_modes.py).
os.umask(0o077)


def _make_private(path: Path, mode: int) -> None:
    try:
        info = path.stat()
        if info.st_mode & 0o077 and info.st_uid == os.geteuid():
            path.chmod(mode)
    except OSError:
        pass  # absent, or not ours: the operator's choice stands


DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
_make_private(DATA_DIR, 0o700)
SECRETS_DIR = Path(env_str("SECRETS_DIR", str(DATA_DIR / "secrets"))).resolve()

DEBUG = env_bool("DEBUG", False)

_secret_key = env_secret("SECRET_KEY", secrets_dir=SECRETS_DIR)
if _secret_key is None:
    raise EnvError(
        "缺少 ANBANG_SECRET_KEY（或 ANBANG_SECRET_KEY_FILE）。演示环境可运行 `make keys` 生成全部密钥。"
    )
if len(_secret_key) < 32:
    raise EnvError("ANBANG_SECRET_KEY 至少 32 个字符")
SECRET_KEY = _secret_key

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
PUBLIC_URL = env_str("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
HTTP_BIND = env_str("HTTP_BIND", "127.0.0.1")
HTTP_PORT = env_int("HTTP_PORT", 8000, minimum=1, maximum=65535)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "backend.core",
    "backend.people",
    "backend.monitoring",
    "backend.supervision",
    "backend.reports",
    "backend.console",
    "notifications",
]

MIDDLEWARE = [
    "backend.core.middleware.RequestIdMiddleware",
    "backend.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "backend.core.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "backend.core.middleware.IdleSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

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

# --- Database -------------------------------------------------------------------------------------
SQLITE_BUSY_TIMEOUT_S = env_int("SQLITE_BUSY_TIMEOUT_S", 20, minimum=1, maximum=600)
# Page cache per connection.  SQLite's default (2 MB) is outgrown by the positions indexes within the first
# million rows, after which every insert reads index pages from the OS; 64 MB keeps them in memory.
SQLITE_CACHE_MB = env_int("SQLITE_CACHE_MB", 64, minimum=2, maximum=4096)
SQLITE_OPTIONS = {
    # WAL lets readers go on while the gateway writes; FULL because fixes are acknowledged to devices
    # only after commit and must survive a power cut; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on the busy timeout instead of failing mid-transaction with "database is locked".
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
        f"PRAGMA cache_size=-{SQLITE_CACHE_MB * 1024};"
    ),
    "transaction_mode": "IMMEDIATE",
    "timeout": SQLITE_BUSY_TIMEOUT_S,
}
_database_url = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{DATA_DIR / 'anbang.sqlite3'}"
DATABASES = {
    "default": database_from_url(
        _database_url,
        sqlite_options=SQLITE_OPTIONS,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    for _suffix in ("", "-wal", "-shm", "-journal"):
        _make_private(Path(f"{DATABASES['default']['NAME']}{_suffix}"), 0o600)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- GPS gateway ----------------------------------------------------------------------------------
# The cyclic collector's young-generation threshold in gateway workers (gps_gateway/runner.py).
GATEWAY_GC_THRESHOLD = env_int("GATEWAY_GC_THRESHOLD", 50_000, minimum=700, maximum=10_000_000)
# A new connection must name and prove its device (JT/T 808 authentication, a GT06 login, a provisioned
# H02/Watch id, an OsmAnd request for a known device) within this many seconds, or it is closed
# (gps_gateway/tracker_protocol.py, http_osmand.py; issue #23: idle connections filled the file table).
GATEWAY_IDENTIFY_SECONDS = env_int("GATEWAY_IDENTIFY_SECONDS", 30, minimum=1, maximum=3600)
# Open connections one source address may hold in each gateway worker; 0 for no cap.  Generous because
# carriers put many devices behind one NAT address (an IoT SIM fleet on one APN may share a handful).
GATEWAY_MAX_CONNECTIONS_PER_IP = env_int("GATEWAY_MAX_CONNECTIONS_PER_IP", 1000, minimum=0)
# What a phone or terminal is told to connect to (the console's QR codes when a device is registered): the
# gateway's public host name (default: PUBLIC_URL's host) and its OsmAnd and JT/T 808 ports, read from the
# same variables as ``manage.py rungateway`` (docs/protocols.md).
GATEWAY_PUBLIC_HOST = env_str("GATEWAY_PUBLIC_HOST", urlsplit(PUBLIC_URL).hostname or "127.0.0.1")
OSMAND_PORT = env_int("OSMAND_PORT", 5055, minimum=1, maximum=65535)
JT808_PORT = env_int("JT808_PORT", 5015, minimum=1, maximum=65535)

# --- Accounts and sessions ------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["backend.core.auth_backend.StaffBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = env_int("SESSION_MAX_HOURS", 12, minimum=1) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("COOKIE_SECURE", PUBLIC_URL.startswith("https://"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90, minimum=1)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 366, minimum=1)
if API_TOKEN_DEFAULT_DAYS > API_TOKEN_MAX_DAYS:
    raise EnvError("ANBANG_API_TOKEN_DEFAULT_DAYS 不能大于 ANBANG_API_TOKEN_MAX_DAYS")

# --- Requests -------------------------------------------------------------------------------------
MAX_BODY_BYTES = env_int("MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
# Dates, times and years the API and the reports accept (backend/core/bounds.py): a year far outside
# overflowed the calendar arithmetic and the database drivers (issue #23).
EARLIEST_YEAR = env_int("EARLIEST_YEAR", 1900, minimum=1000, maximum=2000)
LATEST_YEAR = env_int("LATEST_YEAR", 2100, minimum=2030, maximum=9000)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES

# --- Spreadsheet import and list export (the console's 导入/导出, docs/console.md) -------------------
# The one upload allowed above MAX_BODY_BYTES; held in memory only, never in a temporary file.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 8 * 1024 * 1024, minimum=1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20_000, minimum=1)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 60, minimum=30)
# An XLSX is a zip: refused unread when it would unpack to more than this (a "zip bomb").
IMPORT_MAX_UNZIPPED_BYTES = env_int("IMPORT_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024, minimum=1024 * 1024)
# A checked upload not imported within this many hours is deleted (its rows are kept encrypted till then).
IMPORT_KEEP_HOURS = env_int("IMPORT_KEEP_HOURS", 24, minimum=1)
IMPORT_IN_BACKGROUND = env_bool("IMPORT_IN_BACKGROUND", True)
LARGE_UPLOAD_PATHS = ("/console/import/upload",)  # BodySizeLimitMiddleware leaves these to the view
EXPORT_MAX_ROWS = env_int("EXPORT_MAX_ROWS", 10_000, minimum=1)
# An import's progress (counts only) is read by the page from any web worker while the import holds the
# database's write lock, so it lives outside the database: in small files under the data folder.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "progress": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "progress"),
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- Keys (the values are read and checked by backend.core.crypto.keys on first use) ---------------
# ANBANG_MASTER_KEY wraps the data keys; ANBANG_BLIND_INDEX_KEY and ANBANG_AUDIT_KEY are separate so
# that a leaked blind-index key does not open the ciphertext, and the audit key lives outside the DB.
KEY_SOURCES = {
    "master": env_secret("MASTER_KEY", secrets_dir=SECRETS_DIR),
    "blind_index": env_secret("BLIND_INDEX_KEY", secrets_dir=SECRETS_DIR),
    "audit": env_secret("AUDIT_KEY", secrets_dir=SECRETS_DIR),
}
KEY_CACHE_SECONDS = env_int("KEY_CACHE_SECONDS", 60, minimum=0)
# The nightly job appends the audit chain head here; verify_audit compares the chain with its last line.
AUDIT_HEADS_FILE = Path(env_str("AUDIT_HEADS_FILE", str(DATA_DIR / "audit-heads.log"))).resolve()

# --- Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True

# --- Notifications (docs/notifications.md) --------------------------------------------------------
# E-mail goes through Django's SMTP backend; with no ANBANG_EMAIL_HOST the e-mail channel is off.  Named
# apart from EMAIL_BACKEND, which Django's test runner swaps for an in-memory one: ours always speaks SMTP.
EMAIL_BACKEND = NOTIFY_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_PASSWORD", secrets_dir=SECRETS_DIR) or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_S", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "anbang@localhost")
# SMS: "json" (a generic HTTP JSON gateway) or "aliyun" (Alibaba Cloud SendSms); empty = SMS off.
SMS_PROVIDER = env_str("SMS_PROVIDER", "")
if SMS_PROVIDER not in {"", "json", "aliyun"}:
    raise EnvError("ANBANG_SMS_PROVIDER 只能是 json 或 aliyun（留空则不发短信）")
SMS_URL = env_str("SMS_URL", "https://dysmsapi.aliyuncs.com/" if SMS_PROVIDER == "aliyun" else "")
if SMS_PROVIDER and not SMS_URL:
    raise EnvError("ANBANG_SMS_PROVIDER=json 需要 ANBANG_SMS_URL（短信网关地址）")
SMS_TOKEN = env_secret("SMS_TOKEN", secrets_dir=SECRETS_DIR) or ""
SMS_ACCESS_KEY_ID = env_str("SMS_ACCESS_KEY_ID", "")
SMS_ACCESS_KEY_SECRET = env_secret("SMS_ACCESS_KEY_SECRET", secrets_dir=SECRETS_DIR) or ""
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "")
SMS_TEMPLATE_CODE = env_str("SMS_TEMPLATE_CODE", "")
SMS_REGION = env_str("SMS_REGION", "cn-hangzhou")
# Replies (上行短信): the JSON gateway posts what recipients text back to /api/v1/notifications/sms/inbound
# with this bearer token; an SMS then carries a reply code.  Aliyun delivers replies only through its
# message queue (MNS), which is not wired up: leave this off with SMS_PROVIDER=aliyun.
SMS_INBOUND_TOKEN = env_secret("SMS_INBOUND_TOKEN", secrets_dir=SECRETS_DIR) or ""
SMS_REPLIES = SMS_PROVIDER == "json" and bool(SMS_INBOUND_TOKEN)
if SMS_PROVIDER == "aliyun" and not (
    SMS_ACCESS_KEY_ID and SMS_ACCESS_KEY_SECRET and SMS_SIGN_NAME and SMS_TEMPLATE_CODE
):
    raise EnvError(
        "ANBANG_SMS_PROVIDER=aliyun 需要 ANBANG_SMS_ACCESS_KEY_ID、ANBANG_SMS_ACCESS_KEY_SECRET、"
        "ANBANG_SMS_SIGN_NAME 与 ANBANG_SMS_TEMPLATE_CODE"
    )
# Retries: exponential backoff with full jitter from BASE up to MAX, at most MAX_ATTEMPTS tries in all.
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 8, minimum=1, maximum=50)
NOTIFY_RETRY_BASE_MS = env_int("NOTIFY_RETRY_BASE_MS", 10_000, minimum=1)
NOTIFY_RETRY_MAX_MS = env_int("NOTIFY_RETRY_MAX_MS", 30 * 60_000, minimum=1)
# A sender that dies mid-send holds its deliveries this long; then another sender retries them.
NOTIFY_LEASE_S = env_int("NOTIFY_LEASE_S", 60, minimum=1)
NOTIFY_HTTP_TIMEOUT_S = env_int("NOTIFY_HTTP_TIMEOUT_S", 10, minimum=1)
NOTIFY_POLL_MS = env_int("NOTIFY_POLL_MS", 500, minimum=10)
NOTIFY_THREADS = env_int("NOTIFY_THREADS", 16, minimum=1, maximum=64)
NOTIFY_BATCH = env_int("NOTIFY_BATCH", 50, minimum=1, maximum=1000)
_SEVERITIES = ("low", "medium", "high", "critical")
NOTIFY_MIN_SEVERITY = {
    channel: env_str(f"NOTIFY_{channel.upper()}_MIN_SEVERITY", default)
    for channel, default in (("sms", "high"), ("email", "medium"), ("webhook", "medium"))
}
for _channel, _value in NOTIFY_MIN_SEVERITY.items():
    if _value not in _SEVERITIES:
        raise EnvError(f"ANBANG_NOTIFY_{_channel.upper()}_MIN_SEVERITY 只能是 {'、'.join(_SEVERITIES)}")
# Low alerts reach e-mail once a day, in a digest sent at this hour (Asia/Shanghai) for the day before.
NOTIFY_DIGEST_HOUR = env_int("NOTIFY_DIGEST_HOUR", 8, minimum=0, maximum=23)
ACK_LINK_HOURS = env_int("ACK_LINK_HOURS", 24, minimum=1)
# Webhook receivers refuse a signature older than this (replays); we document the same window.
WEBHOOK_TOLERANCE_S = env_int("WEBHOOK_TOLERANCE_S", 300, minimum=10)
# Webhooks go to public addresses only (SSRF): loopback, private, link-local, multicast and other non-global
# addresses are refused unless listed here as CIDRs, e.g. "10.20.0.0/16,192.168.5.7/32" for an in-house
# duty-room system (notifications/channels/webhook/targets.py).
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", [])
for _network in WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise EnvError(
            f"ANBANG_WEBHOOK_ALLOWED_NETWORKS 中的 {_network!r} 不是合法的网段（形如 10.20.0.0/16 或 fd00::/8）"
        ) from None

# --- Console and printed files (docs/console.md, docs/reports.md) ----------------------------------
# No tile URL: zones and tracks on a plain background, which works offline.  "gcj02" for AMap/Tencent
# tiles: coordinates are shifted for display only.
CONSOLE_TILE_URL = env_str("CONSOLE_TILE_URL", "").strip()
CONSOLE_TILE_CRS = env_str("CONSOLE_TILE_CRS", "wgs84").strip().lower()
if CONSOLE_TILE_CRS not in {"wgs84", "gcj02"}:
    raise EnvError("ANBANG_CONSOLE_TILE_CRS 只能是 wgs84 或 gcj02")
CONSOLE_TILE_ATTRIBUTION = env_str("CONSOLE_TILE_ATTRIBUTION", "")
CONSOLE_REFRESH_SECONDS = env_int("CONSOLE_REFRESH_S", 30, minimum=1, maximum=3600)
# A CJK TrueType font to embed in PDFs; empty = the Debian paths (fonts-wqy-microhei), then STSong-Light.
REPORT_FONT = env_str("REPORT_FONT", "")

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
    raise EnvError("ANBANG_LOG_LEVEL 只能是 DEBUG、INFO、WARNING 或 ERROR")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # SafeFormatter: one line per record (control bytes escaped), the request id inside a request.
    "formatters": {
        "plain": {
            "()": "backend.core.logs.SafeFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_tag)s%(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Supervision (`manage.py up` over its processes, the gateway over its workers): a process that dies is
# started again after BASE·2^(n−1) ms, at most MAX, n counting deaths in a row; one that ran STABLE_S
# seconds starts the count afresh.
RESTART_BASE_MS = env_int("RESTART_BASE_MS", 1000, minimum=1)
RESTART_MAX_MS = env_int("RESTART_MAX_MS", 60_000, minimum=1)
RESTART_STABLE_S = env_int("RESTART_STABLE_S", 60, minimum=1)
