"""The points ledger (sums, manual cards, revocations) and the award rule (threshold, edits, standing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.admins import Role
from models.audit import Actor, AuditEntry
from models.awards import (
    AwardRule,
    community_of,
    create_rule,
    default_rule,
    leaderboard,
    rule_for,
    set_leaderboard_opt_out,
    standing,
    update_rule,
)
from models.card_subjects import card_subjects
from models.errors import DomainError, NotFound, PermissionDenied, ValidationError
from models.members import Member
from models.points import (
    CardSource,
    PointCard,
    award_card,
    balance,
    card_total,
    issue_manual_card,
    revoke_card,
    year_cards,
)
from models.text import shortened
from tests import factories

WHEN = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


async def give(scope, member, count: int, year: int = 2026) -> list[PointCard]:
    return [
        await issue_manual_card(scope, member.id, f"好事 {n}", when=datetime(year, 3, 1, tzinfo=UTC))
        for n in range(count)
    ]


async def test_ledger_sums_cards_and_revocations(org):
    scope = await factories.scope_of(org.nanyuan_1, "b1", Role.BRANCH_SECRETARY)
    member = await factories.member(org.nanyuan_1, "张三")
    cards = await give(scope, member, 3)
    await give(scope, member, 2, year=2025)
    assert await award_card(member, CardSource.ACTIVITY, 7, Actor.system(), when=WHEN) is not None
    assert await award_card(member, CardSource.ACTIVITY, 7, Actor.system(), when=WHEN) is None  # idempotent
    assert await card_total(member, 2026) == 4
    assert await balance(member) == 6

    revocation = await revoke_card(scope, cards[0].id, "重复登记")
    assert (revocation.amount, revocation.revokes_id, revocation.year) == (-1, cards[0].id, 2026)
    assert revocation.issued_by_id == scope.user.id
    assert await card_total(member, 2026) == 3
    assert await balance(member) == 5
    # Append-only: the revoked card is untouched.
    original = await PointCard.get(id=cards[0].id)
    assert (original.amount, original.reason) == (1, "好事 0")

    entries = await year_cards(member, 2026)
    assert len(entries) == 4
    assert entries[0][1] is not None and entries[0][1].reason == "重复登记"
    assert all(revoked is None for _, revoked in entries[1:])


async def test_a_card_is_revoked_only_once_and_revocations_never(org):
    scope = await factories.scope_of(org.nanyuan_1, "b1", Role.BRANCH_SECRETARY)
    member = await factories.member(org.nanyuan_1, "张三")
    [card] = await give(scope, member, 1)
    revocation = await revoke_card(scope, card.id, "错发")
    with pytest.raises(DomainError, match="already been revoked"):
        await revoke_card(scope, card.id, "再撤一次")
    with pytest.raises(DomainError, match="cannot itself be revoked"):
        await revoke_card(scope, revocation.id, "撤销撤销")
    with pytest.raises(ValidationError) as error:
        await revoke_card(scope, card.id, "   ")
    assert error.value.field == "reason"
    assert await card_total(member, 2026) == 0
    assert await PointCard.filter(member=member).count() == 2


async def test_manual_cards_need_a_reason_and_the_scope(org):
    branch = await factories.scope_of(org.nanyuan_1, "b1", Role.BRANCH_SECRETARY)
    staff = await factories.scope_of(org.street, "staff", Role.STAFF)
    mine = await factories.member(org.nanyuan_1, "张三")
    other = await factories.member(org.nanyuan_2, "李四")
    with pytest.raises(ValidationError) as error:
        await issue_manual_card(branch, mine.id, "")
    assert error.value.field == "reason"
    with pytest.raises(NotFound):
        await issue_manual_card(branch, other.id, "帮助邻居")
    with pytest.raises(PermissionDenied):
        await issue_manual_card(staff, mine.id, "帮助邻居")
    other_branch = await factories.scope_of(org.nanyuan_2, "b2", Role.BRANCH_SECRETARY)
    card = await issue_manual_card(other_branch, other.id, "帮助邻居")
    with pytest.raises(NotFound):
        await revoke_card(branch, card.id, "不是我的")
    assert await PointCard.filter(member=other).count() == 1

    entries = await AuditEntry.filter(action="card.award", object_id=str(card.id))
    assert len(entries) == 1 and entries[0].after["reason"] == "帮助邻居"
    assert entries[0].actor_admin_id is not None


async def test_award_threshold_is_strictly_more_than_six(org):
    scope = await factories.scope_of(org.nanyuan_1, "b1", Role.BRANCH_SECRETARY)
    member = await factories.member(org.nanyuan_1, "张三")
    await give(scope, member, 5)
    five = await standing(member, 2026)
    assert (five.total, five.qualifies, five.needed) == (5, False, 2)
    await give(scope, member, 1)
    six = await standing(member, 2026)
    assert (six.total, six.qualifies, six.needed) == (6, False, 1)
    cards = await give(scope, member, 1)
    seven = await standing(member, 2026)
    assert (seven.total, seven.qualifies, seven.needed) == (7, True, 0)
    await revoke_card(scope, cards[0].id, "错发")
    assert not (await standing(member, 2026)).qualifies


async def test_rule_edits_and_unit_rules(org):
    street = await factories.scope_of(org.street, "street", Role.STREET_ADMIN)
    community = await factories.scope_of(org.nanyuan, "nanyuan", Role.COMMUNITY_SECRETARY)
    member = await factories.member(org.nanyuan_1, "张三")
    elsewhere = await factories.member(org.xinfeng_1, "王五")
    rule = await default_rule()
    assert (rule.threshold, rule.org_id) == (6, None)

    with pytest.raises(PermissionDenied):
        await update_rule(community, rule.id, name="奉献奖", threshold=3)
    with pytest.raises(ValidationError) as error:
        await update_rule(street, rule.id, name="奉献奖", threshold="six")
    assert error.value.field == "threshold"
    with pytest.raises(ValidationError):
        await update_rule(street, rule.id, name="奉献奖", threshold=-1)
    await update_rule(street, rule.id, name="奉献奖", threshold=4)
    await give(community, member, 5)
    assert (await standing(member, 2026)).qualifies
    entry = await AuditEntry.get(action="award_rule.update")
    assert (entry.before["threshold"], entry.after["threshold"]) == (6, 4)

    local = await create_rule(street, org.nanyuan.id, name="南园奉献奖", threshold=8)
    assert (await rule_for(member)).id == local.id
    assert (await rule_for(elsewhere)).id == rule.id
    assert not (await standing(member, 2026)).qualifies
    with pytest.raises(ValidationError):
        await create_rule(street, org.nanyuan.id, name="again", threshold=8)
    assert await AwardRule.all().count() == 2


async def test_leaderboard_ranks_and_opt_out(org):
    scope = await factories.scope_of(org.nanyuan, "nanyuan", Role.COMMUNITY_SECRETARY)
    xinfeng = await factories.scope_of(org.xinfeng, "xinfeng", Role.COMMUNITY_SECRETARY)
    a = await factories.member(org.nanyuan_1, "甲")
    b = await factories.member(org.nanyuan_2, "乙")
    c = await factories.member(org.nanyuan_1, "丙")
    await factories.member(org.nanyuan_1, "丁")  # no cards: not ranked
    outsider = await factories.member(org.xinfeng_1, "外")
    await give(scope, a, 3)
    await give(scope, b, 2)
    await give(scope, c, 3)
    await give(scope, b, 5, year=2025)
    await give(xinfeng, outsider, 9)
    await set_leaderboard_opt_out(b, True)

    assert (await community_of(a)).id == org.nanyuan.id
    ranks = await leaderboard(org.nanyuan, 2026)
    assert [(r.position, r.name, r.total, r.opted_out) for r in ranks] == [
        (1, "丙", 3, False), (1, "甲", 3, False), (3, "乙", 2, True),
    ]
    assert len(await leaderboard(org.nanyuan, 2026, limit=2)) == 2
    entry = await AuditEntry.get(action="member.leaderboard_opt_out")
    assert entry.after == {"leaderboard_opt_out": True}


async def test_cards_per_month_counts_local_months_in_one_query(org):
    """Months are local (Asia/Shanghai): 16:30 UTC on 31 January is already 1 February."""
    from zoneinfo import ZoneInfo

    from models import clock
    from models.points import cards_per_month

    clock.configure(ZoneInfo("Asia/Shanghai"))
    scope = await factories.scope_of(org.nanyuan_1, "sec", Role.BRANCH_SECRETARY)
    member = await factories.member(org.nanyuan_1)
    times = [datetime(2025, 12, 31, 15, 59, tzinfo=UTC),  # 2025-12-31 23:59 local: last year
             datetime(2025, 12, 31, 16, 0, tzinfo=UTC),  # 1 January, midnight local
             datetime(2026, 1, 31, 15, 59, tzinfo=UTC),  # 31 January
             datetime(2026, 1, 31, 16, 30, tzinfo=UTC),  # 1 February
             datetime(2026, 7, 15, 4, 0, tzinfo=UTC),
             datetime(2026, 12, 31, 15, 59, tzinfo=UTC),  # 31 December
             datetime(2026, 12, 31, 16, 0, tzinfo=UTC)]  # next year
    for when in times:
        card = await issue_manual_card(scope, member.id, "好事")
        await PointCard.filter(id=card.id).update(created_at=when)
    expected = [2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert await cards_per_month(2026) == expected
    assert await cards_per_month(2026, Member.filter(id=member.id)) == expected
    assert await cards_per_month(2026, Member.filter(branch_id=org.nanyuan_1.id)) == expected

    # Revocations are not cards; another member's cards count only for every member.
    await revoke_card(scope, card.id, "记错了")
    other = await factories.member(org.nanyuan_2)
    await issue_manual_card(await factories.scope_of(org.nanyuan_2, "sec2", Role.BRANCH_SECRETARY),
                            other.id, "好事")
    await PointCard.filter(member_id=other.id).update(created_at=datetime(2026, 7, 1, tzinfo=UTC))
    assert await cards_per_month(2026, Member.filter(branch_id=org.nanyuan_1.id)) == expected
    assert await cards_per_month(2026, Member.filter(id__in=[])) == [0] * 12
    assert (await cards_per_month(2026))[6] == 2


async def test_card_subjects_name_the_activity_or_the_wish(org):
    scope = await factories.scope_of(org.nanyuan, "c1")
    member = await factories.member(org.nanyuan_1, "张三")
    activity = await factories.activity(scope, org.nanyuan, starts_at=WHEN, title="周四义诊",
                                        now=WHEN - timedelta(days=1))
    wish = await factories.published_wish(org.nanyuan, "帮王阿姨修水管")
    attended = await award_card(member, CardSource.ACTIVITY, activity.id, Actor.system(), when=WHEN)
    fulfilled = await award_card(member, CardSource.WISH, wish.id, Actor.system(), when=WHEN)
    by_hand = await issue_manual_card(scope, member.id, "扫雪", when=WHEN)
    gone = await award_card(member, CardSource.ACTIVITY, 999_999, Actor.system(), when=WHEN)

    assert await card_subjects([attended, fulfilled, by_hand, gone]) == {
        attended.id: "周四义诊", fulfilled.id: "帮王阿姨修水管", by_hand.id: "", gone.id: "",
    }
    assert await card_subjects([]) == {}


def test_shortened_keeps_what_fits_and_marks_a_cut():
    assert shortened("周四义诊", 4) == "周四义诊"
    assert shortened("周四义诊服务", 4) == "周四义…"
    assert shortened("", 4) == ""
