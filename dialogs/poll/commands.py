"""`poll`: quick polls in any channel. Cards that update live, one ballot per person.

    poll <question> | <option> | <option> [| …] [--multi] [--anonymous] [--closes <when>]
    poll                      (a dialog asks for each part)
    poll results <id> | poll close <id> | poll export <id>

The commands and the card's buttons (vote, show voters, back to the poll, close) and its
refresh (each person's own view); the work is in service.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Row

from bot import payloads
from bot.files import File
from bot.payloads import Payload, Scope
from bot.router import ActionResult, Router
from bot.turn import Turn
from dialogs.poll import jobs, service
from dialogs.poll.cards import CLOSE, REFRESH, VOTE, VOTERS, personal_card, voters_card
from dialogs.poll.dialog import DIALOG_ID, PollDialog
from domain.polls import (
    PollError,
    PollParts,
    PollView,
    Viewer,
    export_csv,
    parse_poll_command,
    view_of,
)
from domain.text import counted
from domain.text import escape_markdown as md
from storage import polls as poll_store
from storage.models import Poll

router = Router()

USAGE = "poll <question> | <option> | <option> [--multi] [--anonymous] [--closes <when>]"


# --- what a button or a `poll <sub> <id>` names -----------------------------------------------


@dataclass
class PollClick(Payload):
    """A button on a poll card, or a `poll <sub> <id>` command: the poll it names."""

    poll_id: int
    poll: Poll = field(init=False, repr=False)
    # Close locks the poll row (PostgreSQL): the final tally is read and written.
    locked: ClassVar[bool] = False
    # A typed `poll results 12` also works in the creator's 1:1 chat; a click does not.
    creator_anywhere: ClassVar[bool] = False

    async def scope(self, turn: Turn) -> Scope | str:
        poll = await poll_store.get(turn.session, self.poll_id, for_update=self.locked)
        if poll is None:
            return f"I don't know poll #{self.poll_id}: it no longer exists."
        self.poll = poll
        return _scope(poll, creator_anywhere=self.creator_anywhere)


@dataclass
class CloseClick(PollClick):
    locked: ClassVar[bool] = True


@dataclass
class PollRef(PollClick):
    """`poll results|export <id>`."""

    creator_anywhere: ClassVar[bool] = True


@dataclass
class CloseRef(CloseClick):
    """`poll close <id>`."""

    creator_anywhere: ClassVar[bool] = True


@dataclass
class VoteClick(Payload):
    poll_id: int
    choice: object = None  # checked by domain.polls.parse_choices against the poll's options
    poll: Row[Any] = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        # The poll row is locked (PostgreSQL): its running tally is read, changed and written.
        poll = await poll_store.row(turn.session, self.poll_id, for_update=True)
        if poll is None:
            return f"I don't know poll #{self.poll_id}: it no longer exists."
        self.poll = poll
        return _scope(poll, creator_anywhere=False)


def _scope(poll: Poll | Row[Any], *, creator_anywhere: bool) -> Scope:
    return Scope(
        f"Poll #{poll.id}",
        conversation_id=poll.conversation_id,
        owner_user_id=poll.creator_user_id if creator_anywhere else None,
    )


# --- commands -----------------------------------------------------------------------------


@router.command("poll", USAGE, "Post a quick poll; votes update the card in place.", starts="poll")
async def poll_command(turn: Turn, args: str) -> None:
    word, _, rest = args.partition(" ")
    sub = word.lower()
    if not args.strip():
        await turn.begin_dialog(DIALOG_ID)
    elif sub in ("close", "results", "export") and "|" not in args:
        await SUBCOMMANDS[sub](turn, rest.strip())
    else:
        try:
            parsed = parse_poll_command(args, turn.now(), await turn.timezone(), locale=turn.locale)
        except PollError as error:
            await turn.reply(f"{error}\n\nUsage: `{USAGE}`")
            return
        if isinstance(parsed, PollParts):
            # Parts left out: the dialog asks for them, with what was given filled in.
            await turn.begin_dialog(DIALOG_ID, asdict(parsed))
            return
        await service.create_poll(turn, parsed)


async def _poll_for_reader(
    turn: Turn, raw: str, usage: str, kind: type[PollClick] = PollRef
) -> Poll | None:
    which = f"Which poll? Usage: `{usage}` (the number is on the poll card, e.g. #12)."
    found = await payloads.check_typed(turn, kind, raw, which)
    return found.poll if found else None


async def results_command(turn: Turn, raw: str) -> None:
    poll = await _poll_for_reader(turn, raw, "poll results <id>")
    if poll is None:
        return
    view = await service.load_view(turn.session, poll, turn.now())
    if poll.anonymous:
        lines = [
            f"{md(option)}: {count}"
            for option, count in zip(view.options, view.tally.counts, strict=True)
        ]
        await turn.reply(
            f"Poll #{poll.id} is anonymous, so I show counts only "
            f"({counted(view.tally.voters, 'voter')}):\n\n" + "\n\n".join(lines)
        )
        return
    await turn.reply(card=voters_card(view))


async def close_command(turn: Turn, raw: str) -> None:
    poll = await _poll_for_reader(turn, raw, "poll close <id>", CloseRef)
    if poll is None:
        return
    closed = await _close(turn, poll)
    await turn.reply(
        closed.message if isinstance(closed, ActionResult) else _closed_message(poll, closed)
    )


async def export_command(turn: Turn, raw: str) -> None:
    poll = await _poll_for_reader(turn, raw, "poll export <id>")
    if poll is None:
        return
    view = await service.load_view(turn.session, poll, turn.now())
    zone = await turn.timezone()
    as_of = f"{turn.now().astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"
    content = export_csv(view, as_of)
    file = File(f"poll-{poll.id}.csv", "text/csv", content.encode("utf-8-sig"))
    await turn.send_file(
        file, f"Results of poll #{poll.id} as CSV ({counted(view.tally.voters, 'voter')})."
    )


SUBCOMMANDS = {"close": close_command, "results": results_command, "export": export_command}


# --- card actions ---------------------------------------------------------------------------


@router.action(VOTE, VoteClick)
async def vote_action(turn: Turn, click: VoteClick) -> ActionResult:
    try:
        voted = await service.vote(turn, click.poll, click.choice)
    except PollError as error:
        return ActionResult.refuse(str(error))
    chosen = md(voted.chosen)
    who = turn.sender.user_id
    viewer = Viewer(choices=voted.choices, creator=click.poll.creator_user_id == who)
    return ActionResult(
        message=f"Your vote on poll #{click.poll_id} is counted: {chosen}",
        card=personal_card(voted.view, viewer, who, note=f"✓ Your vote is counted: {chosen}"),
    )


@router.action(VOTERS, PollClick)
async def voters_action(turn: Turn, click: PollClick) -> ActionResult:
    # Only the creator's own view shows the button, but who voted for what on a named poll is
    # no secret: `poll results` shows it to anyone in the conversation, and so does this.
    found = click.poll
    if found.anonymous:
        return ActionResult.refuse("This poll is anonymous: nobody can see who voted for what.")
    view = await service.load_view(turn.session, found, turn.now())
    return ActionResult(message="\n".join(_voter_lines(view)), card=voters_card(view))


def _voter_lines(view: PollView) -> list[str]:
    return [
        f"{md(option)}: {', '.join(md(name) for name in view.tally.names[i]) or '—'}"
        for i, option in enumerate(view.options)
    ]


@router.action(REFRESH, PollClick)
async def refresh_action(turn: Turn, click: PollClick) -> ActionResult:
    """The sender's own view of the poll: Teams asks for it when someone listed in the shared
    card's refresh opens it (trigger "automatic"), when anyone refreshes it by hand, and the
    voters card's "Back to the poll" asks for it too. It only reads: it never updates the
    shared message (whose update would make Teams refresh everyone's view again: a loop)."""
    found = click.poll
    view = view_of(found, turn.now())
    viewer = await service.viewer_of(turn, found)
    return ActionResult(
        message=f"Poll #{found.id}", card=personal_card(view, viewer, turn.sender.user_id)
    )


@router.action(CLOSE, CloseClick)
async def close_action(turn: Turn, click: CloseClick) -> ActionResult:
    closed = await _close(turn, click.poll)
    if isinstance(closed, ActionResult):
        return closed
    viewer = await service.viewer_of(turn, click.poll)
    return ActionResult(
        message=_closed_message(click.poll, closed),
        card=personal_card(closed.view, viewer, turn.sender.user_id),
    )


async def _close(turn: Turn, poll: Poll) -> service.Closed | ActionResult:
    """The poll closed by the sender (service.close), or the refusal."""
    try:
        return await service.close(turn, poll)
    except PollError as error:
        return ActionResult.refuse(str(error))


def _closed_message(poll: Poll, closed: service.Closed) -> str:
    if closed.already:
        return f"Poll #{poll.id} was already closed."
    return f"Poll #{poll.id} is closed. The card shows the final results."


# --- the feature's part in the app's life ---------------------------------------------------

router.card_sync(service.build_card_sync)
router.jobs(jobs.job_source)
router.add_dialog(PollDialog())
