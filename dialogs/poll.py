"""`poll`: quick polls in any channel. Cards that update live, one ballot per person.

    poll <question> | <option> | <option> [| …] [--multi] [--anonymous] [--closes <when>]
    poll                      (a dialog asks for each part)
    poll results <id> | poll close <id> | poll export <id>

Votes arrive as Action.Execute invokes (Action.Submit as the fallback). Each vote is
committed before it is acknowledged; the shared card is then refreshed by a coalescer (at
most one update in flight per poll, paced by Teams' rate limits), so the last update always
shows the exact tally. `card_version`/`synced_version` on the poll let a card that fell behind
(a crash, a refused update) catch up at start-up.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from botbuilder.core import MessageFactory
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptValidatorContext, TextPrompt
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards, payloads
from bot.card_sync import CardState, CardSync
from bot.files import File
from bot.outbound import Target
from bot.payloads import Payload, Scope
from bot.router import ActionResult, Router
from bot.services import Services
from bot.turn import Turn
from dialogs import once
from dialogs.common import DIALOG_VERB, CardPrompt, ask, ask_card
from dialogs.poll_cards import CLOSE, REFRESH, VOTE, VOTERS, PollView, poll_card, voters_card
from domain.polls import (
    PollError,
    PollSpec,
    Tally,
    anonymous_voter_key,
    apply_ballot,
    parse_choices,
    parse_poll_command,
    split_options,
    tally,
    tally_from_counts,
    validate_options,
    validate_question,
)
from domain.text import escape_markdown as md
from domain.when import WhenError, describe, parse_when
from scheduler import engine as planning
from scheduler.engine import JobSource, Planned
from storage import channels as channel_store
from storage import finished
from storage import outbox as outbox_store
from storage import polls as poll_store
from storage.models import Poll

log = logging.getLogger(__name__)
router = Router()

# The card sync's name: its outbox handlers are "poll-card" and "poll-posted".
CARD = "poll"
DIALOG_ID = "poll.create"
USAGE = "poll <question> | <option> | <option> [--multi] [--anonymous] [--closes <when>]"


# --- reading polls ---------------------------------------------------------------------------


PollData = Poll | Row[Any]  # the ORM object, or the columns of the vote's hot path


def is_closed(poll: PollData, now: datetime) -> bool:
    return poll.closed_at is not None or (poll.closes_at is not None and poll.closes_at <= now)


def view_of(poll: PollData, now: datetime, poll_tally: Tally | None = None) -> PollView:
    """The card's data from the poll row and its running tally (no query)."""
    counts = list(poll.counts or [0] * len(poll.options))
    return PollView(
        id=poll.id,
        question=poll.question,
        options=tuple(poll.options),
        multi=poll.multi,
        anonymous=poll.anonymous,
        creator_name=poll.creator_name,
        closes_at=poll.closes_at,
        closed=is_closed(poll, now),
        tally=poll_tally or tally_from_counts(counts, poll.voters),
    )


async def load_view(session: AsyncSession, poll: Poll, now: datetime) -> PollView:
    """The view with voters' names (reads every ballot: for `results`, not for each vote)."""
    ballots = await poll_store.ballots(session, poll.id)
    return view_of(poll, now, tally(len(poll.options), ballots))


async def recount(session: AsyncSession, poll: Poll) -> Tally:
    return tally(len(poll.options), await poll_store.ballots(session, poll.id))


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


# --- the shared card, refreshed in place --------------------------------------------------


async def _card_state(session: AsyncSession, poll_id: int, now: datetime) -> CardState | None:
    poll = await poll_store.get(session, poll_id)
    if poll is None or poll.activity_id is None:
        return None
    return CardState(
        Target(
            poll.service_url,
            poll.conversation_id,
            await channel_store.tenant_of(session, poll.conversation_id),
        ),
        poll.activity_id,
        poll_card(view_of(poll, now)),
        poll.card_version,
    )


@router.card_sync
def _build_card_sync(services: Services) -> CardSync:
    return CardSync(
        services,
        CARD,
        lambda session, poll_id: _card_state(session, poll_id, services.clock()),
        poll_store.mark_synced,
        poll_store.out_of_sync,
        partial(outbox_store.record_posted, model=Poll),
    )


def card_sync(services: Services) -> CardSync:
    return services.card_sync(CARD)


# --- closing at the deadline (scheduled) ------------------------------------------------------


@router.jobs
def job_source(services: Services) -> JobSource:
    async def plan(session: AsyncSession) -> list[Planned]:
        return [
            planning.once(str(poll_id), closes_at)
            for poll_id, closes_at in await poll_store.due_to_close(session)
        ]

    async def run(key: str) -> None:
        await close_due_poll(services, int(key))

    return JobSource("poll-close", plan, run)


async def close_due_poll(services: Services, poll_id: int) -> None:
    """Freeze the card with the final results; post nothing else."""
    async with services.database.unit_of_work() as session:
        poll = await poll_store.get(session, poll_id, for_update=True)
        if poll is None or poll.closed_at is not None:
            return
        final = await recount(session, poll)
        await poll_store.close(session, poll, services.clock(), list(final.counts), final.voters)
    log.info("poll %s closed at its deadline", poll_id)
    card_sync(services).request(poll_id)


# --- creating ---------------------------------------------------------------------------------


async def create_poll(turn: Turn, spec: PollSpec, key: str | None = None) -> Poll | None:
    """Store the poll, then post its card; None if `key` (the dialog instance, else the
    activity) already made one: a re-delivered create or a second click posts nothing twice."""
    session = turn.session
    key = key or f"create|{turn.activity_key}"
    already = await once.finish(turn, key, "poll")
    if already is not None:
        await turn.reply(already)
        return None
    who = turn.sender
    zone = await turn.timezone()
    poll = Poll(
        source_key=key,
        channel_id=turn.channel_id,
        conversation_id=turn.activity.conversation.id,
        service_url=turn.activity.service_url,
        question=spec.question,
        options=list(spec.options),
        multi=spec.multi,
        anonymous=spec.anonymous,
        creator_user_id=who.user_id,
        creator_name=who.name or "someone",
        timezone=zone.key,
        closes_at=spec.closes_at,
        created_at=turn.now(),
        card_version=1,
        synced_version=1,
        counts=[0] * len(spec.options),
        voters=0,
    )
    session.add(poll)
    await session.flush()
    await finished.record(session, key, poll.id)
    view = view_of(poll, turn.now())
    await turn.commit()
    response = await turn.reply(card=poll_card(view), on_sent=f"poll-posted:{poll.id}")
    poll.activity_id = response.id or None if response is not None else None
    await turn.commit()
    turn.services.nudge_scheduler()
    log.info(
        "poll %s created in %s with %d options", poll.id, turn.conversation_id, len(spec.options)
    )
    return poll


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
            spec = parse_poll_command(args, turn.now(), await turn.timezone())
        except PollError as error:
            await turn.reply(f"{error}\n\nUsage: `{USAGE}`")
            return
        await create_poll(turn, spec)


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
    view = await load_view(turn.session, poll, turn.now())
    if poll.anonymous:
        lines = [
            f"{md(option)}: {count}"
            for option, count in zip(view.options, view.tally.counts, strict=True)
        ]
        await turn.reply(
            f"Poll #{poll.id} is anonymous, so I show counts only ({view.tally.voters} voters):\n\n"
            + "\n\n".join(lines)
        )
        return
    await turn.reply(card=voters_card(view))


async def close_command(turn: Turn, raw: str) -> None:
    poll = await _poll_for_reader(turn, raw, "poll close <id>", CloseRef)
    if poll is None:
        return
    result = await _close(turn, poll)
    await turn.reply(result.message)


async def export_command(turn: Turn, raw: str) -> None:
    poll = await _poll_for_reader(turn, raw, "poll export <id>")
    if poll is None:
        return
    view = await load_view(turn.session, poll, turn.now())
    content = export_csv(view)
    file = File(f"poll-{poll.id}.csv", "text/csv", content.encode("utf-8"))
    await turn.reply(
        f"Results of poll #{poll.id} as CSV ({view.tally.voters} voters).", files=[file]
    )


def export_csv(view: PollView) -> str:
    """option, votes, percent, and for named polls the voters of each option."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["option", "votes", "percent"]
    if not view.anonymous:
        header.append("voters")
    writer.writerow(header)
    for index, option in enumerate(view.options):
        row: list[object] = [
            _csv_safe(option),
            view.tally.counts[index],
            view.tally.percentages[index],
        ]
        if not view.anonymous:
            row.append("; ".join(_csv_safe(name) for name in view.tally.names[index]))
        writer.writerow(row)
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


SUBCOMMANDS = {"close": close_command, "results": results_command, "export": export_command}


# --- card actions ---------------------------------------------------------------------------


@router.action(VOTE, VoteClick)
async def vote_action(turn: Turn, click: VoteClick) -> ActionResult:
    poll, poll_id = click.poll, click.poll_id
    now = turn.now()
    if is_closed(poll, now):
        return ActionResult.refuse(f"Poll #{poll_id} is closed; your vote was not counted.")
    try:
        choices = parse_choices(click.choice, len(poll.options), multi=poll.multi)
    except PollError as error:
        return ActionResult.refuse(str(error))
    who = turn.sender
    if poll.anonymous:
        voter_key = anonymous_voter_key(turn.services.settings.secret_key, poll_id, who.user_id)
        voter_name = None
    else:
        voter_key, voter_name = who.user_id, who.name or who.user_id
    counts, voters = list(poll.counts), poll.voters
    claimed, previous = await poll_store.cast_ballot(
        turn.session,
        f"vote|{turn.activity_key}",
        poll_id,
        voter_key,
        voter_name,
        list(choices),
        now,
    )
    if claimed:  # not a re-delivery of a vote already counted
        counts, voters = apply_ballot(counts, voters, previous, choices)
        await poll_store.record_tally(turn.session, poll_id, counts, voters)
    await turn.commit()
    card_sync(turn.services).request(poll_id)
    view = view_of(poll, now, tally_from_counts(counts, voters))
    chosen = ", ".join(poll.options[i] for i in choices)
    note = f"✓ Your vote is counted: {md(chosen)}"
    return ActionResult(
        message=f"Your vote on poll #{poll_id} is counted: {md(chosen)}",
        card=poll_card(view, viewer_choices=choices, note=note),
    )


@router.action(VOTERS, PollClick)
async def voters_action(turn: Turn, click: PollClick) -> ActionResult:
    found = click.poll
    if found.anonymous:
        return ActionResult.refuse("This poll is anonymous: nobody can see who voted for what.")
    view = await load_view(turn.session, found, turn.now())
    return ActionResult(message="\n".join(_voter_lines(view)), card=voters_card(view))


def _voter_lines(view: PollView) -> list[str]:
    return [
        f"{md(option)}: {', '.join(md(name) for name in view.tally.names[i]) or '—'}"
        for i, option in enumerate(view.options)
    ]


@router.action(REFRESH, PollClick)
async def refresh_action(turn: Turn, click: PollClick) -> ActionResult:
    found = click.poll
    return ActionResult(message=f"Poll #{found.id}", card=poll_card(view_of(found, turn.now())))


@router.action(CLOSE, CloseClick)
async def close_action(turn: Turn, click: CloseClick) -> ActionResult:
    return await _close(turn, click.poll)


async def _close(turn: Turn, poll: Poll) -> ActionResult:
    if poll.creator_user_id != turn.sender.user_id:
        return ActionResult.refuse(
            f"Sorry, only {md(poll.creator_name)}, who created poll #{poll.id}, can close it."
        )
    if poll.closed_at is not None:
        view = view_of(poll, turn.now())
        return ActionResult(message=f"Poll #{poll.id} was already closed.", card=poll_card(view))
    final = await recount(turn.session, poll)
    await poll_store.close(turn.session, poll, turn.now(), list(final.counts), final.voters)
    view = view_of(poll, turn.now(), final)
    await turn.commit()
    card_sync(turn.services).request(poll.id)
    turn.services.nudge_scheduler()
    return ActionResult(
        message=f"Poll #{poll.id} is closed. The card shows the final results.",
        card=poll_card(view),
    )


# --- the dialog for `poll` alone ------------------------------------------------------------


def settings_card() -> cards.Card:
    return cards.card(
        [
            cards.text("How should people answer?", weight="Bolder"),
            {
                "type": "Input.ChoiceSet",
                "id": "mode",
                "style": "expanded",
                "value": "single",
                "choices": [
                    {"title": "One choice per person", "value": "single"},
                    {"title": "Several choices allowed", "value": "multi"},
                ],
            },
            {
                "type": "Input.Toggle",
                "id": "anonymous",
                "title": "Anonymous (nobody sees who voted what)",
                "value": "false",
            },
            {
                "type": "Input.Text",
                "id": "closes",
                "label": "Closes (optional)",
                "placeholder": "e.g. friday 17:00, in 2 days, 2026-12-04",
            },
        ],
        [cards.submit("Create poll", DIALOG_VERB, style="positive")],
    )


class PollDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(TextPrompt("poll.question", self._check_question))
        self.add_dialog(TextPrompt("poll.options", self._check_options))
        self.add_dialog(CardPrompt("poll.settings", self._check_settings))
        self.add_dialog(
            WaterfallDialog(
                "poll.steps",
                [
                    self.ask_question_step,
                    self.ask_options_step,
                    self.ask_settings_step,
                    self.create_poll_step,
                ],
            )
        )
        self.initial_dialog_id = "poll.steps"

    @staticmethod
    async def _check_question(prompt: PromptValidatorContext) -> bool:
        try:
            validate_question(prompt.recognized.value or "")
        except PollError as error:
            await prompt.context.send_activity(f"{error} What is the question? (or `cancel`)")
            return False
        return True

    @staticmethod
    async def _check_options(prompt: PromptValidatorContext) -> bool:
        try:
            validate_options(split_options(prompt.recognized.value or ""))
        except PollError as error:
            await prompt.context.send_activity(f"{error} Type the options again (or `cancel`).")
            return False
        return True

    @staticmethod
    async def _check_settings(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        closes = str(prompt.recognized.value.get("closes") or "").strip()
        if closes:
            turn = Turn.of(prompt.context)
            try:
                parse_when(closes, turn.now(), await turn.timezone())
            except WhenError as error:
                await prompt.context.send_activity(
                    f"Closing time: {error} Fix it on the card and press Create poll again."
                )
                return False
        return True

    async def ask_question_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values[once.INSTANCE] = once.new_instance()
        return await step.prompt(
            "poll.question", ask("What is the poll's question? (`cancel` stops)")
        )

    async def ask_options_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["question"] = validate_question(str(step.result))
        return await step.prompt(
            "poll.options",
            ask("Type the options, 2 to 10: one per line, or separated by |."),
        )

    async def ask_settings_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["options"] = list(validate_options(split_options(str(step.result))))
        return await step.prompt(
            "poll.settings",
            ask_card(
                once.stamp(settings_card(), step.values.get(once.INSTANCE)),
                retry="Please choose on the card above and press Create poll (or type `cancel`).",
            ),
        )

    async def create_poll_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        answers: dict[str, Any] = step.result
        closes = str(answers.get("closes") or "").strip()
        zone: ZoneInfo = await turn.timezone()
        spec = PollSpec(
            question=step.values["question"],
            options=tuple(step.values["options"]),
            multi=answers.get("mode") == "multi",
            anonymous=str(answers.get("anonymous")).lower() == "true",
            closes_at=parse_when(closes, turn.now(), zone) if closes else None,
        )
        poll = await create_poll(turn, spec, once.key_of(turn, step.values))
        if poll is not None and spec.closes_at is not None:
            await step.context.send_activity(
                MessageFactory.text(f"It closes {describe(spec.closes_at, zone)}.")
            )
        return await step.end_dialog()


router.add_dialog(PollDialog())
