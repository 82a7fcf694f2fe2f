"""Settings come from environment variables only (see README, "Configuration")."""
from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tenants.core import embedded

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]   # the checkout: templates/, translations/, migrations/
# Development state (secret key, embedded PostgreSQL): COMMUNA_INSTANCE moves it, e.g. for a test.
INSTANCE = Path(os.environ.get("COMMUNA_INSTANCE") or ROOT / "instance").resolve()


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_db_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the environment gives."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    # Development default: a random key kept in instance/ so sessions survive restarts.
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        log.warning("SECRET_KEY not set: generated a development key in %s", path)
    return path.read_text().strip()


class ConfigError(RuntimeError):
    """Settings a process must not start with; the message says what to set."""


def _whole(env: dict, name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number (0 or more), not {raw!r}")
    return int(raw)


@dataclass
class Settings:
    database_url: str
    migrations_database_url: str
    redis_url: str | None
    secret_key: str
    # System work (sign-in look-ups, the scheduler, cross-tenant maintenance) connects as its own role; default:
    # the schema owner's URL.
    system_database_url: str | None = None
    public_url: str | None = None
    mail_server: str | None = None
    mail_port: int = 587
    mail_username: str | None = None
    mail_password: str | None = None
    mail_use_tls: bool = True
    mail_use_ssl: bool = False
    mail_from: str = "Communa <no-reply@communa.test>"
    login_limit_account: str = "5 per 15 minutes"
    login_limit_ip: str = "30 per 15 minutes"
    session_cookie_secure: bool = False
    api_rate_limit: str = "600 per minute"
    # Production is any deployment on a PostgreSQL of its own (DATABASE_URL); only the embedded PostgreSQL of
    # `make run` is development. Production refuses to start without PUBLIC_URL (check()).
    production: bool = False
    trusted_proxies: int = 0           # proxies in front of the app whose X-Forwarded-For/-Proto are believed
    outbox_retention_days: int = 30    # sent mails are kept (without their links) this long, then deleted
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.system_database_url:
            self.system_database_url = self.migrations_database_url

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        if env.get("BEHIND_PROXY"):     # a yes/no cannot say which X-Forwarded-For value to believe
            raise ConfigError("BEHIND_PROXY is not a setting: set TRUSTED_PROXIES to the number of proxies in "
                              "front of the app (e.g. TRUSTED_PROXIES=1)")
        db_url = overrides.get("database_url") or env.get("DATABASE_URL")
        if db_url:
            db_url = normalise_db_url(db_url)
            migrations_url = normalise_db_url(env.get("MIGRATIONS_DATABASE_URL") or db_url)
            system_url = normalise_db_url(env.get("SYSTEM_DATABASE_URL") or migrations_url)
            production = True
        else:
            # The embedded PostgreSQL under INSTANCE/postgres; it starts when the process first connects.
            db_url, migrations_url, system_url = embedded.urls(INSTANCE)
            production = False
        values = dict(
            database_url=db_url,
            migrations_database_url=migrations_url,
            system_database_url=system_url,
            redis_url=env.get("REDIS_URL") or None,
            secret_key=_secret_key(),
            public_url=env.get("PUBLIC_URL") or None,
            mail_server=env.get("MAIL_SERVER") or None,
            mail_port=int(env.get("MAIL_PORT") or 587),
            mail_username=env.get("MAIL_USERNAME") or None,
            mail_password=env.get("MAIL_PASSWORD") or None,
            mail_use_tls=_bool(env.get("MAIL_USE_TLS"), True),
            mail_use_ssl=_bool(env.get("MAIL_USE_SSL"), False),
            mail_from=env.get("MAIL_FROM") or "Communa <no-reply@communa.test>",
            login_limit_account=env.get("LOGIN_LIMIT_PER_ACCOUNT") or "5 per 15 minutes",
            login_limit_ip=env.get("LOGIN_LIMIT_PER_IP") or "30 per 15 minutes",
            session_cookie_secure=_bool(env.get("SESSION_COOKIE_SECURE"), False),
            api_rate_limit=env.get("API_RATE_LIMIT") or "600 per minute",
            production=production,
            trusted_proxies=_whole(env, "TRUSTED_PROXIES", 0),
            outbox_retention_days=_whole(env, "OUTBOX_RETENTION_DAYS", 30),
        )
        values.update(overrides)
        return cls(**values)

    def check(self) -> None:
        """Raise ConfigError for settings no process may start with: every link in a mail is built from
        PUBLIC_URL, so production has one, and it is an absolute http(s) URL."""
        if self.production and not self.public_url:
            raise ConfigError("PUBLIC_URL is not set: in production (DATABASE_URL set) every link in a mail is "
                              "built from it. Set it to the site's address, e.g. PUBLIC_URL=https://app.example.com")
        if self.public_url:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
                raise ConfigError(f"PUBLIC_URL must be an absolute http(s) address such as https://app.example.com, "
                                  f"not {self.public_url!r}")


_settings: Settings | None = None


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings
