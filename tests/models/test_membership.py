"""Creating members in bulk (an import): each gets its own id, whatever ids came before."""

from __future__ import annotations

from tortoise.transactions import in_transaction

import models.membership
from models.audit import Actor, AuditEntry
from models.members import Member
from models.membership import clean_member, create_members
from tests import factories


async def test_members_created_together_get_their_own_ids(org, monkeypatch):
    monkeypatch.setattr(models.membership, "INSERT_BATCH", 3)  # several statements
    kept = await factories.member(org.nanyuan_1, "甲")
    dropped = await factories.member(org.nanyuan_1, "乙")
    await dropped.delete()  # the largest id is gone: the next ones may skip it
    cleaned = [await clean_member({"name": f"丙{i}", "branch": org.nanyuan_1.id,
                                   "member_type": "retired", "phone": f"1390000{i:04d}"})
               for i in range(7)]
    async with in_transaction():
        members = await create_members(cleaned, Actor.system("test"))

    ids = [member.id for member in members]
    assert len(set(ids)) == 7 and kept.id not in ids and dropped.id not in ids
    stored = {row["id"]: row for row in await Member.filter(id__in=ids).values("id", "name", "phone")}
    assert [(stored[m.id]["name"], stored[m.id]["phone"]) for m in members] == [
        (f"丙{i}", f"1390000{i:04d}") for i in range(7)]
    entries = await AuditEntry.filter(action="member.create", object_id__in=[str(i) for i in ids])
    assert sorted((e.object_id, e.after["name"]) for e in entries) == sorted(
        (str(m.id), m.name) for m in members)
