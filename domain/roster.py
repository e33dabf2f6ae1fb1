"""The programme roster (cities, TAGs, people, roles) as a file: parse it and validate it.

YAML or CSV in, a Roster of plain rows out, every problem with the line it is on. Importing it
into the database is storage/roster.py; the `icc-bot roster` command is cli.py.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from domain.text import slug


class Role(enum.StrEnum):
    """What a person does in the programme; the roster scopes each to a city, a TAG or neither."""

    CITY_REP = "city_rep"
    MENTOR = "mentor"
    LEAD_EXPERT = "lead_expert"
    THEMATIC_EXPERT = "thematic_expert"
    ADMIN = "admin"


CITY_KINDS = ("core", "mentor")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CITY_ROLES = {Role.CITY_REP}
TAG_ROLES = {Role.MENTOR, Role.THEMATIC_EXPERT}
EITHER_ROLES = {Role.LEAD_EXPERT}


@dataclass(frozen=True)
class Where:
    """Where a record came from in the file, for error messages."""

    line: int | None
    path: str

    def __str__(self) -> str:
        return f"line {self.line} ({self.path})" if self.line else self.path


@dataclass
class CityRow:
    name: str
    where: Where
    key: str = ""
    country: str | None = None
    timezone: str = "Europe/Brussels"
    kind: str = "core"


@dataclass
class TagRow:
    name: str
    where: Where
    key: str = ""
    theme: str | None = None
    topic: str | None = None
    mentor_city: str | None = None
    cities: list[str] = field(default_factory=list)
    timezone: str = "Europe/Brussels"


@dataclass
class RoleRow:
    role: str
    where: Where
    city: str | None = None
    tag: str | None = None


@dataclass
class PersonRow:
    name: str
    where: Where
    email: str | None = None
    aad_object_id: str | None = None
    teams_user_id: str | None = None
    timezone: str | None = None
    roles: list[RoleRow] = field(default_factory=list)


@dataclass
class Roster:
    cities: list[CityRow] = field(default_factory=list)
    tags: list[TagRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)


@dataclass(frozen=True)
class RosterError:
    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class RosterInvalid(ValueError):
    def __init__(self, errors: Sequence[RosterError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = list(errors)


# --- parsing -------------------------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that remembers the line of every mapping, as key "__line__"."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping  # type: ignore[return-value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _list_of_mappings(
    doc: dict[str, Any], name: str, errors: list[RosterError]
) -> list[dict[str, Any]]:
    value = doc.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.append(RosterError(Where(doc.get("__line__"), name), "must be a list of entries"))
        return []
    return value


def parse_yaml(text: str) -> Roster:
    try:
        doc = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise RosterInvalid(
            [RosterError(Where(line, "file"), f"not valid YAML: {error}")]
        ) from None
    if not isinstance(doc, dict):
        raise RosterInvalid(
            [RosterError(Where(1, "file"), "expected a mapping with cities, tags and people")]
        )
    errors: list[RosterError] = []
    unknown = set(doc) - {"cities", "tags", "people", "__line__"}
    if unknown:
        errors.append(
            RosterError(Where(1, "file"), f"unknown section(s): {', '.join(sorted(unknown))}")
        )
    roster = Roster()
    for index, item in enumerate(_list_of_mappings(doc, "cities", errors)):
        roster.cities.append(
            CityRow(
                name=_text(item.get("name")) or "",
                where=Where(item.get("__line__"), f"cities[{index}]"),
                key=_text(item.get("key")) or "",
                country=_text(item.get("country")),
                timezone=_text(item.get("timezone")) or "Europe/Brussels",
                kind=_text(item.get("kind")) or "core",
            )
        )
    for index, item in enumerate(_list_of_mappings(doc, "tags", errors)):
        where = Where(item.get("__line__"), f"tags[{index}]")
        cities = item.get("cities") or []
        if not isinstance(cities, list):
            errors.append(RosterError(where, "cities must be a list of city names"))
            cities = []
        roster.tags.append(
            TagRow(
                name=_text(item.get("name")) or "",
                where=where,
                key=_text(item.get("key")) or "",
                theme=_text(item.get("theme")),
                topic=_text(item.get("topic")),
                mentor_city=_text(item.get("mentor_city")),
                cities=[str(city).strip() for city in cities],
                timezone=_text(item.get("timezone")) or "Europe/Brussels",
            )
        )
    for index, item in enumerate(_list_of_mappings(doc, "people", errors)):
        where = Where(item.get("__line__"), f"people[{index}]")
        person = PersonRow(
            name=_text(item.get("name")) or "",
            where=where,
            email=_text(item.get("email")),
            aad_object_id=_text(item.get("aad_object_id")),
            teams_user_id=_text(item.get("teams_user_id")),
            timezone=_text(item.get("timezone")),
        )
        roles = item.get("roles") or []
        if not isinstance(roles, list):
            errors.append(RosterError(where, "roles must be a list"))
            roles = []
        for role_index, role in enumerate(roles):
            role_where = Where(
                role.get("__line__") if isinstance(role, dict) else where.line,
                f"people[{index}].roles[{role_index}]",
            )
            if not isinstance(role, dict):
                errors.append(
                    RosterError(role_where, "a role is a mapping like {role: city_rep, city: X}")
                )
                continue
            person.roles.append(
                RoleRow(
                    role=_text(role.get("role")) or "",
                    where=role_where,
                    city=_text(role.get("city")),
                    tag=_text(role.get("tag")),
                )
            )
        roster.people.append(person)
    if errors:
        raise RosterInvalid(errors)
    return roster


CSV_COLUMNS = (
    "kind", "name", "key", "country", "timezone", "city_kind", "theme", "topic",
    "mentor_city", "cities", "email", "aad_object_id", "teams_user_id", "role", "city", "tag",
)  # fmt: skip


def parse_csv(text: str) -> Roster:
    """One record per row; `kind` is city, tag, person or role (a role row names the person's email).

    Cities of a TAG are separated by ';' in the `cities` column.
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = {"kind", "name"} - set(reader.fieldnames or [])
    if missing:
        raise RosterInvalid(
            [RosterError(Where(1, "header"), f"missing column(s): {', '.join(sorted(missing))}")]
        )
    unknown = set(reader.fieldnames or []) - set(CSV_COLUMNS)
    if unknown:
        raise RosterInvalid(
            [RosterError(Where(1, "header"), f"unknown column(s): {', '.join(sorted(unknown))}")]
        )
    roster = Roster()
    errors: list[RosterError] = []
    people_by_email: dict[str, PersonRow] = {}
    pending_roles: list[tuple[str, RoleRow]] = []
    for row in reader:
        line = reader.line_num
        where = Where(line, f"row {line}")

        def get(column: str, row: dict[str, str | None] = row) -> str | None:
            return _text(row.get(column))

        kind = (get("kind") or "").lower()
        if kind == "city":
            roster.cities.append(
                CityRow(
                    name=get("name") or "",
                    where=where,
                    key=get("key") or "",
                    country=get("country"),
                    timezone=get("timezone") or "Europe/Brussels",
                    kind=get("city_kind") or "core",
                )
            )
        elif kind == "tag":
            roster.tags.append(
                TagRow(
                    name=get("name") or "",
                    where=where,
                    key=get("key") or "",
                    theme=get("theme"),
                    topic=get("topic"),
                    mentor_city=get("mentor_city"),
                    cities=[c.strip() for c in (get("cities") or "").split(";") if c.strip()],
                    timezone=get("timezone") or "Europe/Brussels",
                )
            )
        elif kind == "person":
            person = PersonRow(
                name=get("name") or "",
                where=where,
                email=get("email"),
                aad_object_id=get("aad_object_id"),
                teams_user_id=get("teams_user_id"),
                timezone=get("timezone"),
            )
            roster.people.append(person)
            if person.email:
                people_by_email[person.email.lower()] = person
        elif kind == "role":
            role = RoleRow(role=get("role") or "", where=where, city=get("city"), tag=get("tag"))
            pending_roles.append(((get("email") or "").lower(), role))
        else:
            errors.append(
                RosterError(where, f"kind must be city, tag, person or role, got {kind!r}")
            )
    for email, role in pending_roles:
        owner = people_by_email.get(email)
        if owner is None:
            errors.append(
                RosterError(
                    role.where, f"role for {email or '(no email)'}: no person row with that email"
                )
            )
        else:
            owner.roles.append(role)
    if errors:
        raise RosterInvalid(errors)
    return roster


def parse_file(path: Path) -> Roster:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RosterInvalid(
            [RosterError(Where(None, str(path)), f"cannot read: {error}")]
        ) from None
    if path.suffix.lower() == ".csv":
        return parse_csv(text)
    if path.suffix.lower() in (".yaml", ".yml"):
        return parse_yaml(text)
    raise RosterInvalid(
        [RosterError(Where(None, str(path)), "expected a .yaml, .yml or .csv file")]
    )


# --- validation (pure) ---------------------------------------------------------------------


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def validate(roster: Roster) -> list[RosterError]:
    """Every problem of the file, each with where it is. Fills in the keys derived from names."""
    errors: list[RosterError] = []
    city_keys: set[str] = set()
    for city in roster.cities:
        if not city.name:
            errors.append(RosterError(city.where, "a city needs a name"))
            continue
        city.key = slug(city.key or city.name)
        if city.key in city_keys:
            errors.append(RosterError(city.where, f"city {city.name!r} appears twice"))
        city_keys.add(city.key)
        if not _valid_zone(city.timezone):
            errors.append(RosterError(city.where, f"unknown time zone {city.timezone!r}"))
        if city.kind not in CITY_KINDS:
            errors.append(
                RosterError(city.where, f"city kind must be core or mentor, got {city.kind!r}")
            )
    tag_keys: set[str] = set()
    for tag in roster.tags:
        if not tag.name:
            errors.append(RosterError(tag.where, "a TAG needs a name"))
            continue
        tag.key = slug(tag.key or tag.name)
        if tag.key in tag_keys:
            errors.append(RosterError(tag.where, f"TAG {tag.name!r} appears twice"))
        tag_keys.add(tag.key)
        if not _valid_zone(tag.timezone):
            errors.append(RosterError(tag.where, f"unknown time zone {tag.timezone!r}"))
        if len(set(map(slug, tag.cities))) != len(tag.cities):
            errors.append(RosterError(tag.where, "a city is listed twice in the TAG"))
    emails: set[str] = set()
    ids: set[str] = set()
    for person in roster.people:
        if not person.name:
            errors.append(RosterError(person.where, "a person needs a name"))
        if not (person.email or person.aad_object_id or person.teams_user_id):
            errors.append(
                RosterError(
                    person.where,
                    f"{person.name or 'person'}: give an email, aad_object_id or teams_user_id",
                )
            )
        if person.email:
            if not EMAIL.match(person.email):
                errors.append(RosterError(person.where, f"not an email address: {person.email!r}"))
            person.email = person.email.lower()
            if person.email in emails:
                errors.append(RosterError(person.where, f"email {person.email} appears twice"))
            emails.add(person.email)
        for identifier in (person.aad_object_id, person.teams_user_id):
            if identifier:
                if identifier in ids:
                    errors.append(RosterError(person.where, f"id {identifier} appears twice"))
                ids.add(identifier)
        if person.timezone and not _valid_zone(person.timezone):
            errors.append(RosterError(person.where, f"unknown time zone {person.timezone!r}"))
        for role in person.roles:
            errors.extend(_validate_role(role))
    return errors


def _validate_role(role: RoleRow) -> list[RosterError]:
    try:
        kind = Role(role.role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        return [RosterError(role.where, f"unknown role {role.role!r} (one of {names})")]
    if role.city and role.tag:
        return [RosterError(role.where, f"{kind.value} is scoped to a city or a TAG, not both")]
    if kind in CITY_ROLES and not role.city:
        return [RosterError(role.where, f"{kind.value} needs a city")]
    if kind in TAG_ROLES and not role.tag:
        return [RosterError(role.where, f"{kind.value} needs a tag")]
    if kind in EITHER_ROLES and not (role.city or role.tag):
        return [RosterError(role.where, f"{kind.value} needs a city or a tag")]
    if kind is Role.ADMIN and (role.city or role.tag):
        return [RosterError(role.where, "admin is programme-wide: give no city or tag")]
    return []
