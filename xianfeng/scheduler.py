"""The APScheduler instance: started inside the running loop, jobs with stable ids.

A dated job (a cron trigger) missed because no process was running at its time (a laptop
switched off on Monday morning, a restart during a deploy) runs once when the scheduler
starts, if its time is less than the job's grace period ago. APScheduler keeps no record of
runs in its memory job store, so the scheduler itself would only look ahead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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

# How late a missed dated job still runs. The weekly report stays within the week it is due
# in (until Sunday 08:00 for the default time), where "the previous week" is still the
# missed one; the half-year reminders are worth sending all July.
HOUSEKEEPING_GRACE = timedelta(hours=1)
OCCURRENCES_GRACE = timedelta(days=1)
HALF_YEAR_REMINDERS_GRACE = timedelta(days=30)
WEEKLY_REPORT_GRACE = timedelta(days=6)


def create_scheduler(settings: Settings, *, now: datetime | None = None) -> AsyncIOScheduler:
    """The scheduler with its jobs; ``now`` (default: the clock) decides which dated jobs
    missed their last time and so run as soon as it starts."""
    now = now or datetime.now(settings.tz)
    scheduler = AsyncIOScheduler(timezone=settings.tz)

    def add_dated_job(func, trigger: CronTrigger, *, grace: timedelta, **options) -> None:
        missed = trigger.get_next_fire_time(None, now - grace)
        if missed is not None and missed <= now:
            options["next_run_time"] = now
        scheduler.add_job(func, trigger, replace_existing=True, coalesce=True,
                          misfire_grace_time=int(grace.total_seconds()), **options)

    add_dated_job(housekeeping, CronTrigger(hour=3, minute=30, timezone=settings.tz),
                  grace=HOUSEKEEPING_GRACE, id="housekeeping")
    # Job bodies claim their work with conditional updates, so a double run sends nothing twice.
    # The reminders fall due while no process runs too: the first look is at start.
    scheduler.add_job(
        send_wish_reminders, IntervalTrigger(hours=1, timezone=settings.tz), next_run_time=now,
        id="wish-reminders", replace_existing=True, coalesce=True, max_instances=1,
    )
    scheduler.add_job(
        send_activity_reminders, IntervalTrigger(minutes=5, timezone=settings.tz), next_run_time=now,
        id="activity-reminders", replace_existing=True, coalesce=True, max_instances=1,
    )
    add_dated_job(generate_and_announce, CronTrigger(hour=2, minute=0, timezone=settings.tz),
                  grace=OCCURRENCES_GRACE, id="activity-occurrences")
    month, day = (int(part) for part in settings.half_year_review_opens.split("-"))
    add_dated_job(remind_half_year_summaries,
                  CronTrigger(month=month, day=day, hour=9, timezone=settings.tz),
                  grace=HALF_YEAR_REMINDERS_GRACE, id="half-year-reminders")
    hour, minute = (int(part) for part in settings.weekly_report_at.split(":"))
    add_dated_job(send_weekly_reports,
                  CronTrigger(day_of_week="mon", hour=hour, minute=minute, timezone=settings.tz),
                  grace=WEEKLY_REPORT_GRACE, args=[settings.panel_url], id="weekly-report",
                  max_instances=1)
    return scheduler


async def housekeeping() -> None:
    """Nightly: expired panel sessions and login attempts, processed update ids of past days."""
    await purge_expired()
    await prune_processed_updates()


async def remind_half_year_summaries() -> int:
    return await send_half_year_reminders(clock.current_year())
