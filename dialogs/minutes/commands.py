"""`minutes`: the minutes of an ecosystem call, from the recap of last time to the next call.

    minutes                          a dialog of cards: setup, recap, the meeting (tour de
                                     table, agreements, actions), closing; saved at the end
    minutes edit <id>                the same cards pre-filled; the posted card is updated
    minutes list | minutes show <id> | minutes export <id> [md|docx]

The commands, the export button of a posted card, and its card sync (which also records the
activity id of a queued post). The dialog is in dialog.py (states in minutes.mmd).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot import payloads
from bot.payloads import Payload, Scope
from bot.router import ActionResult, Router
from bot.turn import Turn
from dialogs.context import CITY_WRITERS
from dialogs.minutes import service
from dialogs.minutes.cards import EXPORT, minutes_card
from dialogs.minutes.dialog import DIALOG_ID, MinutesDialog
from storage import minutes as minutes_store
from storage.models import Minutes

router = Router()
router.add_dialog(MinutesDialog())
router.card_sync(service.build_card_sync)

USAGE = (
    "minutes | minutes list | minutes show <id> | minutes edit <id> | minutes export <id> [md|docx]"
)


@router.command(
    "minutes",
    "minutes [list | show <id> | edit <id> | export <id> [md|docx]]",
    "Take the minutes of an ecosystem call, or read, correct and export them.",
    starts="minutes",
)
async def minutes_command(turn: Turn, args: str) -> None:
    words = args.split()
    if not words:
        await turn.begin_dialog(DIALOG_ID)
        return
    sub = words[0].lower()
    if sub == "list":
        await service.list_minutes(turn)
    elif sub == "show" and len(words) == 2:
        minutes = await _readable(turn, words[1])
        if minutes is not None:
            await turn.reply(card=minutes_card(await service.doc_of(turn, minutes)))
    elif sub == "edit":
        minutes = await _readable(turn, words[1] if len(words) == 2 else "", "edit")
        if minutes is None:
            return
        if not service.may_edit(await turn.roles(), turn.sender.user_id, minutes):
            await turn.reply(service.edit_refusal(minutes))
            return
        await turn.begin_dialog(DIALOG_ID, {"minutes_id": minutes.id})
    elif sub == "export" and len(words) in (2, 3):
        file_format = words[2].lower() if len(words) == 3 else "md"
        if file_format not in ("md", "docx"):
            await turn.reply("Export as `md` (Markdown) or `docx` (Word).")
            return
        minutes = await _readable(turn, words[1])
        if minutes is not None:
            await service.send_export(turn, minutes, file_format)
    else:
        await turn.reply(f"Usage: `{USAGE}`")


@dataclass
class MinutesRef(Payload):
    """`minutes show|export <id>`: the minutes it names, readable from here (DOMAIN.md C5)."""

    minutes_id: int
    minutes: Minutes = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        minutes = await minutes_store.get(turn.session, self.minutes_id)
        if minutes is None:
            return f"I don't know minutes #{self.minutes_id}."
        self.minutes = minutes
        return Scope(
            f"Minutes #{minutes.id}",
            conversation_id=minutes.conversation_id,
            city_id=minutes.city_id,
            city_roles=CITY_WRITERS,
        )


@dataclass
class ExportClick(MinutesRef):
    format: Literal["md", "docx"] = "md"


async def _readable(turn: Turn, raw: str, verb: str = "show") -> Minutes | None:
    which = f"Which minutes? Give their number, e.g. `minutes {verb} 12`. Usage: `{USAGE}`"
    found = await payloads.check_typed(turn, MinutesRef, raw, which)
    return found.minutes if found else None


@router.action(EXPORT, ExportClick)
async def export_action(turn: Turn, click: ExportClick) -> ActionResult:
    await service.send_export(turn, click.minutes, click.format)
    return ActionResult(message="The file is posted below the minutes.")
