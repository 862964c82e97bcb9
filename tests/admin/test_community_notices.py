"""Changing or cancelling an activity in the panel tells the members holding a place and the
team's linked group (through the outbox, once per change); reminders that name the old time
are not sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.notify_community import send_activity_reminders
from models.activities import Activity, ActivityStatus
from models.members import TelegramUser
from models.outbox import OutboxMessage, OutboxStatus
from models.signups import sign_up
from tests import factories
from tests.admin.conftest import post_form
from tests.admin.test_community import local_input

GROUP = -4000000077


async def setting(org):
    scope = await factories.scope_of(org.nanyuan, "setup")
    leader = await factories.in_service_member(org.nanyuan_1, "队长", residence_community=org.nanyuan.id)
    team = await factories.team(org.nanyuan, scope, leader=leader)
    await team.__class__.filter(id=team.id).update(group_chat_id=GROUP)
    first = await factories.member(org.nanyuan_1, "甲", residence_community=org.nanyuan.id)
    second = await factories.member(org.nanyuan_1, "乙", residence_community=org.nanyuan.id)
    unbound = await factories.member(org.nanyuan_1, "丙", residence_community=org.nanyuan.id)
    for user_id, member in ((7101, first), (7102, second)):
        await TelegramUser.create(id=user_id, first_name=member.name, member_id=member.id)
    activity = await factories.activity(scope, org.nanyuan, team=team, open_to_community=True,
                                        starts_at=datetime.now(UTC) + timedelta(days=3), capacity=1)
    for member in (first, second, unbound):
        await sign_up(activity, member)  # first registered, the others waiting
    return activity


async def rows(kind: str) -> list[OutboxMessage]:
    return await OutboxMessage.filter(kind=kind).order_by("id")


async def test_reschedule_tells_members_and_the_group_once_per_change(as_user, org, settings):
    activity = await setting(org)
    client = await as_user("nanyuan")
    page = f"/community/activities/{activity.id}"
    new_time = {"starts_at": local_input(timedelta(days=4), settings.tz),
                "ends_at": local_input(timedelta(days=4, hours=2), settings.tz), "place": "新活动室"}
    assert (await post_form(client, page, f"{page}/reschedule", new_time)).status == 303
    # The same values again change nothing and tell nobody.
    assert (await post_form(client, page, f"{page}/reschedule", new_time)).status == 303

    told = await rows("activity.rescheduled")
    assert sorted(row.chat_id for row in told) == [7101, 7102]  # registered and waiting; 丙 has no Telegram
    assert all("新活动室" in row.text for row in told)
    [group] = await rows("activity.group_changed")
    assert group.chat_id == GROUP and "新活动室" in group.text
    for name in ("甲", "乙", "丙", "队长"):
        assert name not in group.text  # no personal data in the group
    assert group.reply_markup is None

    # A second change is a new notice.
    later = {**new_time, "place": "三楼"}
    assert (await post_form(client, page, f"{page}/reschedule", later)).status == 303
    assert len(await rows("activity.rescheduled")) == 4
    assert len(await rows("activity.group_changed")) == 2


async def test_cancel_tells_members_and_the_group(as_user, org):
    activity = await setting(org)
    client = await as_user("nanyuan")
    page = f"/community/activities/{activity.id}"
    assert (await post_form(client, page, f"{page}/cancel", {"reason": "暴雨预警"})).status == 303
    told = await rows("activity.cancelled")
    assert sorted(row.chat_id for row in told) == [7101, 7102]
    assert all("暴雨预警" in row.text for row in told)
    [group] = await rows("activity.group_cancelled")
    assert group.chat_id == GROUP and "甲" not in group.text
    # Cancelling again is refused and queues nothing.
    assert (await post_form(client, page, f"{page}/cancel", {"reason": "x"})).status == 422
    assert len(await rows("activity.cancelled")) == 2


async def test_a_reminder_waiting_with_the_old_time_is_not_sent_after_a_move(as_user, org, settings):
    activity = await setting(org)
    old_start = activity.starts_at
    # The 24 h reminder is queued, but not yet delivered (a backlog), when the activity moves.
    assert await send_activity_reminders(old_start - timedelta(hours=23)) == 2  # 甲 and the group
    queued = await OutboxMessage.filter(kind__in=("activity.reminder", "activity.group_reminder"))
    assert {row.status for row in queued} == {OutboxStatus.QUEUED}

    client = await as_user("nanyuan")
    page = f"/community/activities/{activity.id}"
    new_time = {"starts_at": local_input(timedelta(days=6), settings.tz),
                "ends_at": local_input(timedelta(days=6, hours=2), settings.tz), "place": "活动室"}
    assert (await post_form(client, page, f"{page}/reschedule", new_time)).status == 303
    for row in queued:
        await row.refresh_from_db()
        assert row.status == OutboxStatus.CANCELLED
    # The old reminder time finds nothing due; the new one reminds the member and the group.
    moved = await Activity.get(id=activity.id)
    assert await send_activity_reminders(old_start - timedelta(hours=22)) == 0
    assert await send_activity_reminders(moved.starts_at - timedelta(hours=23)) == 2
    assert await send_activity_reminders(moved.starts_at - timedelta(hours=23)) == 0  # a double run


async def test_a_new_team_activity_is_announced_in_the_group(as_user, org, settings):
    activity = await setting(org)
    client = await as_user("nanyuan")
    response = await post_form(client, "/community/activities/new", "/community/activities/new", {
        "community": str(org.nanyuan.id), "team": str(activity.team_id), "title": "健康讲座",
        "place": "活动室", "starts_at": local_input(timedelta(days=2), settings.tz),
        "ends_at": local_input(timedelta(days=2, hours=1), settings.tz), "capacity": "30",
    })
    assert response.status == 303
    [announced] = await rows("activity.group_created")
    assert announced.chat_id == GROUP and "健康讲座" in announced.text and "30" in announced.text
    # An activity without a team has no group to announce it in.
    response = await post_form(client, "/community/activities/new", "/community/activities/new", {
        "community": str(org.nanyuan.id), "title": "社区大扫除", "place": "小区",
        "starts_at": local_input(timedelta(days=2), settings.tz),
        "ends_at": local_input(timedelta(days=2, hours=1), settings.tz),
    })
    assert response.status == 303
    assert len(await rows("activity.group_created")) == 1
    assert (await Activity.get(title="社区大扫除")).status == ActivityStatus.SCHEDULED
