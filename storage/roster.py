"""Importing a validated roster into the database, in the caller's transaction.

Idempotent: importing the same file twice changes nothing. Parsing and validating the file is
domain/roster.py; the `icc-bot roster` command, which commits, is cli.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roster import PersonRow, Roster, RosterError, RosterInvalid, Where, validate
from domain.text import slug
from storage.models import City, Person, RoleAssignment, Tag, TagMembership


@dataclass
class ImportReport:
    created: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("cities", "tags", "people", "roles"), 0)
    )
    updated: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("cities", "tags", "people", "roles"), 0)
    )

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())

    def __str__(self) -> str:
        parts = [
            f"{kind}: {self.created[kind]} new, {self.updated[kind]} updated"
            for kind in ("cities", "tags", "people", "roles")
        ]
        return "; ".join(parts)


def _assign(model: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if value is not None and getattr(model, name) != value:
            setattr(model, name, value)
            changed = True
    return changed


async def import_roster(session: AsyncSession, roster: Roster) -> ImportReport:
    """Apply a validated roster in the caller's transaction. Raises RosterInvalid on references
    that resolve neither in the file nor in the database (the caller then rolls back)."""
    errors = validate(roster)
    if errors:
        raise RosterInvalid(errors)
    report = ImportReport()
    cities = {city.key: city for city in (await session.scalars(select(City))).all()}
    for row in roster.cities:
        city = cities.get(row.key)
        values = {
            "name": row.name,
            "country": row.country,
            "timezone": row.timezone,
            "kind": row.kind,
        }
        if city is None:
            city = City(key=row.key, **values)
            session.add(city)
            cities[row.key] = city
            report.created["cities"] += 1
        elif _assign(city, values):
            report.updated["cities"] += 1
    await session.flush()

    def city_ref(name: str, where: Where) -> City | None:
        city = cities.get(slug(name))
        if city is None:
            errors.append(RosterError(where, f"unknown city {name!r}"))
        return city

    tags = {tag.key: tag for tag in (await session.scalars(select(Tag))).all()}
    for tag_row in roster.tags:
        mentor = city_ref(tag_row.mentor_city, tag_row.where) if tag_row.mentor_city else None
        members = [city_ref(name, tag_row.where) for name in tag_row.cities]
        tag = tags.get(tag_row.key)
        tag_values: dict[str, Any] = {
            "name": tag_row.name,
            "theme": tag_row.theme,
            "topic": tag_row.topic,
            "timezone": tag_row.timezone,
            "mentor_city_id": mentor.id if mentor else None,
        }
        if tag is None:
            tag = Tag(key=tag_row.key, **tag_values)
            session.add(tag)
            tags[tag_row.key] = tag
            await session.flush()
            report.created["tags"] += 1
            is_new = True
        else:
            is_new = False
        changed = _assign(tag, tag_values) and not is_new
        wanted = {city.id for city in members if city is not None}
        current = set(
            (
                await session.scalars(
                    select(TagMembership.city_id).where(TagMembership.tag_id == tag.id)
                )
            ).all()
        )
        if wanted != current:
            await session.execute(
                delete(TagMembership).where(
                    TagMembership.tag_id == tag.id, TagMembership.city_id.in_(current - wanted)
                )
            )
            session.add_all(TagMembership(tag_id=tag.id, city_id=cid) for cid in wanted - current)
            changed = not is_new
        if changed:
            report.updated["tags"] += 1
    await session.flush()

    for person_row in roster.people:
        person = await _find_person(session, person_row)
        person_values: dict[str, Any] = {
            "name": person_row.name,
            "email": person_row.email,
            "aad_object_id": person_row.aad_object_id,
            "teams_user_id": person_row.teams_user_id,
            "timezone": person_row.timezone,
        }
        if person is None:
            person = Person(**person_values)
            session.add(person)
            await session.flush()
            report.created["people"] += 1
        elif _assign(person, person_values):
            report.updated["people"] += 1
        rows = await session.execute(
            select(RoleAssignment.role, RoleAssignment.scope).where(
                RoleAssignment.person_id == person.id
            )
        )
        existing = {(role, scope) for role, scope in rows}
        for role_row in person_row.roles:
            city = city_ref(role_row.city, role_row.where) if role_row.city else None
            tag = tags.get(slug(role_row.tag)) if role_row.tag else None
            if role_row.tag and tag is None:
                errors.append(RosterError(role_row.where, f"unknown TAG {role_row.tag!r}"))
                continue
            if (role_row.city and city is None) or (role_row.tag and tag is None):
                continue
            scope = f"city:{city.id}" if city else f"tag:{tag.id}" if tag else "programme"
            if (role_row.role, scope) in existing:
                continue
            existing.add((role_row.role, scope))
            session.add(
                RoleAssignment(
                    person_id=person.id,
                    role=role_row.role,
                    city_id=city.id if city else None,
                    tag_id=tag.id if tag else None,
                    scope=scope,
                )
            )
            report.created["roles"] += 1
    if errors:
        raise RosterInvalid(errors)
    await session.flush()
    return report


async def _find_person(session: AsyncSession, row: PersonRow) -> Person | None:
    for column, value in (
        (Person.email, row.email),
        (Person.aad_object_id, row.aad_object_id),
        (Person.teams_user_id, row.teams_user_id),
    ):
        if value:
            person = await session.scalar(select(Person).where(column == value))
            if person is not None:
                return person
    return None
