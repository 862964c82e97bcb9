"""Scheduled jobs: stable ids, configured dates and zone, started inside the running loop."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from xianfeng.scheduler import create_scheduler
from xianfeng.settings import Settings


def test_jobs_have_stable_ids_and_configured_times():
    settings = Settings(_env_file=None, half_year_review_opens="06-20", timezone="Europe/Berlin")
    scheduler = create_scheduler(settings)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "housekeeping", "wish-reminders", "half-year-reminders", "activity-reminders",
        "activity-occurrences", "weekly-report",
    }

    now = datetime(2026, 1, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    fire = jobs["half-year-reminders"].trigger.get_next_fire_time(None, now)
    assert (fire.month, fire.day, fire.hour) == (6, 20, 9)
    assert fire.tzinfo.key == "Europe/Berlin"


def test_weekly_report_runs_on_mondays_at_the_configured_time():
    settings = Settings(_env_file=None, weekly_report_at="07:45", timezone="Europe/Berlin",
                        admin_public_url="https://panel.example.org")
    job = create_scheduler(settings).get_job("weekly-report")
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 3, 11, tzinfo=ZoneInfo("Europe/Berlin")))
    assert (fire.date().isoformat(), fire.hour, fire.minute) == ("2026-03-16", 7, 45)
    assert job.args == ("https://panel.example.org",)
    default = create_scheduler(Settings(_env_file=None)).get_job("weekly-report")
    fire = default.trigger.get_next_fire_time(None, datetime(2026, 3, 11, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert (fire.weekday(), fire.hour, fire.minute) == (0, 8, 0)


def test_weekly_report_time_is_validated():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(_env_file=None, weekly_report_at="24:00")


async def test_scheduler_starts_inside_the_loop_and_shuts_down():
    scheduler = create_scheduler(Settings(_env_file=None))
    scheduler.start()
    try:
        assert scheduler.running
        assert all(job.next_run_time is not None for job in scheduler.get_jobs())
    finally:
        scheduler.shutdown(wait=False)
