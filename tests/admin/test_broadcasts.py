"""Broadcasts from the panel (compose, preview, send, progress, cancel, scoping), the delivery
status page with its failures export, and the "unreachable" badge and filter on the members list.

Outbox rows are moved along through ``models.outbox``, as the delivery worker does; one
test runs the real worker against the sandbox Bot API server.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape

import pytest

from bot.delivery import DeliveryWorker
from bot.sandbox import SandboxServer
from bot.sandbox.testing import sandbox_bot
from models.audit import AuditEntry
from models.broadcasts import Broadcast
from models.invites import redeem_invite
from models.members import Member, TelegramUser
from models.org import OrgUnit
from models.outbox import (
    OutboxMessage,
    OutboxStatus,
    claim_next,
    enqueue,
    mark_dead,
    mark_sent,
    mark_unreachable,
    utcnow,
)
from tests import factories
from tests.admin.conftest import csrf_token, listed_names, post_form, read_xlsx, zh
from tests.delivery.support import FAST, register_users

_FORM_KEY_RE = re.compile(r'name="form_key" value="([^"]+)"')
BLOCKED = "TelegramForbiddenError: Telegram server says - Forbidden: bot was blocked by the user"


# --------------------------------------------------------------------------- helpers


async def bound(branch: OrgUnit, name: str, telegram_id: int, **values) -> Member:
    """A member who redeemed an invite in the bot with Telegram account ``telegram_id``."""
    member = await factories.member(branch, name, **values)
    invite = await factories.invite(member)
    await redeem_invite(invite.code, await TelegramUser.create(id=telegram_id, first_name=name))
    return member


async def claim(chat_id: int) -> OutboxMessage:
    """Claim the waiting row for ``chat_id`` the way a worker does (other chats are skipped)."""
    others = await OutboxMessage.filter(status__in=("queued", "retry")).exclude(chat_id=chat_id)
    row = await claim_next(
        "tests", utcnow(), timedelta(minutes=2), exclude_chats={o.chat_id for o in others}
    )
    assert row is not None and row.chat_id == chat_id
    return row


async def block(telegram_id: int) -> None:
    """The user blocked the bot: the worker's next message to them got a 403."""
    await enqueue(telegram_id, "ping", kind="wish.published", telegram_user_id=telegram_id)
    assert await mark_unreachable(await claim(telegram_id), BLOCKED)


async def deliver(chat_id: int) -> None:
    assert await mark_sent(await claim(chat_id), telegram_message_id=1)


async def fail(chat_id: int, error: str) -> None:
    assert await mark_dead(await claim(chat_id), error)


async def compose(client) -> dict[str, str]:
    """The compose form's hidden fields, as a browser would post them back."""
    html = await (await client.get("/broadcasts/new")).text()
    return {"csrf_token": csrf_token(html), "form_key": unescape(_FORM_KEY_RE.search(html)[1])}


async def submit(client, hidden: dict[str, str] | None = None, **fields: str):
    data = {
        **(hidden or await compose(client)),
        "title": "重要通知",
        "text": "周四下午三点开会。",
        "member_type": "",
        "action": "send",
        **fields,
    }
    return await client.post("/broadcasts/new", data=data, allow_redirects=False)


async def sent(client, org: OrgUnit, **fields: str) -> Broadcast:
    response = await submit(client, org=str(org.id), **fields)
    assert response.status == 303, await response.text()
    return await Broadcast.get(id=int(response.headers["Location"].rsplit("/", 1)[1]))


async def figures(client, broadcast: Broadcast) -> dict:
    response = await client.get(f"/broadcasts/{broadcast.id}/progress.json")
    assert response.status == 200
    return await response.json()


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="error-{field}">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else ""


@pytest.fixture
async def people(org):
    """南园一支部: 甲 retired, 乙 in service, 丙 not bound, 丁 blocked the bot;
    南园二支部: 戊; 新风一支部: 己. Telegram ids 101...106."""
    people = {
        "甲": await bound(org.nanyuan_1, "甲", 101, member_type="retired"),
        "乙": await bound(org.nanyuan_1, "乙", 102, member_type="in_service"),
        "丙": await factories.member(org.nanyuan_1, "丙", member_type="retired"),
        "丁": await bound(org.nanyuan_1, "丁", 104, member_type="retired"),
        "戊": await bound(org.nanyuan_2, "戊", 105, member_type="retired"),
        "己": await bound(org.xinfeng_1, "己", 106, member_type="retired"),
    }
    await block(104)
    return people


# --------------------------------------------------------------------------- composing


async def test_preview_counts_bound_reachable_members_of_the_segment(as_user, org, people):
    client = await as_user("street")
    hidden = await compose(client)

    async def preview(unit: OrgUnit, member_type: str = "") -> str:
        response = await submit(client, hidden, org=str(unit.id), member_type=member_type,
                                title="", text="", action="preview")
        assert response.status == 200
        return await response.text()

    html = await preview(org.nanyuan)  # 甲 乙 戊; 丙 not bound, 丁 unreachable
    assert zh("{count} members will receive this announcement.", count=3) in html
    assert zh("{count} members in this group.", count=5) in html
    assert zh("{count} are not bound to Telegram yet.", count=1) in html
    assert zh("{count} cannot be reached: they blocked the bot.", count=1) in html
    assert zh("Send to {count} members", count=3) in html
    assert field_error(html, "title") == ""  # a preview does not ask for the text yet
    assert f'href="/members?org={org.nanyuan.id}&amp;telegram=unreachable"' in html

    html = await preview(org.nanyuan, "retired")  # 甲 戊; 丙, 丁 left out
    assert zh("{count} members will receive this announcement.", count=2) in html
    assert zh("{count} members in this group.", count=4) in html
    assert f'href="/members?org={org.nanyuan.id}&amp;type=retired&amp;telegram=no"' in html

    html = await preview(org.nanyuan_1, "retired")  # 甲
    assert zh("{count} members will receive this announcement.", count=1) in html
    html = await preview(org.street)  # 甲 乙 戊 己
    assert zh("{count} members will receive this announcement.", count=4) in html
    assert not await Broadcast.exists()


async def test_sending_queues_one_escaped_message_per_recipient_once(as_user, org, people, admin):
    client = await as_user("nanyuan")
    hidden = await compose(client)
    fields = {"org": str(org.nanyuan.id), "title": "通知 <急>", "text": "a & b\r\n<b>不是粗体</b>"}

    first = await submit(client, hidden, **fields)
    again = await submit(client, hidden, **fields)  # a double click: the same form twice

    assert first.status == again.status == 303
    assert first.headers["Location"] == again.headers["Location"]
    broadcast = await Broadcast.get()
    assert first.headers["Location"] == f"/broadcasts/{broadcast.id}"
    assert (broadcast.recipients, broadcast.skipped_not_bound, broadcast.skipped_unreachable) == (
        3, 1, 1,
    )
    assert broadcast.author_id == (await admin("nanyuan")).id
    rows = await OutboxMessage.filter(broadcast_id=broadcast.id).order_by("chat_id")
    assert [row.chat_id for row in rows] == [101, 102, 105]
    for row in rows:
        assert row.kind == "broadcast"
        assert row.telegram_user_id == row.chat_id
        assert row.dedup_key == f"broadcast:{broadcast.id}:{row.chat_id}"
        assert row.status == OutboxStatus.QUEUED
        assert row.text == "<b>通知 &lt;急&gt;</b>\n\na &amp; b\n&lt;b&gt;不是粗体&lt;/b&gt;"
    audit = AuditEntry.filter(action="broadcast.send", object_id=str(broadcast.id))
    assert await audit.count() == 1

    # A new form is a new broadcast; posted twice at the same moment, it is still one.
    hidden = await compose(client)
    responses = await asyncio.gather(
        *(submit(client, hidden, org=str(org.nanyuan_2.id)) for _ in range(2))
    )
    assert {r.status for r in responses} == {303}
    assert len({r.headers["Location"] for r in responses}) == 1
    second = await Broadcast.get(form_key=hidden["form_key"])
    assert await OutboxMessage.filter(broadcast_id=second.id).count() == 1
    assert await Broadcast.all().count() == 2


async def test_invalid_announcements_are_refused_next_to_the_fields(as_user, org, people):
    client = await as_user("nanyuan")
    response = await submit(client, org=str(org.nanyuan.id), title=" ", text="长" * 3501)
    assert response.status == 422
    html = await response.text()
    assert field_error(html, "title") == zh("Please give the announcement a title.")
    assert field_error(html, "text") == zh(
        "The text may have at most {count} characters (it has {length}).", count=3500, length=3501
    )
    assert "长" * 3501 in html  # what was typed is kept

    # Nobody there can receive it: no floating members.
    response = await submit(client, org=str(org.nanyuan.id), member_type="floating")
    assert response.status == 422
    assert field_error(await response.text(), "org") == zh(
        "Nobody in this group can receive the announcement: "
        "no member there has a reachable Telegram account."
    )
    assert not await Broadcast.exists()
    assert not await OutboxMessage.filter(kind="broadcast").exists()


# --------------------------------------------------------------------------- progress and cancel


async def test_progress_page_matches_the_outbox(as_user, org, people):
    client = await as_user("street")
    broadcast = await sent(client, org.street)  # 101 102 105 106
    assert await figures(client, broadcast) == {
        "total": 4, "done": 0, "sent": 0, "waiting": 4, "failed": 0, "cancelled": 0,
        "percent": 0, "finished": False,
        "time_left": zh("Estimated time left: less than a minute."),
    }

    await deliver(101)
    await deliver(102)
    await fail(105, "TelegramBadRequest: chat not found")
    got = await figures(client, broadcast)
    assert (got["sent"], got["waiting"], got["failed"], got["percent"]) == (2, 1, 1, 75)

    response = await client.get(f"/broadcasts/{broadcast.id}")
    html = await response.text()
    assert '<dd data-field="sent">2</dd>' in html
    assert '<dd data-field="waiting">1</dd>' in html
    assert '<dd data-field="failed">1</dd>' in html
    assert '<progress id="progress-bar" data-field="done" max="4" value="3"' in html
    # Failures grouped by their reason, in words (Telegram's own are in the failures export).
    assert zh("Telegram does not know this chat: the person never opened the bot, or deleted their account") in html
    assert "chat not found" not in html
    assert f'data-progress-url="/broadcasts/{broadcast.id}/progress.json"' in html
    assert '<script src="/static/broadcast.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script (CSP)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    script = await client.get("/static/broadcast.js")
    assert script.status == 200 and "data-progress-url" in await script.text()

    await deliver(106)
    got = await figures(client, broadcast)
    assert (got["percent"], got["finished"], got["time_left"]) == (100, True, "")
    html = await (await client.get(f"/broadcasts/{broadcast.id}")).text()
    assert "data-progress-url" not in html and "broadcast.js" not in html
    assert zh("Delivery has finished: {failed} of {total} messages could not be delivered "
              "(why: below).", failed=1, total=4) in html
    assert zh("Cancel what is not yet sent") not in html

    everyone = await sent(client, org.nanyuan_1, title="都送到了")  # 甲 乙
    await deliver(101)
    await deliver(102)
    html = await (await client.get(f"/broadcasts/{everyone.id}")).text()
    assert zh("Delivery has finished.") in html and 'class="status ok"' in html


async def test_time_left_follows_the_delivery_rate(as_user, org, settings):
    settings.delivery_rate = 0.01  # one message every 100 s
    for number in range(3):
        await bound(org.nanyuan_1, f"党员{number}", 200 + number)
    client = await as_user("street")
    broadcast = await sent(client, org.nanyuan_1)
    got = await figures(client, broadcast)
    assert got["time_left"] == zh("Estimated time left: about {minutes} minutes.", minutes=5)


async def test_cancel_stops_what_is_waiting_and_leaves_the_rest(as_user, org, people):
    client = await as_user("street")
    broadcast = await sent(client, org.street)  # 101 102 105 106
    await deliver(101)
    in_flight = await claim(102)  # being sent right now
    await fail(105, "TelegramBadRequest: chat not found")

    page = f"/broadcasts/{broadcast.id}"
    response = await post_form(client, page, f"{page}/cancel")
    assert response.status == 303 and response.headers["Location"] == page

    statuses = dict(
        await OutboxMessage.filter(broadcast_id=broadcast.id).values_list("chat_id", "status")
    )
    assert statuses == {101: "sent", 102: "sending", 105: "dead", 106: "cancelled"}
    await broadcast.refresh_from_db()
    assert broadcast.cancelled_at is not None
    # The message in flight still ends as it ends.
    assert await mark_sent(in_flight, telegram_message_id=2)
    got = await figures(client, broadcast)
    assert (got["sent"], got["failed"], got["cancelled"], got["finished"]) == (2, 1, 1, True)

    # Cancelling again changes nothing.
    response = await client.post(f"{page}/cancel", data={"csrf_token": csrf_token(
        await (await client.get("/broadcasts")).text())}, allow_redirects=False)
    assert response.status == 303
    assert await AuditEntry.filter(action="broadcast.cancel").count() == 1
    html = await (await client.get(page)).text()
    assert '<dd data-field="cancelled">1</dd>' in html
    assert zh("Cancel what is not yet sent") not in html


async def test_nothing_left_to_cancel_is_refused(as_user, org, people):
    client = await as_user("street")
    broadcast = await sent(client, org.nanyuan_1)  # 甲 乙
    await deliver(101)
    await fail(102, "TelegramBadRequest: chat not found")
    page = f"/broadcasts/{broadcast.id}"
    response = await post_form(client, page, f"{page}/cancel")
    assert response.status == 400
    assert zh("Every message of this announcement has already been sent or has failed: "
              "nothing is left to cancel.") in await response.text()
    await broadcast.refresh_from_db()
    assert broadcast.cancelled_at is None


# --------------------------------------------------------------------------- rights


async def test_branch_secretary_stays_in_their_branch(as_user, org, people):
    street = await as_user("street")
    other = await sent(street, org.nanyuan_2, title="二支部的通知")
    client = await as_user("branch1")

    response = await submit(client, org=str(org.nanyuan_2.id))
    assert response.status == 422
    assert field_error(await response.text(), "org") == zh("Choose a unit of your organisation.")
    response = await submit(client, org=str(org.nanyuan_1.id), action="preview")
    assert response.status == 200

    for path in (f"/broadcasts/{other.id}", f"/broadcasts/{other.id}/progress.json"):
        assert (await client.get(path)).status == 404, path
    response = await post_form(client, "/broadcasts", f"/broadcasts/{other.id}/cancel")
    assert response.status == 404
    assert await OutboxMessage.filter(broadcast_id=other.id, status="queued").count() == 1

    own = await sent(client, org.nanyuan_1)
    html = await (await client.get("/broadcasts")).text()
    assert f'href="/broadcasts/{own.id}"' in html and "二支部的通知" not in html
    rows = read_xlsx(await (await client.get("/broadcasts/export.xlsx")).read())
    assert [row[0] for row in rows[1:]] == ["重要通知"]


async def test_staff_only_read(as_user, org, people):
    broadcast = await sent(await as_user("street"), org.nanyuan)
    staff = await as_user("staff")
    assert (await staff.get("/broadcasts/new")).status == 403
    html = await (await staff.get(f"/broadcasts/{broadcast.id}")).text()
    assert zh("Cancel what is not yet sent") not in html
    assert zh("New announcement") not in await (await staff.get("/broadcasts")).text()

    token = csrf_token(html)
    response = await staff.post("/broadcasts/new", data={
        "csrf_token": token, "form_key": "x" * 32, "title": "t", "text": "t",
        "org": str(org.nanyuan.id), "action": "send",
    }, allow_redirects=False)
    assert response.status == 403
    response = await staff.post(f"/broadcasts/{broadcast.id}/cancel",
                                data={"csrf_token": token}, allow_redirects=False)
    assert response.status == 403
    assert await Broadcast.all().count() == 1
    assert await OutboxMessage.filter(status="cancelled").count() == 0


async def test_posts_without_the_csrf_token_are_refused(as_user, org, people):
    client = await as_user("street")
    hidden = await compose(client)
    response = await submit(client, {"form_key": hidden["form_key"]}, org=str(org.nanyuan.id))
    assert response.status == 403
    assert not await Broadcast.exists()

    broadcast = await sent(client, org.nanyuan)
    response = await client.post(f"/broadcasts/{broadcast.id}/cancel", allow_redirects=False)
    assert response.status == 403
    assert await OutboxMessage.filter(status="cancelled").count() == 0


# --------------------------------------------------------------------------- delivery status


async def test_delivery_status_counts_and_failures_export(as_user, org, people):
    street = await as_user("street")
    await sent(street, org.street)  # 101 102 105 106
    await deliver(101)
    await fail(105, "TelegramBadRequest: chat not found")
    resident = await TelegramUser.create(id=900, first_name="王阿姨")  # not a member
    await enqueue(resident.id, "心愿已发布", kind="wish.published", telegram_user_id=resident.id)
    await fail(900, "TelegramBadRequest: message is too long")

    html = await (await street.get("/delivery")).text()
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html))
    # 丁's ping (dead, from the fixture), 4 broadcast rows, the resident's row.
    assert counts[zh("Sent")] == "1" and counts[zh("Queued")] == "2"
    assert counts[zh("Failed")] == "3" and counts[zh("Total")] == "6"
    assert zh("{count} members cannot be reached: they blocked the bot.", count=1) in html

    response = await street.get("/delivery/failures.xlsx", params={"sort": "when"})
    assert response.status == 200
    header, *body = read_xlsx(await response.read())
    assert header[:6] == [
        zh("Failed at"), zh("Recipient"), zh("Message type"), zh("Attempts"), zh("Reason"),
        zh("Telegram's words"),
    ]
    assert [row[1:6] for row in body] == [
        ["丁", zh("Micro-wish notifications"), 1, zh("The person blocked the bot"), BLOCKED],
        ["戊", zh("Announcements"), 1, zh("Telegram does not know this chat: the person never opened the bot, or deleted their account"), "TelegramBadRequest: chat not found"],
        ["王阿姨", zh("Micro-wish notifications"), 1, zh("The message is too long for Telegram"),
         "TelegramBadRequest: message is too long"],
    ]
    assert [row[6] for row in body] == ["wish.published", "broadcast", "wish.published"]
    # The page's table gives the reason in words, and the search finds those words.
    assert zh("The message is too long for Telegram") in html and "message is too long" not in html
    for words, found in (("长度", ["王阿姨"]), ("屏蔽", ["丁"]), ("never opened", ["戊"]),
                         ("chat not found", ["戊"])):
        rows = read_xlsx(await (await street.get("/delivery/failures.xlsx", params={"q": words})).read())
        assert [row[1] for row in rows[1:]] == found, words
    rows = read_xlsx(await (await street.get("/delivery/failures.xlsx?kind=broadcast")).read())
    assert [row[1] for row in rows[1:]] == ["戊"]

    # A branch secretary counts and lists only messages to their own members.
    branch = await as_user("branch1")
    html = await (await branch.get("/delivery")).text()
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html))
    assert (counts[zh("Sent")], counts[zh("Queued")], counts[zh("Failed")]) == ("1", "1", "1")
    rows = read_xlsx(await (await branch.get("/delivery/failures.xlsx")).read())
    assert [row[1] for row in rows[1:]] == ["丁"]


def broadcast_options(html: str) -> list[int]:
    select = re.search(r'<select[^>]*name="broadcast".*?</select>', html, re.S)[0]
    return [int(value) for value in re.findall(r'<option value="(\d+)"', select)]


async def test_a_broadcasts_failed_messages_are_one_click_away_and_exportable(as_user, org, people):
    street = await as_user("street")
    first = await sent(street, org.nanyuan_2)  # 戊 (105)
    await fail(105, "TelegramBadRequest: chat not found")
    second = await sent(street, org.nanyuan_1, title="第二条通知")  # 甲 (101), 乙 (102)
    await fail(101, "TelegramForbiddenError: bot was blocked by the user")
    await fail(102, "TelegramBadRequest: chat not found")
    quiet = await sent(street, org.xinfeng_1, title="无人失败")  # 己 (106), still queued

    html = await (await street.get(f"/broadcasts/{first.id}")).text()
    assert f'href="/delivery?broadcast={first.id}#failures"' in html
    html = await (await street.get("/delivery")).text()
    offered = broadcast_options(html)
    assert quiet.id not in offered  # only announcements with failures, newest first
    assert [i for i in offered if i in (first.id, second.id)] == [second.id, first.id]

    rows = read_xlsx(await (await street.get(f"/delivery/failures.xlsx?broadcast={first.id}")).read())
    assert [row[1] for row in rows[1:]] == ["戊"]
    rows = read_xlsx(await (await street.get(
        f"/delivery/failures.xlsx?broadcast={second.id}&sort=when")).read())
    assert [row[1] for row in rows[1:]] == ["甲", "乙"]

    # 南园一支部's secretary is offered no announcement to 二支部 alone, and never sees its failures.
    branch = await as_user("branch1")
    html = await (await branch.get("/delivery")).text()
    offered = broadcast_options(html)
    assert first.id not in offered and second.id in offered
    rows = read_xlsx(await (await branch.get(f"/delivery/failures.xlsx?broadcast={first.id}")).read())
    assert "戊" not in {row[1] for row in rows[1:]}


# --------------------------------------------------------------------------- members list


async def test_members_list_flags_and_filters_unreachable_members(as_user, org, people):
    client = await as_user("branch1")
    html = await (await client.get("/members", params={"telegram": "unreachable"})).text()
    assert listed_names(html) == ["丁"]
    assert re.search(r'<td data-column="unreachable"[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d</td>', html)
    html = await (await client.get("/members")).text()
    assert len(re.findall(r'<td data-column="unreachable"[^>]*></td>', html)) == 3  # 甲 乙 丙
    assert zh("Unreachable: blocked the bot") in html  # the filter's option

    detail = await (await client.get(f"/members/{people['丁'].id}")).text()
    assert 'class="badge warn"' in detail
    detail = await (await client.get(f"/members/{people['甲'].id}")).text()
    assert 'class="badge warn"' not in detail


# --------------------------------------------------------------------------- end to end


@pytest.fixture
async def sandbox(db) -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as server:
        yield server


async def test_a_broadcast_reaches_the_sandbox_chats(as_user, org, sandbox):
    first, second = register_users(sandbox, 7001, 2)
    await bound(org.nanyuan_1, "甲", first)
    await bound(org.nanyuan_2, "乙", second)
    client = await as_user("nanyuan")
    broadcast = await sent(client, org.nanyuan, title="周四开会", text="地点：<活动室> & 二楼")

    bot = sandbox_bot(sandbox)
    try:
        await asyncio.wait_for(DeliveryWorker(bot, worker_id="e2e", **FAST).drain(), 30)
    finally:
        await bot.session.close()

    for chat in (first, second):
        [message] = [m for m in sandbox.actions.transcript(chat)["messages"] if m["from_bot"]]
        assert message["text"] == "周四开会\n\n地点：<活动室> & 二楼"
        assert message["entities"][0]["type"] == "bold"
    got = await figures(client, broadcast)
    assert (got["sent"], got["percent"], got["finished"]) == (2, 100, True)
    html = await (await client.get(f"/broadcasts/{broadcast.id}")).text()
    assert '<span data-field="percent">100</span>%' in html
