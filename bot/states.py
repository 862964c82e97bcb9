"""FSM states of the bot's multi-step conversations."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class WishForm(StatesGroup):
    """A resident writes a wish, one field at a time."""

    text = State()
    category = State()
    community = State()
    phone = State()
    name = State()
    confirm = State()


class ClaimedWishInput(StatesGroup):
    """The claimant writes about a wish they hold (the wish id is in the FSM data)."""

    progress = State()
    release_reason = State()


class PledgeForm(StatesGroup):
    """A member writes their pledge. The FSM data holds the pledge's ``year`` (and ``kind``,
    ``text`` of the item being added, or the ``item_id`` being edited); the draft itself is in
    the database, so a restart loses at most the step in progress."""

    template = State()
    kind = State()
    text = State()
    target_date = State()
    new_text = State()


class PledgeInput(StatesGroup):
    """A member keeping an approved pledge writes about it (``year``, ``item_id`` in the FSM data)."""

    progress = State()
    summary = State()


class CommunityForm(StatesGroup):
    """A member reports to a community: ``community_id``, ``skills``, ``kinds`` in the FSM data."""

    community = State()
    skills = State()
    kinds = State()


class CommunityInput(StatesGroup):
    """A reason for leaving a post (``claim_id``), a check-in code (``activity_id``, ``attempts``)."""

    leave_reason = State()
    checkin_code = State()


class TeamNotice(StatesGroup):
    """A team leader writes a short notice to the team: ``team_id``; then ``text`` and the
    ``preview_id`` (the message whose "Send" button sends it) in the FSM data."""

    text = State()
    confirm = State()
