"""Configuration for development, testing and production, read from the environment."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask.helpers import get_debug_flag

INSTANCE_DIR = Path(os.environ.get("QUEST_INSTANCE_DIR", Path(__file__).parent.parent / "instance"))

# Values that must never sign anything in production.
INSECURE_SECRETS = frozenset({"", "dev", "secret", "changeme", "change-me", "password"})
SECRET_SETTINGS = ("SECRET_KEY", "SECURITY_PASSWORD_SALT")
# Seconds to wait for Redis to accept a connection (and, but for a grader's blocking wait, to
# answer): a Redis that does not answer makes a page or a check say so instead of hanging.
REDIS_TIMEOUT_SECONDS = 2


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration is unsafe or incomplete."""


def database_url(url: str | None, default: str) -> str:
    """Return a SQLAlchemy URL, choosing psycopg 3 for any PostgreSQL URL."""
    url = url or default
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def development_secret(name: str) -> str:
    """Return a random secret kept in the instance folder, so sessions survive restarts."""
    path = INSTANCE_DIR / f".{name.lower()}"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def origins(listed: str) -> list[str]:
    """The origins in a comma-separated list, without blanks or trailing slashes."""
    return [origin.strip().rstrip("/") for origin in listed.split(",") if origin.strip()]


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    SECURITY_PASSWORD_SALT: str | None = None

    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{INSTANCE_DIR / 'quest_platform.db'}"
    )
    # hide_parameters keeps values (such as uniquifiers) out of logged SQL errors.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"hide_parameters": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    # Socket.IO's message queue, shared by web processes and graders (live.py): Redis if any.
    LIVE_MESSAGE_QUEUE = REDIS_URL
    # The queue's Redis channel: Redis's channels ignore database numbers, so two platforms
    # (or test runs) sharing one Redis need channels of their own.
    LIVE_CHANNEL = os.environ.get("LIVE_CHANNEL", "flask-socketio")
    # Background jobs (grading code) run in the caller at once: for tests only (jobs.py).
    JOBS_INLINE = False

    # Room for one checkpoint screenshot (services/evidence.py keeps up to 4 MB) and its form.
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024

    # Server-side sessions: logging out deletes the session, so a copied cookie is useless.
    SESSION_PERMANENT = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # A session lasts a school day from when it last changed (sign-in, a form, a language pick):
    # not rewriting the session store on every page read saves a write per request.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_NAME = "quest_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_KEY_PREFIX = "quest:session:"
    SESSION_DIR = INSTANCE_DIR / "sessions"
    # Checkpoint screenshots: outside the static folder, served only to the student and teachers.
    UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", INSTANCE_DIR / "uploads"))

    WTF_CSRF_TIME_LIMIT = 8 * 3600

    RATELIMIT_HEADERS_ENABLED = True
    # A moving window counts the tries of the last minute (or hour) whenever they fell: no
    # burst of twice the budget across the turn of a fixed window.
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_KEY_PREFIX = "quest"
    # When Redis does not answer, limits are counted in each process's memory until it does.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Sign-in tries, over every path that checks a password (quest_platform/throttles.py): per
    # address, and per account whatever the address; then joining a class, per address.
    # Failed sign-in tries per address (a school's classes share one); tries per account.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "30 per minute; 200 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get(
        "LOGIN_ACCOUNT_RATE_LIMIT", "10 per minute; 50 per hour"
    )
    JOIN_RATE_LIMIT = os.environ.get("JOIN_RATE_LIMIT", "30 per minute; 300 per hour")

    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "es")
    # Numbers and dates of a language are written as its readers here expect: Spanish as in the
    # Americas (12,345.5 and 2:05 p.m.), not as in Spain; the words still come from "es".
    FORMAT_LOCALES = {"es": "es_419"}
    # The clock of people whose browser does not say theirs (an IANA name: America/Chicago).
    SCHOOL_TIME_ZONE = os.environ.get("SCHOOL_TIME_ZONE", "UTC")

    SECURITY_PASSWORD_HASH = "argon2"
    SECURITY_PASSWORD_LENGTH_MIN = 10
    SECURITY_PASSWORD_COMPLEXITY_CHECKER = "zxcvbn"
    SECURITY_ZXCVBN_MINIMUM_SCORE = 2
    SECURITY_REGISTERABLE = False
    SECURITY_CHANGEABLE = True
    SECURITY_RECOVERABLE = False
    SECURITY_CONFIRMABLE = False
    SECURITY_TRACKABLE = True
    SECURITY_SEND_PASSWORD_CHANGE_EMAIL = False
    SECURITY_RETURN_GENERIC_RESPONSES = True
    SECURITY_LOGOUT_METHODS = ["POST"]
    SECURITY_DEFAULT_REMEMBER_ME = False
    SECURITY_POST_LOGIN_VIEW = "pages.start"
    SECURITY_POST_LOGOUT_VIEW = "pages.home"
    SECURITY_POST_CHANGE_VIEW = "accounts.profile"
    # Accounts are created through the platform services, not Flask-Security's CLI.
    SECURITY_CLI_USERS_NAME = False
    SECURITY_CLI_ROLES_NAME = False
    SECURITY_USER_IDENTITY_ATTRIBUTES = [
        {"email": {"mapper": "flask_security.uia_email_mapper", "case_insensitive": True}},
    ]

    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    DEMO_LOGINS_FILE = INSTANCE_DIR / "demo-logins.txt"

    # Logs: "json" (one JSON object a line on stderr) or "text" (docs/observability.md).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    # /metrics: a token that opens it from anywhere, and the addresses that may read it without
    # one (docs/observability.md). prometheus_client reads PROMETHEUS_MULTIPROC_DIR itself.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    METRICS_ALLOWED_IPS = os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1")

    # Proxies in front of the platform that set X-Forwarded-For and X-Forwarded-Proto (nginx
    # alone: 1; a load balancer and nginx: 2). 0 ignores the headers, which a client could forge.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0") or 0)

    # Pages of other origins allowed to call the API with credentials, exactly as browsers
    # name them (scheme, host and port): for example https://my-org.github.io.
    API_ALLOWED_ORIGINS = origins(os.environ.get("API_ALLOWED_ORIGINS", ""))
    # Send the session cookie on calls from other sites too (SameSite=None; Secure): needed when
    # the allowed origins are other sites (github.io), not only other ports of this host.
    API_CROSS_SITE_COOKIES = os.environ.get("API_CROSS_SITE_COOKIES", "") == "1"

    # The platform's address as its students reach it (https://quest.example.org), for links
    # in messages sent outside a request, such as Slack announcements (docs/slack.md).
    EXTERNAL_URL = os.environ.get("EXTERNAL_URL", "").rstrip("/") or None
    # Slack announcements (services/slack.py): the origins a classroom's incoming-webhook URL
    # may point at, how long a send may take (to connect, then to read), and the seconds
    # between tries of a failed send (a post is tried once more than there are delays).
    SLACK_WEBHOOK_ORIGINS = origins(
        os.environ.get("SLACK_WEBHOOK_ORIGINS", "https://hooks.slack.com")
    )
    SLACK_TIMEOUT_SECONDS = 5.0
    SLACK_RETRY_DELAYS: tuple[float, ...] = (30, 120, 600)

    @classmethod
    def prepare(cls, settings: dict[str, Any]) -> None:
        """Check and complete the loaded settings before the app starts."""
        allow_cross_site_cookies(settings)
        check_school_time_zone(settings)


def allow_cross_site_cookies(settings: dict[str, Any]) -> None:
    """With API_CROSS_SITE_COOKIES, send the session cookie cross-site (it must then be Secure)."""
    if settings.get("API_CROSS_SITE_COOKIES"):
        settings["SESSION_COOKIE_SAMESITE"] = "None"
        settings["SESSION_COOKIE_SECURE"] = True


def check_school_time_zone(settings: dict[str, Any]) -> None:
    """Refuse an unknown SCHOOL_TIME_ZONE; it is Flask-Babel's default zone too."""
    zone = settings.get("SCHOOL_TIME_ZONE") or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"SCHOOL_TIME_ZONE={zone!r} is not a time zone; use an IANA name such as "
            "America/Chicago or Europe/Madrid."
        ) from None
    settings["SCHOOL_TIME_ZONE"] = zone
    settings["BABEL_DEFAULT_TIMEZONE"] = zone


class DevelopmentConfig(Config):
    """Local development: random secrets kept in the instance folder if none are set."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SECURITY_PASSWORD_SALT = os.environ.get("SECURITY_PASSWORD_SALT")

    @classmethod
    def prepare(cls, settings: dict[str, Any]) -> None:
        """Fill unset secrets with random ones kept in the instance folder."""
        super().prepare(settings)
        for name in SECRET_SETTINGS:
            settings[name] = settings.get(name) or development_secret(name)


class TestingConfig(Config):
    """The test suite: a database and Redis named by TEST_DATABASE_URL and TEST_REDIS_URL."""

    ENV_NAME = "testing"
    TESTING = True
    LOG_FORMAT = "text"
    SECRET_KEY = secrets.token_urlsafe(32)
    SECURITY_PASSWORD_SALT = secrets.token_urlsafe(16)
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL"), "sqlite://")
    REDIS_URL = os.environ.get("TEST_REDIS_URL")
    # Flask-SocketIO's test client takes no message queue; tests/quest_platform/test_live.py
    # proves the queue in a process of its own.
    LIVE_MESSAGE_QUEUE = None
    JOBS_INLINE = True
    # Failed Slack sends are tried again at once: the tests' own Slack answers in milliseconds.
    SLACK_RETRY_DELAYS = (0, 0)
    # The course front end's development server.
    API_ALLOWED_ORIGINS = ["http://localhost:4000"]
    # Argon2 at full cost makes a suite of hundreds of logins slow; the algorithm is the same.
    SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS = {"argon2__rounds": 1, "argon2__memory_cost": 1024}


class ProductionConfig(Config):
    """Production: every secret from the environment, secure cookies, never debug mode."""

    ENV_NAME = "production"
    # Flask would otherwise take DEBUG from FLASK_DEBUG.
    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SECURITY_PASSWORD_SALT = os.environ.get("SECURITY_PASSWORD_SALT")
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")

    @classmethod
    def prepare(cls, settings: dict[str, Any]) -> None:
        """Refuse to start in debug mode, or with a missing, default or short secret."""
        super().prepare(settings)
        # `flask run` turns on the interactive debugger from FLASK_DEBUG whatever DEBUG says.
        if settings.get("DEBUG") or get_debug_flag():
            raise ConfigurationError(
                "Production never runs in debug mode: unset FLASK_DEBUG and do not pass --debug."
            )
        problems = []
        for name in SECRET_SETTINGS:
            value = settings.get(name) or ""
            if value.lower() in INSECURE_SECRETS or len(value) < 32:
                problems.append(name)
        if problems:
            names = " and ".join(problems)
            raise ConfigurationError(
                f"Production needs {names} set in the environment to a random value of at "
                f"least 32 characters, for example: export {problems[0]}="
                f"\"$(python -c 'import secrets; print(secrets.token_urlsafe(48))')\""
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    """Return the configuration named by ``name`` or by QUEST_ENV (development by default)."""
    name = name or os.environ.get("QUEST_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        choices = ", ".join(CONFIGS)
        raise ConfigurationError(
            f"QUEST_ENV={name!r} is unknown; choose one of {choices}"
        ) from None
