"""Suggested claimants: who may claim, what fits the category, why, and in which order."""

from __future__ import annotations

from locales import gettext
from models.members import Member
from models.wish_matching import CATEGORY_KEYWORDS, Reason, reasons_for, suggest_claimants
from models.wishes import WishCategory
from tests import factories


def explained(reasons: list[Reason], locale: str = "en") -> list[str]:
    return [reason.render(lambda message: gettext(locale, message)) for reason in reasons]


def names(suggestions) -> list[str]:
    return [member.name for member, _reasons in suggestions]


def test_every_category_has_keywords():
    assert set(CATEGORY_KEYWORDS) == set(WishCategory)
    for keywords in CATEGORY_KEYWORDS.values():
        assert keywords and all(word == word.casefold() for word in keywords)


def test_reasons_name_the_matching_items():
    member = Member(name="孙", occupation="社区护士", skills="义诊、量血压，书法; 健康讲座")
    assert explained(reasons_for(member, WishCategory.HEALTH)) == [
        "Occupation: 社区护士", "Skills mention “义诊”", "Skills mention “健康讲座”",
    ]
    assert explained(reasons_for(member, WishCategory.HEALTH), "zh_Hans")[1] == "特长中有“义诊”"
    assert explained(reasons_for(member, WishCategory.CULTURE)) == ["Skills mention “书法”"]
    # 书法 (calligraphy) is not legal aid, though both contain 法.
    assert reasons_for(member, WishCategory.LEGAL) == []


def test_english_skills_match_case_insensitively():
    member = Member(name="Li", occupation="Lawyer", skills="Piano, singing")
    assert explained(reasons_for(member, WishCategory.LEGAL)) == ["Occupation: Lawyer"]
    assert explained(reasons_for(member, WishCategory.CULTURE)) == ["Skills mention “singing”"]


async def test_only_members_of_the_wish_community_who_fit(org):
    await factories.member(org.nanyuan_1, "本社区医生", occupation="医生")
    await factories.member(org.xinfeng_1, "住在南园的药师", occupation="药师",
                           residence_community=org.nanyuan.id)
    await factories.member(org.xinfeng_1, "新风护士", occupation="护士")
    await factories.member(org.nanyuan_2, "本社区电工", occupation="电工", skills="水电维修")
    wish = await factories.published_wish(org.nanyuan, "想量血压", category=WishCategory.HEALTH)

    suggestions = await suggest_claimants(wish)
    assert sorted(names(suggestions)) == sorted(["本社区医生", "住在南园的药师"])
    assert all(reasons for _member, reasons in suggestions)


async def test_best_fit_first_then_residents_of_the_community(org):
    await factories.member(org.nanyuan_1, "甲", skills="义诊")
    await factories.member(org.nanyuan_1, "乙", occupation="医生", skills="义诊、康复训练")
    await factories.member(org.nanyuan_2, "丙", skills="药膳", residence_community=org.nanyuan.id)
    await factories.member(org.nanyuan_2, "丁", occupation="护士")
    wish = await factories.published_wish(org.nanyuan, category=WishCategory.HEALTH)

    # 乙: occupation (2) + two skills; 丁: occupation (2); 丙 and 甲: one skill, 丙 lives here.
    assert names(await suggest_claimants(wish)) == ["乙", "丁", "丙", "甲"]
    assert names(await suggest_claimants(wish, limit=2)) == ["乙", "丁"]


async def test_a_wish_under_review_uses_the_residents_suggestion(org):
    from models.audit import Actor
    from models.wishes import submit_wish

    await factories.member(org.nanyuan_1, "老周", skills="书法、合唱")
    wish = await submit_wish(org.nanyuan, "想学书法", Actor.system("tests"),
                             suggested_category=WishCategory.CULTURE)
    assert names(await suggest_claimants(wish)) == ["老周"]

    unsorted = await submit_wish(org.nanyuan, "不知道找谁", Actor.system("tests"))
    assert await suggest_claimants(unsorted) == []
