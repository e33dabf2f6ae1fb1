"""Linking a channel to a city or a TAG: who may, and what a re-link stops.

A city may be linked by its city reps and lead expert, a TAG by its mentor and experts;
admins may link anything. A channel already linked is re-linked only by someone with that
role in what it is linked to now (or an admin), so nobody takes over another city's channel.
"""

from __future__ import annotations

from typing import Literal

from bot.turn import Turn
from dialogs.context import (
    TAG_ROLES,
    Place,
    can_write_city,
    has_tag_role,
    linked_place,
    unknown_city,
    unknown_tag,
)
from domain.text import escape_markdown as md
from storage import channels, people
from storage import reminders as reminder_store
from storage.models import Channel

Kind = Literal["city", "tag"]


async def link(turn: Turn, channel: Channel, kind: Kind, name: str) -> str:
    """Link the channel to the city or TAG called `name`, committed; the reply to give (a
    refusal when the sender may not, or nothing changed)."""
    roles = await turn.roles()
    current = await linked_place(turn)
    if current.city is not None and not can_write_city(roles, current.city.id):
        return (
            f"This channel is linked to the city {md(current.city.name)}. Only {md(current.city.name)}'s "
            "city representatives, its lead expert or an admin can link it to something else."
        )
    if current.tag is not None and not has_tag_role(roles, current.tag.id, TAG_ROLES):
        return (
            f"This channel is linked to the TAG {md(current.tag.name)}. Only its mentor and experts, "
            "or an admin, can link it to something else."
        )
    was = (
        f" (it was linked to the city {md(current.city.name)})"
        if current.city
        else f" (it was linked to the TAG {md(current.tag.name)})"
        if current.tag
        else ""
    )
    if kind == "city":
        city = await people.city_by_name(turn.session, name)
        if city is None:
            return await unknown_city(turn, name, " in the roster")
        if not can_write_city(roles, city.id):
            return f"Only {md(city.name)}'s city representatives, its lead expert or an admin can link a channel to it."
        if current.city is not None and current.city.id == city.id:
            return f"This channel is already {md(city.name)}'s."
        await channels.link(turn.session, channel, city_id=city.id, tag_id=None)
        was += await _retire_series(turn, channel.id, current)
        await turn.commit()
        return f"This channel is now {md(city.name)}'s{was}: `minutes`, `actions` and reminders here are about {md(city.name)}."
    tag = await people.tag_by_name(turn.session, name)
    if tag is None:
        return await unknown_tag(turn, name, " in the roster")
    if not has_tag_role(roles, tag.id, TAG_ROLES):
        return (
            f"Only the mentor and experts of {md(tag.name)}, or an admin, can link a channel to it."
        )
    if current.tag is not None and current.tag.id == tag.id:
        return f"This channel is already the TAG channel of {md(tag.name)}."
    await channels.link(turn.session, channel, city_id=None, tag_id=tag.id)
    was += await _retire_series(turn, channel.id, current)
    await turn.commit()
    return f"This channel is now the TAG channel of {md(tag.name)}{was}: `agenda` and `summary` here are about it."


async def _retire_series(turn: Turn, channel_id: int, before: Place) -> str:
    """A re-linked channel's reminder series were about what it was linked to: stop them."""
    if before.city is None and before.tag is None:
        return ""
    what = before.city.name if before.city else before.tag.name if before.tag else ""
    stopped = await reminder_store.disable_channel(
        turn.session, channel_id, f"the channel was re-linked away from {what}", turn.now()
    )
    if not stopped:
        return ""
    turn.services.nudge_scheduler()
    return f"; its {stopped} reminder series about {md(what)} are stopped (`remind setup` for new ones)"
