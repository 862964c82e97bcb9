"""Weekly and yearly reports (每周报表, 服务群众情况年报): what happened in a period, per unit.

A report covers one period (a week: Monday 00:00 to Monday 00:00 in TIMEZONE; a year:
1 January to 1 January) and one unit (a district, a sub-district or a community) and
counts, for that unit as a whole, per sub-district, per community and per work unit:

- registrations submitted and confirmed (``Registration.created_at`` / ``reviewed_at``);
- activities held (not cancelled, started in the period: by now while it lasts) and attendances at them;
- service posts claimed (``PostClaim.claimed_at``);
- wishes collected / published / claimed / fulfilled (``created_at``, ``published_at``,
  ``claimed_at``, ``fulfilled_at``) and overdue (deadline in the period and over, not
  fulfilled by the period's end or, while the period lasts, by now);
- pledges submitted / approved / returned: from the audit entries of those transitions,
  because a pledge keeps only its last review time (a pledge returned on Tuesday and approved
  on Thursday would otherwise count as approved only);
- contribution cards issued (``PointCard`` entries of +1).

Events are attributed to a community (the activity's, the wish's, the community a member
reported to, or the community above a pledge's or card member's branch) and, where a member
takes part, to the member's work unit. Communities and work units with no event at all are
listed as idle.

Everything is counted with grouped queries; the rows of a period are computed once and
then summed for every unit. A weekly report, once stored, is never rebuilt: the unique
(kind, period, unit) makes a second run of the job store nothing; a yearly report is
refreshed when asked for again (the year may not be over).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from locales import N_
from models import clock
from models.activities import Activity, ActivityStatus, SignUp, SignUpStatus
from models.audit import AuditEntry
from models.id_list import IdList
from models.members import Member
from models.org import OrgKind, OrgUnit, WorkUnit
from models.pledges import Pledge
from models.points import PointCard
from models.posts import PostClaim
from models.registration import Registration, RegistrationStatus
from models.wishes import Wish, WishStatus


class ReportKind(StrEnum):
    WEEKLY = "weekly"
    YEARLY = "yearly"


REPORT_KIND_LABELS = {
    ReportKind.WEEKLY: N_("Weekly report"),
    ReportKind.YEARLY: N_("Yearly report on serving the people"),
}

#: Units a report is kept for.
REPORT_UNIT_KINDS = (OrgKind.DISTRICT, OrgKind.STREET, OrgKind.COMMUNITY)

#: The figures of a report, in the order they are shown: key -> message id.
METRICS: dict[str, str] = {
    "registrations_submitted": N_("Registrations submitted"),
    "registrations_confirmed": N_("Registrations confirmed"),
    "activities_held": N_("Activities held"),
    "attendance": N_("Attendances"),
    "posts_claimed": N_("Posts claimed"),
    "wishes_collected": N_("Wishes collected"),
    "wishes_published": N_("Wishes published"),
    "wishes_claimed": N_("Wishes claimed"),
    "wishes_fulfilled": N_("Wishes fulfilled"),
    "wishes_overdue": N_("Wishes overdue"),
    "pledges_submitted": N_("Pledges submitted"),
    "pledges_approved": N_("Pledges approved"),
    "pledges_returned": N_("Pledges returned"),
    "cards_issued": N_("Cards issued"),
}

#: Figures that involve a member and so count for the member's work unit too.
WORK_UNIT_METRICS = (
    "registrations_submitted", "registrations_confirmed", "attendance", "posts_claimed",
    "wishes_claimed", "wishes_fulfilled", "wishes_overdue", "pledges_submitted",
    "pledges_approved", "pledges_returned", "cards_issued",
)

_PLEDGE_ACTIONS = {
    "pledges_submitted": "pledge.submit",
    "pledges_approved": "pledge.approve",
    "pledges_returned": "pledge.return",
}

_ID_CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit


class Report(Model):
    """A stored report: one kind, one period, one unit, its figures as JSON."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ReportKind, max_length=16)
    period_start = fields.DateField()  # local day, inclusive
    period_end = fields.DateField()  # local day, exclusive
    org: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="reports", on_delete=fields.CASCADE
    )
    data = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "report"
        unique_together = (("kind", "period_start", "org"),)
        ordering = ["-period_start", "org_id"]

    @property
    def last_day(self) -> date:
        """The period's last local day (``period_end`` is exclusive)."""
        return self.period_end - timedelta(days=1)


# --------------------------------------------------------------------------- periods


def week_of(day: date) -> tuple[date, date]:
    """The Monday-to-Monday week containing ``day``."""
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=7)


def previous_week(now: datetime | None = None) -> tuple[date, date]:
    """The last full week before ``now`` (local): Monday 00:00 to Monday 00:00."""
    this_monday, _ = week_of(clock.local_today(now))
    return this_monday - timedelta(days=7), this_monday


def year_period(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class Fact:
    """``count`` events of one figure, in one unit (the record's unit), by one work unit (or None)."""

    metric: str
    unit_id: int | None
    work_unit_id: int | None
    count: int


async def _grouped(metric: str, queryset: QuerySet, unit_field: str, work_unit_field: str | None) -> list[Fact]:
    group = (unit_field, work_unit_field) if work_unit_field else (unit_field,)
    rows = await queryset.annotate(n=Count("id")).group_by(*group).values_list(*group, "n")
    return [
        Fact(metric, row[0], row[1] if work_unit_field else None, row[-1]) for row in rows if row[-1]
    ]


async def _pledge_facts(metric: str, root: OrgUnit, start: datetime, end: datetime) -> list[Fact]:
    """Pledges with at least one ``metric`` transition in the period, from the audit log."""
    ids = await AuditEntry.filter(
        action=_PLEDGE_ACTIONS[metric], object_type=Pledge.__name__, at__gte=start, at__lt=end,
        org__path__startswith=root.path,
    ).order_by("object_id").distinct().values_list("object_id", flat=True)
    pledge_ids = sorted({int(value) for value in ids if str(value).isdigit()})
    facts: list[Fact] = []
    for offset in range(0, len(pledge_ids), _ID_CHUNK):
        chunk = pledge_ids[offset:offset + _ID_CHUNK]
        facts += await _grouped(metric, Pledge.filter(id__in=IdList(chunk)), "branch_id", "member__work_unit_id")
    return facts


async def period_facts(root: OrgUnit, start_day: date, end_day: date,
                       now: datetime | None = None) -> list[Fact]:
    """Every figure of the period for ``root`` and below, grouped by unit and work unit.

    A period not over yet (this year's report) counts what has happened up to ``now``.
    """
    start, end = clock.local_midnight(start_day), clock.local_midnight(end_day)
    now = now or datetime.now(UTC)
    # A wish is overdue once its deadline day is over and it is not fulfilled: by the end of
    # the period, or by now while the period lasts (a deadline still ahead is not missed).
    missed_before, so_far = min(end_day, clock.local_today(now)), min(end, now)
    path = root.path
    window = {"gte": start, "lt": end}

    def during(name: str) -> dict[str, datetime]:
        return {f"{name}__{op}": value for op, value in window.items()}

    registrations = Registration.filter(community__path__startswith=path)
    wishes = Wish.filter(community__path__startswith=path)
    # Held: started by the end of the period, or by now while it lasts (not merely planned).
    activities_held = Activity.filter(
        community__path__startswith=path, status=ActivityStatus.SCHEDULED,
        starts_at__gte=start, starts_at__lt=so_far,
    )
    queries = [
        ("registrations_submitted", registrations.filter(**during("created_at")),
         "community_id", "member__work_unit_id"),
        ("registrations_confirmed", registrations.filter(
            status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WITHDRAWN],
            **during("reviewed_at")), "community_id", "member__work_unit_id"),
        ("activities_held", activities_held, "community_id", None),
        ("attendance", SignUp.filter(
            status=SignUpStatus.ATTENDED, activity__community__path__startswith=path,
            activity__status=ActivityStatus.SCHEDULED, **during("activity__starts_at"),
        ), "activity__community_id", "member__work_unit_id"),
        ("posts_claimed", PostClaim.filter(
            post__community__path__startswith=path, **during("claimed_at"),
        ), "post__community_id", "member__work_unit_id"),
        ("wishes_collected", wishes.filter(**during("created_at")), "community_id", None),
        ("wishes_published", wishes.filter(**during("published_at")), "community_id", None),
        ("wishes_claimed", wishes.filter(**during("claimed_at")),
         "community_id", "claimant__work_unit_id"),
        ("wishes_fulfilled", wishes.filter(
            status=WishStatus.FULFILLED, **during("fulfilled_at")), "community_id", "claimant__work_unit_id"),
        ("wishes_overdue", wishes.filter(
            Q(fulfilled_at__isnull=True) | Q(fulfilled_at__gte=so_far),
            deadline__gte=start_day, deadline__lt=missed_before,
            status__in=[WishStatus.PUBLISHED, WishStatus.CLAIMED, WishStatus.DONE,
                        WishStatus.FULFILLED, WishStatus.EXPIRED],
        ), "community_id", "claimant__work_unit_id"),
        ("cards_issued", PointCard.filter(
            amount__gt=0, member__branch__path__startswith=path, **during("created_at"),
        ), "member__branch_id", "member__work_unit_id"),
    ]
    facts: list[Fact] = []
    # One after the other (SQLite has one connection), each made only when it runs: a job
    # cancelled at shutdown leaves no query behind unawaited.
    for query in queries:
        facts += await _grouped(*query)
    for metric in _PLEDGE_ACTIONS:
        facts += await _pledge_facts(metric, root, start, end)
    return facts


# --------------------------------------------------------------------------- summing up


def _zero() -> dict[str, int]:
    return dict.fromkeys(METRICS, 0)


def _add(target: dict[str, int], metric: str, count: int) -> None:
    target[metric] = target.get(metric, 0) + count


def _path_ids(unit: OrgUnit) -> list[int]:
    return [int(part) for part in unit.path.strip("/").split("/") if part]


@dataclass
class _Tree:
    """The units under a report's unit, and for each the street and community above it."""

    units: dict[int, OrgUnit]
    street_of: dict[int, int | None] = field(default_factory=dict)
    community_of: dict[int, int | None] = field(default_factory=dict)

    @classmethod
    async def load(cls, root: OrgUnit) -> _Tree:
        units = {unit.id: unit for unit in await OrgUnit.filter(path__startswith=root.path)}
        tree = cls(units)
        for unit in units.values():
            ancestors = [units.get(i) for i in _path_ids(unit)]
            tree.street_of[unit.id] = next(
                (a.id for a in ancestors if a is not None and a.kind == OrgKind.STREET), None)
            tree.community_of[unit.id] = next(
                (a.id for a in ancestors if a is not None and a.kind == OrgKind.COMMUNITY), None)
        return tree


async def _work_units_of(unit: OrgUnit) -> list[WorkUnit]:
    """Work units with members in ``unit`` and below."""
    ids = await Member.filter(branch__path__startswith=unit.path, work_unit_id__isnull=False).order_by(
        "work_unit_id").distinct().values_list("work_unit_id", flat=True)
    return list(await WorkUnit.filter(id__in=list(ids))) if ids else []


async def summarise(
    unit: OrgUnit, facts: Iterable[Fact], tree: _Tree, *, start: date, end: date, kind: ReportKind,
) -> dict[str, Any]:
    """The JSON data of ``unit``'s report from the period's facts."""
    total = _zero()
    streets: dict[int, dict[str, int]] = defaultdict(_zero)
    communities: dict[int, dict[str, int]] = defaultdict(_zero)
    work_units: dict[int, dict[str, int]] = defaultdict(_zero)
    for fact in facts:
        record_unit = tree.units.get(fact.unit_id) if fact.unit_id is not None else None
        if record_unit is None or not record_unit.path.startswith(unit.path):
            continue
        _add(total, fact.metric, fact.count)
        if (street_id := tree.street_of.get(record_unit.id)) is not None:
            _add(streets[street_id], fact.metric, fact.count)
        if (community_id := tree.community_of.get(record_unit.id)) is not None:
            _add(communities[community_id], fact.metric, fact.count)
        if fact.work_unit_id is not None and fact.metric in WORK_UNIT_METRICS:
            _add(work_units[fact.work_unit_id], fact.metric, fact.count)

    in_unit = [u for u in tree.units.values() if u.path.startswith(unit.path)]
    street_units = sorted((u for u in in_unit if u.kind == OrgKind.STREET), key=lambda u: u.path)
    community_units = sorted((u for u in in_unit if u.kind == OrgKind.COMMUNITY), key=lambda u: u.path)
    known_work_units = {w.id: w for w in await _work_units_of(unit)}
    missing = set(work_units) - set(known_work_units)
    if missing:  # e.g. a member of another sub-district reported to a community here
        known_work_units.update({w.id: w for w in await WorkUnit.filter(id__in=list(missing))})

    def row(unit_id: int, name: str, counts: dict[str, int], **extra: Any) -> dict[str, Any]:
        return {"id": unit_id, "name": name, "counts": {m: counts.get(m, 0) for m in METRICS}, **extra}

    community_rows = [
        row(c.id, c.name, communities.get(c.id, _zero()),
            street=tree.units[tree.street_of[c.id]].name if tree.street_of.get(c.id) else "")
        for c in community_units
    ]
    work_unit_rows = [
        row(w.id, w.name, work_units.get(w.id, _zero()))
        for w in sorted(known_work_units.values(), key=lambda w: w.name)
    ]
    return {
        "kind": str(kind),
        "unit": {"id": unit.id, "name": unit.name, "kind": str(unit.kind)},
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "metrics": list(METRICS),
        "total": total,
        "streets": [row(s.id, s.name, streets.get(s.id, _zero())) for s in street_units],
        "communities": community_rows,
        "work_units": work_unit_rows,
        "idle_communities": [{"id": r["id"], "name": r["name"]} for r in community_rows
                             if not any(r["counts"].values())],
        "idle_work_units": [{"id": r["id"], "name": r["name"]} for r in work_unit_rows
                            if not any(r["counts"].values())],
    }


# --------------------------------------------------------------------------- building


async def report_units(under: OrgUnit | None = None) -> list[OrgUnit]:
    """The districts, sub-districts and communities (below ``under``, if given) reports are kept for."""
    units = OrgUnit.filter(kind__in=list(REPORT_UNIT_KINDS))
    if under is not None:
        units = units.filter(path__startswith=under.path)
    return list(await units.order_by("path"))


def _roots(units: list[OrgUnit]) -> list[OrgUnit]:
    """The topmost of ``units``: the facts are counted once per root."""
    roots: list[OrgUnit] = []
    for unit in sorted(units, key=lambda u: u.path):
        if not any(unit.path.startswith(root.path) for root in roots):
            roots.append(unit)
    return roots


async def build_weekly_reports(
    start: date | None = None, *, now: datetime | None = None, under: OrgUnit | None = None,
) -> list[Report]:
    """Store the week's report of every report unit (below ``under``); return them all.

    ``start`` is the Monday of the week (default: the previous week). A report that
    exists already is kept as it is, so running this twice stores nothing twice.
    """
    if start is None:
        start, end = previous_week(now)
    else:
        start, end = week_of(start)
    units = await report_units(under)
    existing = {
        report.org_id: report
        for report in await Report.filter(kind=ReportKind.WEEKLY, period_start=start,
                                          org_id__in=[u.id for u in units])
    } if units else {}
    missing = [unit for unit in units if unit.id not in existing]
    for root in _roots(missing):
        facts = await period_facts(root, start, end, now)
        tree = await _Tree.load(root)
        for unit in (u for u in missing if u.path.startswith(root.path)):
            data = await summarise(unit, facts, tree, start=start, end=end, kind=ReportKind.WEEKLY)
            try:
                async with in_transaction():
                    existing[unit.id] = await Report.create(
                        kind=ReportKind.WEEKLY, period_start=start, period_end=end, org=unit, data=data,
                    )
            except IntegrityError:  # another run stored it meanwhile
                existing[unit.id] = await Report.get(kind=ReportKind.WEEKLY, period_start=start,
                                                     org_id=unit.id)
    return [existing[unit.id] for unit in units if unit.id in existing]


async def build_yearly_report(unit: OrgUnit, year: int, now: datetime | None = None) -> Report:
    """The year's report of ``unit``, with a row per month; stored, refreshed on each call."""
    start, end = year_period(year)
    tree = await _Tree.load(unit)
    facts: list[Fact] = []
    months = []
    for month in range(1, 13):
        month_start = date(year, month, 1)
        month_end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        month_facts = await period_facts(unit, month_start, month_end, now)
        facts += month_facts
        counts = _zero()
        for fact in month_facts:
            _add(counts, fact.metric, fact.count)
        months.append({"month": month, "counts": counts})
    data = await summarise(unit, facts, tree, start=start, end=end, kind=ReportKind.YEARLY)
    data["months"] = months
    data["year"] = year
    report = await Report.get_or_none(kind=ReportKind.YEARLY, period_start=start, org_id=unit.id)
    if report is None:
        try:
            async with in_transaction():
                return await Report.create(kind=ReportKind.YEARLY, period_start=start, period_end=end,
                                           org=unit, data=data)
        except IntegrityError:
            report = await Report.get(kind=ReportKind.YEARLY, period_start=start, org_id=unit.id)
    report.data = data
    await report.save(update_fields=["data", "updated_at"])
    return report


# --------------------------------------------------------------------------- recipients


async def report_recipients(report: Report) -> list[tuple[Any, int]]:
    """The report unit's secretaries with a Telegram account: (admin user, telegram user id).

    A panel user is linked to Telegram through ``AdminUser.member``: their own member record,
    whose Telegram account was bound with a single-use invite.
    """
    from models.admins import AdminUser, Role
    from models.members import TelegramUser

    admins = await AdminUser.filter(
        org_id=report.org_id, is_active=True, member_id__isnull=False,
        role__in=[Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY],
    ).order_by("id")
    if not admins:
        return []
    telegram = {
        member_id: tg_id
        for tg_id, member_id in await TelegramUser.filter(
            member_id__in=[a.member_id for a in admins]
        ).values_list("id", "member_id")
    }
    return [(admin, telegram[admin.member_id]) for admin in admins if admin.member_id in telegram]
