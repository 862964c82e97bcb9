"""Pieces of text about community service, shared by the handlers and the notifications.

They take the ``gettext`` to use: the handlers pass aiogram's (the current user's
language), the notifications the recipient's.
"""

from __future__ import annotations

from html import escape

from bot.texts import Gettext
from models.activities import Activity
from models.activity_series import WEEKDAY_LABELS
from models.clock import local_now
from models.registration import REGISTRATION_STATUS_LABELS, Registration, ServiceKind
from models.wishes import WISH_CATEGORY_LABELS


def when_text(activity: Activity, gettext: Gettext) -> str:
    """The local start and end with the day of the week, e.g. ``2026-05-07 星期四 09:00–11:00``:
    older members go by the day of the week more than by the date."""
    starts, ends = local_now(activity.starts_at), local_now(activity.ends_at)
    end = ends.strftime("%H:%M")
    if starts.date() != ends.date():
        end = f"{ends:%Y-%m-%d} {gettext(WEEKDAY_LABELS[ends.weekday()])} {end}"
    return f"{starts:%Y-%m-%d} {gettext(WEEKDAY_LABELS[starts.weekday()])} {starts:%H:%M}–{end}"


def kinds_text(kinds, gettext: Gettext) -> str:
    return "、".join(gettext(WISH_CATEGORY_LABELS[ServiceKind(kind)]) for kind in kinds) or "—"


def activity_summary(activity: Activity, gettext: Gettext) -> str:
    """Title, time and place on three lines, HTML-escaped."""
    return "\n".join([
        f"<b>{escape(activity.title)}</b>",
        gettext("Time: {when}").format(when=when_text(activity, gettext)),
        gettext("Place: {place}").format(place=escape(activity.place)),
    ])


def registration_text(registration: Registration, gettext: Gettext) -> str:
    """The member's registration (its community fetched)."""
    lines = [
        gettext("Community: {community}").format(community=escape(registration.community.name)),
        gettext("Status: {status}").format(
            status=gettext(REGISTRATION_STATUS_LABELS[registration.status])),
        gettext("Skills: {skills}").format(skills=escape(registration.skills) or "—"),
        gettext("Kinds of service: {kinds}").format(kinds=kinds_text(registration.service_kinds, gettext)),
    ]
    return "\n".join(lines)
