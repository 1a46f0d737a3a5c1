"""Configuration from environment variables (``COURSE_SERVICE_*``); see docs/service.md."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

PREFIX = "COURSE_SERVICE_"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(PREFIX + name)
    return default if value is None or value == "" else value


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    queue_url: str  # "sqlite" (embedded, <data_dir>/queue.db), "sqlite:///path" or "redis://host:port/db"
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    quota_per_day: int = 3
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 10.0
    mail_from: str = "katakana-capstone@localhost"
    mail_max_attempts: int = 8
    mail_retry_seconds: float = 30.0  # first retry; doubles each time
    lease_seconds: float = 120.0  # a running job whose lease is older is taken up again
    requeue_seconds: float = 60.0  # a queued job missing from the queue this long is enqueued again
    max_attempts: int = 3  # scoring attempts of one job (lost workers, scorer errors) before it fails
    maintenance_seconds: float = 5.0  # how often a worker looks for lost jobs and due mails
    scorer: str = "autograder.capstone.score:score_submission"
    scorer_wall_seconds: float | None = None  # override of the scorer's wall limit (tests)
    scorer_cell_seconds: float | None = None
    login_attempts: int = 5  # failed logins per account within login_window
    login_attempts_per_ip: int = 30
    login_window_seconds: float = 900.0
    session_hours: float = 12.0
    password_link_hours: float = 72.0
    secure_cookies: bool = False
    argon2_time_cost: int | None = None  # None: argon2-cffi's current defaults
    token_days: float = 90.0  # API tokens expire after this many days
    uploads_in_flight: int = 4  # uploads one web process receives at the same time
    uploads_in_flight_per_user: int = 1  # of them, uploads of one account
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For is believed (none by default)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "submissions"

    @property
    def picture_dir(self) -> Path:
        return self.data_dir / "pictures"

    @property
    def incoming_dir(self) -> Path:
        """Uploads being received (moved into ``blob_dir`` when accepted, deleted otherwise)."""
        return self.data_dir / "incoming"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it readable by this user only (0700)."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != 0o700:
        os.chmod(path, 0o700)
    return path


def data_dir_from_env() -> Path:
    """Where the data directory is (without creating it)."""
    return Path(_env("DATA_DIR", "service_data")).resolve()


def _secret(data_dir: Path) -> str:
    value = _env("SECRET_KEY")
    if value:
        return value
    path = data_dir / "secret_key"
    if not path.exists():
        private_dir(data_dir)
        tmp = path.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # never replaces a key another process wrote first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def load_settings(**overrides) -> Settings:
    data_dir = Path(overrides.pop("data_dir", None) or data_dir_from_env()).resolve()
    values = dict(
        data_dir=data_dir,
        database_url=_env("DATABASE_URL", f"sqlite:///{data_dir / 'service.db'}"),
        queue_url=_env("QUEUE_URL", "sqlite"),
        base_url=_env("BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        quota_per_day=int(_env("QUOTA_PER_DAY", "3")),
        smtp_host=_env("SMTP_HOST", "127.0.0.1"),
        smtp_port=int(_env("SMTP_PORT", "8025")),
        smtp_security=_env("SMTP_SECURITY", "none"),
        smtp_user=_env("SMTP_USER", ""),
        smtp_password=_env("SMTP_PASSWORD", ""),
        mail_from=_env("MAIL_FROM", "katakana-capstone@localhost"),
        mail_max_attempts=int(_env("MAIL_MAX_ATTEMPTS", "8")),
        mail_retry_seconds=float(_env("MAIL_RETRY_SECONDS", "30")),
        lease_seconds=float(_env("LEASE_SECONDS", "120")),
        requeue_seconds=float(_env("REQUEUE_SECONDS", "60")),
        max_attempts=int(_env("MAX_ATTEMPTS", "3")),
        maintenance_seconds=float(_env("MAINTENANCE_SECONDS", "5")),
        scorer=_env("SCORER", "autograder.capstone.score:score_submission"),
        scorer_wall_seconds=float(_env("SCORER_WALL_SECONDS")) if _env("SCORER_WALL_SECONDS") else None,
        scorer_cell_seconds=float(_env("SCORER_CELL_SECONDS")) if _env("SCORER_CELL_SECONDS") else None,
        login_attempts=int(_env("LOGIN_ATTEMPTS", "5")),
        login_attempts_per_ip=int(_env("LOGIN_ATTEMPTS_PER_IP", "30")),
        login_window_seconds=float(_env("LOGIN_WINDOW_SECONDS", "900")),
        secure_cookies=_bool("SECURE_COOKIES", _env("BASE_URL", "").startswith("https://")),
        argon2_time_cost=int(_env("ARGON2_TIME_COST")) if _env("ARGON2_TIME_COST") else None,
        token_days=float(_env("TOKEN_DAYS", "90")),
        uploads_in_flight=int(_env("UPLOADS_IN_FLIGHT", "4")),
        uploads_in_flight_per_user=int(_env("UPLOADS_IN_FLIGHT_PER_USER", "1")),
        trusted_proxies=tuple(p.strip() for p in (_env("TRUSTED_PROXIES", "") or "").split(",") if p.strip()),
    )
    values.update(overrides)
    if not values.get("secret_key"):
        values["secret_key"] = _secret(data_dir)
    return Settings(**values)
