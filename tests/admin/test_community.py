"""Community service in the panel: registrations, service posts, activities and teams, with
scoping (a community secretary sees only their community), read-only staff and CSRF."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from models.activities import Activity, ActivityStatus, SignUp, SignUpStatus, create_activity
from models.admins import AdminUser, Role
from models.audit import Actor
from models.members import TelegramUser
from models.outbox import OutboxMessage
from models.posts import ServicePost
from models.registration import RegistrationStatus, register
from models.scope import Scope
from models.signups import sign_up
from models.teams import MembershipStatus, Team, TeamMembership, TeamRole, request_to_join
from tests import factories
from tests.admin.conftest import post_form, read_xlsx, zh


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="error-{field}">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else ""


def local_input(delta: timedelta, zone: ZoneInfo) -> str:
    """A ``datetime-local`` value ``delta`` from now in ``zone``."""
    return (datetime.now(zone) + delta).strftime("%Y-%m-%dT%H:%M")


def column_headers(html: str) -> list[str]:
    return [h.strip() for h in re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<▲▼]+)', html)]


async def reporter(branch, name, community, occupation="教师"):
    member = await factories.member(branch, name, member_type="in_service", occupation=occupation)
    return member, await register(Actor(member=member), community, skills="维修")


@pytest.fixture
async def registrations(org):
    """Wang reports to 南园社区, Zhao to 新风社区."""
    _, wang = await reporter(org.nanyuan_1, "王工", org.nanyuan)
    _, zhao = await reporter(org.xinfeng_1, "赵工", org.xinfeng, occupation="工程师")
    return wang, zhao


# --------------------------------------------------------------------------- registrations


async def test_queue_is_scoped_and_confirm_works(as_user, registrations):
    wang, zhao = registrations
    await TelegramUser.create(id=6001, first_name="王", member_id=wang.member_id)
    client = await as_user("nanyuan")
    html = await (await client.get("/community")).text()
    assert "王工" in html and "赵工" not in html
    assert (await client.get(f"/community/registrations/{zhao.id}")).status == 404
    response = await post_form(client, f"/community/registrations/{wang.id}",
                               f"/community/registrations/{wang.id}/confirm")
    assert response.status == 303
    await wang.refresh_from_db()
    assert wang.status == RegistrationStatus.CONFIRMED
    assert await OutboxMessage.filter(kind="registration.confirmed").count() == 1  # the bot tells them
    # Another community's registration cannot be decided on.
    response = await post_form(client, f"/community/registrations/{wang.id}",
                               f"/community/registrations/{zhao.id}/confirm")
    assert response.status == 404
    await zhao.refresh_from_db()
    assert zhao.status == RegistrationStatus.PENDING
    assert "王工" not in await (await client.get("/community")).text()


async def test_decline_needs_a_reason(as_user, registrations):
    wang, _ = registrations
    client = await as_user("nanyuan")
    page = f"/community/registrations/{wang.id}"
    response = await post_form(client, page, f"{page}/decline", {"reason": "  "})
    assert response.status == 422
    assert field_error(await response.text(), "reason") == zh("Please write something.")
    await wang.refresh_from_db()
    assert wang.status == RegistrationStatus.PENDING
    response = await post_form(client, page, f"{page}/decline", {"reason": "不住本社区"})
    assert response.status == 303
    await wang.refresh_from_db()
    assert (wang.status, wang.decline_reason) == (RegistrationStatus.DECLINED, "不住本社区")


async def test_staff_is_read_only_and_csrf_is_required(as_user, registrations):
    wang, _ = registrations
    staff = await as_user("staff")
    page = f"/community/registrations/{wang.id}"
    assert (await staff.get(page)).status == 200
    response = await post_form(staff, page, f"{page}/confirm")
    assert response.status == 403
    secretary = await as_user("nanyuan")
    response = await secretary.post(f"{page}/confirm", data={}, allow_redirects=False)
    assert response.status == 403
    await wang.refresh_from_db()
    assert wang.status == RegistrationStatus.PENDING


async def test_registration_list_filters_export_and_stats(as_user, org, registrations):
    wang, _ = registrations
    client = await as_user("street")
    await post_form(client, f"/community/registrations/{wang.id}",
                    f"/community/registrations/{wang.id}/confirm")
    html = await (await client.get("/community/registrations?status=confirmed")).text()
    assert "王工" in html and "赵工" not in html
    html = await (await client.get(f"/community/registrations?community={org.xinfeng.id}")).text()
    assert "赵工" in html and "王工" not in html
    response = await client.get("/community/registrations/export.xlsx")
    assert response.status == 200
    rows = read_xlsx(await response.read())
    assert {row[0] for row in rows[1:]} == {"王工", "赵工"}
    stats = await (await client.get("/community/registrations/stats")).text()
    assert "南园社区" in stats and "教师" in stats and "新风社区" not in stats  # confirmed only
    nanyuan = await as_user("nanyuan")
    html = await (await nanyuan.get("/community/registrations")).text()
    assert "王工" in html and "赵工" not in html


# --------------------------------------------------------------------------- service posts


async def test_posts_create_close_reopen_and_scoping(as_user, org):
    client = await as_user("nanyuan")
    response = await post_form(client, "/community/posts/new", "/community/posts/new", {
        "community": str(org.nanyuan.id), "name": "楼道清洁岗", "kind": "", "capacity": "x",
    })
    assert response.status == 422
    assert field_error(await response.text(), "capacity")
    response = await post_form(client, "/community/posts/new", "/community/posts/new", {
        "community": str(org.xinfeng.id), "name": "楼道清洁岗", "capacity": "3",
    })
    assert response.status == 422
    assert field_error(await response.text(), "community") == zh("Choose a community.")
    response = await post_form(client, "/community/posts/new", "/community/posts/new", {
        "community": str(org.nanyuan.id), "name": "楼道清洁岗", "capacity": "3",
    })
    assert response.status == 303
    post = await ServicePost.get()
    assert (post.community_id, post.capacity, post.is_open) == (org.nanyuan.id, 3, True)
    page = f"/community/posts/{post.id}"
    assert (await post_form(client, page, f"{page}/close")).status == 303
    await post.refresh_from_db()
    assert not post.is_open
    assert (await post_form(client, page, f"{page}/reopen")).status == 303
    await post.refresh_from_db()
    assert post.is_open
    posts = await (await client.get("/community/posts")).text()
    assert "楼道清洁岗" in posts
    # A post's name, not a person's 姓名; whether it is open to claims, not "awaiting a claim".
    assert column_headers(posts)[0] == "岗位名称" and column_headers(posts)[-1] == "开放认领"
    assert "岗位名称" in await (await client.get("/community/posts/new")).text()
    export = read_xlsx(await (await client.get("/community/posts/export.xlsx")).read())
    assert export[1][0] == "楼道清洁岗"

    other = await ServicePost.create(community=org.xinfeng, name="新风岗")
    assert "新风岗" not in await (await client.get("/community/posts")).text()
    assert (await client.get(f"/community/posts/{other.id}")).status == 404
    assert (await post_form(client, page, f"/community/posts/{other.id}/close")).status == 404
    staff = await as_user("staff")
    assert (await post_form(staff, page, f"{page}/close")).status == 403


# --------------------------------------------------------------------------- activities


async def test_activity_create_converts_local_time_and_validates(as_user, org, settings):
    settings.timezone = "Asia/Shanghai"  # a zone off UTC, so that the conversion shows
    settings.__dict__.pop("tz", None)
    client = await as_user("nanyuan")
    # The blank form shows what saving it untouched does (neither choice checked said nothing),
    # and that without a team the activity is open to the whole community anyway.
    for path in ("/community/activities/new", "/community/series/new"):
        blank = await (await client.get(path)).text()
        assert '<input type="radio" name="open_to_community" value="no" checked>' in blank, path
        assert zh("An activity without a team is always open to the whole community.") in blank
    starts = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)
    response = await post_form(client, "/community/activities/new", "/community/activities/new", {
        "community": str(org.nanyuan.id), "title": "义诊", "place": "",
        "starts_at": "tomorrow", "ends_at": local_input(timedelta(days=2, hours=2), settings.tz),
    })
    assert response.status == 422
    html = await response.text()
    assert field_error(html, "starts_at") == zh("Please write the time as YYYY-MM-DD HH:MM.")
    local = starts.astimezone(settings.tz)
    assert local.utcoffset()
    response = await post_form(client, "/community/activities/new", "/community/activities/new", {
        "community": str(org.nanyuan.id), "title": "义诊", "place": "社区活动室",
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (local + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "capacity": "10",
    })
    assert response.status == 303, await response.text()
    activity = await Activity.get()
    assert activity.starts_at == starts and activity.open_to_community
    assert activity.capacity == 10 and activity.team_id is None
    html = await (await client.get("/community/activities?status=scheduled")).text()
    assert "义诊" in html
    export = read_xlsx(await (await client.get("/community/activities/export.xlsx")).read())
    assert export[1][0] == "义诊"


async def scheduled_activity(org, community=None, **values):
    scope_admin = await AdminUser.get_or_none(username="setup") or await factories.admin(
        "setup", Role.STREET_ADMIN, org.street
    )
    scope = await Scope.of(scope_admin)
    start = datetime.now(UTC) + timedelta(days=1)
    return await create_activity(
        Actor(admin=scope_admin), community or org.nanyuan, title=values.get("title", "义诊"),
        place="活动室", starts_at=start, ends_at=start + timedelta(hours=2), capacity=1, scope=scope,
    )


async def test_activity_detail_reschedule_cancel_and_attendance(as_user, org, settings):
    activity = await scheduled_activity(org)
    first = await factories.member(org.nanyuan_1, "甲", residence_community=org.nanyuan.id)
    second = await factories.member(org.nanyuan_1, "乙", residence_community=org.nanyuan.id)
    await sign_up(activity, first)
    await sign_up(activity, second)
    client = await as_user("nanyuan")
    page = f"/community/activities/{activity.id}"
    html = await (await client.get(page)).text()
    assert "甲" in html and zh("On the waiting list") in html

    response = await post_form(client, page, f"{page}/reschedule", {
        "starts_at": local_input(timedelta(days=3), settings.tz), "ends_at": local_input(timedelta(days=2), settings.tz),
        "place": "新活动室",
    })
    assert response.status == 422
    assert field_error(await response.text(), "ends_at")
    response = await post_form(client, page, f"{page}/reschedule", {
        "starts_at": local_input(timedelta(days=3), settings.tz),
        "ends_at": local_input(timedelta(days=3, hours=1), settings.tz), "place": "新活动室",
    })
    assert response.status == 303
    await activity.refresh_from_db()
    assert (activity.place, activity.version) == ("新活动室", 2)

    # Attendance opens 30 minutes before the start: until then the page says so, with no
    # buttons that would only be refused. Then simulate time passing.
    html = await (await client.get(page)).text()
    assert 'id="attendance-later"' in html and "/attendance" not in html
    await Activity.filter(id=activity.id).update(starts_at=datetime.now(UTC) - timedelta(minutes=5))
    html = await (await client.get(page)).text()
    assert 'id="attendance-later"' not in html and "/attendance" in html
    signup = await SignUp.get(member_id=first.id)
    response = await post_form(client, page, f"{page}/signups/{signup.id}/attendance",
                               {"status": "bogus"})
    assert response.status == 422
    response = await post_form(client, page, f"{page}/signups/{signup.id}/attendance",
                               {"status": "attended"})
    assert response.status == 303
    await signup.refresh_from_db()
    assert signup.status == SignUpStatus.ATTENDED

    future = await scheduled_activity(org, title="讲座")
    page = f"/community/activities/{future.id}"
    response = await post_form(client, page, f"{page}/cancel", {"reason": ""})
    assert response.status == 422
    response = await post_form(client, page, f"{page}/cancel", {"reason": "下雨"})
    assert response.status == 303
    await future.refresh_from_db()
    assert (future.status, future.cancel_reason) == (ActivityStatus.CANCELLED, "下雨")


async def test_activities_are_scoped(as_user, org):
    activity = await scheduled_activity(org, org.xinfeng, title="新风活动")
    await scheduled_activity(org, org.nanyuan, title="南园活动")
    client = await as_user("nanyuan")
    # Places taken by sign-ups (已报名), not a post's or a wish's claims (已认领).
    assert "已报名" in column_headers(await (await client.get("/community/activities")).text())
    assert "新风活动" not in await (await client.get("/community/activities")).text()
    page = f"/community/activities/{activity.id}"
    assert (await client.get(page)).status == 404
    response = await post_form(client, "/community/activities", f"{page}/cancel", {"reason": "x"})
    assert response.status == 404
    staff = await as_user("staff")
    assert (await staff.get(page)).status == 200
    assert (await post_form(staff, page, f"{page}/cancel", {"reason": "x"})).status == 403


# --------------------------------------------------------------------------- teams


async def test_teams_create_requests_and_leader(as_user, org):
    client = await as_user("nanyuan")
    response = await post_form(client, "/community/teams/new", "/community/teams/new",
                               {"community": str(org.nanyuan.id), "name": ""})
    assert response.status == 422
    response = await post_form(client, "/community/teams/new", "/community/teams/new",
                               {"community": str(org.nanyuan.id), "name": "助老服务队"})
    assert response.status == 303
    team = await Team.get()
    page = f"/community/teams/{team.id}"
    # The list says what a team's flags are, not a post's (待认领) or a request's (收到).
    headers = column_headers(await (await client.get("/community/teams")).text())
    assert headers[-2:] == [zh("Takes requests to join"), zh("Created")]
    # A team has a 名称, not a person's 姓名: in the list and in the form.
    assert headers[0] == "服务队名称"
    assert "服务队名称" in await (await client.get("/community/teams/new")).text()
    joiner = await factories.member(org.nanyuan_1, "甲", residence_community=org.nanyuan.id)
    other = await factories.member(org.nanyuan_1, "乙", residence_community=org.nanyuan.id)
    request_one = await request_to_join(team, joiner)
    request_two = await request_to_join(team, other)
    assert "甲" in await (await client.get(page)).text()
    assert (await post_form(client, page, f"{page}/requests/{request_one.id}/approve")).status == 303
    assert (await post_form(client, page, f"{page}/requests/{request_two.id}/decline")).status == 303
    await request_one.refresh_from_db()
    await request_two.refresh_from_db()
    assert request_one.status == MembershipStatus.ACTIVE
    assert request_two.status == MembershipStatus.DECLINED
    response = await post_form(client, page, f"{page}/leader", {"member": str(joiner.id)})
    assert response.status == 303
    await request_one.refresh_from_db()
    assert request_one.role == TeamRole.LEADER
    assert (await post_form(client, page, f"{page}/leader", {"member": ""})).status == 422
    assert "助老服务队" in await (await client.get("/community/teams")).text()

    foreign = await Team.create(community=org.xinfeng, name="新风队")
    assert "新风队" not in await (await client.get("/community/teams")).text()
    assert (await client.get(f"/community/teams/{foreign.id}")).status == 404
    assert await TeamMembership.filter(team_id=foreign.id).count() == 0
