"""Broadcasts (群发通知): one announcement from a secretary to every member of a segment.

A secretary writes a title and a text, picks a segment (a unit of their
organisation and everything below it, optionally one member type), looks at how
many members it reaches, and sends. :func:`send_broadcast` stores the
:class:`Broadcast` and queues one outbox row per recipient (``models.outbox``),
in one transaction: either every recipient is queued or none is. The delivery
worker does the sending; :func:`progress` reads where the rows are, and
:func:`cancel_broadcast` takes back what is still waiting.

Recipients are the segment's members bound to a Telegram account that is not
marked unreachable (the worker marks users who blocked the bot). The others are
counted, so the secretary sees who the announcement misses and why.

The text is plain text, written once in the secretary's language: it is sent as
written (HTML-escaped), not translated per recipient.

Sending twice is harmless. The compose form carries a one-time ``form_key``:
posting the same form again (a double click, a reload) returns the broadcast it
created the first time. Each outbox row's dedup key names the broadcast and the
recipient, so no member is ever queued twice for one broadcast.

Teams (服务队) are not modelled yet. When they are, a segment gains a team: add
``team`` to :class:`Segment` (filtering :meth:`Segment.members` to the team's
members), a nullable ``team`` foreign key to :class:`Broadcast`, a ``team``
parameter to :func:`clean_segment` checked against the scope, and a select to the
compose form. Nothing else changes: recipients, counts and sending work on
whatever :meth:`Segment.members` returns.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from locales import N_
from models import audit
from models.delivery_errors import OTHER_REASON, reason_of
from models.errors import DomainError, ValidationError
from models.members import MEMBER_TYPE_LABELS, Member, MemberType, TelegramUser
from models.membership import FieldErrors
from models.org import OrgUnit
from models.outbox import OutboxMessage, OutboxStatus, cancel, enqueue, status_counts, utcnow

if TYPE_CHECKING:
    from models.scope import Scope

KIND = "broadcast"  # OutboxMessage.kind of every broadcast row
TITLE_MAX = 100
# Telegram allows 4096 characters per message; the title and the spacing fit in the rest.
TEXT_MAX = 3500
FORM_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Broadcast(Model):
    """One announcement to a segment, its outbox rows carry its id as broadcast_id."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=TITLE_MAX)
    text = fields.TextField()  # plain text, as written
    # The segment: this unit and everything below it ...
    org: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="broadcasts", on_delete=fields.RESTRICT
    )
    # ... optionally only members of this type.
    member_type = fields.CharEnumField(MemberType, max_length=16, null=True)
    author = fields.ForeignKeyField(
        "models.AdminUser", related_name="broadcasts", null=True, on_delete=fields.SET_NULL
    )
    # The compose form's one-time key: posting the same form again finds this broadcast.
    form_key = fields.CharField(max_length=64, unique=True)
    # The audience when it was sent: queued, and left out because not bound / unreachable.
    recipients = fields.IntField(default=0)
    skipped_not_bound = fields.IntField(default=0)
    skipped_unreachable = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "broadcast"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title

    def outbox(self) -> QuerySet[OutboxMessage]:
        return OutboxMessage.filter(broadcast_id=self.id, kind=KIND)


# --------------------------------------------------------------------------- segments


@dataclass(frozen=True)
class Audience:
    """Who a segment reaches: ``members`` = ``recipients`` + ``not_bound`` + ``unreachable``."""

    members: int
    recipients: int
    not_bound: int
    unreachable: int


@dataclass(frozen=True)
class Segment:
    """The members an announcement is for. (Teams: see the module docstring.)"""

    org: OrgUnit
    member_type: MemberType | None = None

    def members(self) -> QuerySet[Member]:
        members = Member.filter(branch__path__startswith=self.org.path)
        if self.member_type is not None:
            members = members.filter(member_type=self.member_type)
        return members

    def telegram_users(self) -> QuerySet[TelegramUser]:
        """The segment's members' Telegram accounts, reachable or not."""
        return TelegramUser.filter(member_id__in=Subquery(self.members().values("id")))

    def recipients(self) -> QuerySet[TelegramUser]:
        return self.telegram_users().filter(unreachable_since__isnull=True)

    async def audience(self) -> Audience:
        members = await self.members().count()
        bound = await self.telegram_users().count()
        recipients = await self.recipients().count()
        return Audience(
            members=members,
            recipients=recipients,
            not_bound=members - bound,
            unreachable=bound - recipients,
        )


async def clean_segment(values: dict[str, str], scope: Scope) -> Segment:
    """The segment of the compose form's ``org`` and ``member_type``; the unit must be in scope."""
    errors: dict[str, ValidationError] = {}
    unit = None
    org_id = values.get("org", "")
    # ASCII digits only ("²".isdigit() is true, int("²") fails), within the id range.
    if org_id.isascii() and org_id.isdigit() and int(org_id) <= 2**31 - 1:
        unit = await scope.org_units().get_or_none(id=int(org_id))
    if unit is None:
        errors["org"] = ValidationError(N_("Choose a unit of your organisation."), field="org")
    member_type = values.get("member_type", "") or None
    if member_type is not None and member_type not in MEMBER_TYPE_LABELS:
        errors["member_type"] = ValidationError(N_("Choose a member type."), field="member_type")
    if errors:
        raise FieldErrors(errors)
    return Segment(org=unit, member_type=MemberType(member_type) if member_type else None)


# --------------------------------------------------------------------------- composing


@dataclass(frozen=True)
class Draft:
    title: str
    text: str
    segment: Segment

    @property
    def message(self) -> str:
        return render_message(self.title, self.text)


def render_message(title: str, text: str) -> str:
    """The Telegram HTML sent to every recipient: the title in bold, then the text, both escaped."""
    return f"<b>{escape(title, quote=False)}</b>\n\n{escape(text, quote=False)}"


def _clean_title(value: str) -> str:
    title = " ".join(value.split())
    if not title:
        raise ValidationError(N_("Please give the announcement a title."), field="title")
    if len(title) > TITLE_MAX:
        raise ValidationError(
            N_("The title may have at most {count} characters."), field="title", count=TITLE_MAX
        )
    return title


def _clean_text(value: str) -> str:
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationError(N_("Please write the announcement."), field="text")
    if len(text) > TEXT_MAX:
        raise ValidationError(
            N_("The text may have at most {count} characters (it has {length})."),
            field="text", count=TEXT_MAX, length=len(text),
        )
    return text


async def clean_broadcast(values: dict[str, str], scope: Scope) -> Draft:
    """Validate the whole compose form; every field's error at once (``FieldErrors``)."""
    errors: dict[str, ValidationError] = {}
    cleaned: dict[str, str] = {}
    for name, clean in (("title", _clean_title), ("text", _clean_text)):
        try:
            cleaned[name] = clean(values.get(name, ""))
        except ValidationError as error:
            errors[name] = error
    segment = None
    try:
        segment = await clean_segment(values, scope)
    except FieldErrors as error:
        errors.update(error.errors)
    if errors:
        raise FieldErrors(errors)
    return Draft(title=cleaned["title"], text=cleaned["text"], segment=segment)


# --------------------------------------------------------------------------- sending


async def send_broadcast(draft: Draft, actor: audit.Actor, *, form_key: str) -> Broadcast:
    """Store the broadcast and queue it for every recipient; idempotent per ``form_key``.

    Refuses (``ValidationError`` on ``org``) a segment that nobody can receive.
    """
    if not FORM_KEY_RE.match(form_key or ""):
        raise ValidationError(
            N_("This form has expired. Please reload the page and try again."), field=""
        )
    if (existing := await Broadcast.get_or_none(form_key=form_key)) is not None:
        return existing
    try:
        async with in_transaction():
            return await _create_and_queue(draft, actor, form_key)
    except IntegrityError:
        # The same form posted twice at once: the other request created it.
        if (existing := await Broadcast.get_or_none(form_key=form_key)) is None:
            raise
        return existing


async def _create_and_queue(draft: Draft, actor: audit.Actor, form_key: str) -> Broadcast:
    segment = draft.segment
    audience = await segment.audience()
    recipients = await segment.recipients().order_by("id").values_list("id", flat=True)
    if not recipients:
        raise ValidationError(
            N_("Nobody in this group can receive the announcement: "
               "no member there has a reachable Telegram account."),
            field="org",
        )
    broadcast = await Broadcast.create(
        title=draft.title,
        text=draft.text,
        org=segment.org,
        member_type=segment.member_type,
        author=actor.admin,
        form_key=form_key,
        recipients=len(recipients),
        skipped_not_bound=audience.not_bound,
        # Counted with the recipients we queue, so the three always add up to the members.
        skipped_unreachable=audience.members - audience.not_bound - len(recipients),
    )
    message = draft.message
    for user_id in recipients:
        # A private chat's id is its user's id.
        await enqueue(
            user_id,
            message,
            kind=KIND,
            dedup_key=f"broadcast:{broadcast.id}:{user_id}",
            telegram_user_id=user_id,
            broadcast_id=broadcast.id,
        )
    await audit.record(
        actor,
        "broadcast.send",
        broadcast,
        org_id=segment.org.id,
        after={
            "title": broadcast.title,
            "member_type": segment.member_type and str(segment.member_type),
            "recipients": broadcast.recipients,
        },
    )
    return broadcast


async def cancel_broadcast(
    broadcast: Broadcast, actor: audit.Actor, now: datetime | None = None
) -> int:
    """Cancel the rows not yet sent (queued or waiting for a retry). Returns how many.

    Rows being sent right now end as sent or failed. Cancelling twice is
    harmless; cancelling when nothing is waiting any more is refused.
    """
    now = now or utcnow()
    async with in_transaction():
        cancelled = await cancel(broadcast.outbox(), now)
        first = await Broadcast.filter(id=broadcast.id, cancelled_at=None).update(cancelled_at=now)
        if not first:
            await broadcast.refresh_from_db(fields=["cancelled_at"])
            return cancelled  # cancelled before: nothing more to do
        if not cancelled:
            raise DomainError(
                N_("Every message of this announcement has already been sent or has failed: "
                   "nothing is left to cancel.")
            )
        broadcast.cancelled_at = now
        await audit.record(
            actor, "broadcast.cancel", broadcast, org_id=broadcast.org_id,
            after={"cancelled": cancelled},
        )
    return cancelled


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class Failure:
    reason: str  # message id (models.delivery_errors)
    count: int


@dataclass(frozen=True)
class Progress:
    """Where a broadcast's outbox rows are."""

    sent: int
    waiting: int  # queued, waiting for a retry, or being sent
    failed: int
    cancelled: int
    failures: tuple[Failure, ...] = ()  # the failed rows by reason in words, most frequent first

    @property
    def total(self) -> int:
        return self.sent + self.waiting + self.failed + self.cancelled

    @property
    def done(self) -> int:
        return self.total - self.waiting

    @property
    def finished(self) -> bool:
        return self.waiting == 0

    @property
    def percent(self) -> int:
        """How much is done (sent, failed or cancelled), rounded down: 100 only when finished."""
        return 100 if not self.total else self.done * 100 // self.total

    def time_left(self, rate: float) -> timedelta | None:
        """At ``rate`` messages per second overall (``settings.delivery_rate``), or None when
        finished. An estimate: other notifications share the rate, retries wait longer."""
        if self.finished:
            return None
        return timedelta(seconds=math.ceil(self.waiting / rate))


async def progress(broadcast: Broadcast) -> Progress:
    counts = await status_counts(broadcast.outbox())
    reasons = (
        await broadcast.outbox()
        .filter(status=OutboxStatus.DEAD)
        .annotate(n=Count("id"))
        .group_by("last_error")
        .values_list("last_error", "n")
    )
    by_reason: Counter[str] = Counter()
    for error, n in reasons:
        by_reason[reason_of(error) or OTHER_REASON] += n
    failures = sorted(
        (Failure(reason, n) for reason, n in by_reason.items()), key=lambda f: (-f.count, f.reason)
    )
    return Progress(
        sent=counts[OutboxStatus.SENT],
        waiting=(
            counts[OutboxStatus.QUEUED] + counts[OutboxStatus.RETRY] + counts[OutboxStatus.SENDING]
        ),
        failed=counts[OutboxStatus.DEAD],
        cancelled=counts[OutboxStatus.CANCELLED],
        failures=tuple(failures),
    )
