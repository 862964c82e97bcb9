"""Every public link in use in the user's organisation, on one page: which pages of it anyone
with an address can open right now (pledge notices, rolls of honour), for which unit and year,
who made each link, and a button to revoke it.

Each kind of link is managed on its own page (the notice, the roll's share page); this page
is for the question those cannot answer: what have we shared, all told?
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from admin.addresses import shared_url
from admin.auth import current_scope
from admin.forms import path_id, see_other
from admin.security import local_path
from admin.templating import render
from admin.views.honour_roll import links_path
from admin.views.members import branch_label
from admin.views.pledges_notice import notice_path
from locales import N_
from models import notices
from models.notices import HonourRollLink, NoticeLink, PublicLink

PATH = "/shared-links"


@dataclass(frozen=True)
class SharedPage:
    """A kind of page a public link opens, and the panel routes that go with it."""

    kind: type[PublicLink]
    label: str
    public_route: str
    revoke_route: str
    manage_path: Callable[[int, int], str]  # (unit id, year) -> the page where its links are made


NOTICE = SharedPage(NoticeLink, N_("Public notice"), "public.notice", "notice_link.revoke", notice_path)
HONOUR_ROLL = SharedPage(HonourRollLink, N_("Roll of honour"), "public.honour_roll", "honour_roll_link.revoke",
                         links_path)
SHARED_PAGES = (NOTICE, HONOUR_ROLL)


def revoke_view(page: SharedPage) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The revoke button of ``page``'s links: back to ``next`` (the overview sends itself)
    when it is a path on this site, else to where the link is managed."""

    async def revoke(request: web.Request) -> web.StreamResponse:
        scope = current_scope(request)
        scope.require_write()
        link = await scope.public_link(page.kind, path_id(request, "link_id"))
        await notices.revoke_link(link, scope)
        back = (await request.post()).get("next")
        return see_other(local_path(back, page.manage_path(link.org_id, link.year) + "#links"))

    return revoke


@dataclass(frozen=True)
class SharedLink:
    page: SharedPage
    link: PublicLink
    unit_label: str
    address: str
    manage_path: str


async def shared_links_page(request: web.Request) -> web.StreamResponse:
    """The links in use (not revoked) to pages of units in scope, newest first."""
    scope = current_scope(request)
    rows = []
    for page in SHARED_PAGES:
        unit = page.kind.UNIT
        links = scope.public_links(page.kind).filter(revoked_at=None).select_related(f"{unit}__parent", "created_by")
        rows += [
            SharedLink(page, link, branch_label(getattr(link, unit)),
                       shared_url(request, page.public_route, token=link.token),
                       page.manage_path(link.org_id, link.year))
            for link in await links
        ]
    rows.sort(key=lambda row: row.link.created_at, reverse=True)
    return render(request, "shared_links.html", {"rows": rows, "here": PATH})
