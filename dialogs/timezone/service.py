"""Saving a person's own time zone, used to show and read dates and times for them."""

from __future__ import annotations

from bot.turn import Turn
from storage import people


async def save_timezone(turn: Turn, zone: str) -> None:
    # turn.person() first: someone the roster knows by e-mail only gets their roster entry
    # (ids learnt from Teams), not a row of their own.
    person = await turn.person()
    if person is None:
        who = turn.sender
        person = await people.ensure_person(turn.session, who.user_id, who.aad_object_id, who.name)
    person.timezone = zone
    await turn.commit()


def saved(zone: str) -> str:
    return f"Done: I'll show times to you in {zone}."


async def city_zones(turn: Turn) -> list[tuple[str, list[str]]]:
    """The zones the programme's cities use (the card offers them), with their cities."""
    return await people.city_zones(turn.session)
