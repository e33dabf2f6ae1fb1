"""Nothing accepted is lost: every outgoing message is a row before it is a request.

Turn replies, card updates, proactive posts and reminders are all written to the outbox
(storage/outbox.py) in the transaction that decided to send them, then sent right after the
commit as before (`try_now`): the queue is for what fails. A send refused past the quick
retries (Teams down, throttled, timing out) stays queued; the drain loop of every process
retries it with capped exponential backoff (Retry-After first) until it is delivered or too
old to matter — a reply after `outbox_reply_max_age_seconds`, a reminder after its grace
period, a card update never (a newer state replaces it). While a service URL keeps failing,
one request probes it and the rest wait, so an outage costs a request per backoff step, not
one per queued message.

A row is claimed by one sender right before its request leaves and released when an answer
comes back, so a row whose claim outlived its owner (a process killed mid-request) is the only
one whose fate is unknown: a card update is sent again (it is idempotent); any other message
is dropped as uncertain, with a log line and the feature told, never sent twice.

Delivered rows are deleted in batches in the background: a turn pays one INSERT in its own
transaction, not a second unit of work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbound import (
    RETRYABLE,
    ConversationGone,
    DeliveryFailed,
    DeliveryRefused,
    Outbound,
    RetryPolicy,
    Target,
)
from storage import outbox as store
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

Kind = Literal["send", "reply", "update"]

# While a service URL keeps failing, one request finds out at most this often whether it is
# back; once it is, every queued message is due at once (not at the end of its own backoff).
PROBE_EVERY = 10.0


@dataclass(frozen=True)
class Message:
    """A message to send: where, what, and what to record once it is delivered."""

    kind: Kind
    target: Target
    body: dict[str, Any]
    # reply: the activity replied to; update: the activity replaced.
    activity_id: str | None = None
    # "<handler>:<argument>": told the outcome when the drain loop delivers (or drops) it.
    on_sent: str | None = None
    # update: one queued state per card.
    card_key: str | None = None
    # None: kept until delivered.
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    status: Literal["sent", "gone", "given up", "uncertain"]
    activity_id: str | None = None
    reason: str | None = None
    # Sent in line right after the commit that queued it (its sender saw the answer too).
    in_line: bool = False
    # Teams' HTTP answer, when there was one (403 or 404 for "gone").
    code: int | None = None


# Runs in the unit of work that removes the row: what it records commits with the removal.
Handler = Callable[[AsyncSession, str, Outcome], Awaitable[None]]


@dataclass(frozen=True)
class Ticket:
    """A staged row and its message: what `try_now` needs after the commit."""

    staged: store.Staged
    message: Message
    claimed: bool


@dataclass
class Backoff:
    base: float = 1.0
    cap: float = 30.0

    def delay(self, attempts: int) -> float:
        raw: float = min(self.cap, self.base * (2 ** max(0, attempts - 1)))
        return raw * random.uniform(0.5, 1.0)


@dataclass
class _Host:
    """A service URL that keeps failing: nothing goes until `until`, then one probe."""

    failures: int = 0
    until: float = 0.0
    probe: int | None = None


@dataclass
class Stats:
    delivered: int = 0
    queued: int = 0
    given_up: int = 0
    uncertain: int = 0
    last_error: str | None = None


class Outbox:
    def __init__(
        self,
        database: Database,
        outbound: Outbound,
        clock: Callable[[], datetime],
        *,
        backoff: Backoff | None = None,
        poll_seconds: float = 1.0,
        concurrency: int = 32,
        lease: timedelta | None = None,
        quick: RetryPolicy | None = None,
        exclusive: bool = False,
    ) -> None:
        """`exclusive`: no other process shares the database (SQLite), so a claim left by
        another owner is a dead process's, without waiting for its lease to run out."""
        self.exclusive = exclusive
        self.database = database
        self.outbound = outbound
        self.clock = clock
        self.owner = uuid.uuid4().hex
        self.backoff = backoff or Backoff()
        self.poll_seconds = poll_seconds
        # Longer than any one request may take (the connector timeout), so a live sender's
        # claim never runs out under it.
        self.lease = lease or timedelta(seconds=max(10.0, 2 * outbound.timeout_seconds + 5))
        # The in-line attempt right after the commit: a retry or two for a brief 429 or 5xx,
        # then the queue (the turn does not wait out an outage).
        self.quick = quick or RetryPolicy(attempts=2, base_delay=0.25, max_delay=2.0)
        self.stats = Stats()
        self._handlers: dict[str, Handler] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()
        self._busy_conversations: dict[str, int] = {}
        # Conversations with messages this process queued (their row ids): later messages to
        # them queue behind, so they keep their order.
        self._queued_rows: dict[str, set[int]] = {}
        self._hosts: dict[str, _Host] = {}
        # Rows this process holds whose request failed but whose release did not reach the
        # database: not sent, so sent again (not "uncertain") once the claim runs out.
        self._unreleased: set[int] = set()
        # Card updates cut short by shutdown, released at close (see `_cancelled`).
        self._to_release: set[int] = set()
        # Sent in line, to be removed (and their `on_sent` told) in one batch.
        self._delivered: list[tuple[store.Staged, Message, str | None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._depth_read: asyncio.Task[tuple[int, datetime | None]] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._closing = False

    # --- what features use ------------------------------------------------------------------

    def on(self, name: str, handler: Handler) -> None:
        """Register what `on_sent="<name>:…"` means (a feature does, at start-up)."""
        self._handlers[name] = handler

    def stage(self, session: AsyncSession, message: Message, *, claim: bool) -> OutboxMessage:
        """Write `message` into the caller's transaction. With `claim`, this process holds it
        for the in-line attempt after the commit (no second write to take it)."""
        now = self.clock()
        if claim and (
            self._queued_rows.get(message.target.conversation_id)
            or not self._host_healthy(message.target.service_url)
        ):
            # An earlier message to that conversation is queued (keep the order), or Teams is
            # failing there: the drain loop sends it, the turn does not wait on an outage.
            claim = False
        row = _row_of(
            message,
            now,
            claimed_by=self.owner if claim else None,
            claimed_until=now + self.lease if claim else None,
        )
        store.stage(session, row)
        return row

    def ticket_of(self, row: OutboxMessage, message: Message) -> Ticket:
        """What `try_now` needs, once the transaction that staged `row` has committed."""
        if row.id is None:
            raise RuntimeError("the outbox row has not been written yet")
        return Ticket(store.Staged(row.id, row.revision), message, row.claimed_by == self.owner)

    async def stage_card(self, session: AsyncSession, message: Message) -> Ticket:
        """The latest state of a card, replacing any older one still queued."""
        now = self.clock()
        # put_card decides who holds it; the lease is there for when this process does.
        row = _row_of(
            replace(message, kind="update", expires_at=None),
            now,
            claimed_by=None,
            claimed_until=now + self.lease,
        )
        staged, claimed = await store.put_card(
            session,
            row,
            claimed_by=self.owner,
            under_way=self._in_flight,
            take=self._host_healthy(message.target.service_url),
        )
        if not claimed:
            self._wake.set()
            return Ticket(staged, message, False)
        return Ticket(staged, message, True)

    async def hand_over(self, ticket: Ticket) -> None:
        """A staged message its sender will not try after all: the drain loop sends it."""
        if not ticket.claimed:
            return
        try:
            async with self.database.unit_of_work() as session:
                await store.release(
                    session, ticket.staged.id, self.owner, next_attempt_at=self.clock(), error=None
                )
        except Exception as error:  # its claim runs out; then it is recorded uncertain
            log.warning("outbox row %s not handed over: %s", ticket.staged.id, error)
        self._wake.set()

    async def try_now(self, ticket: Ticket, *, claim_first: bool = False) -> str | None:
        """After the commit: send a staged message now. Returns the new activity id (an
        update returns its own), or None when it stays queued for the drain loop.

        A ticket staged unclaimed is left to the drain loop, unless `claim_first`: then it
        is claimed once the rate limits let it go, right before its request (a reminder
        fan-out, where a crash must leave only requests really under way uncertain).
        ConversationGone and DeliveryFailed (an answer retrying cannot change) are raised for
        the caller to handle as before; the row is dropped then."""
        staged, message = ticket.staged, ticket.message
        if (
            staged.id in self._in_flight
            or not (ticket.claimed or claim_first)
            or (not ticket.claimed and not self._host_healthy(message.target.service_url))
        ):
            self._wake.set()  # the drain loop sends it (one probe while Teams keeps failing)
            return None
        claimed = ticket.claimed

        async def reserve() -> bool:
            nonlocal claimed
            if not self._may_try(staged.id, message):
                return False
            now = self.clock()
            async with self.database.unit_of_work() as session:
                claimed = await store.claim(session, staged.id, self.owner, now + self.lease, now)
            return claimed

        conversation = message.target.conversation_id
        self._in_flight.add(staged.id)
        self._busy(conversation, +1)
        try:
            result = await self._request(
                message, self.quick, reserve=None if ticket.claimed else reserve
            )
        except asyncio.CancelledError:
            self._cancelled(staged.id, message, claimed)
            raise
        except ConversationGone as error:
            await self._drop_quietly(
                staged.id, message, Outcome("gone", reason=str(error), code=error.status)
            )
            raise
        except DeliveryRefused as error:
            await self._drop_quietly(staged.id, message, Outcome("given up", reason=str(error)))
            raise
        except DeliveryFailed as error:
            if not claimed:
                return None
            if _final(error):
                await self._drop_quietly(staged.id, message, Outcome("given up", reason=str(error)))
                raise
            # A claim made by `reserve` counted the attempt already; one made at staging did not.
            await self._requeue(staged, message, error, attempts=1, count=ticket.claimed)
            return None
        finally:
            self._in_flight.discard(staged.id)
            self._busy(conversation, -1)
        if not claimed:
            return None  # the drain loop took it first
        self._host_ok(message.target.service_url)
        sent_id = result if message.kind != "update" else message.activity_id
        self._delivered.append((staged, message, sent_id))
        self.stats.delivered += 1
        return sent_id

    # --- the drain loop ----------------------------------------------------------------------

    async def start(self) -> None:
        self._runner = asyncio.get_running_loop().create_task(self._run())
        self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._depth_read is not None and not self._depth_read.done():
            self._depth_read.cancel()
        for task in (self._runner, self._flusher):
            if task is not None:
                task.cancel()
        await asyncio.gather(
            *(t for t in (self._runner, self._flusher) if t is not None), return_exceptions=True
        )
        # Requests under way finish (each within the connector timeout), so what they
        # delivered is recorded and what failed is released, not left claimed.
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.outbound.timeout_seconds + 5)
        try:
            while self._delivered:
                await self._flush()
            if self._to_release:
                async with self.database.unit_of_work() as session:
                    for row_id in self._to_release:
                        await store.release(
                            session, row_id, self.owner, next_attempt_at=self.clock(), error=None
                        )
                self._to_release.clear()
        except Exception as error:  # their claims run out; the next start settles them
            log.warning(
                "outbox: %d delivered row(s) not removed at shutdown: %s",
                len(self._delivered),
                type(error).__name__,
            )

    def wake(self) -> None:
        self._wake.set()

    async def wait_delivered(self) -> None:
        """Until the batch of delivered rows is removed (tests and benchmarks)."""
        while self._delivered:
            await self._flush()

    async def wait_empty(self, within: float = 30.0) -> None:
        """Until nothing is queued or under way (tests, benchmarks, a graceful drain)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            await self.wait_delivered()
            if not self._tasks and not self._in_flight and (await self.depth())[0] == 0:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"the outbox still holds messages after {within}s")
            await asyncio.sleep(0.02)

    async def health(self, within: float) -> dict[str, Any]:
        """For /healthz: the queue's depth and its oldest message's age (None when the
        database did not answer within `within` seconds), and this process's counts."""
        queued: int | None = None
        oldest_seconds: float | None = None
        # One read in flight at a time, never cancelled (cancelling a query on a hung
        # connection waits for the connection): a check that comes meanwhile waits for it.
        if self._depth_read is None or self._depth_read.done():
            self._depth_read = asyncio.get_running_loop().create_task(self.depth())
            # Its failure is read here (a database away is /healthz's "database" to report).
            self._depth_read.add_done_callback(lambda t: t.cancelled() or t.exception())
        read = self._depth_read
        await asyncio.wait({read}, timeout=within)
        if read.done() and not read.cancelled() and read.exception() is None:
            queued, oldest = read.result()
            if oldest is not None:
                oldest_seconds = round((self.clock() - oldest).total_seconds(), 1)
        return {
            "queued": queued,
            "oldest_queued_seconds": oldest_seconds,
            "delivered": self.stats.delivered,
            "queued_after_a_failure": self.stats.queued,
            "given_up": self.stats.given_up,
            "uncertain": self.stats.uncertain,
            "last_error": self.stats.last_error,
        }

    async def depth(self) -> tuple[int, datetime | None]:
        async with self.database.unit_of_work() as session:
            return await store.depth(session)

    async def _run(self) -> None:
        while not self._closing:
            try:
                started = await self._pass()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: try again on the next tick
                log.warning("outbox pass failed: %s", type(error).__name__)
                started = 0
            if started:
                await asyncio.sleep(0)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._idle_wait())

    def _idle_wait(self) -> float:
        now = asyncio.get_running_loop().time()
        waits = [h.until - now for h in self._hosts.values() if h.until > now]
        return max(0.05, min([self.poll_seconds, *waits]))

    async def _pass(self) -> int:
        now = self.clock()
        async with self.database.unit_of_work() as session:
            rows = await store.due(
                session, now, limit=200, only_owner=self.owner if self.exclusive else None
            )
        if self._queued_rows:
            await self._forget_drained_conversations()
        waiting_record = {staged.id for staged, _, _ in self._delivered}
        started = 0
        for row in rows:
            if row.id in self._in_flight or self._busy_conversations.get(row.conversation_id):
                continue
            if row.id in waiting_record:
                continue  # delivered; its batch records it
            mine = row.claimed_by == self.owner and row.id in self._unreleased
            try:
                if row.claimed_by is not None and row.kind != "update" and not mine:
                    await self._settle_abandoned(row)
                    started += 1
                    continue
                if row.expires_at is not None and row.expires_at < now:
                    await self._give_up(row, "too old to matter: past its expiry while queued")
                    started += 1
                    continue
            except Exception as error:  # one row's trouble does not stop the others
                if _database_away(error):
                    raise
                log.error("outbox row %s could not be settled: %s", row.id, error)
                continue
            if not self._host_open(row):
                continue
            await self._slots.acquire()
            self._in_flight.add(row.id)
            self._busy(row.conversation_id, +1)
            task = asyncio.get_running_loop().create_task(self._deliver(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    async def _deliver(self, row: OutboxMessage) -> None:
        message = _message_of(row)
        staged = store.Staged(row.id, row.revision)
        claimed = False

        async def reserve() -> bool:
            nonlocal claimed
            if not self._may_try(row.id, message):
                return False  # Teams began failing while it waited its turn: stays queued
            now = self.clock()
            async with self.database.unit_of_work() as session:
                claimed = await store.claim(
                    session, row.id, self.owner, now + self.lease, now, exclusive=self.exclusive
                )
            return claimed

        try:
            try:
                result = await self._request(message, RetryPolicy(attempts=1), reserve=reserve)
            except asyncio.CancelledError:
                self._cancelled(row.id, message, claimed)
                raise
            except ConversationGone as error:
                await self._settle(
                    row, Outcome("gone", reason=f"answered {error.status}", code=error.status)
                )
                return
            except DeliveryRefused as error:
                await self._settle(row, Outcome("given up", reason=str(error)))
                return
            except DeliveryFailed as error:
                if not claimed:
                    return
                if _final(error):
                    await self._settle(row, Outcome("given up", reason=str(error)))
                    return
                await self._requeue(staged, message, error, attempts=row.attempts + 1, count=False)
                return
            if not claimed:
                return  # another sender took it first
            self._host_ok(message.target.service_url)
            sent_id = result if message.kind != "update" else message.activity_id
            try:
                async with self.database.unit_of_work() as session:
                    if await store.finish(session, row.id, row.revision):
                        await self._tell(session, row, Outcome("sent", activity_id=sent_id))
                    else:  # a newer card state replaced the body meanwhile: send that one too
                        await store.release(
                            session, row.id, self.owner, next_attempt_at=self.clock(), error=None
                        )
            except Exception:
                # Delivered: the batch records it once the database answers (not "uncertain").
                self._delivered.append((staged, message, sent_id))
                raise
            self.stats.delivered += 1
            self._unqueue(row.conversation_id, row.id)
            self._unreleased.discard(row.id)
        except Exception as error:  # the database went away mid-way: the claim runs out
            log.warning("outbox row %s: %s", row.id, type(error).__name__)
        finally:
            self._in_flight.discard(row.id)
            self._busy(row.conversation_id, -1)
            self._slots.release()
            host = self._hosts.get(_host_of(row.service_url))
            if host is not None and host.probe == row.id:
                host.probe = None
            self._wake.set()

    async def _request(
        self,
        message: Message,
        retry: RetryPolicy,
        *,
        reserve: Callable[[], Awaitable[bool]] | None = None,
    ) -> str | None:
        target, body = message.target, message.body
        if message.kind == "update":
            assert message.activity_id
            await self.outbound.update(
                target, message.activity_id, body, retry=retry, reserve=reserve
            )
            return message.activity_id
        if message.kind == "reply" and message.activity_id:
            return await self.outbound.reply(
                target, message.activity_id, body, retry=retry, reserve=reserve
            )
        return await self.outbound.send(target, body, retry=retry, reserve=reserve)

    # --- what happens to a row that did not go --------------------------------------------------

    async def _requeue(
        self,
        staged: store.Staged,
        message: Message,
        error: DeliveryFailed,
        *,
        attempts: int,
        count: bool,
    ) -> None:
        delay = error.retry_after if error.retry_after is not None else self.backoff.delay(attempts)
        delay = min(delay, self.backoff.cap)
        if error.status != 429:  # throttling is about us; anything else about Teams' side
            self._host_failed(message.target.service_url, delay)
        when = self.clock() + timedelta(seconds=delay)
        try:
            async with self.database.unit_of_work() as session:
                await store.release(
                    session,
                    staged.id,
                    self.owner,
                    next_attempt_at=when,
                    error=str(error),
                    count_attempt=count,
                )
        except Exception as db_error:  # the claim runs out and a later pass sends it
            self._unreleased.add(staged.id)
            log.warning("outbox row %s not released: %s", staged.id, type(db_error).__name__)
        if attempts == 1:
            self.stats.queued += 1
            self._queued_rows.setdefault(message.target.conversation_id, set()).add(staged.id)
        self.stats.last_error = str(error)
        log.info(
            "%s to %s queued (attempt %d: %s); next try in %.1fs",
            message.kind,
            message.target.conversation_id[:80],
            attempts,
            error,
            delay,
        )
        self._wake.set()

    async def _settle_abandoned(self, row: OutboxMessage) -> None:
        """A claim that outlived its owner: the request may have reached Teams."""
        await self._settle(
            row,
            Outcome("uncertain", reason="in flight when its sender stopped; not sent again"),
        )

    async def _give_up(self, row: OutboxMessage, why: str) -> None:
        await self._settle(row, Outcome("given up", reason=why))

    async def _settle(self, row: OutboxMessage, outcome: Outcome) -> None:
        async with self.database.unit_of_work() as session:
            await store.drop(session, row.id)
            await self._tell(session, row, outcome)
        self._unqueue(row.conversation_id, row.id)
        self._unreleased.discard(row.id)
        if outcome.status == "uncertain":
            self.stats.uncertain += 1
        elif outcome.status != "sent":
            self.stats.given_up += 1
        log.warning(
            "%s to %s %s after %d attempt(s): %s (queued since %s, last error: %s)",
            row.kind,
            row.conversation_id[:80],
            outcome.status,
            row.attempts,
            outcome.reason,
            row.created_at.isoformat(timespec="seconds"),
            row.last_error,
        )

    async def _drop_quietly(self, row_id: int, message: Message, outcome: Outcome) -> None:
        """A message refused for good in line: the caller hears it (raised), and `on_sent` is
        told in the transaction that removes the row, so a crash cannot leave one without the
        other."""
        try:
            async with self.database.unit_of_work() as session:
                await store.drop(session, row_id)
                if message.on_sent:
                    await self._tell_on_sent(session, message.on_sent, outcome)
        except Exception as error:
            log.warning(
                "outbox row %s (%s) not dropped: %s", row_id, outcome.reason, type(error).__name__
            )

    async def _tell(self, session: AsyncSession, row: OutboxMessage, outcome: Outcome) -> None:
        if row.on_sent:
            await self._tell_on_sent(session, row.on_sent, outcome)

    async def _tell_on_sent(self, session: AsyncSession, on_sent: str, outcome: Outcome) -> None:
        """Run `on_sent`'s handler in a savepoint: a handler that fails loses its own record
        (logged), never the removal of the row or the rest of its batch."""
        name, _, argument = on_sent.partition(":")
        handler = self._handlers.get(name)
        if handler is None:
            log.warning("outbox: no handler for %r", on_sent)
            return
        try:
            async with session.begin_nested():
                await handler(session, argument, outcome)
        except Exception as error:
            if _database_away(error):
                raise
            log.error("outbox: %r told %s failed: %s", on_sent, outcome.status, error)

    # --- bookkeeping ----------------------------------------------------------------------------

    def _cancelled(self, row_id: int, message: Message, claimed: bool) -> None:
        """A request cut short by shutdown. An update is safe to send again: its claim is
        released at close. Anything else may have reached Teams: its claim stays, and the
        next sender records it as uncertain."""
        if claimed and message.kind == "update":
            self._to_release.add(row_id)

    def _busy(self, conversation: str, change: int) -> None:
        _count(self._busy_conversations, conversation, change)

    async def _forget_drained_conversations(self) -> None:
        async with self.database.unit_of_work() as session:
            still = await store.conversations_with_rows(session, list(self._queued_rows))
        for conversation in list(self._queued_rows):
            if conversation not in still:
                del self._queued_rows[conversation]

    def _unqueue(self, conversation: str, row_id: int) -> None:
        rows = self._queued_rows.get(conversation)
        if rows is not None:
            rows.discard(row_id)
            if not rows:
                del self._queued_rows[conversation]

    def _may_try(self, row_id: int, message: Message) -> bool:
        """Right before a request: not while its service URL fails, unless it is the probe."""
        host = self._hosts.get(_host_of(message.target.service_url))
        return host is None or host.probe == row_id

    def _host_healthy(self, service_url: str) -> bool:
        return _host_of(service_url) not in self._hosts

    def _host_open(self, row: OutboxMessage) -> bool:
        host = self._hosts.get(_host_of(row.service_url))
        if host is None:
            return True
        if host.probe is not None or asyncio.get_running_loop().time() < host.until:
            return False
        host.probe = row.id  # one request finds out whether it is back
        return True

    def _host_failed(self, service_url: str, delay: float) -> None:
        host = self._hosts.setdefault(_host_of(service_url), _Host())
        host.failures += 1
        host.until = asyncio.get_running_loop().time() + min(
            PROBE_EVERY, self.backoff.cap, max(delay, self.backoff.delay(host.failures))
        )

    def _host_ok(self, service_url: str) -> None:
        if self._hosts.pop(_host_of(service_url), None) is not None:
            # The probe got through: Teams is back. What waits out a backoff goes now.
            task = asyncio.get_running_loop().create_task(self._recovered())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _recovered(self) -> None:
        try:
            async with self.database.unit_of_work() as session:
                moved = await store.due_now(session, self.clock())
        except Exception as error:
            log.warning("outbox: could not bring queued messages forward: %s", error)
            return
        log.info("outbox: Teams answers again; %d queued message(s) due now", moved)
        self._wake.set()

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            try:
                await self._flush()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("outbox: delivered rows not removed yet: %s", type(error).__name__)

    async def _flush(self) -> None:
        """Remove rows sent in line, telling their `on_sent` in the same transaction (what a
        caller records itself, e.g. a card's activity id, may not have committed yet)."""
        if not self._delivered:
            return
        batch, self._delivered = self._delivered[:500], self._delivered[500:]
        try:
            async with self.database.unit_of_work() as session:
                done, superseded = await store.finish_many(
                    session, [staged for staged, _, _ in batch]
                )
                for staged, message, sent_id in batch:
                    if message.on_sent and staged.id in done:
                        await self._tell_on_sent(
                            session, message.on_sent, Outcome("sent", sent_id, in_line=True)
                        )
                for kept in superseded:  # a newer card state arrived while this one went
                    if kept.id in self._in_flight:
                        continue  # and is being sent now
                    await store.release(
                        session, kept.id, self.owner, next_attempt_at=self.clock(), error=None
                    )
        except BaseException:
            self._delivered[:0] = batch
            raise
        if superseded:
            self._wake.set()


def _count(counts: dict[str, int], key: str, change: int) -> None:
    value = counts.get(key, 0) + change
    if value > 0:
        counts[key] = value
    else:
        counts.pop(key, None)


def _database_away(error: BaseException) -> bool:
    from storage.db import is_unavailable_error

    return is_unavailable_error(error)


def _final(error: DeliveryFailed) -> bool:
    """An answer retrying cannot change (400, 401, 413…): the message is given up."""
    return bool(error.status) and error.status not in RETRYABLE


def _host_of(service_url: str) -> str:
    return urlsplit(service_url).netloc.lower()


def _row_of(
    message: Message, now: datetime, *, claimed_by: str | None, claimed_until: datetime | None
) -> OutboxMessage:
    """A new outbox row for `message`, due now."""
    draft = store.Draft(
        kind=message.kind,
        service_url=message.target.service_url,
        conversation_id=message.target.conversation_id,
        tenant_id=message.target.tenant_id,
        body=message.body,
        activity_id=message.activity_id,
        card_key=message.card_key,
        on_sent=message.on_sent,
        expires_at=message.expires_at,
    )
    return store.new_row(draft, now, claimed_by=claimed_by, claimed_until=claimed_until)


def _message_of(row: OutboxMessage) -> Message:
    return Message(
        kind=row.kind,  # type: ignore[arg-type]
        target=Target(row.service_url, row.conversation_id, row.tenant_id),
        body=row.body,
        activity_id=row.activity_id,
        on_sent=row.on_sent,
        card_key=row.card_key,
        expires_at=row.expires_at,
    )
