"""The ``xianfeng`` command: migrate, demo, createadmin, import (all or nothing), invites."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest

from xianfeng.cli import main


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("DEFAULT_LOCALE", "en")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return tmp_path


def count_members(tmp_path) -> int:
    from models.db import close_db, init_db
    from models.members import Member

    async def count():
        await init_db(f"sqlite://{tmp_path / 'cli.sqlite3'}", run_migrations=False)
        try:
            return await Member.all().count()
        finally:
            await close_db()

    return asyncio.run(count())


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("run", "bot", "admin", "migrate", "createadmin", "import", "invites", "demo"):
        assert command in out


def test_demo_import_and_invites(env, capsys, monkeypatch):
    assert main(["migrate"]) == 0
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "42 members" in out and "user name nanyuan_demo, password " in out
    # Before any `xianfeng run`, the demo also makes the first login, for the whole district.
    assert "First login — user name: admin  password: " in out
    assert main(["demo"]) == 0
    again = capsys.readouterr().out
    assert "already loaded" in again and "password" not in again
    demo_members = count_members(env)

    good = env / "members.csv"
    good.write_bytes(
        "姓名,支部,党员类型,电话,能否书写\n"
        "李四,东风街道/南园社区/第一支部,在职,13912345678,否\n".encode("gb18030")
    )
    assert main(["import", str(good)]) == 0
    assert "Imported 1 members" in capsys.readouterr().out

    bad = env / "bad.csv"
    bad.write_text(
        "name,branch,member_type\n"
        "王五,东风街道/南园社区/第一支部,retired\n"
        "赵六,东风街道/无此社区/第一支部,retired\n"
        ",东风街道/南园社区/第一支部,nonsense\n",
        encoding="utf-8",
    )
    assert main(["import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "Nothing was imported" in err
    assert "line 3" in err and "line 4" in err and "line 2" not in err
    assert count_members(env) == demo_members + 1  # 王五 (a good line) was not imported either

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["createadmin", "nanyuan", "--role", "community_secretary",
                 "--org", "东风街道/南园社区", "--password-stdin"]) == 0
    assert "Created panel user nanyuan" in capsys.readouterr().out

    assert main(["invites"]) == 0  # none issued yet
    assert capsys.readouterr().out == ""


def test_invites_lists_pending_links(env, capsys):
    from datetime import timedelta

    from models.audit import Actor
    from models.db import close_db, init_db
    from models.invites import issue_invite
    from models.members import Member

    assert main(["demo"]) == 0
    capsys.readouterr()

    async def issue():
        await init_db(f"sqlite://{env / 'cli.sqlite3'}", run_migrations=False)
        try:
            member = await Member.filter(branch__name="第一支部", branch__parent__name="南园社区").first()
            return member.name, (await issue_invite(member, timedelta(days=3), Actor.system())).code
        finally:
            await close_db()

    name, code = asyncio.run(issue())
    assert main(["invites", "--org", "东风街道/南园社区", "--csv", "out.csv"]) == 0
    rows = list(csv.reader((env / "out.csv").open(encoding="utf-8-sig")))
    assert rows[1][0] == name
    assert rows[1][3] == f"https://t.me/xianfeng_sandbox_bot?start={code}"
    assert main(["invites", "--org", "东风街道/新风社区"]) == 0
    assert code not in capsys.readouterr().out


def test_wrong_settings_are_named_without_a_traceback(env, capsys, monkeypatch):
    monkeypatch.setenv("ADMIN_PORT", "abc")
    monkeypatch.setenv("TIMEZONE", "Asia/Shanghia")  # a typo: ZoneInfo raises a KeyError
    assert main(["migrate"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("The configuration (environment variables or .env) is not valid:")
    assert "ADMIN_PORT: Input should be a valid integer" in error
    assert "TIMEZONE: Value error, no time zone is named 'Asia/Shanghia'" in error
    assert "Traceback" not in error
    assert not (env / "cli.sqlite3").exists()  # nothing was done

    monkeypatch.delenv("ADMIN_PORT")
    monkeypatch.delenv("TIMEZONE")
    monkeypatch.delenv("DEFAULT_LOCALE")  # the default language, as when the file is wrong
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/hook")
    assert main(["bot"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("配置有误")
    assert "WEBHOOK_URL needs WEBHOOK_SECRET" in error


def test_time_zones_resolve_without_a_system_time_zone_database():
    """Windows and slim container images have no /usr/share/zoneinfo, or one without legacy
    names such as PRC: the tzdata package answers then."""
    import zoneinfo

    from xianfeng.settings import Settings

    keys = ["PRC", "Asia/Hong_Kong"]  # names no other test uses: their cache entries go
    zoneinfo.reset_tzpath(to=[])
    zoneinfo.ZoneInfo.clear_cache(only_keys=keys)
    try:
        for key in keys:
            assert Settings(_env_file=None, timezone=key).tz.key == key
    finally:
        zoneinfo.reset_tzpath()
        zoneinfo.ZoneInfo.clear_cache(only_keys=keys)


def test_a_database_that_cannot_be_opened_is_named_without_its_password(env, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://xianfeng:s3cret@127.0.0.1:1/xianfeng")  # nothing listens on port 1
    assert main(["migrate"]) == 2
    error = capsys.readouterr().err
    assert "Cannot open the database postgres://xianfeng@127.0.0.1:1/xianfeng: " in error
    assert "Check DATABASE_URL" in error
    assert "s3cret" not in error and "Traceback" not in error

    (env / "a-file").write_text("")
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{env / 'a-file' / 'xianfeng.sqlite3'}")
    assert main(["admin"]) == 2
    assert f"Cannot open the database sqlite://{env / 'a-file'}" in capsys.readouterr().err
