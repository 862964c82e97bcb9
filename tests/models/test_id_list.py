"""``IdList``: many ids in one ``IN`` condition, bound as parameters (on both databases)."""

from __future__ import annotations

import pytest

from models.id_list import IdList
from models.members import Member
from tests import factories


async def test_an_id_list_finds_what_id_in_finds(org):
    members = [await factories.member(org.nanyuan_1, f"党员{n}") for n in range(5)]
    wanted = [members[3].id, members[0].id, 999_999]  # any order; an id that is not there
    assert sorted(await Member.filter(id__in=IdList(wanted)).values_list("id", flat=True)) == \
        sorted(await Member.filter(id__in=wanted).values_list("id", flat=True)) == \
        sorted([members[0].id, members[3].id])


async def test_its_parameters_number_on_from_the_query_s_others(org):
    """Other conditions' parameters before and after it keep their places (PostgreSQL
    numbers them: $1, $2...)."""
    members = [await factories.member(org.nanyuan_1, f"党员{n}") for n in range(3)]
    await factories.member(org.nanyuan_2, "党员0")
    found = await (Member.filter(name="党员0", id__in=IdList(m.id for m in members))
                   .filter(id__in=IdList([members[0].id, members[2].id]), branch_id=org.nanyuan_1.id)
                   .values_list("id", flat=True))
    assert found == [members[0].id]


async def test_lists_of_one_size_share_one_statement(db):
    """The driver prepares a statement per SQL text: chunks of one size must not each make one."""
    assert Member.filter(id__in=IdList([1, 2, 3])).sql() == Member.filter(id__in=IdList([7, 8, 9])).sql()
    assert "7" not in Member.filter(id__in=IdList([7, 8, 9])).sql()


@pytest.mark.parametrize("ids", [[], ["1) OR (1=1"], ["12"], [1.5], [None]])
def test_only_whole_numbers_and_at_least_one(ids):
    with pytest.raises((ValueError, TypeError)):
        IdList(ids)
