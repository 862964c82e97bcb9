"""My points through the sandbox: this year's cards with their sources, my standing (5, 6, 7 cards),
the community leaderboard with me highlighted, and hiding my name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.handlers.points import PointsYear
from models.admins import Role
from models.audit import Actor
from models.awards import set_leaderboard_opt_out
from models.clock import current_year, zone
from models.members import Member
from models.points import CardSource, award_card, issue_manual_card, revoke_card
from tests import factories
from tests.bot.test_wishes_flow import bound_member, buttons, forge, screen, tap

YEAR = current_year()
ME = 7101


async def manual(scope, member: Member, count: int, reason: str = "帮助邻居") -> list:
    return [await issue_manual_card(scope, member.id, f"{reason}{n}") for n in range(count)]


async def open_points(harness, user_id: int = ME) -> str:
    await harness.say(user_id, "/menu")
    await tap(harness, user_id, "我的积分")
    return (await screen(harness, user_id))["text"]


async def test_my_points_lists_sources_and_standing(harness, org):
    scope = await factories.scope_of(org.nanyuan, "nanyuan", Role.COMMUNITY_SECRETARY)
    me = await bound_member(harness, org.nanyuan_1, ME, "张三")
    start = datetime(YEAR, 1, 10, 2, tzinfo=UTC) if datetime.now(UTC).year == YEAR else datetime.now(UTC)
    activity = await factories.activity(scope, org.nanyuan, starts_at=start, title="周四义诊",
                                        now=start - timedelta(days=1))
    wish = await factories.published_wish(org.nanyuan, "帮忙修水管")
    await award_card(me, CardSource.ACTIVITY, activity.id, Actor.system(), when=start)
    await award_card(me, CardSource.WISH, wish.id, Actor.system(), when=start)
    cards = await manual(scope, me, 4, "清扫<楼道>")
    await revoke_card(scope, cards[0].id, "重复登记")
    # 6 cards, 1 revoked: 5 this year.

    text = await open_points(harness)
    assert f"我的 {YEAR} 年奉献积分卡" in text
    assert "参加活动: 周四义诊" in text
    assert "完成微心愿: 帮忙修水管" in text
    assert "书记发放: 清扫<楼道>1" in text  # user text escaped on the way, shown as typed
    assert "（已撤销：重复登记）" in text
    assert text.strip().endswith("今年已获 5 张积分卡；12 月 31 日前再获 2 张即可获得奉献奖。")

    await manual(scope, me, 1)
    text = await open_points(harness)
    assert text.strip().endswith("今年已获 6 张积分卡；12 月 31 日前再获 1 张即可获得奉献奖。")

    await manual(scope, me, 1)
    text = await open_points(harness)
    assert f"🎉 今年已获 7 张积分卡：您已获得 {YEAR} 年度奉献奖。感谢您的奉献！" in text
    assert "再获" not in text


async def test_a_busy_year_is_paged_and_every_page_fits_in_a_message(harness, org):
    """40 cards whose reasons run to the 200-character limit, one revoked with as long a
    reason: all in one message would pass Telegram's 4096 characters (the sandbox refuses it,
    as Telegram does, and My points showed nothing)."""
    scope = await factories.scope_of(org.nanyuan, "nanyuan", Role.COMMUNITY_SECRETARY)
    me = await bound_member(harness, org.nanyuan_1, ME, "张三")
    long = (("协助社区开展独居老人走访慰问、垃圾分类宣传、楼道杂物清理和防诈骗讲座等志愿服务，"
             "表现突出，群众评价很好。") * 5)[:190]
    cards = [await issue_manual_card(scope, me.id, f"第{n + 1:02d}张{long}") for n in range(40)]
    await revoke_card(scope, cards[20].id, "重复登记" + long)

    def units(text: str) -> int:
        return len(text.encode("utf-16-le")) // 2

    first = await open_points(harness)
    assert units(first) <= 4096
    assert "\n1. " in first and "\n15. " in first and "\n16. " not in first
    assert "第01张协助社区" in first and "第 1 页，共 3 页" in first
    assert "今年已获 39 张积分卡" in first  # the standing on every page
    assert not any("上一页" in b for b in buttons(await screen(harness, ME)))

    await tap(harness, ME, "下一页")
    second = (await screen(harness, ME))["text"]
    assert units(second) <= 4096
    assert "\n16. " in second and "\n30. " in second and "第 2 页，共 3 页" in second
    assert "（已撤销：重复登记" in second  # card 21, numbered through the year
    assert "今年已获 39 张积分卡" in second

    # An old ▶ from a longer list: the nearest page that exists.
    await forge(harness, ME, "ptp:9")
    last = (await screen(harness, ME))["text"]
    assert "\n31. " in last and "\n40. " in last and "第 3 页，共 3 页" in last
    assert not any("下一页" in b for b in buttons(await screen(harness, ME)))


async def test_leaderboard_highlights_me_and_hides_names_on_request(harness, org):
    scope = await factories.scope_of(org.nanyuan, "nanyuan", Role.COMMUNITY_SECRETARY)
    xinfeng = await factories.scope_of(org.xinfeng, "xinfeng", Role.COMMUNITY_SECRETARY)
    me = await bound_member(harness, org.nanyuan_1, ME, "张三")
    other = await bound_member(harness, org.nanyuan_2, 7102, "李四")
    shy = await set_leaderboard_opt_out(await factories.member(org.nanyuan_1, "王五"), True)
    far = await factories.member(org.xinfeng_1, "外社区")
    await manual(scope, me, 2)
    await manual(scope, other, 3)
    await manual(scope, shy, 4)
    await manual(xinfeng, far, 9)
    for n in range(11):  # push me out of the top ten
        await manual(scope, await factories.member(org.nanyuan_2, f"队员{n:02d}"), 5)

    await open_points(harness)
    await tap(harness, ME, "社区排行榜")
    text = (await screen(harness, ME))["text"]
    assert f"南园社区 {YEAR} 年积分排行榜" in text
    assert "外社区" not in text
    assert "王五" not in text and "一名党员 — 4" not in text  # 4 cards is 12th: outside the top ten
    lines = text.splitlines()
    assert lines[2].startswith("1. 队员")
    assert lines[-4:-2] == ["…", "14. 张三（我）— 2"]
    assert "其他党员可以在这里看到您的姓名；获奖后，打印的光荣榜上也会列出您的姓名。" in text

    # Fewer people: the shy member appears as "a member", me in bold with my name.
    await factories.member(org.nanyuan_1, "空")
    from models.points import PointCard

    await PointCard.filter(member__name__startswith="队员").delete()
    await tap(harness, ME, "我的积分")
    await tap(harness, ME, "社区排行榜")
    text = (await screen(harness, ME))["text"]
    assert text.splitlines()[2:5] == ["1. 一名党员 — 4", "2. 李四 — 3", "3. 张三（我）— 2"]

    answer = await tap(harness, ME, "隐藏我的姓名")
    assert answer["text"] == "已对其他党员隐藏您的姓名。"
    await me.refresh_from_db()
    assert me.leaderboard_opt_out
    text = (await screen(harness, ME))["text"]
    assert "3. 张三（我）— 2" in text  # I still see myself
    assert "其他党员看到的您显示为“一名党员”，打印的光荣榜上也不列出您的姓名。" in text
    assert any("显示我的姓名" in b for b in buttons(await screen(harness, ME)))

    # The other member sees me as "a member".
    await open_points(harness, 7102)
    await tap(harness, 7102, "社区排行榜")
    seen = (await screen(harness, 7102))["text"]
    assert "3. 一名党员 — 2" in seen and "张三" not in seen and "2. 李四（我）— 3" in seen

    # A stale "hide" button pressed again changes nothing more; "show" undoes it.
    assert (await forge(harness, ME, "pt:hide"))["text"] == "已对其他党员隐藏您的姓名。"
    await tap(harness, ME, "显示我的姓名")
    await me.refresh_from_db()
    assert not me.leaderboard_opt_out


async def test_points_buttons_are_for_members_only(harness, org):
    await harness.client.user(7199, "路人", started=True)
    menu = await harness.say(7199, "/menu")
    assert "我的积分" not in " ".join(buttons(menu))
    answer = await forge(harness, 7199, "m:pts")
    assert "邀请" in answer["text"]


async def test_earlier_years_show_how_they_ended_and_page_through(harness, org):
    """In January a member asks whether last year earned the award: My points leads back
    through the years that have cards (skipping empty ones) and forward again."""
    scope = await factories.scope_of(org.nanyuan, "nanyuan", Role.COMMUNITY_SECRETARY)
    me = await bound_member(harness, org.nanyuan_1, 7102, "李四")
    for n in range(16):  # two pages
        await issue_manual_card(scope, me.id, f"去年第{n + 1}次", when=datetime(YEAR - 1, 6, 1, 2, tzinfo=UTC))
    for n in range(2):
        await issue_manual_card(scope, me.id, f"前年{n}", when=datetime(YEAR - 3, 3, 1, 2, tzinfo=UTC))
    await manual(scope, me, 1)

    text = await open_points(harness, 7102)
    assert "今年已获 1 张积分卡" in text
    now = buttons(await screen(harness, 7102))
    assert f"⬅️ {YEAR - 1} 年" in now and not any("➡️" in label for label in now)

    await tap(harness, 7102, f"⬅️ {YEAR - 1} 年")
    last_year = await screen(harness, 7102)
    assert f"我的 {YEAR - 1} 年奉献积分卡" in last_year["text"]
    recorded = datetime.now(UTC).astimezone(zone()).date().isoformat()  # counted for last year, recorded now
    assert f"1. {recorded} · 书记发放: 去年第1次\n" in last_year["text"]
    assert f"🎉 {YEAR - 1} 年共获 16 张积分卡：您获得了该年度奉献奖。" in last_year["text"]
    assert "12 月 31 日前" not in last_year["text"]
    assert f"⬅️ {YEAR - 3} 年" in buttons(last_year) and f"{YEAR} 年 ➡️" in buttons(last_year)

    await tap(harness, 7102, "下一页")
    second_page = (await screen(harness, 7102))["text"]
    assert f"我的 {YEAR - 1} 年奉献积分卡" in second_page and "\n16. " in second_page and "去年第16次" in second_page

    await tap(harness, 7102, f"⬅️ {YEAR - 3} 年")  # the empty year between is skipped
    earliest = await screen(harness, 7102)
    assert f"{YEAR - 3} 年共获 2 张积分卡；距奉献奖还差 5 张。" in earliest["text"]
    assert [label for label in buttons(earliest) if "年" in label] == [f"{YEAR - 1} 年 ➡️"]

    await tap(harness, 7102, f"{YEAR - 1} 年 ➡️")
    await tap(harness, 7102, f"{YEAR} 年 ➡️")
    assert "今年已获 1 张积分卡" in (await screen(harness, 7102))["text"]

    for year in (YEAR - 2, YEAR + 1):  # no cards there, or not yet: nothing to show
        answer = await forge(harness, 7102, PointsYear(year=year).pack())
        assert answer["show_alert"] and "按钮已失效" in answer["text"], year
