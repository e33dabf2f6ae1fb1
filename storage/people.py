"""People and their roles: who is speaking, and what they may do where."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.text import slug
from storage.models import City, Person, Role, RoleAssignment, Tag, TagMembership


async def find_by_teams_identity(
    session: AsyncSession, user_id: str, aad_object_id: str | None
) -> Person | None:
    conditions = [Person.teams_user_id == user_id] if user_id else []
    if aad_object_id:
        conditions.append(Person.aad_object_id == aad_object_id)
    if not conditions:
        return None
    people = (await session.scalars(select(Person).where(or_(*conditions)))).all()
    if not people:
        return None
    # Prefer the exact Teams id; then remember it on the roster entry found by AAD id.
    person = next((p for p in people if p.teams_user_id == user_id), people[0])
    if user_id and person.teams_user_id is None:
        person.teams_user_id = user_id
    return person


async def has_email_only_people(session: AsyncSession) -> bool:
    """Whether the roster knows someone by e-mail only: no Teams id or AAD object id yet."""
    statement = select(
        exists().where(
            Person.email.is_not(None),
            Person.teams_user_id.is_(None),
            Person.aad_object_id.is_(None),
        )
    )
    return bool(await session.scalar(statement))


async def claim_by_address(
    session: AsyncSession,
    addresses: list[str],
    *,
    user_id: str,
    aad_object_id: str | None,
    replacing: Person | None = None,
) -> Person | None:
    """The e-mail-only roster person with one of these addresses (e-mail or UPN, any case),
    now holding this Teams user's ids so the ids find them from now on; None if no such
    person (or two). `replacing`, a row `ensure_person` made for this user before we knew
    who they were, gives its ids (and time zone) up to them."""
    wanted = sorted({address.strip().lower() for address in addresses if address.strip()})
    if not wanted or not user_id:
        return None
    unclaimed = (Person.teams_user_id.is_(None), Person.aad_object_id.is_(None))
    candidates = (
        await session.scalars(
            select(Person).where(func.lower(Person.email).in_(wanted), *unclaimed)
        )
    ).all()
    if len(candidates) != 1:
        return None
    person = candidates[0]
    values: dict[str, str | None] = {"teams_user_id": user_id, "aad_object_id": aad_object_id}
    if replacing is not None and replacing.id != person.id:
        if person.timezone is None and replacing.timezone:
            values["timezone"] = replacing.timezone
        replacing.teams_user_id = None
        replacing.aad_object_id = None
        await session.flush()
    # Conditional, so two turns of the same person racing to claim the row both end well.
    claimed = await session.execute(
        update(Person)
        .where(Person.id == person.id, *unclaimed)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return await find_by_teams_identity(session, user_id, aad_object_id)
    await session.refresh(person)
    return person


async def roles_of(session: AsyncSession, person_id: int) -> list[RoleAssignment]:
    result = await session.scalars(
        select(RoleAssignment).where(RoleAssignment.person_id == person_id)
    )
    return list(result.all())


async def city_by_name(session: AsyncSession, name: str) -> City | None:
    return await session.scalar(select(City).where(City.key == slug(name)))


async def person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def city(session: AsyncSession, city_id: int) -> City | None:
    return await session.get(City, city_id)


async def tag(session: AsyncSession, tag_id: int) -> Tag | None:
    return await session.get(Tag, tag_id)


async def all_city_ids(session: AsyncSession) -> list[int]:
    return sorted((await session.scalars(select(City.id))).all())


async def tag_by_name(session: AsyncSession, name: str) -> Tag | None:
    return await session.scalar(select(Tag).where(Tag.key == slug(name)))


async def city_names(session: AsyncSession) -> list[tuple[str, str]]:
    """Every city's name and short name (its key), for suggesting one to a mistyped name."""
    return [(row.name, row.key) for row in await session.execute(select(City.name, City.key))]


async def tag_names(session: AsyncSession) -> list[tuple[str, str]]:
    """Every TAG's name and short name (its key), for suggesting one to a mistyped name."""
    return [(row.name, row.key) for row in await session.execute(select(Tag.name, Tag.key))]


async def tag_city_ids(session: AsyncSession, tag_id: int) -> list[int]:
    result = await session.scalars(
        select(TagMembership.city_id).where(TagMembership.tag_id == tag_id)
    )
    return list(result.all())


def is_admin(roles: list[RoleAssignment]) -> bool:
    return any(role.role == Role.ADMIN for role in roles)


async def ensure_person(
    session: AsyncSession, user_id: str, aad_object_id: str | None, name: str
) -> Person:
    """The roster entry of a Teams user, created (without roles) if the roster lacks them.

    A row made here carries the Teams ids and the name Teams showed, and no role: the ids
    find it again, the name never does (see `city_people`)."""
    person = await find_by_teams_identity(session, user_id, aad_object_id)
    if person is None:
        person = Person(
            name=name or "Teams user", teams_user_id=user_id or None, aad_object_id=aad_object_id
        )
        session.add(person)
        await session.flush()
    return person


async def people_with_role(
    session: AsyncSession, role: str, *, city_id: int | None = None, tag_id: int | None = None
) -> list[Person]:
    statement = (
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.role == role)
    )
    if city_id is not None:
        statement = statement.where(RoleAssignment.city_id == city_id)
    if tag_id is not None:
        statement = statement.where(RoleAssignment.tag_id == tag_id)
    result = await session.scalars(statement.order_by(Person.name))
    return list(result.unique().all())


async def city_people(session: AsyncSession, city_id: int) -> list[Person]:
    """The roster people with a role in a city (its reps, its lead expert), by name.

    Only a role makes someone one of a city's people: the rows `ensure_person` makes for
    anyone who sets a time zone have none, so no display name reaches this list on its own.
    """
    statement = (
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.city_id == city_id)
        .order_by(Person.name, Person.id)
    )
    return list(dict.fromkeys((await session.scalars(statement)).all()))


async def city_person_named(session: AsyncSession, city_id: int, name: str) -> Person | None:
    """The one roster person of a city with this name (any case), or None — also when two
    of the city's people share it: a name that could be either links neither."""
    wanted = " ".join(name.split()).casefold()
    found = [p for p in await city_people(session, city_id) if p.name.casefold() == wanted]
    return found[0] if len(found) == 1 else None


async def teams_ids_of(
    session: AsyncSession,
    person_ids: Sequence[int],
    *,
    city_ids: Sequence[int] = (),
    city_roles: Sequence[str] = (),
    tag_ids: Sequence[int] = (),
    tag_roles: Sequence[str] = (),
) -> list[str]:
    """The Teams user ids we know (from their first message) of these roster people, then of
    those with one of `city_roles` in `city_ids` or `tag_roles` in `tag_ids`; each once, in
    that order (people by name within each group)."""
    found: list[str | None] = []
    if person_ids:
        found += (
            await session.scalars(
                select(Person.teams_user_id)
                .where(Person.id.in_(set(person_ids)), Person.teams_user_id.is_not(None))
                .order_by(Person.name, Person.id)
            )
        ).all()
    scopes = []
    if city_ids and city_roles:
        scopes.append(
            RoleAssignment.city_id.in_(set(city_ids)) & RoleAssignment.role.in_(city_roles)
        )
    if tag_ids and tag_roles:
        scopes.append(RoleAssignment.tag_id.in_(set(tag_ids)) & RoleAssignment.role.in_(tag_roles))
    if scopes:
        found += (
            await session.scalars(
                select(Person.teams_user_id)
                .join(RoleAssignment, RoleAssignment.person_id == Person.id)
                .where(or_(*scopes), Person.teams_user_id.is_not(None))
                .order_by(Person.name, Person.id)
            )
        ).all()
    return [i for i in dict.fromkeys(found) if i]


def city_ids_with(roles: list[RoleAssignment], *wanted: str) -> list[int]:
    return sorted({r.city_id for r in roles if r.city_id is not None and r.role in wanted})


def tag_ids_with(roles: list[RoleAssignment], *wanted: str) -> list[int]:
    return sorted({r.tag_id for r in roles if r.tag_id is not None and r.role in wanted})


async def city_zones(session: AsyncSession) -> list[tuple[str, list[str]]]:
    """The time zones the programme's cities use, each with its cities' names, by zone."""
    rows = (await session.execute(select(City.timezone, City.name).order_by(City.name))).all()
    zones: dict[str, list[str]] = {}
    for zone, name in rows:
        zones.setdefault(zone, []).append(name)
    return sorted(zones.items())
