"""Party members and the Telegram accounts that talk to the bot."""

from __future__ import annotations

import inspect
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from locales import LOCALES, N_, locale_from_language_code
from models.compiled import CompiledSelect


class MemberType(StrEnum):
    IN_SERVICE = "in_service"
    RETIRED = "retired"
    FLOATING = "floating"
    WITHOUT_POST = "without_post"
    LEADING_CADRE = "leading_cadre"


MEMBER_TYPE_LABELS = {
    MemberType.IN_SERVICE: N_("In-service"),
    MemberType.RETIRED: N_("Retired"),
    MemberType.FLOATING: N_("Floating"),
    MemberType.WITHOUT_POST: N_("Without post"),
    MemberType.LEADING_CADRE: N_("Leading cadre"),
}


class ManagementCategory(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    OTHER = "other"


MANAGEMENT_CATEGORY_LABELS = {
    ManagementCategory.CITY: N_("City-managed"),
    ManagementCategory.DISTRICT: N_("District-managed"),
    ManagementCategory.OTHER: N_("Other"),
}

NAME_MAX = 50
TEXT_MAX = 200


class Member(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=NAME_MAX, db_index=True)
    phone = fields.CharField(max_length=32, null=True)
    branch = fields.ForeignKeyField(
        "models.OrgUnit", related_name="members", on_delete=fields.RESTRICT
    )
    residence_community = fields.ForeignKeyField(
        "models.OrgUnit", related_name="residents", null=True, on_delete=fields.SET_NULL
    )
    building_unit = fields.CharField(max_length=64, default="")
    work_unit = fields.ForeignKeyField(
        "models.WorkUnit", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    member_type = fields.CharEnumField(MemberType, max_length=16, db_index=True)
    management_category = fields.CharEnumField(
        ManagementCategory, max_length=16, default=ManagementCategory.OTHER
    )
    occupation = fields.CharField(max_length=64, default="")
    skills = fields.CharField(max_length=TEXT_MAX, default="")
    can_write = fields.BooleanField(default=True)
    # Shown as "a member" on community leaderboards (the member's own choice, in the bot).
    leaderboard_opt_out = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    telegram: fields.BackwardOneToOneRelation[TelegramUser]

    class Meta:
        table = "member"
        ordering = ["id"]
        # ("created_at",): the member list sorted by date added walks an index; ("can_write",):
        # the few who cannot write (their pledges are entered for them) are found without a scan;
        # ("occupation", "branch_id"): the occupation filter's options (the distinct occupations
        # of a scope) are read off the index, not off every member.
        indexes = (
            ("branch_id", "name"), ("created_at",), ("can_write",), ("occupation", "branch_id"),
        )

    def __str__(self) -> str:
        return self.name


class TelegramUser(Model):
    """Anyone who has written to the bot, bound to a member once an invite is redeemed."""

    id = fields.BigIntField(primary_key=True, generated=False)  # Telegram user id
    first_name = fields.CharField(max_length=128, default="")
    username = fields.CharField(max_length=64, null=True)
    language_code = fields.CharField(max_length=16, null=True)
    locale = fields.CharField(max_length=8, null=True)  # explicit choice via /language
    member: fields.OneToOneNullableRelation[Member] = fields.OneToOneField(
        "models.Member", related_name="telegram", null=True, on_delete=fields.SET_NULL
    )
    bound_at = fields.DatetimeField(null=True)
    unreachable_since = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(null=True)

    class Meta:
        table = "telegram_user"


_WITH_MEMBER = CompiledSelect(
    TelegramUser,
    lambda telegram_id: TelegramUser.filter(id=telegram_id)
    .select_related("member__branch", "member__residence_community").limit(1),
)


async def telegram_user_with_member(telegram_id: int) -> TelegramUser | None:
    """The account and the member bound to it (``.member``, or None), in one query, with the
    member's branch and residence community loaded (what most handlers look up next).

    It runs for every update the bot receives, so its SQL is compiled once."""
    return await _WITH_MEMBER.first(telegram_id)


async def related(instance: Model, name: str) -> Any:
    """``instance.<name>`` for a foreign key: the object loaded with ``instance``
    (``select_related``), else fetched now; None when the key is empty."""
    value = getattr(instance, name)
    return await value if inspect.isawaitable(value) else value


def preferred_locale(tg_user: TelegramUser | None, default_locale: str) -> str:
    """The user's saved choice, else their Telegram app's language, else the default."""
    if tg_user is None:
        return default_locale
    if tg_user.locale in LOCALES:
        return tg_user.locale
    return locale_from_language_code(tg_user.language_code) or default_locale
