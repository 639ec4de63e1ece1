"""Default settings; the environment (REFUND_* and the usual DATABASE_URL, REDIS_URL) overrides them."""

import os
from datetime import timedelta
from pathlib import Path

INSTANCE = Path(os.environ.get("REFUND_INSTANCE_PATH", Path(__file__).resolve().parent.parent / "instance"))


class Defaults:
    SECRET_KEY = "dev-only-secret-change-me"
    # REFUND_PRODUCTION=true: sandbox gateways, sandbox URLs and stand-in SMS refuse to start.
    PRODUCTION = False
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE / 'refund.db'}"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = "redis://127.0.0.1:6379/0"
    # Where the worker and the relay put jobs; False runs nothing (tests of pure storage).
    RQ_ENABLED = True
    # console (the development stand-in), aliyun, tencent or package.module:Class (docs/providers.md)
    SMS_BACKEND = "console"
    SMS_TEMPLATE_CODES = None  # per event: the provider's approved template code, e.g. {"submitted": "SMS_1"}
    SMS_TIMEOUT = 5  # seconds before a provider call counts as "no answer" (retried)
    SMS_SIGN_NAME = "众商卡盟"
    APP_LINK_SECRET = "dev-only-app-link-secret"
    APP_LINK_MAX_AGE = 60
    OTP_TTL_SECONDS = 600
    OTP_MAX_ATTEMPTS = 5
    OTP_SEND_LIMIT_PHONE = "1 per minute;5 per hour"
    OTP_SEND_LIMIT_IP = "20 per hour"
    # Failed staff sign-ins, per username typed and per client IP; then sign-in waits (platform choices).
    STAFF_SIGN_IN_LIMIT_USERNAME = "5 per 5 minutes;20 per hour"
    STAFF_SIGN_IN_LIMIT_IP = "20 per 5 minutes;100 per hour"
    # None: the rate limits live in REDIS_URL (shared by every web worker), in memory while Redis is down.
    RATELIMIT_STORAGE_URI = None  # portal/accounts/throttle.py (the `limits` library's storage URIs)
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    UPLOAD_FOLDER = str(INSTANCE / "uploads")
    # Where evidence and transfer proofs live: "local" (UPLOAD_FOLDER on this machine) or "s3" (a private
    # bucket of any S3-compatible service, so that several machines share it); see docs/deployment.md.
    EVIDENCE_STORAGE = "local"
    EVIDENCE_S3_BUCKET = ""
    EVIDENCE_S3_PREFIX = ""  # e.g. "refund-center/"; the areas "evidence/" and "payout-proofs/" go below it
    EVIDENCE_S3_ENDPOINT_URL = ""  # empty: AWS; e.g. https://oss-cn-shanghai.aliyuncs.com for Aliyun OSS
    EVIDENCE_S3_REGION = ""
    EVIDENCE_S3_ACCESS_KEY_ID = ""  # empty: boto3's own chain (environment, instance role …)
    EVIDENCE_S3_SECRET_ACCESS_KEY = ""
    EVIDENCE_S3_ADDRESSING_STYLE = ""  # "path" for MinIO, "virtual" for OSS; empty: boto3 decides
    EVIDENCE_S3_SSE = ""  # "AES256": the provider encrypts objects at rest
    EVIDENCE_S3_TIMEOUT = 5.0
    # Operations (docs/operations.md): /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>"
    # (empty: /metrics is off); LOG_LEVEL of the JSON log lines the web and worker processes write.
    METRICS_TOKEN = ""
    LOG_LEVEL = "INFO"
    MAX_FILE_BYTES = 10 * 1024 * 1024
    MAX_IMAGE_PIXELS = 40_000_000
    # Evidence files (platform choices): per checklist item, per request or case, per upload request.
    EVIDENCE_MAX_FILES_PER_ITEM = 10
    EVIDENCE_MAX_FILES_PER_CASE = 30
    EVIDENCE_MAX_FILES_PER_REQUEST = 10
    # One upload request carries one file plus form fields.
    MAX_CONTENT_LENGTH = 11 * 1024 * 1024
    FRAME_ANCESTORS = "'self'"
    # Behind a reverse proxy that terminates HTTPS: how many proxies set X-Forwarded-* (0: none).
    PROXY_FIX_HOPS = 0
    DEV_PAGES = False
    PERMANENT_SESSION_LIFETIME = timedelta(days=7)
    # Sign-ins run out (platform choices): after this long without a request, and this long after sign-in.
    SESSION_IDLE_SECONDS = 2 * 3600
    SESSION_ABSOLUTE_SECONDS = 24 * 3600
    HSTS_SECONDS = 365 * 24 * 3600  # sent when the session cookie is Secure (the site is HTTPS-only)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None
    ORDERS_PER_PAGE = 10
    PASSWORD_HASH_METHOD = "scrypt"
    # Flask-Compress: HTML and fragments compressed (brotli, else gzip); static files come precompressed.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 5
    COMPRESS_LEVEL = 6
    # Flask-Compress answers no 304s: a page with Last-Modified (退款进度) would come back from the browser's
    # copy, bridge events and all; the views decide what may be answered "not modified".
    COMPRESS_EVALUATE_CONDITIONAL_REQUEST = False
    # Customer pages kept as rendered until the customer's data or the site's changes (portal/pagecache.py):
    # at most this many seconds (a platform choice; 0: off), within this many bytes per web process.
    PAGE_CACHE_SECONDS = 60
    PAGE_CACHE_BYTES = 8 * 1024 * 1024
    PROGRESS_POLL_SECONDS = 8  # how often an open 退款进度 page asks for news (htmx)
    # Payouts (portal/payouts): the SANDBOX gateway by default; see the README for real providers.
    PAYMENT_GATEWAY_URL = "http://127.0.0.1:5055"
    PAYMENT_GATEWAY_SECRET = ""  # empty: the sandbox's development key
    PAYMENT_GATEWAY_MERCHANT_ID = ""
    PAYMENT_GATEWAY_TIMEOUT = 5.0
    PAYMENT_GATEWAY_ROUTES = None  # per route, e.g. {"alipay": {"url": ..., "secret": ...}}
    PAYMENT_GATEWAY_ADAPTERS = None  # per route, e.g. {"alipay": "package.module:AdapterClass"}
    PAYOUT_NOTIFY_BASE_URL = "http://127.0.0.1:5000"  # where providers POST their result notifications
    PAYOUT_MAX_FAILURES = 3  # then the payout goes to staff as manual
    PAYOUT_RETRY_DELAYS = (60, 300, 1800, 3600)  # seconds before each retry
    PAYOUT_QUERY_AFTER = 60  # seconds before a submitted payout is asked about
    PAYOUT_LEASE_SECONDS = 120  # a worker's claim on a payout
    # Inside the APP (portal/embed): push webhook, parent-frame origins, CSRF without a Referer.
    APP_PUSH_URL = ""  # empty: no push is queued
    APP_PUSH_SECRET = "dev-only-app-push-secret"
    APP_PUSH_TIMEOUT = 5
    EMBED_PARENT_ORIGINS = ""  # space-separated origins the bridge may postMessage to
    # The session-bound token is the check; webviews may send no Referer (portal/embed/origin.py
    # still refuses a foreign Origin or Referer when one is sent).
    WTF_CSRF_SSL_STRICT = False


# Production (PRODUCTION, set by create_app from is_production): REFUND_PRODUCTION=true, or any start that is
# neither a development machine (DEV_PAGES on, as scripts/run sets) nor a test run. It refuses these
# development values (they are public, in this repository), besides the stand-ins the SMS and payment
# settings refuse themselves.
DEVELOPMENT_VALUES = {
    "SECRET_KEY": Defaults.SECRET_KEY,
    "APP_LINK_SECRET": Defaults.APP_LINK_SECRET,
    "APP_PUSH_SECRET": Defaults.APP_PUSH_SECRET,
}
# Platform choice: a secret shorter than this is refused in production (`secrets.token_urlsafe(32)` gives 43).
MIN_SECRET_LENGTH = 32


class UnsafeSettings(RuntimeError):
    """A production start with a development secret; the message names each setting."""


def is_production(config) -> bool:
    """Production when said so, or unless the development pages are on or this is a test run."""
    return bool(config.get("PRODUCTION")) or not (config.get("DEV_PAGES") or config.get("TESTING"))


def production_problems(config) -> list[str]:
    """What a production start must not run with, one line per setting (never the values)."""
    problems = []
    for key, development in DEVELOPMENT_VALUES.items():
        if key == "APP_PUSH_SECRET" and not config.get("APP_PUSH_URL"):
            continue  # no push is sent, so nothing is signed with it
        value = config.get(key)
        if not isinstance(value, str) or not value or value == development:
            problems.append(f"REFUND_{key} is not set (the development value is public)")
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(f"REFUND_{key} is shorter than {MIN_SECRET_LENGTH} characters")
    return problems


# Settings always taken from the environment as written (secrets, identifiers, origin lists).
RAW_STRING_SETTINGS = (
    "SECRET_KEY",
    "APP_LINK_SECRET",
    "APP_PUSH_SECRET",
    "APP_PUSH_URL",
    "PAYMENT_GATEWAY_SECRET",
    "PAYMENT_GATEWAY_MERCHANT_ID",
    "PAYMENT_GATEWAY_URL",
    "PAYOUT_NOTIFY_BASE_URL",
    "EMBED_PARENT_ORIGINS",
    "SMS_SIGN_NAME",
    "EVIDENCE_S3_BUCKET",
    "EVIDENCE_S3_PREFIX",
    "EVIDENCE_S3_ENDPOINT_URL",
    "EVIDENCE_S3_REGION",
    "EVIDENCE_S3_ACCESS_KEY_ID",
    "EVIDENCE_S3_SECRET_ACCESS_KEY",
    "METRICS_TOKEN",
    "ALIYUN_SMS_ACCESS_KEY_ID",
    "ALIYUN_SMS_ACCESS_KEY_SECRET",
    "TENCENT_SMS_SECRET_ID",
    "TENCENT_SMS_SECRET_KEY",
    "TENCENT_SMS_SDK_APP_ID",
)


def from_environment(app) -> None:
    """Apply the conventional DATABASE_URL and REDIS_URL, then every REFUND_* variable."""
    if url := os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if url := os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = url
    app.config.from_prefixed_env("REFUND")
    for key in RAW_STRING_SETTINGS:
        # from_prefixed_env parses JSON: an all-digit secret would become a number.
        if (raw := os.environ.get(f"REFUND_{key}")) is not None:
            app.config[key] = raw


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for postgres URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
