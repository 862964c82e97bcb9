"""Contribution point cards (党员奉献积分卡): an append-only ledger, balances are sums.

A card is +1 for a source (an attended activity, a fulfilled wish, or a manual award
with a reason); a revocation is a new −1 entry with a reason, never an edit. The unique
``award_key`` makes awarding the same source to the same member twice harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum
from tortoise.models import Model

from locales import N_
from models import audit
from models.errors import ValidationError
from models.members import Member


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


async def award_card(
    member: Member, source: CardSource, source_id: int | None, actor: audit.Actor, *,
    reason: str = "", when: datetime | None = None,
) -> PointCard | None:
    """Record one card; returns None when this source was already awarded to this member."""
    when = when or datetime.now(UTC)
    key = None if source == CardSource.MANUAL else f"{source}:{source_id}:{member.id}"
    if source == CardSource.MANUAL and not reason.strip():
        raise ValidationError(N_("A reason is required."), field="reason")
    try:
        card = await PointCard.create(
            member=member, amount=1, source=source, source_id=source_id, reason=reason.strip()[:200],
            award_key=key, issued_by=actor.admin, year=when.year,
        )
    except IntegrityError:
        return None
    await audit.record(actor, "card.award", card, org_id=member.branch_id,
                       after={"member_id": member.id, "source": str(source), "source_id": source_id})
    return card


async def card_total(member: Member, year: int) -> int:
    rows = await (
        PointCard.filter(member_id=member.id, year=year)
        .annotate(total=Sum("amount")).group_by("member_id").values("total")
    )
    return int(rows[0]["total"] or 0) if rows else 0
