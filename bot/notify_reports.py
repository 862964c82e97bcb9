"""Weekly reports to the secretaries: a short summary in the bot with a link to the panel.

The scheduler builds the reports every Monday (``models.reports.build_weekly_reports``) and
calls :func:`send_weekly_reports`. Each secretary of a report's unit whose panel account is
linked to their member record (``AdminUser.member``), and so to a Telegram account, gets one
message per report: the dedup key ``report:<id>:admin:<id>`` makes a second run queue nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from bot.notify import Recipient
from models.members import TelegramUser
from models.outbox import OutboxMessage
from models.reports import Report, build_weekly_reports, report_recipients


def report_url(base_url: str, report: Report) -> str:
    return f"{base_url.rstrip('/')}/reports/{report.id}"


def _day(value: date) -> str:
    return value.strftime("%Y-%m-%d")


def summary_text(report: Report, gettext, base_url: str | None) -> str:
    _ = gettext
    data = report.data
    counts = {**data["total"], "idle_communities": len(data["idle_communities"]),
              "idle_work_units": len(data["idle_work_units"])}
    text = _(
        "📊 <b>Weekly report {start} – {end}</b>: {unit}\n\n"
        "Registrations: {registrations_submitted} submitted, {registrations_confirmed} confirmed\n"
        "Activities held: {activities_held}, attendances: {attendance}\n"
        "Posts claimed: {posts_claimed}\n"
        "Wishes: {wishes_collected} collected, {wishes_published} published, {wishes_claimed} claimed, "
        "{wishes_fulfilled} fulfilled, {wishes_overdue} overdue\n"
        "Pledges: {pledges_submitted} submitted, {pledges_approved} approved, {pledges_returned} returned\n"
        "Cards issued: {cards_issued}\n"
        "No activity at all: {idle_communities} communities, {idle_work_units} work units"
    ).format(start=_day(report.period_start), end=_day(report.period_end - timedelta(days=1)),
             unit=escape(data["unit"]["name"]), **counts)
    if base_url:
        text += "\n\n" + _('<a href="{url}">Open the report in the panel</a>').format(
            url=escape(report_url(base_url, report), quote=True))
    return text


async def send_report(report: Report, base_url: str | None) -> list[OutboxMessage]:
    """Queue the summary for each secretary of the report's unit who has a Telegram account."""
    queued = []
    for admin, telegram_id in await report_recipients(report):
        to = Recipient.of(await TelegramUser.get(id=telegram_id))
        queued.append(await to.send(
            summary_text(report, to.gettext, base_url), kind="report.weekly",
            dedup_key=f"report:{report.id}:admin:{admin.id}",
        ))
    return queued


async def send_weekly_reports(base_url: str | None, now=None) -> int:
    """The Monday job: build last week's reports (once) and send them (once per secretary)."""
    sent = 0
    for report in await build_weekly_reports(now=now):
        sent += len(await send_report(report, base_url))
    return sent
