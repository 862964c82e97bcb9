"""Every kind of change writes an audit entry: who, the object, its unit, before and/or after,
proxy actions flagged; automatic snapshots never copy secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.admins import Role
from models.audit import Actor, AuditEntry
from models.awards import default_rule, set_leaderboard_opt_out, update_rule
from models.clock import local_today
from models.invites import issue_invite, redeem_invite, revoke_invite
from models.members import TelegramUser
from models.membership import clean_member, update_member
from models.pledges import (
    ItemKind,
    add_item,
    approve,
    delete_item,
    pledge_for,
    publish,
    return_for_revision,
    submit,
    update_item,
)
from models.points import issue_manual_card, revoke_card
from models.posts import claim_post, close_post, create_post, leave_post, reopen_post, update_post
from models.registration import confirm_registration, register
from models.signups import sign_up
from models.attendance import mark_attendance
from models.activities import SignUpStatus, cancel_activity
from models.teams import appoint_leader, approve_membership, create_team, request_to_join, update_team
from models.wishes import (
    WishCategory,
    claim_wish,
    confirm_fulfilled,
    mark_done,
    publish_wish,
    reopen_wish,
    submit_wish,
)
from tests import factories

NOW = datetime.now(UTC)


async def entries(action: str) -> list[AuditEntry]:
    return await AuditEntry.filter(action=action).order_by("id")


async def one(action: str, **expected) -> AuditEntry:
    found = await entries(action)
    assert found, f"no audit entry for {action}"
    entry = found[-1]
    assert entry.before is not None or entry.after is not None, action
    assert entry.actor_label, action
    for key, value in expected.items():
        assert getattr(entry, key) == value, (action, key, getattr(entry, key))
    return entry


async def test_each_kind_of_change_is_audited(org):
    street = await factories.scope_of(org.street, "street", Role.STREET_ADMIN)
    community = await factories.scope_of(org.nanyuan, "nanyuan", Role.COMMUNITY_SECRETARY)
    branch = await factories.scope_of(org.nanyuan_1, "branch1", Role.BRANCH_SECRETARY)
    secretary = Actor(admin=branch.user)

    # Members: creation, edit (before and after), binding, invites.
    member = await factories.member(org.nanyuan_1, "张三", phone="13800000000")
    created = await one("member.create", org_id=org.nanyuan_1.id, object_id=str(member.id))
    assert created.after["name"] == "张三"
    clean = await clean_member({"name": "张三丰", "branch": org.nanyuan_1.id, "member_type": "retired"})
    await update_member(member, clean, secretary)
    edited = await one("member.update", actor_admin_id=branch.user.id)
    assert (edited.before["name"], edited.after["name"]) == ("张三", "张三丰")
    invite = await issue_invite(member, timedelta(days=30), secretary)
    issued = await one("invite.issue", org_id=org.nanyuan_1.id)
    assert invite.code not in str(issued.after)  # never the secret code
    await revoke_invite(invite, secretary)
    await one("invite.revoke")
    tg_user = await TelegramUser.create(id=9001, first_name="张")
    await redeem_invite((await issue_invite(member, timedelta(days=1), secretary)).code, tg_user)
    await one("member.bind_telegram", actor_member_id=member.id)
    await set_leaderboard_opt_out(member, True)
    await one("member.leaderboard_opt_out")

    # Pledges: items and every transition; a secretary's entry is flagged as proxy.
    me = Actor(member=member)
    pledge = await pledge_for(member, NOW.year, me)
    await one("pledge.create", org_id=org.nanyuan_1.id)
    item = await add_item(pledge, ItemKind.DUTY, "看望困难户", me)
    await one("pledge.item_add", proxy=False)
    await update_item(item, "每周看望困难户", secretary, scope=branch)
    changed = await one("pledge.item_update", proxy=True)
    assert (changed.before, changed.after) == ({"text": "看望困难户"}, {"text": "每周看望困难户"})
    extra = await add_item(pledge, ItemKind.PRACTICAL, "多余", me)
    await delete_item(extra, me)
    assert (await one("pledge.item_delete")).before["text"] == "多余"
    await submit(pledge, me)
    assert (await one("pledge.submit")).before == {"status": "draft"}
    await return_for_revision(pledge, branch, "写具体些")
    await one("pledge.return")
    await submit(pledge, me)
    await approve(pledge, branch)
    await one("pledge.approve")
    await publish(pledge, branch)
    await one("pledge.publish")

    # Micro-wishes: from submission to fulfilment (and the card it earns).
    wish = await submit_wish(org.nanyuan, "帮忙修水管", Actor.system("tests"), resident_name="王阿姨",
                             contact_phone="13700000000")
    await one("wish.submit", org_id=org.nanyuan.id)
    await publish_wish(wish, Actor(admin=community.user), category=WishCategory.CONVENIENCE,
                       service_standard="上门", deadline=local_today() + timedelta(days=7))
    await one("wish.publish")
    await claim_wish(wish, member)
    await one("wish.claim", actor_member_id=member.id)
    await mark_done(wish, member)
    await one("wish.done", actor_member_id=member.id)
    await reopen_wish(wish, Actor(admin=community.user))
    await one("wish.not_done", actor_admin_id=community.user.id)
    await mark_done(wish, member)
    await confirm_fulfilled(wish, Actor(admin=community.user))
    await one("wish.fulfil")
    await one("card.award")

    # Community service: registration, posts, teams, activities, attendance.
    worker = await factories.in_service_member(org.xinfeng_1, "李四")
    registration = await register(Actor(member=worker), org.nanyuan)
    await one("registration.create", org_id=org.nanyuan.id)
    await confirm_registration(registration, community)
    await one("registration.confirm")
    post = await create_post(community, org.nanyuan, name="楼道长", capacity=2)
    await one("post.create")
    await update_post(post, community, name="楼栋长", capacity=3)
    updated = await one("post.update")
    assert updated.before["name"] == "楼道长" and updated.after["name"] == "楼栋长"
    await close_post(post, community)
    assert (await one("post.close")).after == {"is_open": False}
    await reopen_post(post, community)
    await one("post.reopen")
    claim = await claim_post(post, worker)
    await one("post.claim")
    await leave_post(claim, Actor(member=worker), "搬家了")
    assert (await one("post.leave")).after == {"reason": "搬家了"}
    team = await create_team(community, org.nanyuan, name="义诊队")
    await one("team.create")
    await update_team(team, Actor(admin=community.user), name="义诊服务队", scope=community)
    await one("team.update")
    membership = await request_to_join(team, worker)
    await one("team.request")
    await approve_membership(membership, Actor(admin=community.user), scope=community)
    await one("team.approve")
    await appoint_leader(team, member, community)
    await one("team.appoint_leader")
    start = NOW + timedelta(days=2)
    activity = await factories.activity(community, org.nanyuan, starts_at=start, team=team, now=NOW)
    await one("activity.create")
    signup = await sign_up(activity, worker, now=NOW)
    await one("activity.sign_up")
    await mark_attendance(signup, SignUpStatus.ATTENDED, Actor(admin=community.user), scope=community,
                          now=start + timedelta(minutes=30))
    assert (await one("activity.attendance")).after == {"status": "attended"}
    other = await factories.activity(community, org.nanyuan, starts_at=start, team=team, now=NOW, title="另一个")
    await cancel_activity(other, Actor(admin=community.user), "下雨", scope=community, now=NOW)
    await one("activity.cancel")

    # Points and the award rule.
    card = await issue_manual_card(branch, member.id, "义务清扫")
    await one("card.award", object_id=str(card.id), actor_admin_id=branch.user.id)
    await revoke_card(branch, card.id, "重复")
    revoked = await one("card.revoke", org_id=org.nanyuan_1.id)
    assert revoked.before["revoked"] is False and revoked.after["revoked"] is True
    await update_rule(street, (await default_rule()).id, name="奉献奖", threshold=5)
    assert (await one("award_rule.update")).after["threshold"] == 5

    # No automatic snapshot carries a secret.
    for entry in await AuditEntry.all():
        for snapshot in (entry.before or {}, entry.after or {}):
            assert not {"code", "token", "award_key", "checkin_code", "password_hash"} & set(snapshot), entry.action
