"""Micro-wishes (微心愿): collected, reviewed, published on the wall, claimed by one member, fulfilled.

    collected → published | rejected
    published → claimed → done (claimant says so) → fulfilled (resident or secretary confirms)
    published/claimed → expired (deadline passed) ; collected/published → withdrawn (by the resident)
    claimed/done → published (released back to the wall, with a reason)

Every transition is a conditional UPDATE from the expected status, so a double tap or a
race (50 members claiming at once) changes the row once; the loser gets a DomainError.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from locales import N_
from models import audit
from models.clock import local_today
from models.errors import DomainError, NotFound, PermissionDenied, ValidationError
from models.members import Member, TelegramUser, related
from models.membership import PHONE_RE
from models.org import OrgKind, OrgUnit
from models.points import CardSource, award_card
from models.text import clean_text

TEXT_MAX = 500
REASON_MAX = 300


class WishStatus(StrEnum):
    COLLECTED = "collected"
    PUBLISHED = "published"
    REJECTED = "rejected"
    CLAIMED = "claimed"
    DONE = "done"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


WISH_STATUS_LABELS = {
    WishStatus.COLLECTED: N_("Awaiting review"),
    WishStatus.PUBLISHED: N_("On the wish wall"),
    WishStatus.REJECTED: N_("Not accepted"),
    WishStatus.CLAIMED: N_("Claimed"),
    WishStatus.DONE: N_("Done, awaiting confirmation"),
    WishStatus.FULFILLED: N_("Fulfilled"),
    WishStatus.EXPIRED: N_("Expired"),
    WishStatus.WITHDRAWN: N_("Withdrawn"),
}


class WishCategory(StrEnum):
    POLICY = "policy"
    LEGAL = "legal"
    HEALTH = "health"
    HARDSHIP = "hardship"
    CONVENIENCE = "convenience"
    CULTURE = "culture"
    MEDIATION = "mediation"
    ENVIRONMENT = "environment"


WISH_CATEGORY_LABELS = {
    WishCategory.POLICY: N_("Policy information"),
    WishCategory.LEGAL: N_("Legal aid"),
    WishCategory.HEALTH: N_("Health care"),
    WishCategory.HARDSHIP: N_("Hardship help"),
    WishCategory.CONVENIENCE: N_("Convenience services"),
    WishCategory.CULTURE: N_("Culture and recreation"),
    WishCategory.MEDIATION: N_("Safety and mediation"),
    WishCategory.ENVIRONMENT: N_("Environment"),
}


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    BASIC = "basic"
    UNSATISFIED = "unsatisfied"


SATISFACTION_LABELS = {
    Satisfaction.SATISFIED: N_("Satisfied"),
    Satisfaction.BASIC: N_("Basically satisfied"),
    Satisfaction.UNSATISFIED: N_("Unsatisfied"),
}


class Wish(Model):
    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="wishes", on_delete=fields.RESTRICT
    )
    text = fields.CharField(max_length=TEXT_MAX)
    suggested_category = fields.CharEnumField(WishCategory, max_length=16, null=True)
    category = fields.CharEnumField(WishCategory, max_length=16, null=True, db_index=True)
    service_standard = fields.CharField(max_length=REASON_MAX, default="")
    deadline = fields.DateField(null=True)
    status = fields.CharEnumField(WishStatus, max_length=16, default=WishStatus.COLLECTED, db_index=True)
    # The resident: private, shown only to the claimant and to secretaries.
    resident: fields.ForeignKeyNullableRelation[TelegramUser] = fields.ForeignKeyField(
        "models.TelegramUser", related_name="wishes", null=True, on_delete=fields.SET_NULL
    )
    resident_name = fields.CharField(max_length=50, default="")
    contact_phone = fields.CharField(max_length=32, null=True)
    proxy_entered = fields.BooleanField(default=False)
    entered_by = fields.ForeignKeyField(
        "models.AdminUser", related_name="wishes_entered", null=True, on_delete=fields.SET_NULL
    )
    claimant: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="claimed_wishes", null=True, on_delete=fields.SET_NULL
    )
    reject_reason = fields.CharField(max_length=REASON_MAX, default="")
    satisfaction = fields.CharEnumField(Satisfaction, max_length=16, null=True)
    confirmed_by = fields.CharField(max_length=16, default="")  # "resident" or "secretary"
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    published_at = fields.DatetimeField(null=True)
    claimed_at = fields.DatetimeField(null=True)
    done_at = fields.DatetimeField(null=True)
    fulfilled_at = fields.DatetimeField(null=True)
    reminded_at = fields.DatetimeField(null=True)
    overdue_alerted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "wish"
        ordering = ["-id"]

    @property
    def overdue(self) -> bool:
        return (
            self.deadline is not None
            and self.status in (WishStatus.PUBLISHED, WishStatus.CLAIMED, WishStatus.DONE)
            and self.deadline < local_today()
        )


class WishProgress(Model):
    id = fields.IntField(primary_key=True)
    wish: fields.ForeignKeyRelation[Wish] = fields.ForeignKeyField(
        "models.Wish", related_name="progress", on_delete=fields.CASCADE
    )
    member = fields.ForeignKeyField("models.Member", related_name="wish_progress", on_delete=fields.CASCADE)
    text = fields.CharField(max_length=TEXT_MAX)
    photo_file_id = fields.CharField(max_length=200, null=True)  # Telegram's; the photo stays there
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wish_progress"
        ordering = ["id"]


async def submit_wish(
    community: OrgUnit, text: str, actor: audit.Actor, *, resident: TelegramUser | None = None,
    resident_name: str = "", contact_phone: str | None = None,
    suggested_category: WishCategory | None = None, proxy: bool = False,
) -> Wish:
    if community.kind != OrgKind.COMMUNITY:
        raise ValidationError(N_("Choose a community."), field="community")
    wish = await Wish.create(
        community=community, text=clean_text(text, TEXT_MAX, "text"), resident=resident,
        resident_name=resident_name.strip()[:50], contact_phone=(contact_phone or "").strip()[:32] or None,
        suggested_category=suggested_category, proxy_entered=proxy, entered_by=actor.admin,
    )
    await audit.record(actor, "wish.submit", wish, org_id=community.id, proxy=proxy)
    return wish


async def _transition(
    wish: Wish, expected: tuple[WishStatus, ...], actor: audit.Actor, action: str, refusal: str,
    **changes,
) -> Wish:
    """Move ``wish`` from one of ``expected`` statuses, atomically; refuse otherwise."""
    before = {"status": str(wish.status)}
    extra = changes.pop("_where", {})
    updated = await Wish.filter(id=wish.id, status__in=list(expected), **extra).update(**changes)
    if updated != 1:
        await wish.refresh_from_db()
        raise DomainError(refusal, status=str(wish.status))
    await wish.refresh_from_db()
    await audit.record(actor, action, wish, org_id=wish.community_id, before=before, after=changes)
    return wish


async def publish_wish(
    wish: Wish, actor: audit.Actor, *, category: WishCategory, service_standard: str, deadline: date,
) -> Wish:
    category = WishCategory(category)
    standard = clean_text(service_standard, REASON_MAX, "service_standard")
    if deadline < local_today():
        raise ValidationError(N_("The deadline cannot be in the past."), field="deadline")
    return await _transition(
        wish, (WishStatus.COLLECTED,), actor, "wish.publish", N_("This wish is no longer awaiting review."),
        status=WishStatus.PUBLISHED, category=category, service_standard=standard, deadline=deadline,
        published_at=datetime.now(UTC),
    )


async def reject_wish(wish: Wish, actor: audit.Actor, reason: str) -> Wish:
    return await _transition(
        wish, (WishStatus.COLLECTED,), actor, "wish.reject", N_("This wish is no longer awaiting review."),
        status=WishStatus.REJECTED, reject_reason=clean_text(reason, REASON_MAX, "reason"),
    )


WITHDRAWABLE = (WishStatus.COLLECTED, WishStatus.PUBLISHED)


def resident_actor(resident: TelegramUser) -> audit.Actor:
    """A resident acting in the bot, as the audit log names them."""
    return audit.Actor(label=audit.resident_label(resident.id))


async def withdraw_wish(wish: Wish, resident: TelegramUser) -> Wish:
    if wish.resident_id != resident.id:
        raise PermissionDenied(N_("Only the resident who made this wish can withdraw it."))
    return await _transition(
        wish, WITHDRAWABLE, resident_actor(resident),
        "wish.withdraw", N_("This wish can no longer be withdrawn: a member has already taken it on."),
        status=WishStatus.WITHDRAWN,
    )


def may_claim_in(member: Member, wish: Wish) -> bool:
    """Members claim wishes of the community they live in or whose branch they belong to."""
    return wish.community_id == member.residence_community_id or (
        member.branch.path.startswith(f"{wish.community.path}") if member.branch and wish.community else False
    )


async def claim_wish(wish: Wish, member: Member) -> Wish:
    await wish.fetch_related("community")
    await member.fetch_related("branch")
    if not may_claim_in(member, wish):
        raise PermissionDenied(N_("This wish belongs to another community."))
    if wish.deadline is not None and wish.deadline < local_today():
        raise DomainError(N_("The deadline of this wish has passed."))
    return await _transition(
        wish, (WishStatus.PUBLISHED,), audit.Actor(member=member), "wish.claim",
        N_("Sorry, this wish has already been taken or is no longer on the wall."),
        status=WishStatus.CLAIMED, claimant_id=member.id, claimed_at=datetime.now(UTC),
        _where={"claimant_id": None},
    )


def _require_claimant(wish: Wish, member: Member) -> None:
    if wish.claimant_id != member.id:
        raise PermissionDenied(N_("Only the member who claimed this wish can do this."))


async def add_progress(
    wish: Wish, member: Member, text: str, *, photo_file_id: str | None = None,
) -> WishProgress:
    _require_claimant(wish, member)
    if wish.status != WishStatus.CLAIMED:
        raise DomainError(N_("Progress can only be added while the wish is being worked on."))
    note_text = clean_text(text, TEXT_MAX, "text")
    after = {"progress_note": note_text} | ({"photo_file_id": photo_file_id} if photo_file_id else {})
    async with in_transaction():
        note = await WishProgress.create(wish=wish, member=member, text=note_text, photo_file_id=photo_file_id)
        await audit.record(audit.Actor(member=member), "wish.progress", wish, org_id=wish.community_id,
                           after=after)
    return note


async def release_wish(wish: Wish, actor: audit.Actor, reason: str) -> Wish:
    """Put a claimed wish back on the wall: by its claimant, or by a secretary (e.g. overdue)."""
    if actor.member is not None:
        _require_claimant(wish, actor.member)
    return await _transition(
        wish, (WishStatus.CLAIMED, WishStatus.DONE), actor, "wish.release",
        N_("This wish is not claimed any more."),
        status=WishStatus.PUBLISHED, claimant_id=None, claimed_at=None, done_at=None,
        reminded_at=None, overdue_alerted_at=None,
        reject_reason=clean_text(reason, REASON_MAX, "reason"),
    )


async def mark_done(wish: Wish, member: Member) -> Wish:
    _require_claimant(wish, member)
    return await _transition(
        wish, (WishStatus.CLAIMED,), audit.Actor(member=member), "wish.done",
        N_("This wish is not being worked on any more."),
        status=WishStatus.DONE, done_at=datetime.now(UTC),
    )


async def reopen_wish(
    wish: Wish, actor: audit.Actor, *, by_resident: TelegramUser | None = None,
) -> Wish:
    """The resident (in the bot) or a secretary (in the panel) says a wish marked done is not
    done yet: it goes back to its claimant, who is still on it (no card until confirmed)."""
    if by_resident is not None and wish.resident_id != by_resident.id:
        raise PermissionDenied(N_("Only the resident who made this wish can say so."))
    return await _transition(
        wish, (WishStatus.DONE,), actor, "wish.not_done",
        N_("This wish is not awaiting confirmation."), status=WishStatus.CLAIMED, done_at=None,
    )


async def confirm_fulfilled(
    wish: Wish, actor: audit.Actor, *, by_resident: TelegramUser | None = None,
    satisfaction: Satisfaction | None = None,
) -> Wish:
    """Resident (in the bot) or secretary (in the panel) confirms: fulfilled, and the claimant earns a card."""
    if by_resident is not None and wish.resident_id != by_resident.id:
        raise PermissionDenied(N_("Only the resident who made this wish can confirm it."))
    async with in_transaction():
        wish = await _transition(
            wish, (WishStatus.DONE,), actor, "wish.fulfil", N_("This wish is not awaiting confirmation."),
            status=WishStatus.FULFILLED, fulfilled_at=datetime.now(UTC),
            confirmed_by="resident" if by_resident is not None else "secretary",
            satisfaction=Satisfaction(satisfaction) if satisfaction else None,
        )
        await wish.fetch_related("claimant")
        await award_card(wish.claimant, CardSource.WISH, wish.id, actor)
    return wish


async def rate_wish(wish: Wish, resident: TelegramUser, satisfaction: Satisfaction) -> Wish:
    if wish.resident_id != resident.id:
        raise PermissionDenied(N_("Only the resident who made this wish can rate it."))
    return await _transition(
        wish, (WishStatus.FULFILLED,), resident_actor(resident), "wish.rate",
        N_("Only fulfilled wishes can be rated."), satisfaction=Satisfaction(satisfaction),
    )


# --------------------------------------------------------------------------- form fields
# The bot asks for one field at a time, so each is checked as it arrives (submit_wish
# checks the text again; it is the rule for every entry path).

RESIDENT_NAME_MAX = 50


def clean_wish_text(text: str | None) -> str:
    return clean_text(text or "", TEXT_MAX, "text")


def clean_contact_phone(phone: str | None) -> str:
    phone = (phone or "").strip()
    if not PHONE_RE.match(phone):
        raise ValidationError(N_("This does not look like a phone number."), field="contact_phone")
    return phone


def clean_resident_name(name: str | None) -> str:
    return clean_text(name or "", RESIDENT_NAME_MAX, "resident_name")


def clean_service_standard(text: str | None) -> str:
    """The service standard as :func:`publish_wish` will accept it (to check a form in one go)."""
    return clean_text(text or "", REASON_MAX, "service_standard")


# --------------------------------------------------------------------------- queries

WALL_PAGE_SIZE = 5
REMINDER_LEAD = timedelta(days=2)  # remind the claimant this long before the deadline


async def home_community(member: Member) -> OrgUnit | None:
    """The community whose wall a member sees: where they live, else the one their branch is under."""
    if member.residence_community_id is not None:
        return await related(member, "residence_community")
    branch = await related(member, "branch")
    communities = [unit for unit in await branch.ancestors() if unit.kind == OrgKind.COMMUNITY]
    return communities[-1] if communities else None


async def wish_communities(first: OrgUnit | None = None) -> list[OrgUnit]:
    """The communities a wish can be addressed to, ``first`` (e.g. the member's own) leading."""
    communities = await OrgUnit.filter(kind=OrgKind.COMMUNITY).order_by("name", "id")
    if first is not None:
        communities.sort(key=lambda unit: unit.id != first.id)
    return communities


def _on_wall(community: OrgUnit, category: WishCategory | None, now: datetime | None) -> QuerySet[Wish]:
    wishes = Wish.filter(community_id=community.id, status=WishStatus.PUBLISHED).filter(
        Q(deadline=None) | Q(deadline__gte=local_today(now))
    )
    return wishes.filter(category=category) if category else wishes


async def wall_page(
    community: OrgUnit, page: int, *, category: WishCategory | None = None,
    per_page: int = WALL_PAGE_SIZE, now: datetime | None = None,
) -> tuple[list[Wish], int, int]:
    """One page of the community's wall (claimable wishes, soonest deadline first).

    Returns ``(wishes, page, pages)``; a page beyond the last (e.g. after claims) shows the last.
    """
    total = await _on_wall(community, category, now).count()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    wishes = await (
        _on_wall(community, category, now).order_by("deadline", "id")
        .offset(page * per_page).limit(per_page)
    )
    return wishes, page, pages


async def wishes_of_resident(resident: TelegramUser, limit: int = 10) -> list[Wish]:
    wishes = Wish.filter(resident_id=resident.id).order_by("-id").limit(limit)
    return await wishes.prefetch_related("community")


async def get_resident_wish(wish_id: int, resident: TelegramUser) -> Wish | None:
    """The wish if ``resident`` made it (ids from buttons are never trusted)."""
    return await Wish.get_or_none(id=wish_id, resident_id=resident.id)


async def latest_progress(wish: Wish, limit: int) -> list[WishProgress]:
    """The current claimant's latest progress notes, oldest first."""
    notes = WishProgress.filter(wish_id=wish.id, member_id=wish.claimant_id)
    return (await notes.order_by("-id").limit(limit))[::-1]


async def wishes_claimed_by(member: Member) -> list[Wish]:
    """The wishes a member is working on or has finished but not yet seen confirmed."""
    wishes = Wish.filter(claimant_id=member.id, status__in=[WishStatus.CLAIMED, WishStatus.DONE])
    return await wishes.order_by("deadline", "id")


async def get_claimed_wish(wish_id: int, member: Member) -> Wish | None:
    """The wish if ``member`` holds it: only then may they see the resident's contact."""
    return await Wish.get_or_none(id=wish_id, claimant_id=member.id)


def overdue_condition(now: datetime | None = None) -> Q:
    """The database form of :attr:`Wish.overdue`."""
    return Q(status__in=list(OVERDUE_STATUSES), deadline__lt=local_today(now))


TAKEN_STATUSES = (WishStatus.CLAIMED, WishStatus.DONE)


async def public_wall(community: OrgUnit, now: datetime | None = None) -> list[Wish]:
    """The community's printable wall: wishes open to claim (as in the bot), then those taken on."""
    open_wishes = await _on_wall(community, None, now).order_by("deadline", "id")
    taken = await Wish.filter(community_id=community.id, status__in=list(TAKEN_STATUSES)).order_by(
        "deadline", "id"
    )
    return [*open_wishes, *taken]


async def all_progress(wish: Wish) -> list[WishProgress]:
    """Every progress note of the wish, by any claimant it has had, oldest first."""
    return await WishProgress.filter(wish_id=wish.id).select_related("member").order_by("id")


async def note_photo(wish: Wish, note_id: int) -> WishProgress:
    """The progress note ``note_id`` of ``wish``, if it has a photo."""
    note = await WishProgress.get_or_none(id=note_id, wish_id=wish.id, photo_file_id__not_isnull=True)
    if note is None:
        raise NotFound(N_("No such photo in this wish's progress notes."))
    return note


async def note_photo_for_resident(note_id: int, resident: TelegramUser) -> WishProgress | None:
    """A progress note with a photo on a wish ``resident`` made (ids from buttons are never trusted)."""
    return await WishProgress.get_or_none(
        id=note_id, wish__resident_id=resident.id, photo_file_id__not_isnull=True)


async def wish_history(wish: Wish) -> list[audit.AuditEntry]:
    """The wish's audit entries, oldest first."""
    entries = audit.AuditEntry.filter(object_type=Wish.__name__, object_id=str(wish.id))
    return await entries.order_by("id")


# --------------------------------------------------------------------------- reminders
# The scheduler finds candidates, then claims each one with a conditional UPDATE:
# a second run (or a second process) finds nothing left to claim.

OVERDUE_STATUSES = (WishStatus.PUBLISHED, WishStatus.CLAIMED, WishStatus.DONE)


async def wishes_due_for_reminder(now: datetime | None = None) -> list[Wish]:
    today = local_today(now)
    return await Wish.filter(
        status=WishStatus.CLAIMED, reminded_at=None, deadline__gte=today, deadline__lte=today + REMINDER_LEAD
    )


async def mark_reminded(wish: Wish, now: datetime) -> bool:
    """Take the reminder of the current claim; True for exactly one caller."""
    taken = await Wish.filter(
        id=wish.id, status=WishStatus.CLAIMED, claimant_id=wish.claimant_id, reminded_at=None
    ).update(reminded_at=now)
    if taken:
        wish.reminded_at = now
    return taken == 1


async def wishes_newly_overdue(now: datetime | None = None) -> list[Wish]:
    return await Wish.filter(
        status__in=list(OVERDUE_STATUSES), overdue_alerted_at=None, deadline__lt=local_today(now)
    )


async def mark_overdue_alerted(wish: Wish, now: datetime) -> bool:
    """Flag the wish as overdue for the panel (and the audit log); True for exactly one caller."""
    taken = await Wish.filter(
        id=wish.id, status__in=list(OVERDUE_STATUSES), claimant_id=wish.claimant_id,
        overdue_alerted_at=None,
    ).update(overdue_alerted_at=now)
    if taken != 1:
        return False
    wish.overdue_alerted_at = now
    await audit.record(
        audit.Actor.system("scheduler"), "wish.overdue", wish, org_id=wish.community_id,
        after={"status": str(wish.status), "deadline": str(wish.deadline), "claimant_id": wish.claimant_id},
    )
    return True
