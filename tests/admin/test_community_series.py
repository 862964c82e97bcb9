"""Recurring activities in the panel: the form (weekly or monthly), the occurrences it
generates ahead, validation by field, stopping, the list with export, and scoping."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from models.activities import Activity
from models.activity_series import ActivitySeries, Frequency, create_series
from models.audit import Actor
from models.outbox import OutboxMessage
from models.teams import Team
from tests import factories
from tests.admin.conftest import post_form, read_xlsx
from tests.admin.test_community import field_error

NEW = "/community/series/new"


def local_today() -> date:
    """Today in the panel's zone (the tests' settings)."""
    from xianfeng.settings import Settings

    return datetime.now(Settings(_env_file=None).tz).date()


def weekly(org, **values) -> dict:
    tomorrow = local_today() + timedelta(days=1)
    return {
        "community": str(org.nanyuan.id), "title": "周四义诊", "place": "社区卫生站",
        "frequency": "weekly", "weekday": str(tomorrow.weekday()), "start_time": "09:00",
        "duration": "180", "starts_on": tomorrow.isoformat(), "capacity": "8", "weeks_ahead": "3",
        **values,
    }


async def test_a_weekly_series_generates_its_weeks_ahead(as_user, org, settings):
    client = await as_user("nanyuan")
    response = await post_form(client, NEW, NEW, weekly(org))
    assert response.status == 303, await response.text()
    series = await ActivitySeries.get()
    assert response.headers["Location"] == f"/community/series/{series.id}"
    assert (series.frequency, series.weekday, series.start_minute, series.weeks_ahead) == (
        Frequency.WEEKLY, (local_today() + timedelta(days=1)).weekday(), 9 * 60, 3)
    occurrences = await Activity.filter(series_id=series.id).order_by("starts_at")
    assert len(occurrences) == 3  # tomorrow, then weekly, three weeks ahead
    first = occurrences[0].starts_at.astimezone(settings.tz)
    assert (first.date(), first.hour, first.minute) == (local_today() + timedelta(days=1), 9, 0)
    assert all(a.ends_at - a.starts_at == timedelta(minutes=180) and a.capacity == 8 for a in occurrences)
    assert [b.starts_at - a.starts_at for a, b in zip(occurrences, occurrences[1:])] == [timedelta(weeks=1)] * 2

    page = await (await client.get(f"/community/series/{series.id}")).text()
    assert "周四义诊" in page and page.count('href="/community/activities/') == 3
    listing = await (await client.get("/community/series?active=yes")).text()
    assert "周四义诊" in listing
    assert "周四义诊" not in await (await client.get("/community/series?active=no")).text()
    export = read_xlsx(await (await client.get("/community/series/export.xlsx")).read())
    assert export[1][0] == "周四义诊"


async def test_a_monthly_series_and_its_team_group_is_told(as_user, org):
    scope = await factories.scope_of(org.nanyuan, "setup")
    team = await factories.team(org.nanyuan, scope)
    await Team.filter(id=team.id).update(group_chat_id=-4000000123)
    client = await as_user("nanyuan")
    day = min(local_today().day, 28)
    response = await post_form(client, NEW, NEW, weekly(
        org, frequency="monthly", weekday="", day_of_month=str(day), team=str(team.id),
        starts_on=local_today().isoformat(), weeks_ahead="12", start_time="23:59"))
    assert response.status == 303, await response.text()
    series = await ActivitySeries.get()
    assert (series.frequency, series.day_of_month, series.weekday, series.team_id) == (
        Frequency.MONTHLY, day, None, team.id)
    occurrences = await Activity.filter(series_id=series.id)
    assert 2 <= len(occurrences) <= 3 and {a.team_id for a in occurrences} == {team.id}
    assert {a.series_date.day for a in occurrences} == {day}
    announced = await OutboxMessage.filter(kind="activity.group_created")
    assert len(announced) == len(occurrences) and {m.chat_id for m in announced} == {-4000000123}


async def test_the_form_says_what_is_wrong_by_field(as_user, org):
    client = await as_user("nanyuan")
    cases = {
        "weekday": {"weekday": ""},
        "day_of_month": {"frequency": "monthly", "day_of_month": "32"},
        "frequency": {"frequency": "daily"},
        "start_time": {"start_time": "9点"},
        "duration": {"duration": "0"},
        "starts_on": {"starts_on": "明天"},
        "ends_on": {"ends_on": (local_today() - timedelta(days=3)).isoformat()},
        "weeks_ahead": {"weeks_ahead": "13"},
        "capacity": {"capacity": "-1"},
        "title": {"title": " "},
        "community": {"community": str(org.xinfeng.id)},  # another community's
    }
    for field, bad in cases.items():
        response = await post_form(client, NEW, NEW, weekly(org, **bad))
        assert response.status == 422, field
        html = await response.text()
        assert field_error(html, field), (field, html[:200])
        if field == "title":
            assert 'value="社区卫生站"' in html  # what was typed stays
    assert not await ActivitySeries.exists()
    # Without the form's CSRF token nothing is created.
    response = await client.post(NEW, data=weekly(org), allow_redirects=False)
    assert response.status == 403
    assert not await ActivitySeries.exists()


async def test_stop_and_scoping(as_user, org):
    xinfeng = await factories.scope_of(org.xinfeng, "xf")
    foreign = await create_series(
        Actor(admin=xinfeng.user), org.xinfeng, title="新风讲座", place="会议室",
        frequency=Frequency.WEEKLY, weekday=2, start_time=time(19), duration=timedelta(hours=1),
        starts_on=date.today(), scope=xinfeng)
    client = await as_user("nanyuan")
    assert "新风讲座" not in await (await client.get("/community/series")).text()
    assert (await client.get(f"/community/series/{foreign.id}")).status == 404
    response = await post_form(client, "/community/series", f"/community/series/{foreign.id}/stop")
    assert response.status == 404
    assert (await ActivitySeries.get(id=foreign.id)).active

    assert (await post_form(client, NEW, NEW, weekly(org))).status == 303
    own = await ActivitySeries.get(community_id=org.nanyuan.id)
    page = f"/community/series/{own.id}"
    staff = await as_user("staff")
    assert (await staff.get(page)).status == 200
    assert (await staff.get(NEW)).status == 403
    assert (await post_form(staff, page, f"{page}/stop")).status == 403
    assert (await post_form(client, page, f"{page}/stop")).status == 303
    assert not (await ActivitySeries.get(id=own.id)).active
    assert (await post_form(client, page, f"{page}/stop")).status == 303  # a double click: no error
    assert f"/community/series/{own.id}/stop" not in await (await client.get(page)).text()
    kept = await Activity.filter(series_id=own.id).count()
    assert kept == 3  # stopping keeps the occurrences already created
