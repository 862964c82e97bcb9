"""Configuration from the environment and ``.env`` (pydantic-settings)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from locales import DEFAULT_LOCALE, LOCALES


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
    webhook_url: str | None = None
    webhook_secret: str | None = None
    admin_host: str = "127.0.0.1"
    admin_port: int = 8080
    admin_public_url: str | None = None
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
    delivery_max_attempts: int = Field(default=8, ge=1)
    # Stable across restarts so a restarted worker takes back its crashed run's claim at once;
    # give each bot process its own when running several.
    delivery_worker_id: str = Field(default="bot", min_length=1, max_length=64)

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("bot_token", "telegram_api_url", "redis_url", "webhook_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return value or None

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def panel_url(self) -> str:
        """Where secretaries open the panel: ADMIN_PUBLIC_URL, else the address it listens on."""
        return self.admin_public_url or f"http://{self.admin_host}:{self.admin_port}"

    @property
    def use_sandbox(self) -> bool:
        """The sandbox Bot API server runs only when no real token is configured."""
        return not self.bot_token

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'xianfeng.sqlite3').resolve()}"
