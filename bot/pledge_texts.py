"""Pieces of text about pledges, shared by the handlers and the notifications.

They take the ``gettext`` to use: the handlers pass aiogram's (the current user's
language), the notifications the recipient's. User-written parts are HTML-escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.texts import Gettext, fitted, local_date
from models import clock
from models.pledges import (
    EDITABLE,
    GRADE_LABELS,
    ITEM_KIND_LABELS,
    KEEPING,
    PLEDGE_STATUS_LABELS,
    ItemKind,
    Pledge,
    PledgeItem,
    PledgeProgress,
    PledgeStatus,
)

ENTRIES_PER_ITEM = 3  # in the history; the item's own screen shows more
ENTRIES_ON_ITEM = 10


def current_year() -> int:
    return clock.current_year()


def kind_label(kind: ItemKind, _: Gettext) -> str:
    return _(ITEM_KIND_LABELS[kind])


def status_label(status: PledgeStatus, _: Gettext) -> str:
    return _(PLEDGE_STATUS_LABELS[status])


def shows_progress(pledge: Pledge) -> bool:
    """From approval on, a pledge has progress entries to show."""
    return pledge.status in KEEPING or pledge.status == PledgeStatus.ASSESSED


def item_line(number: int, item: PledgeItem, text: str, _: Gettext) -> str:
    """One numbered item; ``text`` is the item's text, possibly cut, not yet escaped."""
    line = _("{number}. [{kind}] {text}").format(
        number=number, kind=kind_label(item.kind, _), text=escape(text))
    if item.target_date:
        line += "\n    " + _("Target date: {date}").format(date=item.target_date.isoformat())
    return line


def entry_line(entry: PledgeProgress, text: str) -> str:
    photo = " 📷" if entry.photo_file_id else ""
    return f"• {local_date(entry.created_at)} {escape(text)}{photo}"


def intro_text(year: int, _: Gettext) -> str:
    return _(
        "📝 <b>My pledge for {year}</b>\n\n"
        "Each year every Party member makes a public pledge, in three kinds of items: political pledges, "
        "duty pledges and practical-matter pledges for the residents.\n\n"
        "Start from a template for your member type, or add items one by one. What you write is kept as "
        "a draft until you submit it for review."
    ).format(year=year)


def pledge_text(pledge: Pledge, items: Sequence[PledgeItem], _: Gettext) -> str:
    """The whole pledge: status, guidance or summary, the numbered items, what the branch said
    of it, what to do next. Items and the longer notes are cut to fit one message."""
    head = [
        _("📝 <b>My pledge for {year}</b>").format(year=pledge.year),
        _("Status: {status}").format(status=status_label(pledge.status, _)),
    ]
    if pledge.proxy_entered:
        head.append(_("✍️ Entered by the branch secretary on your behalf."))
    if pledge.status == PledgeStatus.RETURNED and pledge.return_guidance:
        head += ["", _("↩️ <b>Returned for revision.</b> The reviewer's guidance:"),
                 escape(pledge.return_guidance)]
    hint = _status_hint(pledge.status, _)

    def render(texts: list[str]) -> str:
        summary, leader_comment, assessment_comment = texts[len(items):]
        body = [item_line(number, item, text, _)
                for number, (item, text) in enumerate(zip(items, texts), start=1)]
        tail = []
        if pledge.half_year_summary:
            tail += ["", _("<b>My half-year summary</b>"), escape(summary)]
        if review := half_year_review_lines(pledge, _, leader_comment):
            tail += ["", _("<b>Half-year review</b>"), *review]
        if assessment := assessment_lines(pledge, _, assessment_comment):
            tail += ["", *assessment]
        if hint:
            tail += ["", hint]
        return "\n".join([*head, "", *(body or [_("No items yet.")]), *tail])

    notes = [pledge.half_year_summary, pledge.leader_comment, pledge.assessment_comment]
    return fitted(render, [*(item.text for item in items), *notes])


def half_year_review_lines(pledge: Pledge, _: Gettext, leader_comment: str | None = None) -> list[str]:
    """The branch's half-year review, once recorded: the leader's comment (``leader_comment``:
    the pledge's, possibly cut) and the residents' evaluation."""
    if pledge.half_year_reviewed_at is None:
        return []
    comment = pledge.leader_comment if leader_comment is None else leader_comment
    lines = []
    if pledge.leader_comment:
        lines.append(_("Leader's comment: {comment}").format(comment=escape(comment)))
    lines.append(_("Residents: {satisfied} satisfied, {basic} basically satisfied, {unsatisfied} "
                   "unsatisfied").format(satisfied=pledge.residents_satisfied, basic=pledge.residents_basic,
                                         unsatisfied=pledge.residents_unsatisfied))
    return lines


def assessment_lines(pledge: Pledge, _: Gettext, assessment_comment: str | None = None) -> list[str]:
    """The annual assessment, once made: grade, residents' satisfaction and the comment
    (``assessment_comment``: the pledge's, possibly cut)."""
    if pledge.status != PledgeStatus.ASSESSED or not pledge.grade:
        return []
    comment = pledge.assessment_comment if assessment_comment is None else assessment_comment
    lines = [_("Assessment: {grade}; residents' satisfaction {score}%").format(
        grade=_(GRADE_LABELS[pledge.grade]), score=pledge.satisfaction_score)]
    if pledge.assessment_comment:
        lines.append(_("Comment: {comment}").format(comment=escape(comment)))
    return lines


def _status_hint(status: PledgeStatus, _: Gettext) -> str:
    if status in EDITABLE:
        return _("Tap an item to change or delete it. Everything is saved as a draft as you go; "
                 "submit the pledge when it is ready.")
    if status == PledgeStatus.SUBMITTED:
        return _("Your branch secretary is reviewing it. You will be told the result here.")
    if status in KEEPING:
        return _("Tap an item to log how you are keeping it.")
    return ""


def item_text(
    number: int, item: PledgeItem, pledge: Pledge, entries: Sequence[PledgeProgress], _: Gettext,
) -> str:
    """One item in full, with the progress ``entries`` given (cut if need be)."""
    lines = [_("<b>Item {number}</b> · {kind}").format(number=number, kind=kind_label(item.kind, _))]
    if item.target_date:
        lines.append(_("Target date: {date}").format(date=item.target_date.isoformat()))
    lines += ["", escape(item.text)]
    if not shows_progress(pledge):
        return "\n".join(lines)
    lines += ["", _("<b>Progress</b>")]
    if not entries:
        return "\n".join([*lines, _("No progress logged yet.")])
    return fitted(lambda texts: "\n".join(lines + [entry_line(e, t) for e, t in zip(entries, texts)]),
                  [entry.text for entry in entries])


def history_text(
    pledge: Pledge, progress: Sequence[tuple[PledgeItem, Sequence[PledgeProgress]]], _: Gettext,
) -> str:
    """Every item with its latest progress entries."""
    shown = [(item, entries[-ENTRIES_PER_ITEM:], len(entries) - ENTRIES_PER_ITEM)
             for item, entries in progress]
    earlier_note = _("({count} earlier entries on the item's own page)")

    def render(texts: list[str]) -> str:
        texts_left = iter(texts)
        lines = [_("📖 <b>How I am keeping my pledge for {year}</b>").format(year=pledge.year)]
        for number, (item, entries, earlier) in enumerate(shown, start=1):
            lines += ["", item_line(number, item, next(texts_left), _)]
            if earlier > 0:
                lines.append("    " + earlier_note.format(count=earlier))
            lines += ["    " + entry_line(entry, next(texts_left)) for entry in entries]
            if not entries:
                lines.append("    " + _("No progress logged yet."))
        return "\n".join(lines)

    return fitted(render, [text for item, entries, _earlier in shown
                           for text in (item.text, *(entry.text for entry in entries))])
