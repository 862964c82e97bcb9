"""Reporting to the home community (在职党员进社区报到).

An in-service member reports to the community where they live, saying which skills
and kinds of service they offer; the community confirms or declines::

    pending → confirmed | declined
    pending | confirmed → withdrawn (by the member, e.g. after moving house)

Reporting is never done on a member's behalf (不让工作人员代替报到): only the member
themself creates a registration; secretaries only decide on it. A member holds at
most one pending or confirmed registration at a time (``active_key``). A confirmed
registration lets the member claim the community's service posts and join its
activities like a resident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from locales import N_
from models import audit
from models.errors import DomainError, Label, PermissionDenied, ValidationError
from models.members import Member, MemberType, related
from models.org import OrgKind, OrgUnit
from models.text import clean_optional_text, clean_text
from models.wishes import WishCategory

if TYPE_CHECKING:
    from models.scope import Scope

SKILLS_MAX = 200
REASON_MAX = 300

#: Member types that report to a community: in-service members, leading cadres included.
REPORTING_TYPES = (MemberType.IN_SERVICE, MemberType.LEADING_CADRE)

#: The kinds of service a member offers are the service categories wishes are sorted by,
#: so a wish can be matched with members who offer that kind of help.
ServiceKind = WishCategory


class RegistrationStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.PENDING: N_("Awaiting confirmation"),
    RegistrationStatus.CONFIRMED: N_("Confirmed"),
    RegistrationStatus.DECLINED: N_("Declined"),
    RegistrationStatus.WITHDRAWN: N_("Withdrawn"),
}

ACTIVE = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED)


class Registration(Model):
    """An in-service member reporting to the community they live in."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="registrations", on_delete=fields.CASCADE
    )
    community: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="registrations", on_delete=fields.RESTRICT
    )
    skills = fields.CharField(max_length=SKILLS_MAX, default="")
    service_kinds = fields.JSONField(default=list)  # ServiceKind values
    status = fields.CharEnumField(
        RegistrationStatus, max_length=16, default=RegistrationStatus.PENDING, db_index=True
    )
    # "<member id>" while pending or confirmed, NULL otherwise: one active registration per member.
    active_key = fields.CharField(max_length=20, null=True, unique=True)
    reviewed_by = fields.ForeignKeyField(
        "models.AdminUser", related_name="registrations_reviewed", null=True, on_delete=fields.SET_NULL
    )
    reviewed_at = fields.DatetimeField(null=True)
    decline_reason = fields.CharField(max_length=REASON_MAX, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "registration"
        ordering = ["-id"]


def clean_service_kinds(kinds) -> list[str]:
    """The offered kinds as stored: known values, each once, in the categories' order."""
    try:
        chosen = {ServiceKind(kind) for kind in kinds or ()}
    except ValueError:
        raise ValidationError(N_("Unknown kind of service."), field="service_kinds") from None
    return [str(kind) for kind in ServiceKind if kind in chosen]


async def register(
    actor: audit.Actor, community: OrgUnit, *, skills: str = "", service_kinds=(),
) -> Registration:
    """The acting member reports to ``community``."""
    member = actor.member
    if member is None:
        raise PermissionDenied(
            N_("Members report to a community themselves: nobody can do it for them.")
        )
    if member.member_type not in REPORTING_TYPES:
        raise DomainError(N_("Reporting to a community is for in-service members."))
    if community.kind != OrgKind.COMMUNITY:
        raise ValidationError(N_("Choose a community."), field="community")
    skills = clean_optional_text(skills, SKILLS_MAX, "skills")
    kinds = clean_service_kinds(service_kinds)
    try:
        async with in_transaction():
            registration = await Registration.create(
                member=member, community=community, skills=skills, service_kinds=kinds,
                active_key=str(member.id),
            )
            await audit.record(actor, "registration.create", registration, org_id=community.id,
                               after={"skills": skills, "service_kinds": kinds})
    except IntegrityError:
        raise DomainError(N_("You have already reported to a community.")) from None
    return registration


async def _transition(
    registration: Registration, expected: tuple[RegistrationStatus, ...], actor: audit.Actor,
    action: str, **changes,
) -> Registration:
    before = {"status": str(registration.status)}
    updated = await Registration.filter(id=registration.id, status__in=list(expected)).update(**changes)
    await registration.refresh_from_db()
    if updated != 1:
        raise DomainError(N_("This registration is {status} now: the action was not applied."),
                          status=Label(REGISTRATION_STATUS_LABELS[registration.status]))
    await audit.record(actor, action, registration, org_id=registration.community_id, before=before,
                       after=changes)
    return registration


async def confirm_registration(registration: Registration, scope: Scope) -> Registration:
    await scope.require_writable(registration.community_id)
    return await _transition(
        registration, (RegistrationStatus.PENDING,), audit.Actor(admin=scope.user),
        "registration.confirm", status=RegistrationStatus.CONFIRMED, reviewed_by_id=scope.user.id,
        reviewed_at=datetime.now(UTC),
    )


async def decline_registration(registration: Registration, scope: Scope, reason: str) -> Registration:
    await scope.require_writable(registration.community_id)
    return await _transition(
        registration, (RegistrationStatus.PENDING,), audit.Actor(admin=scope.user),
        "registration.decline", status=RegistrationStatus.DECLINED, active_key=None,
        reviewed_by_id=scope.user.id,
        reviewed_at=datetime.now(UTC), decline_reason=clean_text(reason, REASON_MAX, "reason"),
    )


async def withdraw_registration(registration: Registration, member: Member) -> Registration:
    if registration.member_id != member.id:
        raise PermissionDenied(N_("Only the member who reported can withdraw the registration."))
    return await _transition(
        registration, ACTIVE, audit.Actor(member=member), "registration.withdraw",
        status=RegistrationStatus.WITHDRAWN, active_key=None, withdrawn_at=datetime.now(UTC),
    )


# --------------------------------------------------------------------------- queries


async def current_registration(member: Member) -> Registration | None:
    """The member's pending or confirmed registration."""
    return await Registration.get_or_none(active_key=str(member.id)).select_related("community")


async def is_registered_in(member: Member, community_id: int) -> bool:
    return await Registration.filter(
        member_id=member.id, community_id=community_id, status=RegistrationStatus.CONFIRMED
    ).exists()


async def member_communities(member: Member) -> set[int]:
    """The communities a member belongs to as a resident: where they live, the community their
    branch is under, and the one they have reported to (confirmed)."""
    ids = {member.residence_community_id} if member.residence_community_id else set()
    branch = await related(member, "branch")
    ancestor_ids = [int(part) for part in branch.path.strip("/").split("/") if part]
    above_branch = Q(id__in=ancestor_ids, kind=OrgKind.COMMUNITY)
    reported_to = Q(registrations__member_id=member.id, registrations__status=RegistrationStatus.CONFIRMED)
    ids |= set(await OrgUnit.filter(above_branch | reported_to).values_list("id", flat=True))
    return ids


# --------------------------------------------------------------------------- statistics


class StatsDimension(StrEnum):
    COMMUNITY = "community"
    OCCUPATION = "occupation"
    MANAGEMENT_CATEGORY = "management_category"


# What to group by; the last field is the row's key (communities of the same name stay apart).
_GROUP_FIELDS = {
    StatsDimension.COMMUNITY: ("community_id", "community__name"),
    StatsDimension.OCCUPATION: ("member__occupation",),
    StatsDimension.MANAGEMENT_CATEGORY: ("member__management_category",),
}


@dataclass(frozen=True)
class StatRow:
    key: str  # community name, occupation ("" when not given) or ManagementCategory value
    count: int


async def registration_stats(
    registrations: QuerySet[Registration], by: StatsDimension,
) -> list[StatRow]:
    """Confirmed registrations of ``registrations`` (a scoped queryset) counted by ``by``,
    largest first."""
    group = _GROUP_FIELDS[StatsDimension(by)]
    rows = await (
        registrations.filter(status=RegistrationStatus.CONFIRMED)
        .annotate(n=Count("id")).group_by(*group).values_list(*group, "n")
    )
    return sorted((StatRow(str(row[-2] or ""), row[-1]) for row in rows),
                  key=lambda row: (-row.count, row.key))
