"""`timezone`: a person's own time zone, used to show and read dates and times for them.

`timezone Europe/Rome` sets it at once; `timezone` alone starts the dialog that asks for it.
"""

from __future__ import annotations

from bot.router import Router
from bot.turn import Turn
from dialogs.timezone import service
from dialogs.timezone.dialog import DIALOG_ID, TimezoneDialog
from domain.text import quote
from domain.timezones import resolve_zone

router = Router()
router.add_dialog(TimezoneDialog())


@router.command(
    "timezone",
    "timezone [<Area/City>]",
    "Set the time zone I use to show you dates and read the times you type.",
    starts="timezone",
)
async def timezone_command(turn: Turn, args: str) -> None:
    if not args:
        await turn.begin_dialog(DIALOG_ID)
        return
    zone = resolve_zone(args)
    if zone is None:
        await turn.reply(
            f"I don't know the time zone {quote(args)}. Try a name like Europe/Rome or a city like Lisbon."
        )
        return
    await service.save_timezone(turn, zone)
    await turn.reply(service.saved(zone))
