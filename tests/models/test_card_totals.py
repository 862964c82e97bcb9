"""``card_total``: the ledger's sum per member and year, kept by triggers (on both databases)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tortoise import Tortoise

from models import card_totals
from models.admins import Role
from models.audit import Actor
from models.awards import with_year_total
from models.members import Member
from models.points import CardSource, PointCard, award_card, issue_manual_card, revoke_card
from tests import factories


async def ledger_sums() -> dict[tuple[int, int], int]:
    rows = await Tortoise.get_connection("default").execute_query_dict(
        "SELECT member_id, year, SUM(amount) AS cards FROM point_card GROUP BY member_id, year")
    return {(row["member_id"], row["year"]): row["cards"] for row in rows if row["cards"]}


async def totals() -> dict[tuple[int, int], int]:
    rows = await Tortoise.get_connection("default").execute_query_dict(
        f"SELECT member_id, year, cards FROM {card_totals.TABLE}")
    return {(row["member_id"], row["year"]): row["cards"] for row in rows if row["cards"]}


async def test_totals_follow_every_change_to_the_ledger(org):
    scope = await factories.scope_of(org.nanyuan_1, "b1", Role.BRANCH_SECRETARY)
    zhang = await factories.member(org.nanyuan_1, "张三")
    li = await factories.member(org.nanyuan_1, "李四")
    cards = [await issue_manual_card(scope, zhang.id, f"好事 {n}", when=datetime(2026, 3, 1, tzinfo=UTC))
             for n in range(3)]
    await issue_manual_card(scope, zhang.id, "去年", when=datetime(2025, 3, 1, tzinfo=UTC))
    await award_card(li, CardSource.ACTIVITY, 7, Actor.system(), when=datetime(2026, 5, 4, tzinfo=UTC))
    await revoke_card(scope, cards[0].id, "重复登记")
    assert await totals() == await ledger_sums() == {
        (zhang.id, 2026): 2, (zhang.id, 2025): 1, (li.id, 2026): 1}

    # Entries that do not come through Xianfeng's functions count too: a bulk load...
    await PointCard.bulk_create([
        PointCard(member_id=li.id, amount=1, source=CardSource.MANUAL, reason="导入", year=2026)
        for _ in range(4)])
    # ...and a database administrator's correction (the ledger itself never edits or deletes).
    await PointCard.filter(id=cards[1].id).update(year=2025)
    await PointCard.filter(id=cards[2].id).delete()
    assert await totals() == await ledger_sums() == {
        (zhang.id, 2025): 2, (li.id, 2026): 5}

    # The award list reads them: each member's total of the year, 0 without cards.
    listed = await with_year_total(Member.filter(branch_id=org.nanyuan_1.id), 2026).order_by(
        "-cards_total").values_list("name", "cards_total")
    assert listed == [("李四", 5), ("张三", 0)]


async def test_cards_issued_at_once_all_count(org):
    """Concurrent transactions for one member's total (PostgreSQL: separate connections) lose
    no card."""
    member = await factories.member(org.nanyuan_1, "张三")
    issued = await asyncio.gather(*(
        award_card(member, CardSource.ACTIVITY, activity_id, Actor.system())
        for activity_id in range(1, 21)))
    assert all(issued)
    year = issued[0].year
    assert await totals() == await ledger_sums() == {(member.id, year): 20}


async def test_creating_the_table_fills_it_from_the_ledger_and_dropping_removes_the_triggers(org):
    """What migration 0013 does on a database that already has cards, and its reverse."""
    scope = await factories.scope_of(org.nanyuan_1, "b1", Role.BRANCH_SECRETARY)
    member = await factories.member(org.nanyuan_1, "张三")
    await issue_manual_card(scope, member.id, "好事", when=datetime(2026, 3, 1, tzinfo=UTC))
    client = Tortoise.get_connection("default")
    await card_totals.drop(client)
    await issue_manual_card(scope, member.id, "没有触发器时", when=datetime(2026, 3, 2, tzinfo=UTC))
    await issue_manual_card(scope, member.id, "去年", when=datetime(2025, 3, 2, tzinfo=UTC))
    await card_totals.create(client)
    assert await totals() == await ledger_sums() == {(member.id, 2026): 2, (member.id, 2025): 1}
