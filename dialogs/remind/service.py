"""The reminders' use cases: set up, list, pause, resume and delete a channel's series, and
deliver one reminder.

Delivery lives here, as a use case the scheduled work calls; jobs.py holds the job source the
scheduler plans from and the catch-up on becoming its leader. Every delivery reserves its key
(series, occurrence, nudge, channel) and writes its message to the outbox (bot/outbox.py) in
one transaction, so a job that fires twice, or a catch-up after a restart, never sends a
reminder twice. A reminder missed while the bot was down is sent once, marked late, within the
grace period; beyond it, it is skipped and logged. One Teams refuses stays queued and is
retried until its grace period ends (then recorded failed, with why). Only a request under way
when the process died is not resent (it may well have reached Teams, and there is no way to
ask): it is recorded as uncertain and logged. At most CONCURRENT_FANOUT (bot/services.py) can
be in that state.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards import Card, card_message
from bot.files import File
from bot.outbound import ConversationGone, DeliveryFailed, Target
from bot.outbox import Message, Outcome
from bot.services import Services
from bot.turn import Turn
from dialogs import once
from dialogs.context import can_write_city, channel_of, has_tag_role, linked_place
from dialogs.remind.cards import (
    OpenItem,
    SeriesLine,
    minutes_missing_card,
    overdue_card,
    reminder_card,
    series_list_card,
    setup_card,
    twin_card,
)
from domain.actions import Item, Kind, Status, overdue_by_owner
from domain.calendar import CalendarError, SeriesInvite, series_invite
from domain.minutes import MeetingType
from domain.numbers import parse_int
from domain.recurrence import (
    KIND_LABELS,
    Nudge,
    Series,
    SeriesError,
    SeriesKind,
    check_series,
    last_nudge,
    meeting_label,
    occurrence,
    rhythm,
    upcoming,
)
from domain.text import escape_markdown as md
from domain.text import slug
from domain.timezones import resolve_zone
from domain.when import WhenError, card_date
from storage import actions as action_store
from storage import channels as channel_store
from storage import finished, people
from storage import outbox as outbox_store
from storage import reminders as reminder_store
from storage.models import ReminderSeries
from storage.reminders import SeriesDraft, series_of

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=2)
# The zone a typed day is read in when the card's zone is not one we know (it is refused then).
DEFAULT_ZONE = "Europe/Brussels"
REMINDER_HANDLER = "reminder"


# --- the series ------------------------------------------------------------------------------------


async def may_manage(turn: Turn) -> str | None:
    """None if this person may manage this channel's series, else why not."""
    place = await linked_place(turn)
    roles = await turn.roles()
    if place.city is not None:
        if can_write_city(roles, place.city.id):
            return None
        return f"Only {md(place.city.name)}'s city representatives and lead expert (or an admin) manage reminders here."
    if place.tag is not None:
        if has_tag_role(roles, place.tag.id):
            return None
        return f"Only the members with a role in {md(place.tag.name)} (or an admin) manage reminders here."
    if not turn.is_channel:  # only a team channel can be linked (dialogs/link)
        return (
            "Reminders go to a team channel linked to a city or TAG, and this chat cannot be "
            "linked: run `remind setup` in your city's or TAG's channel."
        )
    return "Link this channel to its city or TAG first (`link city <name>` or `link tag <name>`)."


async def setup_form(turn: Turn) -> Card:
    """The setup card, in the time zone of what the channel is linked to, a week ahead."""
    place = await linked_place(turn)
    zone = (
        place.city.timezone
        if place.city
        else place.tag.timezone
        if place.tag
        else turn.services.settings.default_timezone
    )
    day = (turn.now().astimezone(ZoneInfo(zone)) + timedelta(days=7)).date()
    return setup_card(day=day, timezone=zone, is_tag=place.tag is not None)


def read_setup_form(
    value: dict[str, Any], now: datetime, locale: str | None = None
) -> dict[str, Any] | list[str]:
    """The submitted setup card as the answers the save takes, or what to fix in it. A day
    typed rather than picked ("15/12") is read as the writer's `locale` writes dates, in the
    series' zone."""
    problems = []
    try:
        kind = SeriesKind(str(value.get("kind")))
    except ValueError:
        kind = None
        problems.append("choose what meets")
    zone = resolve_zone(str(value.get("timezone") or ""))
    if zone is None:
        problems.append("the time zone is not one I know (e.g. Europe/Brussels)")
    try:
        day = card_date(
            value.get("day"), locale=locale, now=now, zone=ZoneInfo(zone or DEFAULT_ZONE)
        )
        at = time.fromisoformat(str(value.get("time") or "")[:5])
        if day is None:
            raise ValueError("no day")
    except WhenError as error:  # a day outside the calendar we keep: say so
        day, at = None, None
        problems.append(str(error))
    except ValueError:
        day, at = None, None
        problems.append("give the first meeting's date and time")
    interval_raw = str(value.get("interval") or "2")
    # Anything but monthly or 1 to 8 weeks becomes 0, which check_series refuses by name.
    interval = None if interval_raw == "monthly" else parse_int(interval_raw, low=1, high=8) or 0
    nudges = [n for n in str(value.get("nudges") or "").split(",") if n]
    if any(n not in {x.value for x in Nudge} for n in nudges):
        problems.append("unknown reminder choice")
    if not nudges:
        problems.append("choose at least one reminder to send")
    text = str(value.get("text") or "").strip()
    if kind is SeriesKind.CUSTOM and not text:
        problems.append("write the text of the custom reminder")
    first_type = str(value.get("first_type") or MeetingType.COMPLETE.value)
    if first_type not in {t.value for t in MeetingType}:
        problems.append("choose which meeting comes first")
    if not problems and kind and day and at and zone:
        series = Series(kind, day, at, zone, interval, MeetingType(first_type))
        try:
            check_series(series)
        except SeriesError as error:
            problems.append(str(error)[0].lower() + str(error)[1:].rstrip("."))
        if occurrence(series, 0) < now - timedelta(days=1):
            problems.append("the first meeting is in the past: give the next one")
    if problems:
        return problems
    return {
        "kind": kind.value if kind else "", "first_type": first_type, "day": str(day), "time": str(at)[:5],
        "timezone": zone, "interval": interval, "nudges": nudges, "text": text or None,
    }  # fmt: skip


async def save_series(turn: Turn, answers: dict[str, Any], key: str) -> tuple[str, Card | None]:
    """Save the series the setup card described, once per dialog instance; the reply. A series
    the channel already has is refused with the existing one's number and a button that
    lists it; nothing is saved."""
    place = await linked_place(turn)
    assert turn.channel_id is not None
    # Before the claim, so a second click of the refused card is refused the same way.
    twin = await identical_series(turn, turn.channel_id, answers)
    if twin is not None:
        turn.mark_dialog_finished()
        return twin
    already = await once.finish(turn, key, "reminder series")
    if already is not None:
        return already, None
    draft = SeriesDraft(
        channel_id=turn.channel_id, city_id=place.city.id if place.city else None,
        tag_id=place.tag.id if place.tag else None, kind=answers["kind"], first_type=answers["first_type"],
        first_day=date.fromisoformat(answers["day"]), at_time=answers["time"], timezone=answers["timezone"],
        interval_weeks=answers["interval"], nudges=answers["nudges"], custom_text=answers["text"],
        created_by=turn.sender.name or turn.sender.user_id, source_key=f"remind|{key}",
        at=turn.now(),
    )  # fmt: skip
    row = await reminder_store.add(turn.session, draft)
    await finished.record(turn.session, key, row.id)
    await turn.commit()
    turn.services.nudge_scheduler()
    series = series_of(row)
    coming = upcoming(series, turn.now() - timedelta(minutes=1), 3)
    lines = "\n\n".join(
        f"• {meeting_label(series, i)}: {moment.astimezone(series.zone):%a %d %b %Y, %H:%M}"
        for i, moment in coming
    )
    return (
        f"Series #{row.id} saved: {KIND_LABELS[series.kind]}, {rhythm(series, row.at_time)}. Next:\n\n{lines}",
        None,
    )


def same_meetings(row: ReminderSeries, answers: dict[str, Any]) -> bool:
    """Whether a stored series and the setup card's answers remind of the same meetings: the
    same kind, text, time of day, zone and rhythm, and the new first meeting is one of the
    stored series' meetings, of the same type (an alternating series in the same phase).
    Which nudges it sends does not matter: the channel would get the same meeting twice."""
    if (row.kind, row.at_time, row.timezone, row.interval_weeks) != (
        answers["kind"], answers["time"], answers["timezone"], answers["interval"],
    ):  # fmt: skip
        return False
    if (row.custom_text or "").strip().casefold() != (answers["text"] or "").strip().casefold():
        return False
    stored = series_of(row)
    new = Series(
        SeriesKind(answers["kind"]), date.fromisoformat(answers["day"]),
        time.fromisoformat(answers["time"]), answers["timezone"], answers["interval"],
        MeetingType(answers["first_type"]),
    )  # fmt: skip
    first = occurrence(new, 0)
    for index, moment in upcoming(stored, first - timedelta(minutes=1), 1):
        return moment == first and meeting_label(stored, index) == meeting_label(new, 0)
    return False


async def identical_series(
    turn: Turn, channel_id: int, answers: dict[str, Any]
) -> tuple[str, Card] | None:
    """Why the series the card describes is not saved (the channel has it already), or None."""
    for row in await reminder_store.of_channel(turn.session, channel_id):
        if same_meetings(row, answers):
            where = place_word(turn)
            state = f" (paused: `remind resume {row.id}` starts it again)" if row.paused else ""
            summary = f"{KIND_LABELS[series_of(row).kind]}, {rhythm(series_of(row), row.at_time)}"
            message = (
                f"{where.capitalize()} already has this series: #{row.id}, {summary}{state}. "
                f"Nothing saved. `remind list` shows it; `remind delete {row.id}` first "
                "if you want to set it up anew."
            )
            return message, twin_card(series_id=row.id, summary=summary)
    return None


def place_word(turn: Turn) -> str:
    """What to call the conversation: "this channel" in a channel, "this chat" elsewhere."""
    return "this channel" if turn.is_channel else "this chat"


async def change(turn: Turn, sub: str, row: ReminderSeries) -> str:
    """`remind delete|pause|resume`: change the series and tell the scheduler; the reply."""
    if sub == "delete":
        await reminder_store.delete(turn.session, row)
        message = f"Series #{row.id} deleted; no more reminders from it."
    elif sub == "pause":
        row.paused, row.updated_at = True, turn.now()
        message = f"Series #{row.id} paused. `remind resume {row.id}` starts it again."
    else:
        place = await linked_place(turn)
        if (row.city_id, row.tag_id) != (
            place.city.id if place.city else None,
            place.tag.id if place.tag else None,
        ):
            return (
                f"Series #{row.id} was set up for what {place_word(turn)} was linked to before; "
                "it stays stopped. `remind setup` makes a new one."
            )
        row.paused, row.disabled_reason, row.updated_at = False, None, turn.now()
        message = f"Series #{row.id} resumed."
    await turn.commit()
    turn.services.nudge_scheduler()
    return message


async def series_list(turn: Turn) -> Card | None:
    """The card of this channel's series; None where there is no channel to list."""
    channel = await channel_of(turn)
    if channel is None:
        return None
    lines = []
    for row in await reminder_store.of_channel(turn.session, channel.id):
        series = series_of(row)
        status = (
            "paused"
            if row.paused
            else f"disabled: {row.disabled_reason}"
            if row.disabled_reason
            else "active"
        )
        coming = tuple(
            (meeting_label(series, i), moment) for i, moment in upcoming(series, turn.now(), 2)
        )
        lines.append(
            SeriesLine(
                row.id, series.kind, status, rhythm(series, row.at_time), coming, status == "active"
            )
        )
    here = place_word(turn)
    return series_list_card(f"Reminder series of {md(channel.name or here)}", lines, here)


async def send_invite(turn: Turn, row: ReminderSeries) -> None:
    """The series as an .ics file (one event repeating by its rule) for the asker's calendar;
    a paused or stopped series gets a reply saying so, and no file."""
    city = await people.city(turn.session, row.city_id) if row.city_id else None
    tag = await people.tag(turn.session, row.tag_id) if row.tag_id else None
    place = city.name if city else tag.name if tag else ""
    invite = SeriesInvite(
        id=row.id, series=series_of(row), place=place, text=row.custom_text, paused=row.paused,
        disabled=row.disabled_reason,
    )  # fmt: skip
    try:
        content = series_invite(invite, turn.now())
    except CalendarError as error:
        await turn.reply(str(error))
        return
    name = f"series-{row.id}" + (f"-{slug(place)}" if place else "") + ".ics"
    await turn.send_file(
        File(name, "text/calendar", content),
        f"Series #{row.id} for your calendar: {KIND_LABELS[invite.series.kind]}, "
        f"{rhythm(invite.series, row.at_time)} (open the file to add it).",
    )


# --- delivery --------------------------------------------------------------------------------------


async def deliver_due(
    services: Services, series_id: int, nudge: Nudge, now: datetime | None = None
) -> str:
    """Send the `nudge` of the most recent occurrence that is due, once. Returns what it did."""
    now = now or services.clock()
    grace = timedelta(seconds=services.settings.reminder_grace_seconds)
    async with services.database.unit_of_work() as session:
        row = await reminder_store.get(session, series_id)
        if row is None or row.paused or row.disabled_reason:
            return "inactive"
        channel = await channel_store.get_by_id(session, row.channel_id)
        if channel is None or not channel.installed:
            return "no channel"
        series = series_of(row)
        found = last_nudge(series, nudge, now)
        if found is None:
            return "nothing due"
        index, due_at = found
        if now - due_at > grace:
            log.info(
                "series %s: %s of %s is %s late, past the grace period; skipped",
                series_id,
                nudge,
                due_at,
                now - due_at,
            )
            return "skipped"
        card = await _content(session, row, series, nudge, index, due_at, now)
        if card is None:
            return "nothing to say"
        occurrence_at = due_at if index < 0 else occurrence(series, index)
        key = f"{series_id}|{occurrence_at.isoformat()}|{nudge.value}|{channel.id}"
        late = now - due_at > LATE_AFTER
        target = Target(channel.service_url, channel.conversation_id, channel.tenant_id)
        channel_pk = channel.id
        # The delivery's key and its outbox row in one transaction: a job that fires twice,
        # or a catch-up after a restart, finds the key and sends nothing.
        if not await reminder_store.claim(
            session, key, series_id, channel_pk, occurrence_at, nudge.value, late=late
        ):
            return "already delivered"
        outbox = services.require_outbox()
        message = Message(
            kind="send",
            target=target,
            body=card_message(card),
            on_sent=f"{REMINDER_HANDLER}:{key}",
            expires_at=due_at + grace,  # past its grace period a reminder no longer helps
        )
        queued = outbox.stage(session, message, claim=False)

    try:
        async with services.fanout_slots:
            # Claimed once the rate limits let it go, right before it leaves: a crash can leave
            # at most the requests under way uncertain, and none is ever sent twice.
            activity_id = await outbox.try_now(outbox.ticket_of(queued, message), claim_first=True)
    except ConversationGone as error:
        async with services.database.unit_of_work() as session:
            await _gone(session, key, channel_pk, target.conversation_id, error.status, now)
        return "gone"
    except DeliveryFailed as error:
        async with services.database.unit_of_work() as session:
            await reminder_store.finish(session, key, "failed", error=str(error))
        log.error("series %s: %s could not be delivered: %s", series_id, nudge, error)
        return "failed"
    if activity_id is None:
        log.info(
            "series %s: %s for %s queued (Teams refused it for now)",
            series_id,
            nudge.value,
            occurrence_at.isoformat(),
        )
        return "queued"
    async with services.database.unit_of_work() as session:
        # Its outbox row goes in the same transaction (not the sender's later batch), so a
        # crash now cannot leave a reminder marked sent with a row that looks in flight. The
        # row first, as the sender's batch does (the other order deadlocks on PostgreSQL).
        await outbox_store.drop(session, queued.id)
        await reminder_store.finish(session, key, "sent", activity_id=activity_id)
    log.info(
        "series %s: %s for %s delivered%s",
        series_id,
        nudge.value,
        occurrence_at.isoformat(),
        " (late)" if late else "",
    )
    return "sent"


async def _gone(
    session: AsyncSession,
    key: str,
    channel_pk: int,
    conversation_id: str,
    status: int | None,
    now: datetime,
) -> None:
    """The bot is no longer in that channel: record it and stop the channel's series."""
    await reminder_store.finish(session, key, "gone", error=f"answered {status}")
    disabled = await reminder_store.disable_channel(
        session, channel_pk, f"bot removed from the channel ({status})", now
    )
    await channel_store.mark_uninstalled(
        session, conversation_id=conversation_id, reason=f"delivery answered {status}"
    )
    log.warning(
        "reminder %s: channel %s answered %s; %d series disabled", key, channel_pk, status, disabled
    )


async def register_settled(services: Services) -> None:
    """What a reminder queued in the outbox records when the drain loop settles it."""

    async def settled(session: AsyncSession, key: str, outcome: Outcome) -> None:
        delivery = await reminder_store.by_key(session, key)
        if delivery is None or delivery.status == "sent":
            return
        if outcome.status == "sent":
            await reminder_store.finish(session, key, "sent", activity_id=outcome.activity_id)
        elif outcome.status == "gone":
            channel = await channel_store.get_by_id(session, delivery.channel_id)
            await _gone(
                session,
                key,
                delivery.channel_id,
                channel.conversation_id if channel else "",
                outcome.code,
                services.clock(),
            )
        else:  # "given up" (past its grace period, or refused for good) or "uncertain"
            status = "uncertain" if outcome.status == "uncertain" else "failed"
            await reminder_store.finish(session, key, status, error=outcome.reason)

    services.require_outbox().on(REMINDER_HANDLER, settled)


async def _content(
    session: AsyncSession,
    row: ReminderSeries,
    series: Series,
    nudge: Nudge,
    index: int,
    due_at: datetime,
    now: datetime,
) -> dict[str, Any] | None:
    late = int((now - due_at).total_seconds() // 60) if now - due_at > LATE_AFTER else 0
    if nudge is Nudge.OVERDUE_WEEKLY:
        return await _overdue_content(session, row, now)
    when = occurrence(series, index)
    label = meeting_label(series, index)
    if nudge is Nudge.MINUTES_MISSING:
        if series.kind is not SeriesKind.ECOSYSTEM or row.city_id is None:
            return None
        day = when.astimezone(series.zone).date()
        if await reminder_store.minutes_recorded(session, row.city_id, day):
            return None
        return minutes_missing_card(series_id=row.id, label=label, when=when)
    recap: list[OpenItem] = []
    if series.kind is SeriesKind.ECOSYSTEM and row.city_id is not None:
        recap = [
            OpenItem(i.text, i.owner_name, i.due_date, i.kind)
            for i in await action_store.open_for_city(session, row.city_id)
        ]
    return reminder_card(
        series_id=row.id, nudge=nudge, kind=series.kind, label=label, when=when, late_by_minutes=late,
        recap=recap[:15], text=row.custom_text,
    )  # fmt: skip


async def _overdue_content(
    session: AsyncSession, row: ReminderSeries, now: datetime
) -> dict[str, Any] | None:
    if row.city_id is None:
        return None
    city = await people.city(session, row.city_id)
    if city is None:
        return None
    rows = await action_store.listing(session, city_ids=[city.id])
    items = [
        Item(r.id, Kind(r.kind), r.text, Status(r.status), r.owner_name, r.due_date, city.name)
        for r in rows
    ]
    zone = ZoneInfo(city.timezone)
    by_owner = overdue_by_owner(items, now, {city.name: zone}, zone)
    if not by_owner:
        return None
    return overdue_card(
        series_id=row.id,
        by_owner=[
            (owner, [OpenItem(i.text, i.owner_name, i.due, i.kind) for i in late])
            for owner, late in by_owner
        ],
    )
