"""Security review: malformed input never reaches the browser as a 500, parallel password
guesses are throttled like sequential ones, and read-only staff see no resident's identity
on the delivery page."""

from __future__ import annotations

import asyncio

import aiohttp

from admin.forms import int_or_none
from models.admins import AdminSession, LoginAttempt
from models.members import TelegramUser
from models.outbox import OutboxMessage, OutboxStatus, enqueue
from tests import factories
from tests.admin.conftest import csrf_token, read_xlsx, zh

HUGE = "9" * 30  # matches the routes' \d+, fits no database integer


async def test_huge_ids_in_the_address_are_not_found(as_user, org):
    client = await as_user("street")
    token = csrf_token(await (await client.get("/members")).text())
    for path in (
        f"/members/{HUGE}",
        f"/members/{HUGE}/edit",
        f"/members/{HUGE}/invite.png",
        f"/pledges/{HUGE}",
        f"/pledges/{HUGE}/items",
        f"/wishes/{HUGE}",
        f"/broadcasts/{HUGE}",
        f"/broadcasts/{HUGE}/progress.json",
    ):
        response = await client.get(path)
        assert response.status == 404, path
    for path in (
        f"/members/{HUGE}/edit",
        f"/members/{HUGE}/invites",
        f"/invites/{HUGE}/revoke",
        f"/pledges/{HUGE}/approve",
        f"/pledges/{HUGE}/items/{HUGE}",
        f"/pledges/{HUGE}/items/{HUGE}/delete",
        f"/pledges/notice/links/{HUGE}/revoke",
        f"/wishes/{HUGE}/reject",
        f"/broadcasts/{HUGE}/cancel",
    ):
        response = await client.post(path, data={"csrf_token": token, "reason": "x"})
        assert response.status == 404, path


def test_numbers_past_the_database_integer_are_no_numbers():
    """PostgreSQL refuses a query parameter past its ``integer`` for an IntField: a 500."""
    assert int_or_none("2147483647") == 2147483647
    assert int_or_none("2147483648") is None
    assert int_or_none("999999999999999999") is None


async def test_page_number_in_other_digits_is_the_first_page(as_user, org):
    await factories.member(org.nanyuan_1)
    client = await as_user("branch1")
    for query in ("page=²", "page=٣", f"page={HUGE}"):
        response = await client.get(f"/members?{query}")
        assert response.status == 200, query


async def test_member_form_with_odd_unit_ids_gets_field_errors(as_user, org):
    client = await as_user("street")
    token = csrf_token(await (await client.get("/members/new")).text())
    base = {"csrf_token": token, "name": "赵六", "member_type": "retired"}
    attempts = [
        {"branch": "²"},
        {"branch": HUGE},
        {"branch": str(org.nanyuan_1.id), "residence_community": "²"},
        {"branch": str(org.nanyuan_1.id), "residence_community": HUGE},
    ]
    for fields in attempts:
        response = await client.post("/members/new", data={**base, **fields})
        assert response.status == 422, fields
        assert 'class="field-error"' in await response.text()


async def test_broadcast_segment_with_an_odd_unit_id_gets_a_field_error(as_user, org):
    client = await as_user("street")
    token = csrf_token(await (await client.get("/broadcasts/new")).text())
    for org_id in ("²", HUGE):
        response = await client.post(
            "/broadcasts/new", data={"csrf_token": token, "action": "preview", "org": org_id}
        )
        assert response.status == 422, org_id
        assert zh("Choose a unit of your organisation.") in await response.text()


async def test_bulk_action_sent_as_a_file_is_a_bad_request(as_user, org):
    client = await as_user("street")
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf_token(await (await client.get("/pledges")).text()))
    form.add_field("action", b"approve", filename="action.txt")
    response = await client.post("/pledges/bulk", data=form)
    assert response.status == 400


async def test_parallel_wrong_passwords_are_throttled_like_sequential_ones(
    make_client, admin, settings
):
    """Checked before recording, a burst of guesses all passed the check: 30 tries, not 5."""
    await admin("branch1")
    client = await make_client()
    token = csrf_token(await (await client.get("/login")).text())

    async def guess(number: int) -> int:
        data = {"username": "branch1", "password": f"guess number {number}", "csrf_token": token}
        return (await client.post("/login", data=data, allow_redirects=False)).status

    statuses = []
    for burst in range(3):
        statuses += await asyncio.gather(*(guess(burst * 30 + number) for number in range(30)))
    checked = statuses.count(200)  # "wrong password": the password was tried
    assert checked <= settings.login_max_failures
    assert statuses.count(429) == len(statuses) - checked
    assert await LoginAttempt.filter(success=False).count() == checked

    for number in range(settings.login_max_failures - checked):  # up to the limit, one by one
        assert await guess(100 + number) == 200
    response = await client.post(
        "/login",
        data={"username": "branch1", "password": factories.PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 429
    assert await AdminSession.all().count() == 0


async def test_a_right_password_still_logs_in_and_is_not_a_failure(make_client, admin):
    await admin("branch1")
    client = await make_client()
    token = csrf_token(await (await client.get("/login")).text())
    response = await client.post(
        "/login",
        data={"username": "branch1", "password": factories.PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 303
    assert await LoginAttempt.filter(success=True).count() == 1
    assert await LoginAttempt.filter(success=False).count() == 0


async def _failed_message_to_a_resident() -> None:
    resident = await TelegramUser.create(id=900, first_name="王阿姨", username="wang_ayi")
    await enqueue(resident.id, "心愿已发布", kind="wish.published", telegram_user_id=resident.id)
    await OutboxMessage.filter(chat_id=900).update(
        status=OutboxStatus.DEAD, attempts=1, last_error="TelegramBadRequest: chat not found"
    )


async def test_staff_see_no_residents_telegram_identity_on_the_delivery_page(as_user, org):
    """Like the wish pages, which hide the resident's name from read-only staff."""
    await _failed_message_to_a_resident()
    client = await as_user("staff")  # on the sub-district: sees the whole outbox

    html = await (await client.get("/delivery")).text()
    # The failure itself is listed, with its reason in words.
    assert zh("Telegram does not know this chat: the person never opened the bot, or deleted their account") in html
    assert "王阿姨" not in html and "wang_ayi" not in html
    assert zh("the resident") in html
    html = await (await client.get("/delivery", params={"q": "王阿姨"})).text()
    assert zh("{count} records", count=0) in html

    rows = read_xlsx(await (await client.get("/delivery/failures.xlsx")).read())
    assert zh("Chat ID") not in rows[0]
    cells = {str(cell) for row in rows for cell in row}
    assert not cells & {"王阿姨", "@wang_ayi", "900"}

    # A secretary still sees who it was.
    street = await as_user("street")
    rows = read_xlsx(await (await street.get("/delivery/failures.xlsx")).read())
    assert rows[1][1] == "王阿姨" and 900 in rows[1]
