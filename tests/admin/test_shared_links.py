"""The overview of every public link in use: what the organisation has shared, all told."""

from __future__ import annotations

from models.clock import current_year
from models.notices import HonourRollLink, NoticeLink
from tests.admin.conftest import post_form, zh

YEAR = current_year()
OVERVIEW = "/shared-links"


async def share_notice(client, branch) -> NoticeLink:
    page = f"/pledges/notice?branch={branch.id}&year={YEAR}"
    response = await post_form(client, page, "/pledges/notice/links", {"branch": str(branch.id), "year": str(YEAR)})
    assert response.status == 303
    return await NoticeLink.filter(branch_id=branch.id).order_by("-id").first()


async def share_roll(client, unit) -> HonourRollLink:
    page = f"/points/honour-roll/links?org={unit.id}&year={YEAR}"
    response = await post_form(client, page, "/points/honour-roll/links", {"org": str(unit.id), "year": str(YEAR)})
    assert response.status == 303
    return await HonourRollLink.filter(unit_id=unit.id).order_by("-id").first()


async def test_the_overview_lists_the_links_in_use_in_scope_and_revokes_them(as_user, org):
    street = await as_user("street")
    notice = await share_notice(street, org.nanyuan_1)
    xinfeng_roll = await share_roll(street, org.xinfeng)
    withdrawn = await share_roll(street, org.nanyuan)
    revoked = await post_form(street, OVERVIEW, f"/points/honour-roll/links/{withdrawn.id}/revoke")
    assert revoked.status == 303

    page = await (await street.get(OVERVIEW)).text()
    assert zh("Public links in use") in page
    assert f"/public/notice/{notice.token}\"" in page and f"/public/honour-roll/{xinfeng_roll.token}\"" in page
    assert withdrawn.token not in page  # revoked: no longer in use
    assert zh("Public notice") in page and zh("Roll of honour") in page
    assert "南园社区 / 第一支部" in page and "东风街道 / 新风社区" in page
    assert page.index(xinfeng_roll.token) < page.index(notice.token)  # newest first
    assert f'href="/pledges/notice?branch={org.nanyuan_1.id}&amp;year={YEAR}"' in page  # where it is managed

    # Both share pages lead here.
    notice_page = await (await street.get(f"/pledges/notice?branch={org.nanyuan_1.id}&year={YEAR}")).text()
    roll_page = await (await street.get(f"/points/honour-roll/links?org={org.xinfeng.id}&year={YEAR}")).text()
    assert f'href="{OVERVIEW}"' in notice_page and f'href="{OVERVIEW}"' in roll_page

    # A community secretary sees the links of the community only.
    nanyuan = await as_user("nanyuan")
    own = await (await nanyuan.get(OVERVIEW)).text()
    assert notice.token in own and xinfeng_roll.token not in own
    # ... and cannot revoke another community's link from here either.
    forged = await post_form(nanyuan, OVERVIEW, f"/points/honour-roll/links/{xinfeng_roll.id}/revoke",
                             {"next": OVERVIEW})
    assert forged.status == 404
    assert (await HonourRollLink.get(id=xinfeng_roll.id)).active

    # Read-only staff see every link in scope and no button.
    staff = await (await (await as_user("staff")).get(OVERVIEW)).text()
    assert notice.token in staff and xinfeng_roll.token in staff and "/revoke" not in staff

    # Revoking from the overview comes back to it.
    done = await post_form(nanyuan, OVERVIEW, f"/pledges/notice/links/{notice.id}/revoke", {"next": OVERVIEW})
    assert done.status == 303 and done.headers["Location"] == OVERVIEW
    assert not (await NoticeLink.get(id=notice.id)).active
    assert zh("No public link is in use.") in await (await nanyuan.get(OVERVIEW)).text()

    # Where to go next is a path on this site, never another site.
    away = await post_form(street, OVERVIEW, f"/points/honour-roll/links/{xinfeng_roll.id}/revoke",
                           {"next": "//evil.example/"})
    assert away.status == 303
    assert away.headers["Location"] == f"/points/honour-roll/links?org={org.xinfeng.id}&year={YEAR}#links"
