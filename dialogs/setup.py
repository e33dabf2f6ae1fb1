"""`link`: tie a channel to a city or a TAG, so commands there know what they are about.

    link city <name> | link tag <name> | link        (shows the current link)

A city may be linked by its city reps and lead expert, a TAG by its mentor and experts;
admins may link anything.
"""

from __future__ import annotations

from bot.router import Router
from bot.turn import Turn
from dialogs.context import TAG_ROLES, can_write_city, channel_of, has_tag_role, linked_place
from domain.text import escape_markdown as md
from domain.text import quote
from storage import channels, people

router = Router()
USAGE = "link city <name> | link tag <name>"


@router.command(
    "link",
    "link city <name> | link tag <name>",
    "Tie this channel to a city or a TAG (reps, mentors, experts, admins).",
)
async def link_command(turn: Turn, args: str) -> None:
    kind, _, name = args.strip().partition(" ")
    kind, name = kind.lower(), name.strip()
    channel = await channel_of(turn)
    if channel is None:
        await turn.reply("I can't link this conversation.")
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
    if kind not in ("city", "tag") or not name:
        await turn.reply(f"Usage: `{USAGE}`")
        return
    roles = await turn.roles()
    if kind == "city":
        city = await people.city_by_name(turn.session, name)
        if city is None:
            await turn.reply(f"I don't know a city called {quote(name)} in the roster.")
            return
        if not can_write_city(roles, city.id):
            await turn.reply(
                f"Only {md(city.name)}'s city representatives, its lead expert or an admin can link a channel to it."
            )
            return
        await channels.link(turn.session, channel, city_id=city.id, tag_id=None)
        await turn.commit()
        await turn.reply(
            f"This channel is now {md(city.name)}'s: `minutes`, `actions` and reminders here are about {md(city.name)}."
        )
        return
    tag = await people.tag_by_name(turn.session, name)
    if tag is None:
        await turn.reply(f"I don't know a TAG called {quote(name)} in the roster.")
        return
    if not has_tag_role(roles, tag.id, TAG_ROLES):
        await turn.reply(
            f"Only the mentor and experts of {md(tag.name)}, or an admin, can link a channel to it."
        )
        return
    await channels.link(turn.session, channel, city_id=None, tag_id=tag.id)
    await turn.commit()
    await turn.reply(
        f"This channel is now the TAG channel of {md(tag.name)}: `agenda` and `summary` here are about it."
    )
