"""The `icc-bot` command: serve the bot, import or check a roster file, build the Teams app.

    icc-bot serve                          # the bot on http://localhost:3978 (SQLite by default)
    icc-bot roster import roster.yaml      # or a .csv file
    icc-bot roster check roster.yaml       # validate against the database, import nothing
    icc-bot package --bot-id <GUID>        # appPackage.zip, checked by Microsoft's validator

Each subcommand imports what it needs when it runs, so `icc-bot --help` starts quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
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


def guid(value: str) -> str:
    """argparse type: a GUID in its 8-4-4-4-12 form, as the manifest schema requires."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a GUID: {value!r}") from None
    if str(parsed) != value.lower():
        raise argparse.ArgumentTypeError(f"not a GUID in 8-4-4-4-12 form: {value!r}")
    return value


def package(args: argparse.Namespace) -> int:
    from teams_app.package import MANIFEST, BuildError, app_id_for, build, default_node_project

    app_id = args.app_id or app_id_for(args.bot_id)
    node_project = args.node_project or default_node_project()
    try:
        problems = build(args.manifest or MANIFEST, args.bot_id, app_id, args.out, node_project)
    except BuildError as error:
        print(f"icc-bot package: {error}", file=sys.stderr)
        return 2
    if problems:
        print(f"{args.out}: not written, the package is invalid:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} (Teams app id {app_id}, bot id {args.bot_id})")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="icc-bot",
        description="The ICC Teams bot: run it, load its roster, package it for Teams.",
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

    package_command = commands.add_parser(
        "package",
        help="build and validate the Teams app package (appPackage.zip)",
        description="Build the Teams app package and validate it with Microsoft's validator "
        "(Node.js and `npm ci --prefix tests/e2e`). The zip is written only if it is valid. "
        "Exit status: 0 valid, 1 invalid, 2 could not build.",
    )
    package_command.add_argument(
        "--bot-id", required=True, type=guid, help="the bot's Azure app id"
    )
    package_command.add_argument(
        "--app-id", type=guid, help="the Teams app id (default: derived from the bot id)"
    )
    package_command.add_argument(
        "--out", type=Path, default=Path("appPackage.zip"), help="zip to write"
    )
    package_command.add_argument(
        "--manifest",
        type=Path,
        help="manifest template, icons beside it (default: the bundled one)",
    )
    package_command.add_argument(
        "--node-project",
        type=Path,
        help="the folder `npm ci` installed the validator into (default: the checkout's "
        "tests/e2e, else ./tests/e2e)",
    )
    package_command.set_defaults(run=package)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
