"""The ``xianfeng`` command."""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from pydantic import ValidationError

from locales import DEFAULT_LOCALE, LOCALES, gettext
from models import clock
from models.db import apply_migrations, close_db, init_db
from models.errors import DomainError
from xianfeng.logging import configure_logging
from xianfeng.settings import Settings

Command = Callable[[Settings, argparse.Namespace], Awaitable[int]]


def _t(settings: Settings, text: str) -> str:
    return gettext(settings.default_locale, text)


async def _with_db(settings: Settings, body: Callable[[], Awaitable[int]]) -> int:
    await init_db(settings.resolved_database_url)
    try:
        return await body()
    finally:
        await close_db()


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from xianfeng.runtime import serve

    await serve(settings, bot=True, admin=True, scheduler=True)
    return 0


async def cmd_bot(settings: Settings, args: argparse.Namespace) -> int:
    from xianfeng.runtime import serve

    if args.worker_id:
        settings = settings.model_copy(update={"delivery_worker_id": args.worker_id})
    await serve(settings, bot=True, admin=False, scheduler=not args.no_scheduler)
    return 0


async def cmd_admin(settings: Settings, args: argparse.Namespace) -> int:
    from xianfeng.runtime import serve

    await serve(settings, bot=False, admin=True, scheduler=False)
    return 0


async def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    await apply_migrations(settings.resolved_database_url)
    print(_t(settings, "The database is up to date."))
    return 0


async def cmd_createadmin(settings: Settings, args: argparse.Namespace) -> int:
    from models.admins import create_admin
    from models.org import resolve_org_path

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(_t(settings, "Password: "))
        if password != getpass.getpass(_t(settings, "Repeat the password: ")):
            print(_t(settings, "The passwords differ."), file=sys.stderr)
            return 2

    async def body() -> int:
        org = await resolve_org_path(args.org)
        if org is None:
            print(_t(settings, "No unit found for “{value}”.").format(value=args.org), file=sys.stderr)
            return 2
        try:
            user = await create_admin(args.username, password, args.role, org)
        except DomainError as error:
            print(error.render(lambda text: _t(settings, text)), file=sys.stderr)
            return 2
        print(_t(settings, "Created panel user {username}.").format(username=user.username))
        return 0

    return await _with_db(settings, body)


async def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from models.audit import Actor
    from models.importer import ImportFailed, import_members

    with open(args.file, "rb") as handle:
        data = handle.read()

    async def body() -> int:
        try:
            members = await import_members(args.file, data, Actor.system("cli"))
        except ImportFailed as failure:
            translate = lambda text: _t(settings, text)  # noqa: E731
            print(failure.render(translate), file=sys.stderr)
            for problem in failure.errors:
                where = _t(settings, "line {line}").format(line=problem.line) if problem.line else ""
                column = f" [{problem.field}]" if problem.field else ""
                print(f"  {where}{column}: {problem.error.render(translate)}", file=sys.stderr)
            return 1
        print(_t(settings, "Imported {count} members.").format(count=len(members)))
        return 0

    return await _with_db(settings, body)


async def cmd_invites(settings: Settings, args: argparse.Namespace) -> int:
    from models.invites import pending_invites
    from models.org import resolve_org_path

    async def body() -> int:
        invites = pending_invites().select_related("member").order_by("member__name")
        if args.org:
            org = await resolve_org_path(args.org)
            if org is None:
                print(_t(settings, "No unit found for “{value}”.").format(value=args.org), file=sys.stderr)
                return 2
            invites = invites.filter(member__branch__path__startswith=org.path)
        username = await resolve_bot_username(settings)
        rows = [
            (invite.member.name, invite.code, invite.expires_at.astimezone(settings.tz).date().isoformat(),
             invite.deep_link(username))
            for invite in await invites
        ]
        if args.csv:
            with open(args.csv, "w", newline="", encoding="utf-8-sig") as handle:
                writer = csv.writer(handle)
                writer.writerow(["name", "code", "expires", "link"])
                writer.writerows(rows)
            print(_t(settings, "Wrote {count} invites to {file}.").format(count=len(rows), file=args.csv))
        else:
            for row in rows:
                print("\t".join(row))
        return 0

    return await _with_db(settings, body)


async def resolve_bot_username(settings: Settings) -> str:
    """The bot's @username for deep links: configured, asked from the Bot API, or the sandbox's."""
    from bot.app import create_bot
    from bot.sandbox.state import DEFAULT_BOT_USERNAME

    if settings.bot_username:
        return settings.bot_username
    if settings.use_sandbox:
        return DEFAULT_BOT_USERNAME
    bot = create_bot(settings.bot_token, settings.telegram_api_url)
    async with bot.session:
        return (await bot.get_me()).username


async def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from models.bootstrap import ensure_first_admin
    from models.demo import ACTIVE_COMMUNITY, load_demo

    async def body() -> int:
        summary = await load_demo()
        if summary["members"] or summary["units"]:
            print(_t(settings, "Demo data loaded: {units} units, {members} members.").format(**summary))
        else:
            print(_t(settings, "The demo district is already loaded: nothing was changed."))
        # Before a first run the demo's secretary would be the only user: make the first
        # login now, as `xianfeng run` would have, so the whole district can be seen.
        if first := await ensure_first_admin(settings.default_locale):
            print(first.announcement(settings.default_locale))
        if summary["secretary"]:
            print(_t(settings, "Log into the panel as the secretary of {community}: user name "
                     "{username}, password {password} (shown only this once).").format(
                community=ACTIVE_COMMUNITY, username=summary["secretary"],
                password=summary["password"]))
        return 0

    return await _with_db(settings, body)


async def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from xianfeng.backup import (
        BackupError,
        backup_sqlite,
        default_backup_path,
        postgres_instructions,
        sqlite_path,
    )

    translate = lambda text: _t(settings, text)  # noqa: E731
    url = settings.resolved_database_url
    try:
        database = sqlite_path(url)
        if database is None:
            print(postgres_instructions(url, translate))
            print(_t(settings, "No backup was made."), file=sys.stderr)
            return 1
        target = Path(args.path) if args.path else default_backup_path(database)
        written = await asyncio.to_thread(backup_sqlite, database, target)
    except BackupError as error:
        print(error.render(translate), file=sys.stderr)
        return 1
    print(_t(settings, "Backup written to {path}.").format(path=written))
    return 0


async def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from xianfeng.backup import BackupError, postgres_instructions, restore_sqlite, sqlite_path

    translate = lambda text: _t(settings, text)  # noqa: E731
    url = settings.resolved_database_url
    try:
        database = sqlite_path(url)
        if database is None:
            print(postgres_instructions(url, translate))
            print(_t(settings, "Nothing was restored."), file=sys.stderr)
            return 1
        restored = await asyncio.to_thread(restore_sqlite, Path(args.path), database)
    except BackupError as error:
        print(error.render(translate), file=sys.stderr)
        return 1
    print(_t(settings, "Restored {path} ({members} members).").format(
        path=args.path, members=restored.info.members))
    if restored.previous is not None:
        kept = _t(settings, "The previous database is kept as {path}.")
        print(kept.format(path=restored.previous))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from models.admins import Role

    parser = argparse.ArgumentParser(
        prog="xianfeng",
        description="Xianfeng (先锋): Party-member programmes on a Telegram bot and a web panel. "
        "Configuration comes from the environment and .env (see README).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="run bot, admin panel and scheduler in one process "
                   "(with no BOT_TOKEN also the sandbox Bot API server and its chat page)")
    bot = sub.add_parser(
        "bot", help="run only the bot (and the scheduler); polling, or a webhook with WEBHOOK_URL",
        description="Several bot processes may run at once (on PostgreSQL, with Redis): each update "
        "is handled once, the outbox is shared, and only one of them runs the scheduler.",
    )
    bot.add_argument("--no-scheduler", action="store_true",
                     help="never run the scheduler here (by default one bot process takes it)")
    bot.add_argument("--worker-id", metavar="ID",
                     help="this process's outbox worker id (DELIVERY_WORKER_ID); unique per process")
    sub.add_parser("admin", help="run only the admin panel")
    sub.add_parser("migrate", help="apply database migrations")

    create = sub.add_parser("createadmin", help="create a panel user")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--org", required=True, help="unit path, e.g. 东风街道/南园社区")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    imp = sub.add_parser("import", help="import members from .xlsx or .csv (all or nothing)")
    imp.add_argument("file")

    inv = sub.add_parser("invites", help="list pending invites with their deep links")
    inv.add_argument("--org", help="only this unit and below, e.g. 东风街道/南园社区/第一支部")
    inv.add_argument("--csv", metavar="FILE", help="write a CSV file instead of printing")

    sub.add_parser("demo", help="load a demo district (东风街道 and its communities)")

    backup = sub.add_parser("backup", help="copy the live SQLite database consistently "
                            "(for PostgreSQL: how to use pg_dump)")
    backup.add_argument(
        "path", nargs="?", help="file or folder (default: backups/ beside the database)"
    )
    restore = sub.add_parser("restore", help="replace the SQLite database by a backup "
                             "(Xianfeng stopped; the old one is kept as .bak)")
    restore.add_argument("path", help="a file made by `xianfeng backup`")
    return parser


COMMANDS: dict[str, Command] = {
    "run": cmd_run, "bot": cmd_bot, "admin": cmd_admin, "migrate": cmd_migrate,
    "createadmin": cmd_createadmin, "import": cmd_import, "invites": cmd_invites, "demo": cmd_demo,
    "backup": cmd_backup, "restore": cmd_restore,
}


def load_settings() -> Settings | None:
    """The settings, or None after saying on stderr which values are wrong (no traceback)."""
    try:
        return Settings()
    except ValidationError as error:
        locale = os.environ.get("DEFAULT_LOCALE", DEFAULT_LOCALE)
        locale = locale if locale in LOCALES else DEFAULT_LOCALE
        print(gettext(locale, "The configuration (environment variables or .env) is not valid:"),
              file=sys.stderr)
        for problem in error.errors(include_url=False):
            name = "_".join(str(part) for part in problem["loc"]).upper()
            print(f"  {name}: {problem['msg']}" if name else f"  {problem['msg']}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    if settings is None:
        return 2
    configure_logging(settings.log_format, "DEBUG" if args.verbose else settings.log_level)
    clock.configure(settings.tz)
    try:
        return asyncio.run(COMMANDS[args.command](settings, args))
    except KeyboardInterrupt:
        return 130
    except DomainError as error:  # what the user can put right: DatabaseUnusable, CannotListen …
        print(error.render(lambda text: _t(settings, text)), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
