"""Issue an invite, show its link and QR code, revoke it, reissue it; the invites list."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

from models.audit import AuditEntry
from models.invites import Invite
from tests import factories
from tests.admin.conftest import BOT_USERNAME, SANDBOX_CHAT_URL, post_form, read_xlsx, zh

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def shown_link(html: str) -> str:
    match = re.search(r'id="invite-link" class="copy" type="text" readonly value="([^"]+)"', html)
    assert match, "no invitation link on the page"
    return unescape(match.group(1))


async def test_issue_show_revoke_reissue(as_user, org, admin, settings):
    member = await factories.member(org.nanyuan_1, "张三")
    client = await as_user("branch1")
    page = f"/members/{member.id}"

    assert zh("Issue invite") in await (await client.get(page)).text()
    assert (await client.get(f"{page}/invite.png")).status == 404

    response = await post_form(client, page, f"{page}/invites")
    assert response.status == 303
    assert response.headers["Location"] == f"{page}#invite"
    invite = await Invite.get(member=member)
    assert invite.status == "pending"
    assert invite.expires_at - datetime.now(UTC) > timedelta(days=settings.invite_ttl_days - 1)
    assert await AuditEntry.filter(
        action="invite.issue", actor_admin=await admin("branch1")
    ).exists()

    html = await (await client.get(page)).text()
    assert shown_link(html) == f"https://t.me/{BOT_USERNAME}?start={invite.code}"
    assert f'href="{SANDBOX_CHAT_URL}?start={invite.code}"' in html
    qr = await client.get(f"{page}/invite.png")
    assert qr.status == 200
    assert qr.content_type == "image/png"
    assert qr.headers["Cache-Control"] == "no-store"
    png = await qr.read()
    assert png.startswith(PNG_SIGNATURE) and b"IHDR" in png[:16]

    response = await post_form(client, page, f"/invites/{invite.id}/revoke")
    assert response.status == 303
    await invite.refresh_from_db()
    assert invite.status == "revoked"
    assert await AuditEntry.filter(
        action="invite.revoke", actor_admin=await admin("branch1")
    ).exists()
    assert (await client.get(f"{page}/invite.png")).status == 404
    html = await (await client.get(page)).text()
    assert zh("Issue invite") in html and invite.code not in html.split("invite-link")[0]

    response = await post_form(client, page, f"/invites/{invite.id}/revoke")
    assert response.status == 400
    assert zh("This invite is no longer open.") in await response.text()

    await post_form(client, page, f"{page}/invites")
    first = await Invite.filter(member=member, revoked_at=None).get()
    await post_form(client, page, f"{page}/invites")  # "Reissue": the open one is replaced
    second = await Invite.filter(member=member, revoked_at=None).get()
    assert second.code != first.code
    await first.refresh_from_db()
    assert first.status == "revoked"
    assert shown_link(await (await client.get(page)).text()).endswith(second.code)


async def test_invites_list_filters_by_status_and_exports(as_user, org):
    pending = await factories.invite(await factories.member(org.nanyuan_1, "待用"))
    revoked_member = await factories.member(org.nanyuan_1, "撤销")
    revoked = await factories.invite(revoked_member)
    await Invite.filter(id=revoked.id).update(revoked_at=datetime.now(UTC))
    expired = await factories.invite(await factories.member(org.nanyuan_1, "过期"))
    await Invite.filter(id=expired.id).update(expires_at=datetime.now(UTC) - timedelta(days=1))
    client = await as_user("branch1")

    def names(html: str) -> list[str]:
        return re.findall(r'<td data-column="member"[^>]*><a href="/members/\d+">([^<]*)</a>', html)

    html = await (await client.get("/invites")).text()  # pending by default
    assert names(html) == ["待用"]
    assert f"https://t.me/{BOT_USERNAME}?start={pending.code}" in html
    assert names(await (await client.get("/invites?status=revoked")).text()) == ["撤销"]
    assert names(await (await client.get("/invites?status=expired")).text()) == ["过期"]
    assert sorted(names(await (await client.get("/invites?status=")).text())) == sorted(
        ["待用", "撤销", "过期"]
    )

    rows = read_xlsx(await (await client.get("/invites/export.xlsx?status=")).read())
    assert rows[0][0] == zh("Member")
    assert sorted(row[0] for row in rows[1:]) == sorted(["待用", "撤销", "过期"])
    links = {row[0]: row[5] for row in rows[1:]}
    assert links["待用"] == f"https://t.me/{BOT_USERNAME}?start={pending.code}"
    assert links["撤销"] is None
