"""A demo district drawn from the seed reports: 东风街道 and seven communities."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models.audit import Actor
from models.membership import clean_member, create_member
from models.org import OrgKind, OrgUnit, create_org_unit

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


async def load_demo() -> dict[str, int]:
    """Create the demo tree and members; does nothing if 东风街道 already exists."""
    if await OrgUnit.filter(name=STREET).exists():
        return {"units": 0, "members": 0}
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
    return {"units": units, "members": members}
