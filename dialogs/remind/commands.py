"""`remind`: a channel's meeting series and the reminders the scheduler sends for them.

    remind setup | remind list | remind pause <id> | remind resume <id> | remind delete <id>
    remind invite <id>

Series are rows; the scheduler's jobs are derived from them (scheduler/engine.py), one per
series, firing at each of its nudges at the same wall-clock time across DST (jobs.py). The
delivery itself, once per key through the outbox, is in service.py. `remind invite <id>` (and
the Add to calendar button of `remind list`) sends a series as a calendar file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import payloads
from bot.payloads import Payload, Scope
from bot.router import ActionResult, Router
from bot.turn import Turn
from dialogs.remind import jobs, service
from dialogs.remind.cards import INVITE
from dialogs.remind.dialog import DIALOG_ID, RemindDialog
from storage import channels as channel_store
from storage import reminders as reminder_store
from storage.models import ReminderSeries

USAGE = (
    "remind setup | remind list | remind pause <id> | remind resume <id> | remind delete <id> "
    "| remind invite <id>"
)

router = Router()
router.add_dialog(RemindDialog())
router.jobs(jobs.job_source)
router.on_elected(jobs.catch_up)
# What a reminder queued in the outbox records when the drain loop settles it.
router.on_startup(service.register_settled)


@dataclass
class SeriesRef(Payload):
    """`remind pause|resume|delete <id>`: a series of the channel the command is typed in."""

    series_id: int
    series: ReminderSeries = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        series = await reminder_store.get(turn.session, self.series_id)
        channel = await channel_store.get_by_id(turn.session, series.channel_id) if series else None
        if series is None or channel is None:
            return f"I don't know series #{self.series_id}."
        self.series = series
        return Scope(
            f"Series #{series.id}", conversation_id=channel.conversation_id, here_only=True
        )


@router.command(
    "remind",
    USAGE,
    "Fortnightly reminders in a city or TAG channel: set up, list, pause, resume, delete; a "
    "series as a calendar invite (.ics).",
    starts="remind setup",
)
async def remind_command(turn: Turn, args: str) -> None:
    words = args.split()
    sub = words[0].lower() if words else ""
    if sub == "list":
        card = await service.series_list(turn)
        if card is None:
            await turn.reply("I can't list reminders here.")
        else:
            await turn.reply(card=card)
        return
    if sub == "invite" and len(words) == 2:
        # Whoever sees the series in `remind list` may take it into their calendar.
        found = await payloads.check_typed(
            turn, SeriesRef, words[1], "Which series? Give its number, e.g. `remind invite 3`. "
            "`remind list` shows them.", f" `remind list` shows the series of {service.place_word(turn)}.",
        )  # fmt: skip
        if found is not None:
            await service.send_invite(turn, found.series)
        return
    if (
        sub not in ("setup", "pause", "resume", "delete")
        or (sub != "setup" and len(words) != 2)
        or (sub == "setup" and len(words) != 1)
    ):
        await turn.reply(f"Usage: `{USAGE}`")
        return
    refusal = await service.may_manage(turn)
    if refusal:
        await turn.reply(refusal)
        return
    if sub == "setup":
        await turn.begin_dialog(DIALOG_ID)
        return
    which = f"Which series? Give its number, e.g. `remind {sub} 3`. `remind list` shows them."
    hint = f" `remind list` shows the series of {service.place_word(turn)}."
    found = await payloads.check_typed(turn, SeriesRef, words[1], which, hint)
    if found is None:
        return
    await turn.reply(await service.change(turn, sub, found.series))


@router.action(INVITE, SeriesRef)
async def invite_action(turn: Turn, click: SeriesRef) -> ActionResult:
    await service.send_invite(turn, click.series)
    return ActionResult(message="The calendar invite is posted below.")
