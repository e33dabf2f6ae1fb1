"""Polls as plain data: the one-line form, validation, ballots, the tally, the card's view and
the CSV export."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from domain.numbers import parse_int
from domain.text import comparison_key, counted, quote, strip_invisible
from domain.when import DEFAULT_LOCALE, WhenError, parse_when

MIN_OPTIONS = 2
MAX_OPTIONS = 10
MAX_QUESTION = 300
MAX_OPTION = 120

_FLAG = re.compile(r"(?:^|\s)--(?P<name>[a-z-]+)", re.IGNORECASE)


class PollError(ValueError):
    """Input that cannot make a poll or a vote; the message is the reply to the user."""


@dataclass(frozen=True)
class PollSpec:
    question: str
    options: tuple[str, ...]
    multi: bool = False
    anonymous: bool = False
    closes_at: datetime | None = None


def clean(text: str) -> str:
    """Text as typed, less invisible characters and extra spaces: what is stored and shown."""
    return " ".join(strip_invisible(text).split())


def validate_question(question: str) -> str:
    question = clean(question)
    if not question:
        raise PollError("The poll needs a question.")
    if len(question) > MAX_QUESTION:
        raise PollError(
            f"The question is {len(question)} characters long; keep it under {MAX_QUESTION + 1}."
        )
    return question


def validate_options(options: Iterable[str]) -> tuple[str, ...]:
    cleaned = [clean(option) for option in options]
    if any(not option for option in cleaned):
        raise PollError(
            "One of the options is empty. Separate options with | and leave none blank."
        )
    if len(cleaned) < MIN_OPTIONS:
        raise PollError(f"A poll needs at least {MIN_OPTIONS} options.")
    if len(cleaned) > MAX_OPTIONS:
        raise PollError(
            f"A poll can have at most {MAX_OPTIONS} options; this one has {len(cleaned)}."
        )
    for option in cleaned:
        if len(option) > MAX_OPTION:
            raise PollError(
                f"The option {quote(option, 40)} is too long; keep options under {MAX_OPTION + 1} characters."
            )
    # Options that read the same (case, spacing, full-width letters, zero-width characters,
    # Cyrillic or Greek look-alikes) would split the votes between two identical answers.
    seen: dict[str, str] = {}
    for option in cleaned:
        key = comparison_key(option)
        if key in seen:
            first = seen[key]
            both = "" if first == option else f": as {quote(first)} and as {quote(option)}"
            raise PollError(
                f"The option {quote(first)} appears twice{both}. Drop one or make them differ."
            )
        seen[key] = option
    return tuple(cleaned)


def split_options(text: str) -> list[str]:
    """Options typed one per line, or separated by |."""
    if "|" in text:
        return [part.strip() for part in text.split("|")]  # an empty part is reported, not dropped
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class PollParts:
    """What a `poll` line gave when it gave too little for a poll: the dialog asks for the
    rest with these filled in."""

    question: str
    options: tuple[str, ...]
    multi: bool
    anonymous: bool
    closes: str  # as typed; read again when the poll is created


def parse_poll_command(
    text: str, now: datetime, zone: ZoneInfo, *, locale: str = DEFAULT_LOCALE
) -> PollSpec | PollParts:
    """`<question> | <option> | <option> [| …] [--multi] [--anonymous] [--closes <when>]`.

    A line without its question or without two options is not an error: its parts come back
    for the dialog to ask for the rest. Anything else wrong is a PollError (the reply). The
    closing time is read the way `locale` writes dates."""
    flags = list(_FLAG.finditer(text))
    body = text[: flags[0].start()] if flags else text
    multi = anonymous = False
    closes_at: datetime | None = None
    closes = ""
    for index, flag in enumerate(flags):
        end = flags[index + 1].start() if index + 1 < len(flags) else len(text)
        value = text[flag.end() : end].strip()
        name = flag.group("name").lower()
        if name == "multi":
            multi = True
        elif name in ("anonymous", "anon"):
            anonymous = True
        elif name == "closes":
            if not value:
                raise PollError("--closes needs a time, e.g. --closes friday 17:00")
            closes = value
            try:
                closes_at = parse_when(value, now, zone, locale=locale)
            except WhenError as error:
                raise PollError(f"Closing time: {error}") from None
            continue
        else:
            raise PollError(
                f"I don't know the option --{name}. Use --multi, --anonymous or --closes <when>."
            )
        if value:
            raise PollError(f"--{name} takes no value, but {quote(value, 40)} follows it.")
    parts = body.split("|")
    given = [clean(part) for part in parts[1:] if clean(part)]
    if len(parts) < 2 or not clean(parts[0]) or len(given) < MIN_OPTIONS:
        question = clean(parts[0])
        if question:
            validate_question(question)
        return PollParts(question, tuple(given), multi, anonymous, closes)
    return PollSpec(
        question=validate_question(parts[0]),
        options=validate_options(parts[1:]),
        multi=multi,
        anonymous=anonymous,
        closes_at=closes_at,
    )


def parse_choices(raw: object, option_count: int, *, multi: bool) -> tuple[int, ...]:
    """The option indexes of a submitted choice set ("2" or "0,3"), validated."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        values = [str(raw)]
    elif isinstance(raw, str):
        values = [part.strip() for part in raw.split(",") if part.strip()]
    else:
        raise PollError("Pick an option before voting.")
    if not values:
        raise PollError("Pick an option before voting.")
    read = [parse_int(value, low=0, high=option_count - 1) for value in values]
    if any(index is None for index in read):
        raise PollError("That vote names an option this poll does not have.")
    indexes = sorted({index for index in read if index is not None})
    if not multi and len(indexes) > 1:
        raise PollError("This poll takes one choice only.")
    return tuple(indexes)


def anonymous_voter_key(secret: str, poll_id: int, user_id: str) -> str:
    """Enough to keep one ballot per person, with no readable identity next to the ballot."""
    return hmac.new(secret.encode(), f"{poll_id}:{user_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Ballot:
    choices: tuple[int, ...]
    voter_name: str | None = None


@dataclass(frozen=True)
class Tally:
    counts: tuple[int, ...]
    voters: int
    percentages: tuple[int, ...]
    names: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def leaders(self) -> tuple[int, ...]:
        top = max(self.counts, default=0)
        return tuple(i for i, count in enumerate(self.counts) if top and count == top)


def apply_ballot(
    counts: Sequence[int], voters: int, old: Sequence[int] | None, new: Sequence[int]
) -> tuple[list[int], int]:
    """The running counts after one person's ballot goes from `old` (None: first vote) to `new`."""
    updated = list(counts)
    for choice in set(old or ()):
        if 0 <= choice < len(updated):
            updated[choice] -= 1
    for choice in set(new):
        if 0 <= choice < len(updated):
            updated[choice] += 1
    return updated, voters + (1 if old is None else 0)


def tally_from_counts(counts: Sequence[int], voters: int) -> Tally:
    """The tally kept on the poll itself (no names): counts per option and the voter count."""
    percentages = tuple(round(100 * count / voters) if voters else 0 for count in counts)
    return Tally(tuple(counts), voters, percentages, tuple(() for _ in counts))


def tally(option_count: int, ballots: Sequence[Ballot]) -> Tally:
    """Counts per option, the share of voters who chose each, and (named polls) who."""
    counts = [0] * option_count
    names: list[list[str]] = [[] for _ in range(option_count)]
    voters = 0
    for ballot in ballots:
        valid = sorted({choice for choice in ballot.choices if 0 <= choice < option_count})
        if not valid:
            continue
        voters += 1
        for choice in valid:
            counts[choice] += 1
            if ballot.voter_name is not None:
                names[choice].append(ballot.voter_name)
    percentages = tuple(round(100 * count / voters) if voters else 0 for count in counts)
    return Tally(tuple(counts), voters, percentages, tuple(tuple(sorted(n)) for n in names))


class PollFacts(Protocol):
    """What a view needs of a stored poll: the ORM object, or the columns the vote reads."""

    @property
    def id(self) -> int: ...
    @property
    def question(self) -> str: ...
    @property
    def options(self) -> Sequence[str]: ...
    @property
    def multi(self) -> bool: ...
    @property
    def anonymous(self) -> bool: ...
    @property
    def creator_name(self) -> str: ...
    @property
    def closes_at(self) -> datetime | None: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def counts(self) -> Sequence[int] | None: ...
    @property
    def voters(self) -> int: ...


@dataclass(frozen=True)
class PollView:
    id: int
    question: str
    options: tuple[str, ...]
    multi: bool
    anonymous: bool
    creator_name: str
    closes_at: datetime | None
    closed: bool
    tally: Tally


@dataclass(frozen=True)
class Viewer:
    """Whom a poll card is drawn for. The message everyone sees is drawn for EVERYONE (no
    ballot, no rights); one person's own view, answered to their refresh or click and shown to
    them alone, adds their ballot and, for the poll's creator, the creator's buttons."""

    choices: tuple[int, ...] | None = None  # their ballot; None: they have not voted
    creator: bool = False


EVERYONE = Viewer()


def is_closed(poll: PollFacts, now: datetime) -> bool:
    return poll.closed_at is not None or (poll.closes_at is not None and poll.closes_at <= now)


def view_of(poll: PollFacts, now: datetime, poll_tally: Tally | None = None) -> PollView:
    """The card's data from the poll and its running tally (or `poll_tally`, with names)."""
    counts = list(poll.counts or [0] * len(poll.options))
    return PollView(
        id=poll.id,
        question=poll.question,
        options=tuple(poll.options),
        multi=poll.multi,
        anonymous=poll.anonymous,
        creator_name=poll.creator_name,
        closes_at=poll.closes_at,
        closed=is_closed(poll, now),
        tally=poll_tally or tally_from_counts(counts, poll.voters),
    )


def export_csv(view: PollView, as_of: str) -> str:
    """A header naming the poll, its question and when the results were taken (`as_of`, as
    the reader's zone writes it), then option, votes, percent, and for named polls the voters
    of each option. Encode it with a BOM (utf-8-sig): Excel reads a CSV without one in the
    machine's legacy code page and garbles accented names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f"Poll #{view.id}", _csv_safe(view.question)])
    state = "final results" if view.closed else "results so far"
    writer.writerow([state.capitalize(), as_of, counted(view.tally.voters, "voter")])
    writer.writerow([])
    header = ["option", "votes", "percent"]
    if not view.anonymous:
        header.append("voters")
    writer.writerow(header)
    for index, option in enumerate(view.options):
        row: list[object] = [
            _csv_safe(option),
            view.tally.counts[index],
            view.tally.percentages[index],
        ]
        if not view.anonymous:
            row.append("; ".join(_csv_safe(name) for name in view.tally.names[index]))
        writer.writerow(row)
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
