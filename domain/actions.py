"""Actions, agreements and commitments: statuses, overdue, and how typed lines become items.

One model serves ecosystem-call minutes (actions and agreements of a city's stakeholders)
and TAG summaries (the commitments each city makes until the next session).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.text import escape_markdown, quote
from domain.when import DEFAULT_LOCALE, WhenError, parse_date


class Status(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    DROPPED = "dropped"


class Kind(enum.StrEnum):
    ACTION = "action"
    AGREEMENT = "agreement"
    COMMITMENT = "commitment"


class OwnerType(enum.StrEnum):
    STAKEHOLDER = "stakeholder"
    PERSON = "person"
    CITY = "city"


CLOSED = {Status.DONE, Status.DROPPED}
STATUS_LABELS = {
    Status.OPEN: "open",
    Status.IN_PROGRESS: "ongoing",
    Status.DONE: "done",
    Status.BLOCKED: "blocked",
    Status.DROPPED: "dropped",
}
# What the recap of a meeting may set an item to.
RECAP_CHOICES = (Status.DONE, Status.IN_PROGRESS, Status.DROPPED)
MAX_TEXT = 500


class ActionError(ValueError):
    """A typed action that cannot be recorded; the message is the reply."""


@dataclass(frozen=True)
class Item:
    """An action-like item as plain data."""

    id: int
    kind: Kind
    text: str
    status: Status
    owner_name: str | None = None
    due: date | None = None
    city_name: str | None = None


def is_open(status: Status | str) -> bool:
    return Status(status) not in CLOSED


def is_overdue(item: Item, today: date) -> bool:
    """Past its due date (in the owner's city's calendar) and neither done nor dropped."""
    return item.due is not None and item.due < today and is_open(item.status)


def local_today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def overdue(
    items: Iterable[Item], now: datetime, zone_of: Mapping[str, ZoneInfo], default: ZoneInfo
) -> list[Item]:
    """Items overdue where they belong: a city's item by that city's date, not the reader's."""
    return [
        item
        for item in items
        if is_overdue(item, local_today(now, zone_of.get(item.city_name or "", default)))
    ]


def overdue_by_owner(
    items: Iterable[Item], now: datetime, zone_of: Mapping[str, ZoneInfo], default: ZoneInfo
) -> list[tuple[str, list[Item]]]:
    """The overdue items by owner, owners in alphabetical order (the weekly digest)."""
    grouped: dict[str, list[Item]] = {}
    for item in overdue(items, now, zone_of, default):
        grouped.setdefault(item.owner_name or "No owner", []).append(item)
    return sorted(grouped.items(), key=lambda pair: pair[0])


@dataclass(frozen=True)
class Owner:
    type: OwnerType
    name: str


def resolve_owner(
    text: str, stakeholders: Sequence[str], people: Sequence[str], city: str | None
) -> Owner:
    """A typed owner: one of the city's stakeholders, a person of the roster, or the city."""
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        raise ActionError("Who owns it? Name a stakeholder, a person, or the city.")
    for name in stakeholders:
        if name.casefold() == wanted:
            return Owner(OwnerType.STAKEHOLDER, name)
    for name in people:
        if name.casefold() == wanted:
            return Owner(OwnerType.PERSON, name)
    if wanted in ("city", "the city") or (city and wanted == city.casefold()):
        return Owner(OwnerType.CITY, city or "the city")
    known = ", ".join(escape_markdown(name) for name in [*stakeholders, *people][:8])
    hint = f" Known owners include: {known}." if known else ""
    raise ActionError(f"I don't know the owner {quote(text)}.{hint}")


@dataclass(frozen=True)
class DraftAction:
    text: str
    owner: Owner
    due: date | None


def parse_action_lines(
    text: str,
    *,
    stakeholders: Sequence[str],
    people: Sequence[str],
    city: str | None,
    today: date,
    zone: ZoneInfo,
    now: datetime,
    locale: str = DEFAULT_LOCALE,
) -> list[DraftAction]:
    """`<what> | <owner> | <due>` one per line; "none" for no actions. Due dates are read as
    `locale` writes them."""
    if " ".join(text.split()).casefold() in ("none", "no", "-", "nothing"):
        return []
    drafts: list[DraftAction] = []
    for number, line in enumerate((line for line in text.splitlines() if line.strip()), start=1):
        parts = [part.strip() for part in line.split("|")]
        where = f"Line {number}" if "\n" in text.strip() else "That action"
        if len(parts) != 3 or not all(parts):
            raise ActionError(
                f"{where}: write `what | owner | due date`, e.g. `Share the charging data | Energy Agency | 2026-12-15`."
            )
        what, owner_text, due_text = parts
        if len(what) > MAX_TEXT:
            raise ActionError(f"{where}: keep the action under {MAX_TEXT + 1} characters.")
        try:
            owner = resolve_owner(owner_text, stakeholders, people, city)
        except ActionError as error:
            raise ActionError(f"{where}: {error}") from None
        try:
            due = parse_date(due_text, now, zone, locale=locale)
        except WhenError as error:
            raise ActionError(f"{where}: due date: {error}") from None
        if due < today:
            raise ActionError(f"{where}: the due date {due:%d %b %Y} is in the past.")
        drafts.append(DraftAction(what, owner, due))
    return drafts


_PREFIX = re.compile(r"^(?P<who>[^:]{1,120}):\s*(?P<what>.+)$")


def parse_agreement_lines(text: str, stakeholders: Sequence[str]) -> list[tuple[str | None, str]]:
    """Agreements one per line, optionally `Stakeholder: what they agreed`; "none" for none."""
    if " ".join(text.split()).casefold() in ("none", "no", "-", "nothing"):
        return []
    agreements: list[tuple[str | None, str]] = []
    by_name = {name.casefold(): name for name in stakeholders}
    for line in (line.strip() for line in text.splitlines() if line.strip()):
        if len(line) > MAX_TEXT:
            raise ActionError(f"Keep each agreement under {MAX_TEXT + 1} characters.")
        match = _PREFIX.match(line)
        owner = by_name.get(match.group("who").strip().casefold()) if match else None
        agreements.append((owner, match.group("what").strip() if match and owner else line))
    return agreements


@dataclass(frozen=True)
class DraftCommitment:
    city: str
    text: str
    due: date | None


def parse_commitment_lines(
    text: str,
    cities: Sequence[str],
    *,
    today: date,
    zone: ZoneInfo,
    now: datetime,
    locale: str = DEFAULT_LOCALE,
) -> list[DraftCommitment]:
    """`<city> | <commitment> [| <due>]` one per line, the city one of the TAG's; "none" for none.
    Due dates are read as `locale` writes them ("15/12" is 15 December in en-GB)."""
    if " ".join(text.split()).casefold() in ("none", "no", "-", "nothing"):
        return []
    by_name = {city.casefold(): city for city in cities}
    drafts = []
    for number, line in enumerate((line for line in text.splitlines() if line.strip()), start=1):
        parts = [part.strip() for part in line.split("|")]
        where = f"Line {number}" if "\n" in text.strip() else "That commitment"
        if len(parts) not in (2, 3) or not all(parts):
            raise ActionError(
                f"{where}: write `city | commitment | due date` (the due date may be left out)."
            )
        city = by_name.get(" ".join(parts[0].split()).casefold())
        if city is None:
            raise ActionError(
                f"{where}: {quote(parts[0], 40)} is not a city of this TAG ({', '.join(map(escape_markdown, cities))})."
            )
        if len(parts[1]) > MAX_TEXT:
            raise ActionError(f"{where}: keep the commitment under {MAX_TEXT + 1} characters.")
        due = None
        if len(parts) == 3:
            try:
                due = parse_date(parts[2], now, zone, locale=locale)
            except WhenError as error:
                raise ActionError(f"{where}: due date: {error}") from None
            if due < today:
                raise ActionError(f"{where}: the due date {due:%d %b %Y} is in the past.")
        drafts.append(DraftCommitment(city, parts[1], due))
    return drafts
