"""The dedication award (奉献奖) rule as data, members' standing, the award list and leaderboards.

A rule says: more than ``threshold`` cards (strictly) in a calendar year earns the award.
The default rule (threshold 6, everywhere) is seeded by the migration and re-created on
first use if missing. A rule with an org unit applies to the members under that unit and
overrides a wider rule there: a member's rule is the most specific one covering their branch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from tortoise import fields
from tortoise.expressions import RawSQL
from tortoise.models import Model
from tortoise.queryset import QuerySet

from locales import N_
from models import audit
from models.admins import Role
from models.clock import local_today
from models.errors import NotFound, PermissionDenied, ValidationError
from models.members import Member
from models.org import OrgKind, OrgUnit
from models.points import PointCard
from models.text import clean_text

DEFAULT_RULE_NAME = N_("Dedication award")  # data: shown through gettext when unchanged
DEFAULT_THRESHOLD = 6
THRESHOLD_MAX = 366
NAME_MAX = 100
RULE_EDITORS = (Role.DISTRICT_ADMIN, Role.STREET_ADMIN)


class AwardPeriod(StrEnum):
    CALENDAR_YEAR = "calendar_year"


AWARD_PERIOD_LABELS = {AwardPeriod.CALENDAR_YEAR: N_("Calendar year")}


class AwardRule(Model):
    """An award for more than threshold cards in a period, for the members under org (none: everyone)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=NAME_MAX)
    threshold = fields.SmallIntField(default=DEFAULT_THRESHOLD)
    period = fields.CharEnumField(AwardPeriod, max_length=16, default=AwardPeriod.CALENDAR_YEAR)
    org: fields.ForeignKeyNullableRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="award_rules", null=True, unique=True, on_delete=fields.CASCADE
    )
    updated_by = fields.ForeignKeyField(
        "models.AdminUser", related_name="award_rules_updated", null=True, on_delete=fields.SET_NULL
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "award_rule"
        ordering = ["id"]

    def qualifies(self, total: int) -> bool:
        return total > self.threshold  # strictly more than

    def needed(self, total: int) -> int:
        """Cards still missing for the award (0 once qualified)."""
        return max(0, self.threshold + 1 - total)

    def filter_qualifying(self, members: QuerySet[Member], qualifying: bool = True) -> QuerySet[Member]:
        """Members annotated by ``with_year_total`` who earn (or do not yet earn) the award."""
        if qualifying:
            return members.filter(cards_total__gt=self.threshold)  # strictly more than
        return members.filter(cards_total__lte=self.threshold)

    def snapshot(self) -> dict:
        return {"name": self.name, "threshold": self.threshold, "period": str(self.period),
                "org_id": self.org_id}


async def default_rule() -> AwardRule:
    rule = await AwardRule.filter(org_id=None).order_by("id").first()
    if rule is None:
        rule = await AwardRule.create(name=DEFAULT_RULE_NAME, threshold=DEFAULT_THRESHOLD)
    return rule


async def rules() -> list[AwardRule]:
    await default_rule()
    return await AwardRule.all().select_related("org").order_by("id")


async def rule_for_unit(unit: OrgUnit) -> AwardRule:
    """The most specific rule covering ``unit`` (its own, an ancestor's, or the default)."""
    ancestor_ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    specific = await AwardRule.filter(org_id__in=ancestor_ids).select_related("org")
    if specific:
        return max(specific, key=lambda rule: rule.org.depth)
    return await default_rule()


def most_specific(rules: Iterable[AwardRule], unit_path: str) -> AwardRule:
    """Of ``rules`` (their org loaded, the default among them), the one for the deepest unit at
    or above the unit at ``unit_path``."""
    covering = [rule for rule in rules if rule.org is None or unit_path.startswith(rule.org.path)]
    return max(covering, key=lambda rule: rule.org.depth if rule.org else -1)


async def rule_for(member: Member) -> AwardRule:
    await member.fetch_related("branch")
    return await rule_for_unit(member.branch)


def rule_scope(scope, rule: AwardRule) -> QuerySet[Member]:
    """Members in the user's scope that ``rule`` covers (deeper rules are their own lists)."""
    members = scope.members()
    if rule.org_id is not None:
        members = members.filter(branch__path__startswith=rule.org.path)
    return members


def with_year_total(members: QuerySet[Member], year: int) -> QuerySet[Member]:
    """Annotate ``cards_total``: the member's cards in ``year`` less revocations (0 if none).

    A correlated subquery rather than a join with GROUP BY: the list can then still select
    related records (PostgreSQL wants every selected column grouped otherwise), and it reads
    the (member, year) index of the ledger.
    """
    year = int(year)  # inlined into the SQL: never anything but a number
    table, cards = Member._meta.db_table, PointCard._meta.db_table
    return members.annotate(cards_total=RawSQL(
        f'(SELECT COALESCE(SUM(pc.amount), 0) FROM "{cards}" pc '
        f'WHERE pc.member_id = "{table}".id AND pc.year = {year})'
    ))


async def scoped_rule(scope, rule_id: int) -> AwardRule:
    """A rule the user may see: the default, or one for a unit in scope or above it."""
    rule = await AwardRule.get_or_none(id=rule_id).select_related("org")
    if rule is None or (
        rule.org is not None and not (scope.covers(rule.org) or scope.path.startswith(rule.org.path))
    ):
        raise NotFound(N_("No such award rule."))
    return rule


def clean_threshold(value: str | int | None) -> int:
    try:
        threshold = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(N_("Write a whole number."), field="threshold") from None
    if not 0 <= threshold <= THRESHOLD_MAX:
        raise ValidationError(N_("Between {low} and {high}."), field="threshold", low=0,
                              high=THRESHOLD_MAX)
    return threshold


def _require_editor(scope) -> None:
    scope.require_write()
    if scope.user.role not in RULE_EDITORS:
        raise PermissionDenied(N_("Only district and sub-district administrators can change award rules."))


async def update_rule(scope, rule_id: int, *, name: str, threshold: str | int) -> AwardRule:
    _require_editor(scope)
    rule = await scoped_rule(scope, rule_id)
    if rule.org is not None and not scope.covers(rule.org):
        raise PermissionDenied(N_("This is outside your organisation."))
    clean_name = clean_text(name, NAME_MAX, "name")
    clean_value = clean_threshold(threshold)
    before = rule.snapshot()
    rule.name, rule.threshold, rule.updated_by = clean_name, clean_value, scope.user
    await rule.save(update_fields=["name", "threshold", "updated_by_id", "updated_at"])
    await audit.record(audit.Actor(admin=scope.user), "award_rule.update", rule, org_id=rule.org_id,
                       before=before, after=rule.snapshot())
    return rule


async def create_rule(scope, org_id: int, *, name: str, threshold: str | int) -> AwardRule:
    """A rule for one unit in scope (and below), overriding wider rules there."""
    _require_editor(scope)
    try:
        unit = await scope.org_unit(int(org_id))
    except (TypeError, ValueError):
        raise ValidationError(N_("Choose a unit."), field="org") from None
    except NotFound:
        raise ValidationError(N_("Choose a unit."), field="org") from None
    clean_name = clean_text(name, NAME_MAX, "name")
    clean_value = clean_threshold(threshold)
    if await AwardRule.filter(org_id=unit.id).exists():
        raise ValidationError(N_("This unit already has its own rule."), field="org")
    rule = await AwardRule.create(name=clean_name, threshold=clean_value, org=unit, updated_by=scope.user)
    await audit.record(audit.Actor(admin=scope.user), "award_rule.create", rule, org_id=unit.id,
                       after=rule.snapshot())
    return rule


# ---------------------------------------------------------------- members' standing


def year_is_over(year: int) -> bool:
    """The award's calendar year has ended (in TIMEZONE): its counts are final."""
    return local_today() > date(year, 12, 31)


@dataclass(frozen=True)
class Standing:
    year: int
    total: int
    rule: AwardRule

    @property
    def qualifies(self) -> bool:
        return self.rule.qualifies(self.total)

    @property
    def needed(self) -> int:
        return self.rule.needed(self.total)

    @property
    def is_over(self) -> bool:
        """The period has ended: the count is final."""
        return year_is_over(self.year)


async def standing(member: Member, year: int) -> Standing:
    from models.points import card_total

    return Standing(year=year, total=await card_total(member, year), rule=await rule_for(member))


# ---------------------------------------------------------------- leaderboards


async def community_of(member: Member) -> OrgUnit | None:
    """The community the member's branch belongs to, else their residence community."""
    await member.fetch_related("branch", "residence_community")
    ancestor_ids = [int(part) for part in member.branch.path.strip("/").split("/") if part]
    community = await OrgUnit.filter(id__in=ancestor_ids, kind=OrgKind.COMMUNITY).first()
    return community or member.residence_community


@dataclass(frozen=True)
class Rank:
    position: int
    member_id: int
    name: str
    total: int
    opted_out: bool
    branch_id: int


async def leaderboard(community: OrgUnit, year: int, *, limit: int | None = 10,
                      members: QuerySet[Member] | None = None) -> list[Rank]:
    """Members of the branches under ``community`` with at least one card in ``year``, most first.

    Equal totals share a position (1, 2, 2, 4). ``members`` narrows the candidates (a scope).
    """
    candidates = (members if members is not None else Member.all()).filter(
        branch__path__startswith=community.path)
    ranked = with_year_total(candidates, year).filter(cards_total__gt=0).order_by("-cards_total", "name", "id")
    if limit is not None:
        ranked = ranked.limit(limit)
    rows = await ranked.values("id", "name", "cards_total", "leaderboard_opt_out", "branch_id")
    ranks: list[Rank] = []
    for index, row in enumerate(rows):
        total = int(row["cards_total"])
        position = ranks[-1].position if ranks and ranks[-1].total == total else index + 1
        ranks.append(Rank(position, row["id"], row["name"], total, bool(row["leaderboard_opt_out"]),
                          row["branch_id"]))
    return ranks


@dataclass(frozen=True)
class Honoured:
    name: str
    total: int


@dataclass(frozen=True)
class HonourSection:
    label: str  # the branch, by its names below the roll's unit ("南园社区 第一支部")
    rule: AwardRule
    members: list[Honoured]


@dataclass(frozen=True)
class HonourRoll:
    year: int
    rule: AwardRule  # the unit's own (a branch under a rule of its own says so in its section)
    sections: list[HonourSection]  # branches with someone named, in the organisation's order
    unnamed: int  # earned their award but chose not to appear by name

    @property
    def is_final(self) -> bool:
        """The year is over: nobody joins the roll any more."""
        return year_is_over(self.year)


async def honour_roll(unit: OrgUnit, year: int, *, members: QuerySet[Member] | None = None) -> HonourRoll:
    """The members under ``unit`` who earned their award in ``year`` (each by their branch's
    rule), branch by branch, most cards first: a roll of honour (光荣榜) for the notice board.

    Members who chose not to appear by name (the leaderboard's choice) are only counted.
    ``members`` narrows the candidates (a scope).
    """
    ranks = await leaderboard(unit, year, limit=None, members=members)
    branches = await OrgUnit.filter(id__in={rank.branch_id for rank in ranks}).order_by("path")
    known_rules = await rules()
    rule_of = {branch.id: most_specific(known_rules, branch.path) for branch in branches}
    named: dict[int, list[Honoured]] = {branch.id: [] for branch in branches}
    unnamed = 0
    for rank in ranks:
        if not rule_of[rank.branch_id].qualifies(rank.total):
            continue
        if rank.opted_out:
            unnamed += 1
        else:
            named[rank.branch_id].append(Honoured(rank.name, rank.total))
    labels = await _labels_below(unit, branches)
    sections = [HonourSection(labels[branch.id], rule_of[branch.id], named[branch.id])
                for branch in branches if named[branch.id]]
    return HonourRoll(year, most_specific(known_rules, unit.path), sections, unnamed)


async def _labels_below(unit: OrgUnit, branches: list[OrgUnit]) -> dict[int, str]:
    """Each branch's name with those of its ancestors below ``unit``; the unit itself by its name."""
    def below(branch: OrgUnit) -> list[int]:
        return [int(part) for part in branch.path.removeprefix(unit.path).strip("/").split("/") if part]

    ids = {unit_id for branch in branches for unit_id in below(branch)}
    names = dict(await OrgUnit.filter(id__in=ids).values_list("id", "name")) if ids else {}
    return {branch.id: " ".join(names[unit_id] for unit_id in below(branch)) or branch.name
            for branch in branches}


async def set_leaderboard_opt_out(member: Member, opt_out: bool) -> Member:
    before = member.leaderboard_opt_out
    if before != opt_out:
        member.leaderboard_opt_out = opt_out
        await member.save(update_fields=["leaderboard_opt_out", "updated_at"])
        await audit.record(audit.Actor(member=member), "member.leaderboard_opt_out", member,
                           org_id=member.branch_id, before={"leaderboard_opt_out": before},
                           after={"leaderboard_opt_out": opt_out})
    return member
