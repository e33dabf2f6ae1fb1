"""Typed button payloads: one small dataclass per card verb, parsed and checked once.

A feature declares what a button carries (aiogram's `CallbackData` is the model):

    @dataclass
    class Rsvp(Payload):
        agenda_id: int                    # an id: ASCII digits, 1 … the database's INTEGER
        attending: bool                   # a JSON true/false, nothing else

        async def scope(self, turn):      # the object the click acts on, and where it lives
            ...

and registers its handler with `router.action(VERB, Rsvp)`. The router turns the submitted
data into the dataclass (types, ranges, lengths, allowed values), asks the payload for the
scope of the object it names (its existence), and checks that the click came from where that
object lives — its conversation, the channel linked to its city or TAG, or, in a 1:1 chat, a
person with a role in that city or TAG (admins; an object's owner) — before the handler runs.
A shared conversation never reaches another conversation's object by anyone's role: what is
answered there is seen by everyone in it. A `<command> <id>` goes
through the same check (`check_typed`). Handlers never parse ids by hand.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, get_args, get_origin

from domain.numbers import parse_id, parse_int
from domain.text import base_conversation_id
from storage import channels, people

if TYPE_CHECKING:
    from bot.turn import Turn

# Longest free text a button may carry (a proposed agenda item, a poll choice list …).
DEFAULT_MAX_TEXT = 2000


class PayloadError(ValueError):
    """Submitted data that does not fit the verb's payload; the message is for the user."""


@dataclass(frozen=True)
class Between:
    """An integer field that is not an id: `Annotated[int, Between(1, 10)]`."""

    low: int
    high: int


@dataclass(frozen=True)
class MaxLength:
    """A text field's longest value: `Annotated[str, MaxLength(200)]`."""

    length: int


@dataclass(frozen=True)
class Scope:
    """Where the object a click acts on lives, and what to call it in a refusal."""

    label: str
    # The conversation its card was posted in (a channel or a chat), if any.
    conversation_id: str | None = None
    city_id: int | None = None
    tag_id: int | None = None
    # The roles in its city that reach it from a 1:1 chat (None: any); any role in its TAG does.
    city_roles: tuple[str, ...] | None = None
    # The Teams user who created it reaches it from their 1:1 chat (`poll results 12`).
    owner_user_id: str | None = None
    # The roster person who owns it reaches it from their 1:1 chat (an action's owner).
    owner_person_id: int | None = None
    # Only from its own conversation, whoever asks (a channel's reminder series).
    here_only: bool = False


class Payload:
    """Base of every verb's payload; subclasses are dataclasses."""

    async def scope(self, turn: Turn) -> Scope | str | None:
        """The scope of the object this payload names; a str when it does not exist.

        None: the payload names no object, so there is nothing to check."""
        return None


P = TypeVar("P", bound=Payload)


def parse(cls: type[P], data: object) -> P:
    """The payload `cls` from submitted data, or PayloadError naming what is wrong."""
    if not isinstance(data, dict):
        raise PayloadError("That button sent nothing I can read.")
    values: dict[str, Any] = {}
    for name, hint, has_default in _fields(cls):  # type: ignore[arg-type]  # classes hash
        raw = data.get(name)
        if (raw is None or raw == "") and has_default:
            continue
        values[name] = _coerce(name, hint, raw)
    return cls(**values)


@functools.cache
def _fields(cls: type[Payload]) -> tuple[tuple[str, Any, bool], ...]:
    """The payload's submitted fields: name, type, whether it has a default (read once)."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return tuple(
        (
            spec.name,
            hints[spec.name],
            spec.default is not dataclasses.MISSING
            or spec.default_factory is not dataclasses.MISSING,
        )
        for spec in dataclasses.fields(cls)  # type: ignore[arg-type]
        if spec.init
    )


def _coerce(name: str, hint: Any, raw: object) -> Any:
    extras: tuple[Any, ...] = ()
    if get_origin(hint) is typing.Annotated:
        hint, *rest = get_args(hint)
        extras = tuple(rest)
    if get_origin(hint) in (Union, types.UnionType):  # `int | None` with a default of None
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    wrong = PayloadError(
        f"That button does not say which {name.removesuffix('_id')} it is for."
        if name.endswith("_id")
        else f"That button's {name.replace('_', ' ')} is missing or not valid."
    )
    if hint is bool:
        if not isinstance(raw, bool):
            raise wrong
        return raw
    if hint is int:
        bounds = next((e for e in extras if isinstance(e, Between)), None)
        number = parse_int(raw, low=bounds.low, high=bounds.high) if bounds else parse_id(raw)
        if number is None:
            raise wrong
        return number
    if hint is str:
        limit = next((e.length for e in extras if isinstance(e, MaxLength)), DEFAULT_MAX_TEXT)
        if not isinstance(raw, str) or len(raw) > limit:
            raise wrong
        return raw.strip()
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(raw)
        except ValueError:
            raise wrong from None
    if get_origin(hint) is Literal:
        if raw not in get_args(hint):
            raise wrong
        return raw
    if hint is object:  # parsed by the domain function that knows its shape
        return raw
    raise TypeError(f"payload field {name} has a type the router cannot check: {hint!r}")


async def authorize(turn: Turn, scope: Scope) -> str | None:
    """None when the click may act on the scope's object from here, else the refusal."""
    if scope.conversation_id and base_conversation_id(scope.conversation_id) == (
        turn.conversation_id
    ):
        return None
    refusal = f"{scope.label} belongs to another conversation: I can't act on it from here."
    if scope.here_only:
        return refusal
    if turn.is_personal:
        # What is shown in a 1:1 chat is seen by that person alone: roles decide.
        if scope.owner_user_id and scope.owner_user_id == turn.sender.user_id:
            return None
        roles = await turn.roles()
        if people.is_admin(roles):
            return None
        if scope.owner_person_id is not None:
            person = await turn.person()
            if person is not None and person.id == scope.owner_person_id:
                return None
        for role in roles:
            in_city = scope.city_id is not None and role.city_id == scope.city_id
            if in_city and (scope.city_roles is None or role.role in scope.city_roles):
                return None
            if scope.tag_id is not None and role.tag_id == scope.tag_id:
                return None
    elif turn.channel_id is not None and (scope.city_id is not None or scope.tag_id is not None):
        channel = await channels.get_by_id(turn.session, turn.channel_id)
        if channel is not None and (
            (scope.city_id is not None and channel.city_id == scope.city_id)
            or (scope.tag_id is not None and channel.tag_id == scope.tag_id)
        ):
            return None
    return refusal


async def check(turn: Turn, cls: type[P], data: object) -> P | str:
    """Parse `data` as `cls` and check its object from this turn: the payload, or the refusal."""
    try:
        payload = parse(cls, data)
    except PayloadError as error:
        return str(error)
    scope = await payload.scope(turn)
    if isinstance(scope, str):
        return scope
    if scope is not None:
        refusal = await authorize(turn, scope)
        if refusal is not None:
            return refusal
    return payload


async def check_typed(turn: Turn, cls: type[P], raw: str, which: str, hint: str = "") -> P | None:
    """`<command> <id>`: the payload of the id typed as `raw`, checked like a click; else None,
    after replying `which` (how to name the object) to a malformed id, or the refusal."""
    field = _fields(cls)[0][0]  # type: ignore[arg-type]  # classes hash
    found = await check(turn, cls, {field: raw})
    if isinstance(found, str):
        await turn.reply(which if parse_id(raw) is None else f"{found}{hint}")
        return None
    return found
