"""Scheduled jobs: stable ids, configured dates and zone, started inside the running loop."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from xianfeng import scheduler as scheduler_module
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


@pytest.fixture
def no_job_bodies(monkeypatch):
    """Jobs that start and do nothing: a started scheduler runs the jobs it catches up at
    once, and these tests have no database."""
    async def nothing(*args, **kwargs) -> None:
        return None

    for name in ("housekeeping", "generate_and_announce", "remind_half_year_summaries",
                 "send_weekly_reports", "send_wish_reminders", "send_activity_reminders"):
        monkeypatch.setattr(scheduler_module, name, nothing)


async def test_scheduler_starts_inside_the_loop_and_shuts_down(no_job_bodies):
    scheduler = create_scheduler(Settings(_env_file=None))
    scheduler.start()
    try:
        assert scheduler.running
        assert all(job.next_run_time is not None for job in scheduler.get_jobs())
    finally:
        scheduler.shutdown(wait=False)


SHANGHAI = ZoneInfo("Asia/Shanghai")


def _catches_up(job) -> bool:
    """A job added with a run due at once (before start, others have no run time yet)."""
    return getattr(job, "next_run_time", None) is not None


@pytest.mark.parametrize(("now", "due"), [
    (datetime(2026, 12, 7, 9, 54, tzinfo=SHANGHAI), True),   # started on Monday after 08:00
    (datetime(2026, 12, 12, 20, 0, tzinfo=SHANGHAI), True),  # Saturday: the week's report is still missing
    (datetime(2026, 12, 13, 7, 59, tzinfo=SHANGHAI), True),  # the last minute of its grace
    (datetime(2026, 12, 13, 8, 1, tzinfo=SHANGHAI), False),  # past it: "the previous week" would be another
    (datetime(2026, 12, 7, 7, 59, tzinfo=SHANGHAI), False),  # Monday before 08:00: due at 08:00 as usual
])
def test_a_weekly_report_missed_while_stopped_runs_at_start(now, due):
    job = create_scheduler(Settings(_env_file=None, timezone="Asia/Shanghai"), now=now).get_job("weekly-report")
    assert _catches_up(job) is due
    if due:
        assert job.next_run_time == now


def test_each_dated_job_catches_up_only_within_its_grace():
    settings = Settings(_env_file=None, half_year_review_opens="07-01", timezone="Asia/Shanghai")
    # Sunday 19 July, 10:00: the half-year reminders (1 July 09:00) are due, and today's
    # occurrences (02:00); housekeeping (03:30) is over an hour late, and Monday's weekly
    # report over six days. The reminders look at start whenever it is.
    jobs = {job.id: job for job in create_scheduler(
        settings, now=datetime(2026, 7, 19, 10, 0, tzinfo=SHANGHAI)).get_jobs()}
    assert {job_id for job_id, job in jobs.items() if _catches_up(job)} == {
        "half-year-reminders", "activity-occurrences", "wish-reminders", "activity-reminders"}
    late_august = {job.id for job in create_scheduler(
        settings, now=datetime(2026, 8, 1, 9, 30, tzinfo=SHANGHAI)).get_jobs() if _catches_up(job)}
    assert "half-year-reminders" not in late_august
    just_after_housekeeping = {job.id for job in create_scheduler(
        settings, now=datetime(2026, 7, 20, 4, 0, tzinfo=SHANGHAI)).get_jobs() if _catches_up(job)}
    assert "housekeeping" in just_after_housekeeping


async def test_a_caught_up_job_runs_once_at_start_then_keeps_its_schedule(no_job_bodies, monkeypatch):
    ran = asyncio.Event()
    runs = []

    async def occurrences() -> None:
        runs.append(datetime.now(SHANGHAI))
        ran.set()

    monkeypatch.setattr(scheduler_module, "generate_and_announce", occurrences)
    # The nightly 02:00 job was always missed less than a day ago.
    started = create_scheduler(Settings(_env_file=None, timezone="Asia/Shanghai"))
    started.start()
    try:
        await asyncio.wait_for(ran.wait(), 5)
        await asyncio.sleep(0.1)
        assert len(runs) == 1
        following = started.get_job("activity-occurrences").next_run_time
        assert (following.hour, following.minute) == (2, 0)
        assert timedelta(0) < following - runs[0] <= timedelta(days=1)
    finally:
        started.shutdown(wait=False)
