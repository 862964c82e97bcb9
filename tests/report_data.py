"""A fixed week of activity for the report tests, built through the product's functions.

The week is Monday 9 March 2026 00:00 to Monday 16 March 00:00 (Asia/Shanghai); the
report job runs at NOW (Monday 16 March, 09:00). Everything happens in 南园社区 and by
members of the work unit 市第一医院; 新风社区 and 区税务局 have a record before the week only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from models import clock

from models.activities import SignUpStatus
from models.attendance import mark_attendance
from models.audit import Actor, AuditEntry
from models.members import Member
from models.pledges import ItemKind, Pledge, add_item, approve, pledge_for, return_for_revision, submit
from models.points import CardSource, PointCard, award_card
from models.posts import PostClaim, claim_post, create_post
from models.registration import Registration
from models.signups import sign_up
from models.wishes import Wish, claim_wish, confirm_fulfilled, mark_done
from tests import factories

WEEK_START = date(2026, 3, 9)
WEEK_END = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
IN_WEEK = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # Wednesday 10:00
BEFORE = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)  # the week before
# Sunday 15 March 23:30 in Shanghai is still in the week; Monday 00:30 is not.
LAST_MINUTE = datetime(2026, 3, 15, 15, 30, tzinfo=UTC)
TOO_LATE = datetime(2026, 3, 15, 16, 30, tzinfo=UTC)


@dataclass
class WeekData:
    doctor: Member  # in service, 市第一医院, 南园社区第一支部
    taxman: Member  # in service, 区税务局, 新风社区第一支部
    retiree: Member


async def build_week(org) -> WeekData:
    scope = await factories.scope_of(org.nanyuan, "nanyuan_secretary")
    xinfeng_scope = await factories.scope_of(org.xinfeng, "xinfeng_secretary")
    doctor = await factories.in_service_member(org.nanyuan_1, "医生", work_unit="市第一医院",
                                               occupation="医生", management_category="city")
    taxman = await factories.in_service_member(org.xinfeng_1, "税务员", work_unit="区税务局",
                                               occupation="公务员")
    retiree = await factories.member(org.nanyuan_2, "老王")

    registration = await factories.confirmed_registration(doctor, org.nanyuan, scope)
    await Registration.filter(id=registration.id).update(created_at=IN_WEEK, reviewed_at=IN_WEEK)
    old = await factories.confirmed_registration(taxman, org.xinfeng, xinfeng_scope)
    await Registration.filter(id=old.id).update(created_at=BEFORE, reviewed_at=BEFORE)

    post = await create_post(scope, org.nanyuan, name="楼道长")
    claim = await claim_post(post, doctor)
    await PostClaim.filter(id=claim.id).update(claimed_at=LAST_MINUTE)

    activity = await factories.activity(scope, org.nanyuan, starts_at=IN_WEEK, now=BEFORE,
                                        open_to_community=True)
    signup = await sign_up(activity, doctor, now=BEFORE)
    await mark_attendance(signup, SignUpStatus.ATTENDED, Actor(admin=scope.user), scope=scope, now=IN_WEEK)
    # Next week's activity counts for next week.
    await factories.activity(xinfeng_scope, org.xinfeng, starts_at=TOO_LATE, now=BEFORE)

    fulfilled = await factories.published_wish(org.nanyuan, "帮忙修水管")
    await claim_wish(fulfilled, doctor)
    await mark_done(fulfilled, doctor)
    await confirm_fulfilled(fulfilled, Actor(admin=scope.user))
    await Wish.filter(id=fulfilled.id).update(
        created_at=IN_WEEK, published_at=IN_WEEK, claimed_at=IN_WEEK, fulfilled_at=IN_WEEK)
    overdue = await factories.published_wish(org.nanyuan, "陪老人看病")
    await Wish.filter(id=overdue.id).update(created_at=BEFORE, published_at=BEFORE,
                                            deadline=date(2026, 3, 12))

    pledge = await pledge_for(doctor, 2026, Actor(member=doctor))
    await add_item(pledge, ItemKind.PRACTICAL, "每月义诊一次", Actor(member=doctor))
    await submit(pledge, Actor(member=doctor))
    await return_for_revision(pledge, scope, "写具体一些")
    await submit(await Pledge.get(id=pledge.id), Actor(member=doctor))
    await approve(await Pledge.get(id=pledge.id), scope)
    await AuditEntry.filter(object_type="Pledge").update(at=IN_WEEK)

    await PointCard.filter(member_id=doctor.id).update(created_at=IN_WEEK)
    manual = await award_card(retiree, CardSource.MANUAL, None, Actor(admin=scope.user), reason="义务清扫")
    await PointCard.filter(id=manual.id).update(created_at=BEFORE)
    return WeekData(doctor=doctor, taxman=taxman, retiree=retiree)


#: The whole sub-district's figures for the week.
EXPECTED_TOTAL = {
    "registrations_submitted": 1,
    "registrations_confirmed": 1,
    "activities_held": 1,
    "attendance": 1,
    "posts_claimed": 1,
    "wishes_collected": 1,
    "wishes_published": 1,
    "wishes_claimed": 1,
    "wishes_fulfilled": 1,
    "wishes_overdue": 1,
    "pledges_submitted": 1,
    "pledges_approved": 1,
    "pledges_returned": 1,
    "cards_issued": 2,  # the activity attended and the wish fulfilled
}


@pytest.fixture(autouse=False)
def shanghai():
    """The week above is in Asia/Shanghai, whatever zone an earlier test left configured."""
    previous = clock.zone()
    clock.configure(ZoneInfo("Asia/Shanghai"))
    yield
    clock.configure(previous)
