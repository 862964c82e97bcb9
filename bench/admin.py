"""The busiest panel pages on a large SQLite database, over HTTP.

    python -m bench.admin [--members 10000] [--pledges 100000] [--cards 50000] [--requests 30] [--skip-export] [--db FILE]
                          [--only SUBSTRING ...] [--postgres URL]

Builds a fresh SQLite database (migrated like production) with one district, one
sub-district, 7 communities of 2 branches, ``--members`` members over 40 work units,
``--pledges`` pledges (one per member and year, going back as many years as needed,
one item each, with the dates of the review steps their status has passed) and ``--cards``
contribution cards this year (unevenly: a third of the members have none), with bulk
inserts. Then starts the panel on a local port, logs in as the district administrator and
times each page ``--requests`` times (sequentially, after one warm-up), printing p50/p95
in ms and the process's CPU ms per request (client, server and database thread together);
then the full Excel export of the pledge list, alone (wall and CPU seconds, the writer
process's peak RSS) and again while the pledge list page is requested every 50 ms (the
export's time then, and the page's p50/p95 while it runs, as against no export), and the peak RSS
growth of the process while serving (VmHWM, reset with /proc/self/clear_refs after the data
is built and again after logging in: a login's Argon2id check takes 64 MiB by design and
is printed apart).

Two floors are timed in the same run, to read the figures against: a panel page with no list
(the session, CSRF and layout every page pays), and the bare SQL that ranks members by this
year's cards (what the award list's default sort costs the database alone). After the export,
``bench.xlsx_floor`` writes the exported rows again with the workbook writer alone (and with
openpyxl, for comparison), in a child process: the part of the export's time that belongs to
writing the file.

``--db FILE`` keeps the database in FILE; when FILE already holds one built by an earlier
run, it is reused as it is (the size options are then ignored), so repeated runs skip the build.
``--only`` times just the pages whose label contains one of the given texts.
``--postgres URL`` builds the same data in a fresh database on that PostgreSQL server
(vacuumed and analysed after the build, as autovacuum would, and dropped at the end)
instead of SQLite.

Client and server share the process and the event loop, so the times include the client.
Targets: p95 ≤ 10 ms per list page, export ≤ 3 s, RSS growth < 50 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import aiohttp
from aiohttp import web
from tortoise import Tortoise

from admin.app import create_admin_app
from bench.updates import fresh_database
from models import clock
from models.admins import Role, create_admin
from models.db import init_db
from models.members import ManagementCategory, Member, MemberType
from models.org import OrgKind, OrgUnit, WorkUnit, create_org_unit
from models.pledges import Grade, ItemKind, Pledge, PledgeItem, PledgeStatus
from models.points import CardSource, PointCard
from models.registration import Registration, RegistrationStatus
from models.wishes import Wish, WishStatus
from xianfeng.runtime import freeze_startup_heap
from xianfeng.settings import Settings

PASSWORD = "bench password 123"
FLOOR_PAGE = "/import"  # a form and the panel's layout: session, CSRF, menu, no list
NOT_LISTS = ("dashboard", "roll of honour (a community)")  # timed too, but not held to the list target
OCCUPATIONS = ["教师", "医生", "工程师", "公务员", "会计", "律师", "工人", "退休", "个体", "护士", ""]
_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def rss_kb(field: str = "VmRSS") -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    """Give freed memory back to the system (glibc keeps it otherwise: the Argon2 check's
    64 MiB, whether or not it was returned, would make the baseline differ from run to run),
    then restart the peak (VmHWM) from the current size."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def lifecycle_fields(status: PledgeStatus, rng: random.Random, now: datetime) -> dict:
    """What a pledge in ``status`` has, as the review steps set it: each step's date (a few
    days after the one before), the half-year review's comment and residents' votes, the
    assessment's grade and score. The export reads every one of them."""
    steps = (
        (PledgeStatus.SUBMITTED, "submitted_at"),
        (PledgeStatus.APPROVED, "approved_at"),
        (PledgeStatus.PUBLISHED, "published_at"),
        (PledgeStatus.HALF_YEAR_REVIEWED, "half_year_reviewed_at"),
        (PledgeStatus.ASSESSED, "assessed_at"),
    )
    order = list(PledgeStatus)
    reached = order.index(status)
    when = now - timedelta(days=rng.randrange(30, 3650))
    dates = {}
    for step, field_name in steps:
        if order.index(step) <= reached:  # a returned pledge (after submitted) was only submitted
            dates[field_name] = when
            when += timedelta(days=rng.randrange(1, 6))
    if "half_year_reviewed_at" in dates:
        dates.update(leader_comment="承诺事项按期推进，群众反映良好",
                     residents_satisfied=rng.randrange(5, 30), residents_basic=rng.randrange(0, 5),
                     residents_unsatisfied=rng.randrange(0, 2))
    if "assessed_at" in dates:
        dates.update(grade=rng.choice(list(Grade)), satisfaction_score=rng.randrange(60, 101))
    return dates


async def build(args: argparse.Namespace) -> dict:
    rng = random.Random(6)
    began = time.perf_counter()
    district = await create_org_unit("东风区委", OrgKind.DISTRICT)
    street = await create_org_unit("东风街道", OrgKind.STREET, district)
    communities, branches = [], []
    for name in ("新风", "南园", "公园", "安民", "春光", "钢铁", "东晶"):
        community = await create_org_unit(f"{name}社区", OrgKind.COMMUNITY, street)
        communities.append(community)
        for number in ("第一支部", "第二支部"):
            branches.append(await create_org_unit(number, OrgKind.BRANCH, community))
    await WorkUnit.bulk_create([WorkUnit(name=f"单位{i:02d}") for i in range(40)])
    work_units = [unit.id for unit in await WorkUnit.all()]
    await create_admin("district", PASSWORD, Role.DISTRICT_ADMIN, district)
    await create_admin("community", PASSWORD, Role.COMMUNITY_SECRETARY, communities[1])

    types = list(MemberType)
    categories = list(ManagementCategory)
    await Member.bulk_create([
        Member(name=f"党员{i:05d}", branch_id=rng.choice(branches).id,
               residence_community_id=rng.choice(communities).id, work_unit_id=rng.choice(work_units),
               member_type=rng.choice(types), management_category=rng.choice(categories),
               occupation=rng.choice(OCCUPATIONS), can_write=rng.random() > 0.05)
        for i in range(args.members)
    ], batch_size=2000)
    members = list(await Member.all().values_list("id", "branch_id"))

    year = clock.current_year()
    statuses = list(PledgeStatus)
    now = datetime.now(UTC)
    pledges = []
    for index in range(args.pledges):
        member_id, branch_id = members[index % len(members)]
        pledge_year = year - index // len(members)
        status = rng.choice(statuses)
        pledges.append(Pledge(
            year=pledge_year, owner_key=f"m:{member_id}:{pledge_year}", member_id=member_id, branch_id=branch_id,
            status=status, proxy_entered=rng.random() < 0.05, **lifecycle_fields(status, rng, now),
        ))
    await Pledge.bulk_create(pledges, batch_size=5000)
    del pledges
    pledge_ids = await Pledge.all().values_list("id", flat=True)
    kinds = list(ItemKind)
    await PledgeItem.bulk_create([
        PledgeItem(pledge_id=pid, kind=rng.choice(kinds), text=f"承诺事项 {pid}：每月为居民服务一次", position=1)
        for pid in pledge_ids
    ], batch_size=5000)

    start_of_year = datetime(year, 1, 1, tzinfo=UTC)
    span = max((now - start_of_year).total_seconds(), 3600)
    # As in life, activity is uneven: a third of the members earn no card, the others as
    # often as their (exponentially spread) activity says, so some qualify for the award.
    activity = [0.0 if rng.random() < 1 / 3 else rng.expovariate(1.0) for _ in members]
    holders = rng.choices([member_id for member_id, _ in members], weights=activity, k=args.cards)
    cards = [
        PointCard(member_id=member_id, amount=1, source=CardSource.MANUAL, reason="bench",
                  year=year)
        for member_id in holders
    ]
    await PointCard.bulk_create(cards, batch_size=5000)
    del cards
    # Spread the cards over the year so far (created_at is set on insert).
    conn = Tortoise.get_connection("default")
    seconds = f"{start_of_year.timestamp():.0f} + (id * 7919 % {int(span)})"
    if conn.capabilities.dialect == "sqlite":
        await conn.execute_query(f"UPDATE point_card SET created_at = datetime({seconds}, 'unixepoch')")
    else:
        await conn.execute_query(f"UPDATE point_card SET created_at = to_timestamp({seconds})")

    reporters = rng.sample(members, min(3000, len(members)))
    await Registration.bulk_create([
        Registration(member_id=member_id, community_id=rng.choice(communities).id,
                     status=RegistrationStatus.CONFIRMED, active_key=str(member_id))
        for member_id, _branch in reporters
    ], batch_size=2000)
    wish_statuses = list(WishStatus)
    await Wish.bulk_create([
        Wish(community_id=rng.choice(communities).id, text=f"心愿 {i}", status=rng.choice(wish_statuses))
        for i in range(2000)
    ], batch_size=2000)
    print(f"built {args.members} members, {args.pledges} pledges (+{args.pledges} items), {args.cards} cards, "
          f"{len(reporters)} registrations, 2000 wishes in {time.perf_counter() - began:.1f} s", flush=True)
    return {"year": year, "community": communities[1].id, "branch": branches[0].id}


async def existing(path: Path) -> dict:
    """The ids ``build`` returns, read back from a database it built earlier."""
    community = await OrgUnit.get(name="南园社区")
    branch = await OrgUnit.filter(kind=OrgKind.BRANCH).order_by("id").first()
    members, pledges = await Member.all().count(), await Pledge.all().count()
    cards = await PointCard.all().count()
    print(f"reusing {path}: {members} members, {pledges} pledges, {cards} cards", flush=True)
    return {"year": clock.current_year(), "community": community.id, "branch": branch.id}


async def login(session: aiohttp.ClientSession, base: str, username: str) -> None:
    page = await (await session.get(f"{base}/login")).text()
    token = unescape(_CSRF_RE.search(page).group(1))
    response = await session.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                                          "csrf_token": token}, allow_redirects=False)
    assert response.status == 303, await response.text()


def p50_p95(samples: list[float]) -> tuple[float, float]:
    """The median and the 95th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


async def time_page(session: aiohttp.ClientSession, url: str, requests: int) -> tuple[float, float, float, int]:
    """p50 and p95 wall milliseconds, and the process's mean CPU milliseconds per request
    (client and server share the process; the database threads count too)."""

    async def once() -> tuple[float, int]:
        began = time.perf_counter()
        async with session.get(url, allow_redirects=False) as response:
            await response.read()
            return (time.perf_counter() - began) * 1000, response.status

    await once()  # warm-up: templates, statement caches
    samples = []
    status = 0
    cpu_began = time.process_time()
    for _ in range(requests):
        elapsed, status = await once()
        samples.append(elapsed)
    cpu_ms = (time.process_time() - cpu_began) * 1000 / requests
    return *p50_p95(samples), cpu_ms, status


async def time_export(session: aiohttp.ClientSession, base: str) -> bytes:
    """The full export of the pledge list, alone (wall and CPU seconds, the writer process's
    peak RSS) and again while the pledge list page is requested one at a time with 50 ms
    pauses (another secretary at work: the export's time then, and the page's as that
    secretary sees it), and the page for as long again with no export."""

    async def page_times(stop: asyncio.Event) -> list[float]:
        times = []
        while not stop.is_set():
            began = time.perf_counter()
            async with session.get(f"{base}/pledges") as response:
                await response.read()
            times.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(0.05)
        return times

    async def export() -> tuple[float, float, bytes, int]:
        began, cpu_began = time.perf_counter(), time.process_time()
        async with session.get(f"{base}/pledges/export.xlsx") as response:
            body = await response.read()
            cpu_s = time.process_time() - cpu_began
            return time.perf_counter() - began, cpu_s, body, response.status

    async def children_peak_kb(stop: asyncio.Event) -> int:
        """The largest VmHWM seen of this process's children (the writer): polled, since the
        kernel's figure for reaped children counts the parent's pages shared before exec."""
        peak = 0
        while not stop.is_set():
            for task in Path("/proc/self/task").iterdir():
                for pid in (task / "children").read_text().split():
                    with contextlib.suppress(OSError, ValueError):
                        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                            if line.startswith("VmHWM:"):
                                peak = max(peak, int(line.split()[1]))
            await asyncio.sleep(0.1)
        return peak

    stop = asyncio.Event()
    writer_peak = asyncio.create_task(children_peak_kb(stop))
    export_s, export_cpu_s, workbook, status = await export()
    pages = asyncio.create_task(page_times(stop))
    busy_export_s, *_ = await export()
    stop.set()
    during = await pages
    writer_mb = await writer_peak / 1024
    stop = asyncio.Event()
    pages = asyncio.create_task(page_times(stop))
    await asyncio.sleep(busy_export_s)
    stop.set()
    idle = await pages
    print(f"pledge list export, alone: {export_s:.2f} s ({export_cpu_s:.2f} s CPU in this process), "
          f"{len(workbook) / 1e6:.1f} MB, status {status}; "
          f"writer process peak RSS {writer_mb:.1f} MB",
          flush=True)
    print(f"  the same export while the pledge list page is requested: {busy_export_s:.2f} s",
          flush=True)
    for label, times in (("without an export", idle), ("during the export", during)):
        p50, p95 = p50_p95(times)
        print(f"  pledge list page {label}: p50 {p50:.1f} ms, "
              f"p95 {p95:.1f} ms ({len(times)} requests)", flush=True)
    return workbook


async def xlsx_floor(workbook: bytes) -> None:
    """Print how long the writer alone takes to write the exported rows (bench.xlsx_floor),
    in a child process: the part of the export that is not reading the database."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as file:
        file.write(workbook)
        file.flush()
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.xlsx_floor", file.name, stdout=asyncio.subprocess.PIPE)
        output, _ = await child.communicate()
    for line in output.decode().strip().splitlines() or [f"bench.xlsx_floor failed ({child.returncode})"]:
        print(f"  {line}", flush=True)


async def time_ranking_query(year: int, requests: int) -> tuple[float, float]:
    """p50/p95 ms of the bare SQL that ranks members by this year's cards (one GROUP BY over
    the ledger, no ORM, no page): what the award list's default sort costs the database."""
    connection = Tortoise.get_connection("default")
    sql = ("SELECT member_id, SUM(amount) AS total FROM point_card "
           f"WHERE year = {int(year)} GROUP BY member_id ORDER BY total DESC LIMIT 50")
    await connection.execute_query(sql)
    samples = []
    for _ in range(requests):
        began = time.perf_counter()
        await connection.execute_query(sql)
        samples.append((time.perf_counter() - began) * 1000)
    return p50_p95(samples)


async def run(args: argparse.Namespace) -> None:
    async with contextlib.AsyncExitStack() as stack:
        if args.postgres:
            url = await stack.enter_async_context(fresh_database("postgres", args.postgres))
            await init_db(url)
            ids = await build(args)
            # As autovacuum leaves a live database: statistics, and the visibility map that
            # index-only scans (counts, the award totals) depend on.
            await Tortoise.get_connection("default").execute_script("VACUUM ANALYZE")
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            path = Path(args.db) if args.db else Path(folder) / "bench.sqlite3"
            reuse = path.exists()
            await init_db(f"sqlite://{path}")
            ids = await existing(path) if reuse else await build(args)
        settings = Settings(_env_file=None, secret_key="bench", default_locale="zh_Hans")
        app = create_admin_app(settings, bot_username="bench_bot")
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        freeze_startup_heap()  # as xianfeng.runtime.serve does once the panel is up
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}"
        year = ids["year"]
        pages = [
            ("pledges (default sort)", "/pledges"),
            ("pledges ?year", f"/pledges?year={year}"),
            ("pledges ?status", "/pledges?status=submitted"),
            ("pledges ?org=branch", f"/pledges?org={ids['branch']}"),
            ("pledges ?owner=member", "/pledges?owner=member"),
            ("pledges ?proxy=yes", "/pledges?proxy=yes"),
            ("pledges ?q=search", "/pledges?q=党员0001"),
            ("pledges sort -owner", "/pledges?sort=-owner"),
            ("pledges sort branch", "/pledges?sort=branch"),
            ("pledges sort -year", "/pledges?sort=-year"),
            ("pledges sort -submitted", "/pledges?sort=-submitted"),
            ("pledges page 50", "/pledges?page=50"),
            ("review queue", "/pledges/review"),
            ("members (default sort)", "/members"),
            ("members ?type", "/members?type=retired"),
            ("members ?org=community", f"/members?org={ids['community']}"),
            ("members sort -created", "/members?sort=-created"),
            ("members ?q=search", "/members?q=党员0001"),
            ("award list", f"/points/awards?year={year}"),
            ("points ledger", "/points"),
            ("dashboard", "/"),
            ("roll of honour (a community)", f"/points/honour-roll?org={ids['community']}&year={year}"),
        ]
        if args.only:
            pages = [page for page in pages if any(text in page[0] for text in args.only)]

        reset_ok = reset_peak()
        before_kb = rss_kb()
        results = []
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            community = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            await login(session, base, "district")
            await login(community, base, "community")
            if reset_ok:
                # A login verifies an Argon2id hash: 64 MiB of memory by design (argon2-cffi's
                # recommended memory cost), given back at once. Shown apart from the pages.
                login_kb = rss_kb("VmHWM")
                print(f"two logins (Argon2id): peak RSS growth {(login_kb - before_kb) / 1024:.1f} MB", flush=True)
                reset_peak()
                before_kb = rss_kb()
            print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8}  status", flush=True)
            for label, path in pages:
                p50, p95, cpu_ms, status = await time_page(session, base + path, args.requests)
                results.append((label, p50, p95))
                flag = "" if p95 <= 10 or label in NOT_LISTS else "  over 10 ms"
                print(f"{label:34} {p50:8.1f} {p95:8.1f} {cpu_ms:8.1f}  {status}{flag}", flush=True)
            async with community:
                label = "dashboard (community secretary)"
                if not args.only or any(text in label for text in args.only):
                    p50, p95, cpu_ms, status = await time_page(community, base + "/", args.requests)
                    print(f"{label:34} {p50:8.1f} {p95:8.1f} {cpu_ms:8.1f}  {status}", flush=True)

            if not args.only or any(text in "floors" for text in args.only):
                print("floors, in the same run (what costs at least this here, before any list):",
                      flush=True)
                p50, p95, _, status = await time_page(session, base + FLOOR_PAGE, args.requests)
                print(f"  a page with no list ({FLOOR_PAGE}, same login and layout): "
                      f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, status {status}", flush=True)
                p50, p95 = await time_ranking_query(year, args.requests)
                print(f"  the award list's ranking alone (one GROUP BY over this year's cards, raw "
                      f"SQL): p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)

            if not args.skip_export:
                workbook = await time_export(session, base)
                await xlsx_floor(workbook)
        peak_kb = rss_kb("VmHWM") if reset_ok else rss_kb()
        print(f"RSS before serving (after logging in) {before_kb / 1024:.1f} MB, peak while serving {peak_kb / 1024:.1f} MB: "
              f"growth {(peak_kb - before_kb) / 1024:.1f} MB"
              + ("" if reset_ok else " (peak not resettable: current RSS shown)"), flush=True)
        lists = [r for r in results if r[0] not in NOT_LISTS]
        if lists:
            worst = max(lists, key=lambda r: r[2])
            print(f"worst list page p95: {worst[0]} {worst[2]:.1f} ms", flush=True)
        await runner.cleanup()
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--pledges", type=int, default=100_000)
    parser.add_argument("--cards", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--skip-export", action="store_true", help="time the pages only")
    parser.add_argument("--db", help="keep the database in this file (reused as it is if it "
                        "exists), e.g. for EXPLAIN")
    parser.add_argument("--postgres", metavar="URL",
                        help="build in a fresh database on this PostgreSQL server instead (dropped "
                        "afterwards), e.g. postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--only", nargs="+", metavar="TEXT",
                        help="time only the pages whose label contains TEXT")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
