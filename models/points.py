"""Contribution point cards (党员奉献积分卡): an append-only ledger, balances are sums.

A card is +1 for a source (an attended activity, a fulfilled wish, or a manual award
with a reason); a revocation is a new −1 entry with a reason that references the card,
never an edit. The unique ``award_key`` makes awarding the same source to the same member
twice harmless, and revoking one card twice impossible (``revoke:<card id>``).

A card counts in the local calendar year of its source (the activity's start, the
fulfilment, the manual issue); a revocation counts in the year of the card it revokes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Case, RawSQL, Subquery, When
from tortoise.functions import Count, Sum
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from locales import N_
from models import audit
from models.clock import current_year, local_month_start
from models.errors import DomainError, ValidationError
from models.members import Member
from models.text import clean_text

REASON_MAX = 200


class CardSource(StrEnum):
    ACTIVITY = "activity"
    WISH = "wish"
    MANUAL = "manual"


CARD_SOURCE_LABELS = {
    CardSource.ACTIVITY: N_("Activity attended"),
    CardSource.WISH: N_("Micro-wish fulfilled"),
    CardSource.MANUAL: N_("Issued by a secretary"),
}


class PointCard(Model):
    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="cards", on_delete=fields.RESTRICT
    )
    amount = fields.SmallIntField()  # +1 a card, -1 a revocation
    source = fields.CharEnumField(CardSource, max_length=16)
    source_id = fields.IntField(null=True)
    reason = fields.CharField(max_length=200, default="")
    award_key = fields.CharField(max_length=100, unique=True, null=True)
    revokes: fields.ForeignKeyNullableRelation[PointCard] = fields.ForeignKeyField(
        "models.PointCard", related_name="revocations", null=True, on_delete=fields.RESTRICT
    )
    issued_by = fields.ForeignKeyField(
        "models.AdminUser", related_name="cards_issued", null=True, on_delete=fields.SET_NULL
    )
    year = fields.SmallIntField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "point_card"
        ordering = ["id"]
        # A member's total of a year (standing, award list), the cards of a month (everyone's)
        # and some members' cards by month (a community's dashboard), each summed or counted
        # from an index alone (cards are +1, revocations -1).
        indexes = (("member_id", "year", "amount"), ("created_at", "amount"),
                   ("member_id", "created_at", "amount"))

    @property
    def is_revocation(self) -> bool:
        return self.amount < 0

    def snapshot(self) -> dict:
        return {
            "member_id": self.member_id, "amount": self.amount, "source": str(self.source),
            "source_id": self.source_id, "reason": self.reason, "year": self.year,
            "revokes_id": self.revokes_id,
        }


async def award_card(
    member: Member, source: CardSource, source_id: int | None, actor: audit.Actor, *,
    reason: str = "", when: datetime | None = None,
) -> PointCard | None:
    """Record one card; returns None when this source was already awarded to this member."""
    when = when or datetime.now(UTC)
    key = None if source == CardSource.MANUAL else _award_key(source, source_id, member.id)
    if source == CardSource.MANUAL and not reason.strip():
        raise ValidationError(N_("A reason is required."), field="reason")
    try:
        # A savepoint: on PostgreSQL a failed INSERT must not spoil the caller's transaction.
        async with in_transaction():
            card = await PointCard.create(
                member=member, amount=1, source=source, source_id=source_id,
                reason=reason.strip()[:REASON_MAX], award_key=key, issued_by=actor.admin,
                year=current_year(when),
            )
    except IntegrityError:
        return None
    await audit.record(actor, "card.award", card, org_id=member.branch_id, after=card.snapshot())
    return card


def _award_key(source: CardSource, source_id: int | None, member_id: int) -> str:
    """What makes an activity's or a wish's card one per member."""
    return f"{source}:{source_id}:{member_id}"


async def awarded_card(source: CardSource, source_id: int, member_id: int) -> PointCard | None:
    """The card an activity or a wish gave the member, if it did."""
    return await PointCard.get_or_none(award_key=_award_key(source, source_id, member_id))


async def issue_manual_card(scope, member_id: int, reason: str, *, when: datetime | None = None) -> PointCard:
    """A secretary's card for a member of their organisation, with a reason (required)."""
    member = await scope.member(member_id)
    await scope.require_writable(member.branch_id)
    reason = clean_text(reason, REASON_MAX, "reason")
    card = await award_card(member, CardSource.MANUAL, None, audit.Actor(admin=scope.user),
                            reason=reason, when=when)
    assert card is not None  # manual cards have no award key
    return card


async def revoke_card(scope, card_id: int, reason: str) -> PointCard:
    """A −1 entry that cancels ``card_id``; a card can be revoked once, a revocation never."""
    card = await scope.card(card_id)
    await card.fetch_related("member")
    await scope.require_writable(card.member.branch_id)
    reason = clean_text(reason, REASON_MAX, "reason")
    if card.is_revocation:
        raise DomainError(N_("A revocation cannot itself be revoked."))
    try:
        async with in_transaction():
            revocation = await PointCard.create(
                member_id=card.member_id, amount=-1, source=card.source, source_id=card.source_id,
                reason=reason, award_key=f"revoke:{card.id}", revokes=card,
                issued_by=scope.user, year=card.year,
            )
    except IntegrityError:
        raise DomainError(N_("This card has already been revoked.")) from None
    await audit.record(
        audit.Actor(admin=scope.user), "card.revoke", revocation, org_id=card.member.branch_id,
        before={"card_id": card.id, **card.snapshot(), "revoked": False},
        after={"card_id": card.id, "revoked": True, "reason": reason},
    )
    return revocation


async def is_revoked(card: PointCard) -> bool:
    return await PointCard.filter(revokes_id=card.id).exists()


async def card_total(member: Member, year: int) -> int:
    rows = await (
        PointCard.filter(member_id=member.id, year=year)
        .annotate(total=Sum("amount")).group_by("member_id").values("total")
    )
    return int(rows[0]["total"] or 0) if rows else 0


async def card_years_open_to(member: Member) -> set[int]:
    """The years whose cards the member may look through: this year, and every year with
    ledger entries."""
    # Ordered by the selected column: PostgreSQL refuses DISTINCT ordered by the default id.
    years = PointCard.filter(member_id=member.id).order_by("year").distinct()
    return set(await years.values_list("year", flat=True)) | {current_year()}


async def balance(member: Member) -> int:
    """All cards ever, less revocations."""
    rows = await PointCard.filter(member_id=member.id).annotate(total=Sum("amount")).group_by(
        "member_id").values("total")
    return int(rows[0]["total"] or 0) if rows else 0


async def cards_per_month(year: int, members: QuerySet[Member] | None = None) -> list[int]:
    """How many cards (not revocations) were issued in each local month of ``year``, January
    first: of every member, or of ``members`` only. The bounds are local midnights in UTC, as
    every bound must be.

    Every member's: one statement of twelve counts, each over its month's range of the
    (created_at, amount) index alone (a month found per row compares each of the year's cards
    with the bounds: several times slower). Some members' (a community's): one pass over
    their cards, found by the member index, each counted in its month; the twelve range counts
    would read everyone's cards of the year and look up each one's member (25 ms against 6
    for a community of 1,500 members among 50k cards).
    """
    bounds = [local_month_start(year, month) for month in range(1, 14)]
    cards = PointCard.filter(amount__gt=0)
    if members is None:
        months = {
            f"m{month}": Subquery(cards.filter(created_at__gte=bounds[month - 1],
                                               created_at__lt=bounds[month]).count())
            for month in range(1, 13)
        }
        rows = await PointCard.all().limit(1).annotate(**months).values(*months)  # no cards at all: no row
        return [int(rows[0][name]) if rows else 0 for name in months]
    # Literal month numbers: as parameters, PostgreSQL would take them for text.
    month_of = Case(*(When(created_at__lt=bounds[month], then=RawSQL(str(month)))
                      for month in range(1, 13)))
    rows = await (
        # Ordered by branch (the member index's first column), not by the default id: an
        # order by id makes SQLite scan every member to find the community's.
        cards.filter(member_id__in=Subquery(members.order_by("branch_id").values("id")),
                     created_at__gte=bounds[0], created_at__lt=bounds[12])
        .annotate(month=month_of, n=Count("id")).group_by("month").values("month", "n")
    )  # values(), not values_list(): that selects the CASE twice, which PostgreSQL won't group
    counts = {int(row["month"]): row["n"] for row in rows}
    return [counts.get(month, 0) for month in range(1, 13)]


def recorded_in_month(entries: QuerySet[PointCard], year: int, month: int) -> QuerySet[PointCard]:
    """Of ``entries``, those recorded in a local calendar month (what ``cards_per_month``
    counts for that month)."""
    return entries.filter(created_at__gte=local_month_start(year, month),
                          created_at__lt=local_month_start(year, month + 1))


async def year_cards(member: Member, year: int) -> list[tuple[PointCard, PointCard | None]]:
    """The member's cards of ``year`` (oldest first), each with its revocation or None."""
    entries = await PointCard.filter(member_id=member.id, year=year).order_by("id")
    revocations = {entry.revokes_id: entry for entry in entries if entry.is_revocation}
    return [(entry, revocations.get(entry.id)) for entry in entries if not entry.is_revocation]
