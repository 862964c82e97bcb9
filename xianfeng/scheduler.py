"""The APScheduler instance: started inside the running loop, jobs with stable ids."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.notify import send_wish_reminders
from bot.notify_community import generate_and_announce, send_activity_reminders
from bot.notify_pledges import send_half_year_reminders
from bot.notify_reports import send_weekly_reports
from models import clock
from models.admins import purge_expired
from models.updates import prune_processed_updates
from xianfeng.settings import Settings


def create_scheduler(settings: Settings) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    scheduler.add_job(
        housekeeping, CronTrigger(hour=3, minute=30, timezone=settings.tz),
        id="housekeeping", replace_existing=True, coalesce=True, misfire_grace_time=3600,
    )
    # Job bodies claim their work with conditional updates, so a double run sends nothing twice.
    scheduler.add_job(
        send_wish_reminders, IntervalTrigger(hours=1, timezone=settings.tz),
        id="wish-reminders", replace_existing=True, coalesce=True, max_instances=1,
    )
    scheduler.add_job(
        send_activity_reminders, IntervalTrigger(minutes=5, timezone=settings.tz),
        id="activity-reminders", replace_existing=True, coalesce=True, max_instances=1,
    )
    scheduler.add_job(
        generate_and_announce, CronTrigger(hour=2, minute=0, timezone=settings.tz),
        id="activity-occurrences", replace_existing=True, coalesce=True, misfire_grace_time=86400,
    )
    month, day = (int(part) for part in settings.half_year_review_opens.split("-"))
    scheduler.add_job(
        remind_half_year_summaries, CronTrigger(month=month, day=day, hour=9, timezone=settings.tz),
        id="half-year-reminders", replace_existing=True, coalesce=True, misfire_grace_time=86400,
    )
    hour, minute = (int(part) for part in settings.weekly_report_at.split(":"))
    scheduler.add_job(
        send_weekly_reports, CronTrigger(day_of_week="mon", hour=hour, minute=minute, timezone=settings.tz),
        args=[settings.panel_url], id="weekly-report", replace_existing=True, coalesce=True,
        max_instances=1, misfire_grace_time=86400,
    )
    return scheduler


async def housekeeping() -> None:
    """Nightly: expired panel sessions and login attempts, processed update ids of past days."""
    await purge_expired()
    await prune_processed_updates()


async def remind_half_year_summaries() -> int:
    return await send_half_year_reminders(clock.current_year())
