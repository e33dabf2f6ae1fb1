"""`link`: tie a channel to a city or a TAG, so commands there know what they are about.

    link city <name> | link tag <name> | link        (shows the current link)

Who may link what is in service.py.
"""

from __future__ import annotations

from bot.router import Router
from bot.turn import Turn
from dialogs.context import channel_of, linked_place
from dialogs.link import service
from domain.text import escape_markdown as md

router = Router()
USAGE = "link city <name> | link tag <name>"


@router.command(
    "link",
    "link city <name> | link tag <name>",
    "Tie a team channel to a city or a TAG (reps, mentors, experts, admins).",
)
async def link_command(turn: Turn, args: str) -> None:
    kind, _, name = args.strip().partition(" ")
    kind, name = kind.lower(), name.strip()
    channel = await channel_of(turn)
    if channel is None or not turn.is_channel:
        # A chat's members are whoever was added to it: a city's minutes or a TAG's
        # commitments are shown only in a team channel (or to one person, in 1:1).
        await turn.reply("Only a team channel can be linked to a city or a TAG.")
        return
    if not kind:
        place = await linked_place(turn)
        linked = (
            f"the city {md(place.city.name)}"
            if place.city
            else f"the TAG {md(place.tag.name)}"
            if place.tag
            else None
        )
        await turn.reply(
            f"This channel is linked to {linked}."
            if linked
            else f"This channel is not linked yet. Usage: `{USAGE}`"
        )
        return
    if kind == "city" and name:
        await turn.reply(await service.link(turn, channel, "city", name))
    elif kind == "tag" and name:
        await turn.reply(await service.link(turn, channel, "tag", name))
    else:
        await turn.reply(f"Usage: `{USAGE}`")
