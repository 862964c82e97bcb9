"""A demo district drawn from the seed reports: 东风街道 and seven communities, and a year
under way in 南园社区, done through the same functions the bot and the panel call: pledges
at each step of review, registrations, service posts, volunteer teams with their recurring
activities and sign-ups, micro-wishes from collection to fulfilment and contribution cards, by a
demo community secretary whose login the demo prints once."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta

from tortoise.transactions import in_transaction

from models import pledges, wishes
from models.activities import create_activity
from models.activity_series import Frequency, create_series, generate_occurrences
from models.admins import Role, create_admin
from models.audit import Actor
from models.clock import current_year, local_today, zone
from models.members import Member, MemberType
from models.membership import clean_member, create_member
from models.org import OrgKind, OrgUnit, create_org_unit
from models.points import issue_manual_card
from models.posts import claim_post, create_post
from models.registration import REPORTING_TYPES, confirm_registration, register
from models.scope import Scope
from models.signups import sign_up
from models.teams import appoint_leader, approve_membership, create_team, request_to_join

DISTRICT = "东风区委"
STREET = "东风街道"
COMMUNITIES = ("新风社区", "南园社区", "公园社区", "安民社区", "春光社区", "钢铁社区", "东晶社区")
BRANCHES = ("第一支部", "第二支部")

# (name, member type, management category, occupation, work unit, skills, can write)
PEOPLE = (
    ("潘明顺", "retired", "other", "退休工人", "", "楼道联络、走访", True),
    ("李秀英", "retired", "other", "退休教师", "", "辅导功课、书法", True),
    ("王建国", "in_service", "district", "医生", "区人民医院", "义诊、健康讲座", True),
    ("赵丽", "in_service", "city", "律师", "市司法局", "法律咨询、调解", True),
    ("陈刚", "leading_cadre", "district", "公务员", "东风街道办事处", "政策宣传", True),
    ("刘桂兰", "retired", "other", "退休会计", "", "理财讲座", False),
    ("张伟", "in_service", "other", "工程师", "市自来水公司", "水电维修", True),
    ("杨芳", "floating", "other", "个体经营", "", "家政服务", True),
    ("周强", "without_post", "other", "待业", "", "巡逻", True),
    ("吴敏", "in_service", "district", "教师", "东风小学", "课业辅导、代理家长", True),
)


# The community where the demo year happens, and its secretary's panel login.
ACTIVE_COMMUNITY = "南园社区"
SECRETARY = "nanyuan_demo"

PLEDGE_ITEMS = (
    (pledges.ItemKind.POLITICAL, "每月参加支部主题党日，按时交纳党费"),
    (pledges.ItemKind.DUTY, "立足岗位做表率，本职工作零差错"),
    (pledges.ItemKind.PRACTICAL, "每周走访一户独居老人，帮忙代购生活用品"),
)
# How far each member's pledge has gone, member by member; the rest have none yet.
PLEDGE_STEPS = ("published", "published", "approved", "returned", "submitted", "draft")
RETURN_GUIDANCE = "实事承诺请写明时间和对象，便于群众监督。"

# (text, category, how far it has gone)
WISHES = (
    ("楼道声控灯坏了，希望有人帮忙修理", wishes.WishCategory.CONVENIENCE, "fulfilled"),
    ("孩子数学跟不上，希望有志愿者周末辅导", wishes.WishCategory.CULTURE, "claimed"),
    ("想了解医保异地报销怎么办理", wishes.WishCategory.POLICY, "published"),
    ("独居老人希望每周有人上门量血压", wishes.WishCategory.HEALTH, "published"),
    ("邻里因停车位起了纠纷，希望有人调解", wishes.WishCategory.MEDIATION, "collected"),
)
SERVICE_STANDARD = "接单后一周内上门，完成后请居民确认"

# Service posts (认岗领岗): (name, description, kind, places, holders by member index).
POSTS = (
    ("楼道长", "联系本楼道住户，收集居民诉求，转告社区通知", wishes.WishCategory.CONVENIENCE, 6, (1,)),
    ("文明劝导员", "劝导乱停车、乱扔垃圾，宣传垃圾分类", None, 4, (4,)),
    ("四点半课堂辅导员", "放学后为双职工家庭的孩子辅导作业", wishes.WishCategory.CULTURE, 3, ()),
)
# Volunteer teams: (name, description, leader, active members, asking to join, by member
# index; recurring activity: (title, place, weekly on a weekday or monthly on a day, start,
# hours)). Member index 1 (张南伟) leads the clinic: bind him to see a leader's screens.
TEAMS = (
    ("义诊服务队", "每周四上午在社区卫生服务站为居民量血压、测血糖，提供健康咨询", 1, (0, 5), (2,),
     ("周四义诊", "南园社区卫生服务站", Frequency.WEEKLY, 3, time(9), 2)),
    ("学业辅导队", "周末为双职工家庭和困难家庭的孩子辅导功课", 4, (5,), (),
     ("周六学业辅导", "南园社区党群服务中心二楼活动室", Frequency.WEEKLY, 5, time(14), 2)),
    ("法律援助队", "每月为居民提供法律咨询，调解邻里纠纷", None, (), (),
     ("法律咨询日", "南园社区党群服务中心一楼大厅", Frequency.MONTHLY, 15, time(9, 30), 3)),
    ("平安巡逻队", "夜间在小区巡逻，排查消防和治安隐患", 3, (1,), (), None),
)
# Five weeks: more than a month, so the monthly series has its next day planned whatever
# the date the demo is loaded on (four weeks would miss it from about the 16th).
PLANNED_WEEKS = 5
OPEN_DAY = ("垃圾分类宣传日", "南园社区文化广场", "向居民讲解垃圾分类，发放宣传册", 10)

CARD_REASONS = ("协助社区义诊", "楼道清理", "扫雪除冰", "夜间巡逻", "帮助独居老人",
                "垃圾分类宣传", "文明交通劝导", "防诈骗宣传")
# Manual cards per member of the active community, in member order: the first earns the
# dedication award (more than six); the member who fulfilled a wish also has a card for it.
CARDS = (8, 5, 3, 2, 1)


async def load_demo() -> dict[str, object]:
    """Create the demo tree, members and year; does nothing if 东风街道 already exists.

    Returns the counts, and the demo secretary's user name and password (shown only once).
    """
    if await OrgUnit.filter(name=STREET).exists():
        return {"units": 0, "members": 0, "secretary": None, "password": None}
    actor = Actor.system("demo")
    units = members = 0
    async with in_transaction():
        district = await OrgUnit.filter(parent=None, kind=OrgKind.DISTRICT).order_by("id").first()
        if district is None:
            district = await create_org_unit(DISTRICT, OrgKind.DISTRICT)
            units += 1
        street = await create_org_unit(STREET, OrgKind.STREET, district)
        units += 1
        for c_index, community_name in enumerate(COMMUNITIES):
            community = await create_org_unit(community_name, OrgKind.COMMUNITY, street)
            units += 1
            for b_index, branch_name in enumerate(BRANCHES):
                branch = await create_org_unit(branch_name, OrgKind.BRANCH, community)
                units += 1
                for p_index in range(3):
                    person = PEOPLE[(c_index * 5 + b_index * 3 + p_index) % len(PEOPLE)]
                    name, kind, category, occupation, work_unit, skills, can_write = person
                    values = {
                        "name": name if c_index == 0 else f"{name[0]}{community_name[0]}{name[1:]}",
                        "branch": branch.id,
                        "residence_community": community.id,
                        "building_unit": f"{p_index + 1}幢{b_index + 1}单元",
                        "member_type": kind,
                        "management_category": category,
                        "occupation": occupation,
                        "work_unit": work_unit,
                        "skills": skills,
                        "can_write": can_write,
                        "phone": f"1390000{c_index:02d}{b_index}{p_index}",
                    }
                    await create_member(await clean_member(values), actor)
                    members += 1
        password = secrets.token_urlsafe(12)
        community = await OrgUnit.get(name=ACTIVE_COMMUNITY, parent=street)
        secretary = await create_admin(SECRETARY, password, Role.COMMUNITY_SECRETARY, community)
        await _demo_year(await Scope.of(secretary), community)
    return {"units": units, "members": members, "secretary": SECRETARY, "password": password}


async def _demo_year(scope: Scope, community: OrgUnit) -> None:
    people = await scope.members().order_by("id")
    await _pledges(scope, people)
    await _registrations(scope)
    await _community_service(scope, community, people)
    await _wishes(scope, community, people)
    for member, count in zip(people, CARDS, strict=False):
        for reason in CARD_REASONS[:count]:
            await issue_manual_card(scope, member.id, reason)


async def _pledges(scope: Scope, people: list[Member]) -> None:
    year = current_year()
    for member, step in zip(people, PLEDGE_STEPS, strict=False):
        # A member who cannot write tells the secretary, who enters the pledge (代录).
        actor = Actor(member=member) if member.can_write else Actor(admin=scope.user)
        pledge = await pledges.pledge_for(member, year, actor)
        for kind, text in PLEDGE_ITEMS:
            await pledges.add_item(pledge, kind, text, actor, scope=scope)
        if step == "draft":
            continue
        await pledges.submit(pledge, actor, scope=scope)
        if step == "returned":
            await pledges.return_for_revision(pledge, scope, RETURN_GUIDANCE)
        elif step in ("approved", "published"):
            await pledges.approve(pledge, scope)
            if step == "published":
                await pledges.publish(pledge, scope)


async def _registrations(scope: Scope) -> None:
    """In-service members report to the community they live in; the demo secretary confirms
    those of their own community, the others wait for their communities' secretaries."""
    reporting = await Member.filter(member_type__in=list(REPORTING_TYPES)).order_by("id")
    for member in reporting:
        await member.fetch_related("residence_community")
        registration = await register(Actor(member=member), member.residence_community)
        if scope.covers(member.residence_community):
            await confirm_registration(registration, scope)


async def _community_service(scope: Scope, community: OrgUnit, people: list[Member]) -> None:
    """Posts held by confirmed members, teams with a leader, members and a request to join,
    their recurring activities planned as the panel plans them, and the first sign-ups."""
    secretary = Actor(admin=scope.user)
    for name, description, kind, places, holders in POSTS:
        post = await create_post(scope, community, name=name, description=description, kind=kind,
                                 capacity=places)
        for index in holders:
            await claim_post(post, people[index])
    now = datetime.now(UTC)
    for name, description, leader, members, asking, recurring in TEAMS:
        team = await create_team(scope, community, name=name, description=description)
        if leader is not None:
            await appoint_leader(team, people[leader], scope)
        for index in members:
            await approve_membership(await request_to_join(team, people[index]), secretary, scope=scope)
        for index in asking:
            await request_to_join(team, people[index])
        if recurring is None:
            continue
        title, place, frequency, day, start, hours = recurring
        series = await create_series(
            secretary, community, title=title, place=place, frequency=frequency, start_time=start,
            duration=timedelta(hours=hours), starts_on=local_today(), team=team,
            open_to_community=True, weeks_ahead=PLANNED_WEEKS, scope=scope,
            **({"weekday": day} if frequency == Frequency.WEEKLY else {"day_of_month": day}))
        first, *_ = await generate_occurrences(series, now + series.horizon, zone=zone())
        for index in (leader, *members):  # the team signs up for its next one
            if index is not None:
                await sign_up(first, people[index])
    title, place, description, places = OPEN_DAY
    today = local_today()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)  # the next one, not today
    starts_at = datetime.combine(saturday, time(9), tzinfo=zone())
    await create_activity(secretary, community, title=title, place=place, description=description,
                          starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                          capacity=places, scope=scope)


async def _wishes(scope: Scope, community: OrgUnit, people: list[Member]) -> None:
    """Wishes collected on paper and entered by the secretary, at each step to fulfilment."""
    secretary = Actor(admin=scope.user)
    helpers = [member for member in people if member.member_type != MemberType.RETIRED] or people
    for index, (text, category, step) in enumerate(WISHES):
        wish = await wishes.submit_wish(
            community, text, secretary, resident_name=f"{'张王李赵刘'[index]}阿姨",
            contact_phone=f"1380000{index:04d}", proxy=True)
        if step == "collected":
            continue
        wish = await wishes.publish_wish(wish, secretary, category=category,
                                         service_standard=SERVICE_STANDARD,
                                         deadline=local_today() + timedelta(days=14))
        if step == "published":
            continue
        helper = helpers[index % len(helpers)]
        wish = await wishes.claim_wish(wish, helper)
        if step == "fulfilled":
            wish = await wishes.mark_done(wish, helper)
            await wishes.confirm_fulfilled(wish, secretary)
