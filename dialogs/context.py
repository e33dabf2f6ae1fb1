"""Where a command runs and who runs it: the city or TAG of a channel, and permissions."""

from __future__ import annotations

from dataclasses import dataclass

from bot.turn import Turn
from domain.names import closest_names, did_you_mean
from domain.text import escape_markdown as md
from domain.text import quote
from storage import channels, people
from storage.models import Channel, City, Role, RoleAssignment, Tag

CITY_WRITERS = (Role.CITY_REP, Role.LEAD_EXPERT)
TAG_ROLES = (Role.MENTOR, Role.LEAD_EXPERT, Role.THEMATIC_EXPERT)


@dataclass(frozen=True)
class Place:
    """The city or TAG a command is about, and how we know."""

    city: City | None = None
    tag: Tag | None = None
    from_channel: bool = False


async def channel_of(turn: Turn) -> Channel | None:
    if turn.channel_id is None:
        return None
    return await channels.get_by_id(turn.session, turn.channel_id)


async def linked_place(turn: Turn) -> Place:
    channel = await channel_of(turn)
    if channel is None:
        return Place()
    city = await people.city(turn.session, channel.city_id) if channel.city_id else None
    tag = await people.tag(turn.session, channel.tag_id) if channel.tag_id else None
    return Place(city=city, tag=tag, from_channel=bool(city or tag))


def can_write_city(roles: list[RoleAssignment], city_id: int) -> bool:
    return people.is_admin(roles) or any(
        r.role in CITY_WRITERS and r.city_id == city_id for r in roles
    )


def has_city_role(roles: list[RoleAssignment], city_id: int) -> bool:
    return people.is_admin(roles) or any(r.city_id == city_id for r in roles)


def has_tag_role(
    roles: list[RoleAssignment], tag_id: int, wanted: tuple[str, ...] | None = None
) -> bool:
    return people.is_admin(roles) or any(
        r.tag_id == tag_id and (wanted is None or r.role in wanted) for r in roles
    )


async def city_for_writing(turn: Turn) -> City | str:
    """The city whose minutes/actions this person may write here, or why there is none."""
    roles = await turn.roles()
    place = await linked_place(turn)
    if place.city is not None:
        if can_write_city(roles, place.city.id):
            return place.city
        return (
            f"Only {md(place.city.name)}'s city representatives and lead expert can do that here. "
            "If that should include you, ask the programme admin to add your role to the roster."
        )
    if not turn.is_personal:
        # A TAG channel or an unlinked chat is no place for a city's minutes (DOMAIN.md C5).
        return (
            "A city's minutes and actions are written in the city's own channel (linked with "
            "`link city <name>`) or in a 1:1 chat with me, not here."
        )
    city_ids = people.city_ids_with(roles, *CITY_WRITERS)
    if len(city_ids) == 1:
        city = await people.city(turn.session, city_ids[0])
        if city is not None:
            return city
    if not city_ids:
        if not roles:
            return (
                "I don't know you from the programme roster yet, so I can't tell which city "
                "you represent. Ask the programme admin to add you (with your Teams account)."
            )
        return (
            "Only a city's representatives and lead expert can do that, and you have neither role."
        )
    return "You work with several cities: run this in the city's channel (linked with `link city <name>`)."


async def readable_city_ids(turn: Turn) -> list[int]:
    """Cities whose ecosystem-call minutes and actions may be shown here (DOMAIN.md C5): the
    city of a city channel; in a 1:1 chat the cities the person represents or is lead expert of
    (every city, for admins); none in a TAG channel or any other shared conversation."""
    place = await linked_place(turn)
    if place.city is not None:
        return [place.city.id]
    if not turn.is_personal:
        return []
    roles = await turn.roles()
    if people.is_admin(roles):
        return await people.all_city_ids(turn.session)
    return people.city_ids_with(roles, *CITY_WRITERS)


def shown_where() -> str:
    """Where a city's minutes and actions can be read, for a refusal."""
    return (
        "A city's minutes and actions are shown in the city's own channel, and to its "
        "representatives, lead expert and admins in a 1:1 chat with me."
    )


async def resolve_tag(turn: Turn, name: str) -> Tag | str:
    """The TAG a command names, else the one of this channel, else the person's only TAG."""
    if name:
        tag = await people.tag_by_name(turn.session, name)
        return tag if tag is not None else await unknown_tag(turn, name)
    place = await linked_place(turn)
    if place.tag is not None:
        return place.tag
    roles = await turn.roles()
    tag_ids = sorted({r.tag_id for r in roles if r.tag_id is not None})
    if len(tag_ids) == 1:
        tag = await people.tag(turn.session, tag_ids[0])
        if tag is not None:
            return tag
    return "Which TAG? Run this in the TAG's channel, or name it: `agenda <TAG>`."


async def unknown_tag(turn: Turn, name: str, where: str = "") -> str:
    """The reply to a TAG name the roster lacks: the closest known names, if any are close."""
    known = closest_names(name, await people.tag_names(turn.session))
    return f"I don't know a TAG called {quote(name)}{where}.{did_you_mean([md(n) for n in known])}"


async def unknown_city(turn: Turn, name: str, where: str = "") -> str:
    """The reply to a city name the roster lacks: the closest known names, if any are close."""
    known = closest_names(name, await people.city_names(turn.session))
    return f"I don't know a city called {quote(name)}{where}.{did_you_mean([md(n) for n in known])}"
