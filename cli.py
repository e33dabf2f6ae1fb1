"""The `icc-bot` command: serve the bot, import or check a roster file.

    icc-bot serve                          # the bot on http://localhost:3978 (SQLite by default)
    icc-bot roster import roster.yaml      # or a .csv file
    icc-bot roster check roster.yaml       # validate against the database, import nothing

Each subcommand imports what it needs when it runs, so `icc-bot --help` starts quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.roster import ImportReport


def serve(args: argparse.Namespace) -> int:
    import app

    return app.main()


async def _import_roster(path: Path, database_url: str, *, dry_run: bool) -> ImportReport:
    from domain.roster import parse_file
    from storage.db import Database
    from storage.migrate import migrate
    from storage.roster import import_roster

    roster = parse_file(path)
    database = Database(database_url)
    try:
        await migrate(database.engine)
        async with database.sessions() as session, session.begin():
            report = await import_roster(session, roster)
            if dry_run:
                await session.rollback()
        return report
    finally:
        await database.dispose()


def roster(args: argparse.Namespace) -> int:
    from config import ConfigError, load_settings
    from domain.roster import RosterInvalid

    try:
        overrides = {"database_url": args.database_url} if args.database_url else {}
        settings = load_settings(**overrides)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(
            _import_roster(args.file, settings.database_url, dry_run=args.action == "check")
        )
    except RosterInvalid as error:
        print(f"{args.file}: rejected, nothing imported:", file=sys.stderr)
        for problem in error.errors:
            print(f"  {problem}", file=sys.stderr)
        return 1
    verb = "checked (nothing written)" if args.action == "check" else "imported"
    print(
        f"{args.file}: {verb}. {report}"
        if report.changed
        else f"{args.file}: {verb}. Nothing changed."
    )
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="icc-bot", description="The ICC Teams bot: run it, load its roster."
    )
    commands = top.add_subparsers(title="commands", required=True, metavar="COMMAND")

    serve_command = commands.add_parser(
        "serve",
        help="run the bot (settings from the environment; see the README)",
        description="Run the bot's HTTP server: /api/messages and /healthz.",
    )
    serve_command.set_defaults(run=serve)

    roster_command = commands.add_parser(
        "roster",
        help="import or check the roster file (cities, TAGs, people, roles)",
        description="Import a roster file (YAML or CSV) into the database, or check it "
        "without importing anything. A bad file is rejected as a whole: every problem is printed with "
        "its line, nothing is imported.",
    )
    actions = roster_command.add_subparsers(
        dest="action", title="actions", required=True, metavar="ACTION"
    )
    for action, help_text in (
        ("import", "import the file (idempotent, all or nothing)"),
        ("check", "validate the file against the database; nothing is imported"),
    ):
        action_command = actions.add_parser(action, help=help_text, description=help_text)
        action_command.add_argument("file", type=Path, help="a .yaml, .yml or .csv roster")
        action_command.add_argument("--database-url", help="overrides DATABASE_URL")
    roster_command.set_defaults(run=roster)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
