"""Weekly reports reach the secretaries of each report's unit through the outbox, once."""

from __future__ import annotations

import pytest

from models.admins import AdminUser, Role
from models.members import TelegramUser
from models.outbox import OutboxMessage
from models.reports import Report, ReportKind
from bot.notify_reports import send_weekly_reports
from tests import factories
from tests.report_data import NOW, build_week, shanghai  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("shanghai")

PANEL = "https://panel.example.org"


async def _link(admin: AdminUser, member, telegram_id: int, **values) -> None:
    await TelegramUser.create(id=telegram_id, first_name=member.name, member=member, **values)
    admin.member = member
    await admin.save(update_fields=["member_id"])


async def test_reports_go_to_linked_secretaries_once(org):
    week = await build_week(org)
    street = await factories.admin("street_admin", Role.STREET_ADMIN, org.street)
    await _link(street, await factories.member(org.xinfeng_1, "街道书记"), 1001)
    await _link(await AdminUser.get(username="nanyuan_secretary"), week.retiree, 1002, language_code="en")
    # Not recipients: a branch secretary, an inactive account, a secretary without a member link.
    branch = await factories.admin("branch_secretary", Role.BRANCH_SECRETARY, org.nanyuan_1)
    await _link(branch, week.doctor, 1003)
    gone = await factories.admin("gone", Role.COMMUNITY_SECRETARY, org.nanyuan)
    await _link(gone, await factories.member(org.nanyuan_1, "前任书记"), 1004)
    gone.is_active = False
    await gone.save(update_fields=["is_active"])

    assert await send_weekly_reports(PANEL, now=NOW) == 2
    rows = {row.chat_id: row for row in await OutboxMessage.all()}
    assert set(rows) == {1001, 1002}
    street_report = await Report.get(kind=ReportKind.WEEKLY, org_id=org.street.id)
    nanyuan_report = await Report.get(kind=ReportKind.WEEKLY, org_id=org.nanyuan.id)

    to_street = rows[1001]
    assert to_street.kind == "report.weekly"
    assert to_street.dedup_key == f"report:{street_report.id}:admin:{street.id}"
    assert f'href="{PANEL}/reports/{street_report.id}"' in to_street.text
    assert "东风街道" in to_street.text and "2026-03-09 – 2026-03-15" in to_street.text

    to_nanyuan = rows[1002].text  # in the member's language: English
    assert f"{PANEL}/reports/{nanyuan_report.id}" in to_nanyuan
    assert "Registrations: 1 submitted, 1 confirmed" in to_nanyuan
    assert "Cards issued: 2" in to_nanyuan
    assert "No activity at all: 0 communities, 0 work units" in to_nanyuan

    # A second run (a restart, a second process) builds and queues nothing new.
    await send_weekly_reports(PANEL, now=NOW)
    assert await OutboxMessage.all().count() == 2
    assert await Report.filter(kind=ReportKind.WEEKLY).count() == 4


async def test_unit_names_are_escaped_in_the_summary(org):
    from models.org import OrgKind, create_org_unit

    odd = await create_org_unit("<b>社区</b>", OrgKind.COMMUNITY, org.street)
    secretary = await factories.admin("odd", Role.COMMUNITY_SECRETARY, odd)
    await _link(secretary, await factories.member(org.nanyuan_1, "书记"), 2001)
    await send_weekly_reports(None, now=NOW)
    text = (await OutboxMessage.get(chat_id=2001)).text
    assert "&lt;b&gt;社区&lt;/b&gt;" in text and "<b>社区</b>" not in text
    assert "href" not in text  # no panel address, no link
