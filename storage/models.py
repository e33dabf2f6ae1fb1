"""SQLAlchemy models: the programme's roster, channels, and the bot's own state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The roles are the roster's (domain/roster.py); re-exported for the code that stores them.
from domain.roster import Role

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class City(Base):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    kind: Mapped[str] = mapped_column(String(20), default="core")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TagMembership(Base):
    __tablename__ = "tag_cities"

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    city_id: Mapped[int] = mapped_column(
        ForeignKey("cities.id", ondelete="CASCADE"), primary_key=True
    )


class Tag(Base):
    """A Thematic Action Group: 5-7 core cities, a mentor city, experts."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(300))
    mentor_city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mentor_city: Mapped[City | None] = relationship(lazy="raise")
    cities: Mapped[list[City]] = relationship(secondary="tag_cities", lazy="raise")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    teams_user_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    aad_object_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoleAssignment(Base):
    """A role of a person, scoped to a city, a TAG, or the whole programme (admin)."""

    __tablename__ = "role_assignments"
    # NULLs are distinct in a PostgreSQL unique index, so the scope is spelled out in a column.
    __table_args__ = (UniqueConstraint("person_id", "role", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(40))


class Channel(Base):
    """A conversation the bot can reach: a team channel, a group chat or a 1:1 chat."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(400), unique=True)
    conversation_type: Mapped[str] = mapped_column(String(20), default="personal")
    channel_id: Mapped[str] = mapped_column(String(40), default="msteams")
    service_url: Mapped[str] = mapped_column(String(400))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(400))
    name: Mapped[str | None] = mapped_column(String(300))
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
    installed: Mapped[bool] = mapped_column(Boolean, default=True)
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)
    uninstalled_at: Mapped[datetime | None] = mapped_column()
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id", ondelete="SET NULL"))
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StateItem(Base):
    """One key of the bot's dialog/conversation state, with an e-tag for optimistic locking."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    etag: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Poll(Base):
    """A quick poll posted as a card; `card_version` counts changes, `synced_version` what the
    card in Teams shows, so a card left behind (crash, throttling) is caught up later."""

    __tablename__ = "polls"
    # Ids are never reused (SQLite reuses the highest after a delete): a button or command
    # naming a deleted one must not act on a newer one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(500), unique=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"))
    conversation_id: Mapped[str] = mapped_column(String(400), index=True)
    service_url: Mapped[str] = mapped_column(String(400))
    activity_id: Mapped[str | None] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(String(400))
    options: Mapped[list[str]] = mapped_column(JSON)
    multi: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    creator_user_id: Mapped[str] = mapped_column(String(200))
    creator_name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None] = mapped_column()
    card_version: Mapped[int] = mapped_column(Integer, default=1)
    synced_version: Mapped[int] = mapped_column(Integer, default=0)
    # The running tally, kept with each vote so a vote costs the same at 5 voters or 5,000;
    # recounted from the ballots when the poll closes.
    counts: Mapped[list[int]] = mapped_column(JSON, default=list)
    voters: Mapped[int] = mapped_column(Integer, default=0)


class PollBallot(Base):
    """One person's current ballot. For anonymous polls `voter_key` is a keyed hash and
    `voter_name` is empty: nothing readable ties the choices to a person."""

    __tablename__ = "poll_ballots"
    __table_args__ = (UniqueConstraint("poll_id", "voter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    voter_key: Mapped[str] = mapped_column(String(200))
    voter_name: Mapped[str | None] = mapped_column(String(200))
    choices: Mapped[list[int]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Stakeholder(Base):
    """A local ecosystem partner of a city (not a Teams user); the register grows as typed."""

    __tablename__ = "stakeholders"
    __table_args__ = (UniqueConstraint("city_id", "key"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Minutes(Base):
    """The minutes of one ecosystem call (or city reps alignment meeting)."""

    __tablename__ = "minutes"
    # Ids are never reused (SQLite reuses the highest after a delete): a button or command
    # naming a deleted one must not act on a newer one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(500), unique=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    meeting_type: Mapped[str] = mapped_column(String(40))
    meeting_date: Mapped[date] = mapped_column(Date)
    stakeholder_group: Mapped[str] = mapped_column(String(120))
    author_user_id: Mapped[str] = mapped_column(String(200))
    author_name: Mapped[str] = mapped_column(String(200))
    stakeholders: Mapped[list[str]] = mapped_column(JSON, default=list)
    reps: Mapped[list[str]] = mapped_column(JSON, default=list)
    recap: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tour: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    next_steps: Mapped[str] = mapped_column(Text, default="")
    next_call: Mapped[date | None] = mapped_column(Date)
    # Where the card was posted (the dialog's conversation until then).
    service_url: Mapped[str | None] = mapped_column(String(400))
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    activity_id: Mapped[str | None] = mapped_column(String(200))
    # Edits bump `card_version`; `synced_version` is what the posted card shows (card sync).
    card_version: Mapped[int] = mapped_column(Integer, default=1)
    synced_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column()


class ActionItem(Base):
    """An action, agreement or commitment, from minutes or a TAG summary, with an owner."""

    __tablename__ = "action_items"
    # Ids are never reused (SQLite reuses the highest after a delete): a button or command
    # naming a deleted one must not act on a newer one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    owner_type: Mapped[str | None] = mapped_column(String(20))
    owner_name: Mapped[str | None] = mapped_column(String(200))
    owner_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    owner_stakeholder_id: Mapped[int | None] = mapped_column(
        ForeignKey("stakeholders.id", ondelete="SET NULL")
    )
    owner_city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id", ondelete="SET NULL"))
    city_id: Mapped[int | None] = mapped_column(
        ForeignKey("cities.id", ondelete="CASCADE"), index=True
    )
    tag_id: Mapped[int | None] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), index=True
    )
    stakeholder_group: Mapped[str | None] = mapped_column(String(120))
    source_type: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    support_needed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionEvent(Base):
    """The history of an item's status: who changed it, when, in which meeting."""

    __tablename__ = "action_events"
    # An Undo button names the event it takes back: ids are never reused.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("action_items.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    by_name: Mapped[str] = mapped_column(String(200))
    source_type: Mapped[str | None] = mapped_column(String(20))
    source_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AgendaTemplate(Base):
    """An agenda template: the programme default (no TAG), or a TAG's own."""

    __tablename__ = "agenda_templates"
    # Ids are never reused (SQLite reuses the highest after a delete): a button or command
    # naming a deleted one must not act on a newer one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[int | None] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    length_minutes: Mapped[int] = mapped_column(Integer, default=60)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agenda(Base):
    """The agenda of one TAG working session, posted to the TAG channel."""

    __tablename__ = "agendas"
    # Ids are never reused (SQLite reuses the highest after a delete): a button or command
    # naming a deleted one must not act on a newer one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(500), unique=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), index=True)
    session_number: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64))
    length_minutes: Mapped[int] = mapped_column(Integer, default=60)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recap: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    owner_user_id: Mapped[str] = mapped_column(String(200))
    owner_name: Mapped[str] = mapped_column(String(200))
    service_url: Mapped[str | None] = mapped_column(String(400))
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    activity_id: Mapped[str | None] = mapped_column(String(200))
    card_version: Mapped[int] = mapped_column(Integer, default=1)
    synced_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When its owner last changed it after posting (None: as posted); the card says "updated".
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class AgendaResponse(Base):
    """One person's "I'll attend" / "can't attend" on an agenda (the last answer counts)."""

    __tablename__ = "agenda_responses"
    __table_args__ = (UniqueConstraint("agenda_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_id: Mapped[int] = mapped_column(ForeignKey("agendas.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    attending: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgendaProposal(Base):
    """An item a TAG member proposes from the agenda card; its owner accepts or declines it."""

    __tablename__ = "agenda_proposals"
    # Ids are never reused (SQLite reuses the highest after a delete): a button or command
    # naming a deleted one must not act on a newer one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_id: Mapped[int] = mapped_column(ForeignKey("agendas.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(Integer)
    by_user_id: Mapped[str] = mapped_column(String(200))
    by_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    source_key: Mapped[str] = mapped_column(String(500), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TagSummary(Base):
    """A mentor's or expert's summary of a TAG working session."""

    __tablename__ = "tag_summaries"
    # Ids are never reused (SQLite reuses the highest after a delete): a button or command
    # naming a deleted one must not act on a newer one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(500), unique=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), index=True)
    session_number: Mapped[int] = mapped_column(Integer)
    key_points: Mapped[str] = mapped_column(Text)
    takeaways: Mapped[list[str]] = mapped_column(JSON)
    support_requested: Mapped[str] = mapped_column(Text, default="")
    next_session: Mapped[date | None] = mapped_column(Date)
    author_user_id: Mapped[str] = mapped_column(String(200))
    author_name: Mapped[str] = mapped_column(String(200))
    service_url: Mapped[str | None] = mapped_column(String(400))
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    activity_id: Mapped[str | None] = mapped_column(String(200))
    # Edits bump `card_version`; `synced_version` is what the posted card shows (card sync).
    card_version: Mapped[int] = mapped_column(Integer, default=1)
    synced_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderSeries(Base):
    """A channel's meeting series: the database is the truth; scheduler jobs derive from it."""

    __tablename__ = "reminder_series"
    # Ids are never reused (SQLite reuses the highest after a delete): a button or command
    # naming a deleted one must not act on a newer one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id", ondelete="SET NULL"))
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    first_type: Mapped[str] = mapped_column(String(40), default="complete_ecosystem")
    first_day: Mapped[date] = mapped_column(Date)
    at_time: Mapped[str] = mapped_column(String(5))  # HH:MM, wall clock in `timezone`
    timezone: Mapped[str] = mapped_column(String(64))
    interval_weeks: Mapped[int | None] = mapped_column(Integer)  # None: monthly
    nudges: Mapped[list[str]] = mapped_column(JSON)
    custom_text: Mapped[str | None] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(200))
    source_key: Mapped[str] = mapped_column(String(500), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderDelivery(Base):
    """The outbox: one row per (series, occurrence, nudge, channel), written before sending."""

    __tablename__ = "reminder_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    series_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_series.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    occurrence_at: Mapped[datetime] = mapped_column()
    nudge: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="sending")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    activity_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class ProcessedActivity(Base):
    """Activity ids already acted on, so a re-delivered create or vote has the effect of one."""

    __tablename__ = "processed_activities"

    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class FinishedDialog(Base):
    """What a dialog instance (or a one-line create) became: its key is claimed with an insert
    before anything is saved, so a second click or a racing delivery finds it and writes nothing."""

    __tablename__ = "finished_dialogs"

    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    # The activity that finished it: a re-delivered last answer typed as text (not a card)
    # arrives when the dialog has ended, and is recognised by this.
    activity_key: Mapped[str | None] = mapped_column(String(500), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExportedFile(Base):
    """A file the bot made for someone (an export, an invite): what its download link serves
    and what the file consent flow uploads. Kept until it expires; a declined consent drops it."""

    __tablename__ = "exported_files"
    # A link names its row's id: an id must never come back for another file.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # Who asked for it (Teams user id) and in which tenant: only they may accept its upload.
    owner_user_id: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Set once the consent flow has put it in the owner's OneDrive.
    uploaded_at: Mapped[datetime | None] = mapped_column()


__all__ = [
    "ActionEvent",
    "ActionItem",
    "Agenda",
    "AgendaProposal",
    "AgendaResponse",
    "AgendaTemplate",
    "Base",
    "Channel",
    "City",
    "ExportedFile",
    "FinishedDialog",
    "Minutes",
    "Person",
    "Poll",
    "PollBallot",
    "ProcessedActivity",
    "ReminderDelivery",
    "ReminderSeries",
    "Role",
    "RoleAssignment",
    "Stakeholder",
    "StateItem",
    "Tag",
    "TagMembership",
    "TagSummary",
    "utcnow",
]


class OutboxMessage(Base):
    """A message the bot has decided to send: a row before it is a request (bot/outbox.py).

    `kind` is send (a new message), reply (into `activity_id`'s thread) or update (replace
    `activity_id`). A card update has a `card_key` (one row per card: a newer state replaces
    the body). `claimed_by`/`claimed_until` mark the one sender whose request may be in
    flight; a claim that outlives its owner means the request may have reached Teams.
    `on_sent` names what to record once it is delivered (e.g. the card's activity id).
    Delivered rows are deleted; rows given up are deleted with a log line saying why.
    """

    __tablename__ = "outbox"
    # Ids are never reused (SQLite would reuse the highest after a delete): a sender that
    # still holds the id of a delivered row must not remove a newer message by it.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    service_url: Mapped[str] = mapped_column(String(400))
    conversation_id: Mapped[str] = mapped_column(String(400), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    activity_id: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    card_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    # Bumped when a newer card state replaces the body: a sender whose request carried an
    # older revision leaves the row queued instead of deleting it.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    on_sent: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime | None] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
