"""The panel's home page: counts and charts for the user's part of the organisation.

Every figure is counted through ``models.scope.Scope`` with grouped queries, and every
count or bar links to the list behind it with that list's own filters (``/members?org=…``,
``/pledges?year=…&status=…``, ``/wishes?status=…``, ``/community/registrations?…``).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from tortoise.functions import Count

from admin.auth import current_scope
from admin.charts import Bar, bar_chart, column_chart
from admin.i18n import gettext_of
from admin.templating import render
from admin.views.points import ledger_month
from locales import N_
from models import clock
from models.members import MANAGEMENT_CATEGORY_LABELS, MEMBER_TYPE_LABELS
from models.org import OrgKind, OrgUnit
from models.pledges import PLEDGE_STATUS_LABELS, PledgeStatus
from models.points import cards_per_month
from models.registration import RegistrationStatus
from models.scope import Scope
from models.wishes import WISH_STATUS_LABELS, WishStatus, overdue_condition

#: Wishes in the order of their way through the programme.
WISH_FUNNEL = (WishStatus.COLLECTED, WishStatus.PUBLISHED, WishStatus.CLAIMED, WishStatus.DONE,
               WishStatus.FULFILLED)
TOP = 12  # bars per category chart: the largest ones


def _url(path: str, **params: object) -> str:
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{path}?{query}" if query else path


async def _grouped(queryset, *fields: str) -> list[tuple]:
    return list(await queryset.annotate(n=Count("id")).group_by(*fields).values_list(*fields, "n"))


def _largest(bars: list[Bar]) -> list[Bar]:
    return sorted(bars, key=lambda bar: (-bar.value, bar.label))[:TOP]


async def _communities_of_branches(scope: Scope) -> dict[int, OrgUnit | None]:
    """For each unit in scope, the community it belongs to (None above or beside communities)."""
    units = {unit.id: unit for unit in await OrgUnit.filter(
        id__in=[int(part) for part in scope.path.strip("/").split("/") if part]
    )}
    units.update({unit.id: unit for unit in await scope.org_units()})
    result: dict[int, OrgUnit | None] = {}
    for unit in units.values():
        ids = [int(part) for part in unit.path.strip("/").split("/") if part]
        result[unit.id] = next((units[i] for i in ids if i in units and units[i].kind == OrgKind.COMMUNITY), None)
    return result


async def _gathered(**queries: Awaitable[Any]) -> dict[str, Any]:
    """The results of independent queries, run at once: on PostgreSQL each takes a pooled
    connection of its own, so the page waits for the slowest query rather than for their
    sum; SQLite's one connection answers them in turn as before."""
    return dict(zip(queries, await asyncio.gather(*queries.values()), strict=True))


async def dashboard_data(scope: Scope, gettext) -> dict:
    year = clock.current_year()
    members = scope.members()
    registrations = scope.registrations().filter(status=RegistrationStatus.CONFIRMED)
    pledges = scope.pledges().filter(year=year)
    wishes = scope.wishes()
    found = await _gathered(
        members=members.count(),
        confirmed=registrations.count(),
        pending=scope.registrations().filter(status=RegistrationStatus.PENDING).count(),
        to_review=pledges.filter(status=PledgeStatus.SUBMITTED).count(),
        wishes_to_review=wishes.filter(status=WishStatus.COLLECTED).count(),
        overdue=wishes.filter(overdue_condition()).count(),
        community_of=_communities_of_branches(scope),
        by_branch=_grouped(members, "branch_id"),
        by_occupation=_grouped(members, "occupation"),
        by_category=_grouped(members, "management_category"),
        by_type=_grouped(members, "member_type"),
        registrations_by_community=_grouped(registrations, "community_id", "community__name"),
        registrations_by_occupation=_grouped(registrations, "member__occupation"),
        pledges_by_status=_grouped(pledges, "status"),
        wishes_by_status=_grouped(wishes, "status"),
        cards_per_month=cards_per_month(year, None if scope.whole_tree else members),
    )

    counts = [
        (N_("Members"), found["members"], "/members"),
        (N_("Confirmed registrations"), found["confirmed"],
         _url("/community/registrations", status=RegistrationStatus.CONFIRMED)),
        (N_("Registrations awaiting confirmation"), found["pending"], "/community"),
        (N_("Pledges awaiting review"), found["to_review"],
         _url("/pledges", year=year, status=PledgeStatus.SUBMITTED)),
        (N_("Wishes awaiting review"), found["wishes_to_review"],
         _url("/wishes", status=WishStatus.COLLECTED)),
        (N_("Overdue wishes"), found["overdue"], _url("/wishes", overdue="yes")),
    ]

    # Members by community (of their branch), occupation, management category and type.
    community_of = found["community_of"]
    by_community: dict[int, int] = defaultdict(int)
    for branch_id, n in found["by_branch"]:
        community = community_of.get(branch_id)
        if community is not None:
            by_community[community.id] += n
    units = {unit.id: unit for unit in community_of.values() if unit is not None}
    members_by_community = _largest([
        Bar(units[uid].name, n, _url("/members", org=uid)) for uid, n in by_community.items()
    ])
    members_by_occupation = _largest([
        Bar(occupation or gettext(N_("Not given")), n,
            _url("/members", occupation=occupation) if occupation else None)
        for occupation, n in found["by_occupation"]
    ])
    members_by_category = [
        Bar(gettext(MANAGEMENT_CATEGORY_LABELS[key]), n, _url("/members", category=key))
        for key, n in sorted(found["by_category"],
                             key=lambda row: list(MANAGEMENT_CATEGORY_LABELS).index(row[0]))
    ]
    members_by_type = [
        Bar(gettext(MEMBER_TYPE_LABELS[key]), n, _url("/members", type=key))
        for key, n in sorted(found["by_type"], key=lambda row: list(MEMBER_TYPE_LABELS).index(row[0]))
    ]

    registrations_by_community = _largest([
        Bar(name, n, _url("/community/registrations", status=RegistrationStatus.CONFIRMED, community=cid))
        for cid, name, n in found["registrations_by_community"]
    ])
    registrations_by_occupation = _largest([
        Bar(occupation or gettext(N_("Not given")), n,
            _url("/community/registrations", status=RegistrationStatus.CONFIRMED,
                 occupation=occupation) if occupation else None)
        for occupation, n in found["registrations_by_occupation"]
    ])

    pledge_counts = dict(found["pledges_by_status"])
    pledges_by_status = [
        Bar(gettext(label), pledge_counts.get(status, 0), _url("/pledges", year=year, status=status))
        for status, label in PLEDGE_STATUS_LABELS.items()
    ]
    wish_counts = dict(found["wishes_by_status"])
    wishes_funnel = [
        Bar(gettext(WISH_STATUS_LABELS[status]), wish_counts.get(status, 0), _url("/wishes", status=status))
        for status in WISH_FUNNEL
    ]

    cards_by_month = [
        Bar(str(month), n, _url("/points", month=ledger_month(year, month), kind="card"))
        for month, n in enumerate(found["cards_per_month"], start=1)
    ]

    return {
        "year": year,
        "counts": counts,
        "charts": [
            (N_("Confirmed registrations by community"), bar_chart(registrations_by_community, gettext(N_("Confirmed registrations by community")))),
            (N_("Confirmed registrations by occupation"), bar_chart(registrations_by_occupation, gettext(N_("Confirmed registrations by occupation")))),
            (N_("Pledges of this year by status"), bar_chart(pledges_by_status, gettext(N_("Pledges of this year by status")))),
            (N_("Micro-wishes from collection to fulfilment"), bar_chart(wishes_funnel, gettext(N_("Micro-wishes from collection to fulfilment")))),
            (N_("Cards issued per month this year"), column_chart(cards_by_month, gettext(N_("Cards issued per month this year")))),
            (N_("Members by community"), bar_chart(members_by_community, gettext(N_("Members by community")))),
            (N_("Members by occupation"), bar_chart(members_by_occupation, gettext(N_("Members by occupation")))),
            (N_("Members by management category"), bar_chart(members_by_category, gettext(N_("Members by management category")))),
            (N_("Members by type"), bar_chart(members_by_type, gettext(N_("Members by type")))),
        ],
    }


async def dashboard(request: web.Request) -> web.StreamResponse:
    data = await dashboard_data(current_scope(request), gettext_of(request))
    return render(request, "dashboard.html", data)
