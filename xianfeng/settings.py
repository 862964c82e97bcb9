"""Configuration from the environment and ``.env`` (pydantic-settings)."""

from __future__ import annotations

import ipaddress
import socket
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from locales import DEFAULT_LOCALE, LOCALES

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def local_url(host: str, port: int) -> str:
    """``http://host:port`` as a browser on this machine opens it.

    A wildcard listening address (``0.0.0.0``, ``::``, as in the Docker image) is where a
    server listens, not an address to open: browsers refuse ``http://0.0.0.0``. Loopback
    reaches it from the same machine (and through a published container port).
    """
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def default_worker_id() -> str:
    """``bot@<host name>``: differs between machines and containers, stays across restarts."""
    return f"bot@{socket.gethostname() or 'localhost'}"[:64]


def parse_networks(value: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 127.0.0.1"`` → networks; ValueError for anything else."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str | None = None
    telegram_api_url: str | None = None
    bot_username: str | None = Field(
        default=None, description="Used for deep links when the bot is not reachable at start."
    )
    data_dir: Path = Path("data")
    database_url: str | None = None
    redis_url: str | None = None
    redis_key_prefix: str = Field(default="xianfeng", min_length=1, description="FSM keys in Redis")
    webhook_url: str | None = Field(
        default=None, description="public HTTPS address Telegram posts updates to; unset: polling"
    )
    webhook_secret: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,256}$",
        description="X-Telegram-Bot-Api-Secret-Token: 1-256 of A-Z a-z 0-9 _ -",
    )
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=0, le=65535)
    webhook_path: str | None = Field(default=None, description="default: the path of WEBHOOK_URL")
    shutdown_timeout: float = Field(
        default=10.0, gt=0, description="seconds in-flight updates and sends get at shutdown"
    )
    scheduler_lock_retry: float = Field(
        default=10.0, gt=0, description="seconds between tries to take over the scheduler"
    )
    admin_host: str = "127.0.0.1"
    admin_port: int = 8080
    admin_public_url: str | None = None
    trusted_proxies: str = Field(
        default="", description="reverse proxies (addresses or networks, comma-separated) whose "
        "X-Forwarded-For / X-Forwarded-Proto the panel believes (admin/proxies.py)",
    )
    secret_key: str | None = None
    timezone: str = "Asia/Shanghai"
    default_locale: str = DEFAULT_LOCALE
    invite_ttl_days: int = Field(default=30, ge=1, le=365)
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8081
    login_max_failures: int = 5
    login_window_minutes: int = 15
    session_hours: int = 12
    half_year_review_opens: str = Field(
        default="07-01", pattern=r"^\d{2}-\d{2}$", description="MM-DD: members are reminded to sum up"
    )
    weekly_report_at: str = Field(
        default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="HH:MM in TIMEZONE: every Monday the previous week's report is built and sent",
    )
    delivery_rate: float = Field(default=28.0, gt=0, description="outbox messages per second overall")
    delivery_per_chat_interval: float = Field(default=1.0, ge=0)
    # Telegram allows about 20 messages a minute in a group: one every 3 s.
    delivery_per_group_interval: float = Field(default=3.0, ge=0)
    delivery_max_attempts: int = Field(default=8, ge=1)
    # Stable across restarts so a restarted worker takes back its crashed run's claim at once;
    # each bot process needs its own. The host's name by default: one per machine or
    # container, so `docker compose up --scale bot=2` gives two.
    delivery_worker_id: str = Field(default_factory=default_worker_id, min_length=1, max_length=64)
    # Operations: logs, metrics, health.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    metrics_token: str | None = Field(
        default=None, description="bearer token for /metrics (the panel serves it only with one)"
    )
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535,
        description="an internal listener for /metrics, /healthz and /readyz in any process",
    )

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):  # not a ValueError itself: pydantic would not say it
            raise ValueError(f"no time zone is named {value!r} (e.g. Asia/Shanghai, Asia/Hong_Kong)") from None
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_any_case(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _blank_port_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_any_case(cls, value):
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator(
        "bot_token", "telegram_api_url", "redis_url", "webhook_url", "webhook_secret", "webhook_path",
        "metrics_token", mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value):
        return value or None

    @field_validator("admin_public_url", mode="before")
    @classmethod
    def _panel_origin(cls, value):
        """``https://panel.example.org`` (a trailing slash dropped): links are built on it."""
        if not isinstance(value, str) or not value.strip():
            return value or None
        parts = urlsplit(value.strip())
        if (parts.scheme not in ("http", "https") or not parts.netloc
                or parts.path not in ("", "/") or parts.query or parts.fragment):
            raise ValueError("give the panel's address at the root of a host, e.g. "
                             "https://panel.example.org (the panel does not run under a path)")
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)  # a typo fails at start, not silently at the first request
        return value

    @cached_property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def panel_url(self) -> str:
        """Where secretaries open the panel: ADMIN_PUBLIC_URL, else the address it listens on."""
        return self.panel_url_on(self.admin_port)

    def panel_url_on(self, port: int) -> str:
        """:attr:`panel_url` once the panel listens on ``port`` (ADMIN_PORT=0 picks one)."""
        return self.admin_public_url or local_url(self.admin_host, port)

    @property
    def use_sandbox(self) -> bool:
        """The sandbox Bot API server runs only when no real token is configured."""
        return not self.bot_token

    @property
    def use_webhook(self) -> bool:
        return bool(self.webhook_url)

    @property
    def resolved_webhook_path(self) -> str:
        """Where the webhook server listens: WEBHOOK_PATH, else the path of WEBHOOK_URL."""
        from urllib.parse import urlsplit

        path = self.webhook_path or urlsplit(self.webhook_url or "").path or "/telegram/webhook"
        return path if path.startswith("/") else f"/{path}"

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET (Telegram sends it back with each update)")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'xianfeng.sqlite3').resolve()}"
