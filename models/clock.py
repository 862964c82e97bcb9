"""Local days for date rules: times are stored in UTC, but a deadline or a year is a local day.

The process sets the zone once at start (``configure(settings.tz)``); the default is
the product's default, Asia/Shanghai.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

_zone = ZoneInfo("Asia/Shanghai")


def configure(zone: ZoneInfo) -> None:
    global _zone
    _zone = zone


def zone() -> ZoneInfo:
    return _zone


def local_now(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(_zone)


def local_today(now: datetime | None = None) -> date:
    return local_now(now).date()


def current_year(now: datetime | None = None) -> int:
    return local_now(now).year


def local_midnight(day: date) -> datetime:
    """The start of local ``day``, in UTC: the form a database bound must take (SQLite
    compares stored times as text, so a bound in another offset would compare wrongly)."""
    return datetime.combine(day, time(), tzinfo=_zone).astimezone(UTC)


def local_month_start(year: int, month: int) -> datetime:
    """The start of a local calendar month, in UTC (``month`` 13 is January of the next year)."""
    return local_midnight(date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1))
