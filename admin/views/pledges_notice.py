"""The public notice (公示) of a branch's published pledges for a year: an A4 page to print or
share, and revocable links that open it without a login (``/public/notice/{token}``).

The notice shows names and pledge items only: never phone numbers or other contact details.
"""

from __future__ import annotations

from aiohttp import web

from admin.addresses import shared_url
from admin.auth import current_scope
from admin.forms import FormState, form_values, see_other, shown_year
from admin.templating import render
from admin.views.pledges import branch_options, scoped_branch, year_options
from locales import N_
from models.clock import local_today
from models.errors import NotFound
from models.notices import NoticeLink, active_link, create_notice_link
from models.org import OrgUnit
from models.pledges import items_by_kind, notice_pledges


def notice_path(branch_id: int | str, year: int | str) -> str:
    return f"/pledges/notice?branch={branch_id}&year={year}"


async def notice_page(request: web.Request) -> web.StreamResponse:
    """Pick a branch and a year; preview what the notice lists, and manage its public links."""
    scope = current_scope(request)
    branches = await branch_options(scope)
    default_branch = (
        str(scope.org.id) if any(o.value == str(scope.org.id) for o in branches) else ""
    )
    values = {
        "branch": request.query.get("branch", default_branch),
        "year": str(shown_year(request.query.get("year"))),
    }
    context = {
        "form": FormState(values),
        "branches": branches,
        "years": await year_options(scope),
        "branch": None,
        "pledges": [],
        "links": [],
    }
    if any(option.value == values["branch"] for option in branches):
        branch = await scoped_branch(scope, values["branch"])
        year = int(values["year"])
        context |= {
            "branch": branch,
            "pledges": await notice_pledges(branch, year),
            "links": [
                (link, shared_url(request, "public.notice", token=link.token))
                for link in await scope.public_links(NoticeLink)
                .filter(branch_id=branch.id, year=year)
                .select_related("created_by")
            ],
        }
    return render(request, "pledges/notice.html", context)


async def _notice(request: web.Request, branch: OrgUnit, year: int) -> web.Response:
    pledges = await notice_pledges(branch, year)
    return render(
        request,
        "public/notice.html",
        {
            "branch_name": await branch.full_name(" "),
            "year": year,
            "today": local_today().isoformat(),
            "entries": [(pledge, items_by_kind(list(pledge.items))) for pledge in pledges],
        },
    )


async def notice_print(request: web.Request) -> web.StreamResponse:
    """The notice itself, as the public sees it, for a secretary to print."""
    branch = await scoped_branch(current_scope(request), request.query.get("branch"))
    return await _notice(request, branch, shown_year(request.query.get("year")))


async def public_notice(request: web.Request) -> web.StreamResponse:
    """No login: whoever has the link. A revoked or unknown token is "not found"."""
    link = await active_link(NoticeLink, request.match_info["token"])
    if link is None:
        raise NotFound(N_("This notice does not exist or its link has been withdrawn."))
    return await _notice(request, link.branch, link.year)


async def create_link(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), ("branch", "year"))
    branch = await scoped_branch(scope, values["branch"])
    link = await create_notice_link(branch, shown_year(values["year"]), scope)
    return see_other(notice_path(branch.id, link.year) + "#links")

