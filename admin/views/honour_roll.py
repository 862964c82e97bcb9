"""The roll of honour (光荣榜) of the dedication award: an A4 page of a unit's award earners in
a year, to print for the notice board or to share by a revocable public link
(``/public/honour-roll/{token}``, no login), like the pledge notice.

The roll names members and their card counts only; members who chose not to appear by name
are only counted (``models.awards.honour_roll``).
"""

from __future__ import annotations

from aiohttp import web
from tortoise.queryset import QuerySet

from admin.addresses import shared_url
from admin.auth import current_scope
from admin.forms import form_values, int_or_none, see_other, shown_year
from admin.templating import render
from locales import N_
from models.awards import honour_roll
from models.clock import local_today
from models.errors import NotFound
from models.members import Member
from models.notices import HonourRollLink, active_link, create_honour_roll_link
from models.org import OrgUnit


def links_path(unit_id: int, year: int) -> str:
    return f"/points/honour-roll/links?org={unit_id}&year={year}"


async def _unit(request: web.Request, value: str | None) -> OrgUnit:
    """The unit ``value`` names (in scope: else 404), or the user's own."""
    scope = current_scope(request)
    unit_id = int_or_none(value or "")
    return scope.org if unit_id is None else await scope.org_unit(unit_id)


async def _roll(request: web.Request, unit: OrgUnit, year: int,
                members: QuerySet[Member] | None = None) -> web.Response:
    return render(request, "points/honour_roll.html", {
        "roll": await honour_roll(unit, year, members=members),
        "unit_name": await unit.full_name(" "),
        "today": local_today().isoformat(),
    })


async def honour_roll_page(request: web.Request) -> web.StreamResponse:
    """The roll of a unit in scope (``?org=``, else the user's own) for ``?year=``, to print."""
    unit = await _unit(request, request.query.get("org"))
    return await _roll(request, unit, shown_year(request.query.get("year")), current_scope(request).members())


async def public_honour_roll(request: web.Request) -> web.StreamResponse:
    """No login: whoever has the link. A revoked or unknown token is "not found"."""
    link = await active_link(HonourRollLink, request.match_info["token"])
    if link is None:
        raise NotFound(N_("This roll of honour does not exist or its link has been withdrawn."))
    return await _roll(request, link.unit, link.year)


async def links_page(request: web.Request) -> web.StreamResponse:
    """The public links to a unit's roll of a year: copy, revoke, or create one."""
    scope = current_scope(request)
    unit = await _unit(request, request.query.get("org"))
    year = shown_year(request.query.get("year"))
    links = (await scope.public_links(HonourRollLink)
             .filter(unit_id=unit.id, year=year).select_related("created_by"))
    return render(request, "points/honour_roll_links.html", {
        "unit": unit, "unit_name": await unit.full_name(" "), "year": year,
        "links": [(link, shared_url(request, "public.honour_roll", token=link.token)) for link in links],
    })


async def create_link(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), ("org", "year"))
    unit = await _unit(request, values["org"])
    link = await create_honour_roll_link(unit, shown_year(values["year"]), scope)
    return see_other(links_path(unit.id, link.year) + "#links")

