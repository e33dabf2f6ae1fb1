"""Who a Teams user is by e-mail: the Bot Connector's member lookup, cached and bounded.

Teams activities carry a user's Teams id and AAD object id, never their e-mail, so a roster
that knows people by e-mail only learns their ids by asking the connector for the member once
(`GET {serviceUrl}/v3/conversations/{id}/members/{userId}`, what botbuilder's
`TeamsInfo.get_member` does). The ids are then stored on the roster person and later turns
need no lookup. Answers and misses are kept in-process for a while, at most one lookup per
user is in flight, and a global cap bounds them all; when Teams cannot answer, the person
simply has no role for that turn.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.activities import Sender
from bot.outbound import DeliveryError
from storage import people
from storage.models import Person

log = logging.getLogger(__name__)

Fetch = Callable[[str, str, str], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Member:
    """A conversation member as the connector describes them (a TeamsChannelAccount)."""

    id: str
    aad_object_id: str | None = None
    email: str | None = None
    user_principal_name: str | None = None
    tenant_id: str | None = None

    @property
    def addresses(self) -> list[str]:
        return [a for a in (self.email, self.user_principal_name) if a]

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Member | None:
        def text(key: str) -> str | None:
            value = body.get(key)
            return value.strip() if isinstance(value, str) and value.strip() else None

        member_id = text("id")
        if member_id is None:
            return None
        return cls(
            id=member_id,
            aad_object_id=text("aadObjectId"),
            email=text("email"),
            user_principal_name=text("userPrincipalName"),
            tenant_id=text("tenantId"),
        )


class MemberDirectory:
    """Member lookups with an in-process memory of answers and misses.

    An answer (the member, or "not a member") is kept `answer_ttl` seconds; a failure
    (timeout, 5xx) `failure_ttl`, so a struggling connector is not asked on every turn. At most
    `max_entries` users are remembered (the oldest forgotten first), one lookup per user is in
    flight (others wait for it), and when `max_in_flight` lookups are running a new one is not
    started: that turn goes on without knowing who spoke.
    """

    def __init__(
        self,
        fetch: Fetch,
        *,
        answer_ttl: float = 3600.0,
        failure_ttl: float = 60.0,
        max_entries: int = 10_000,
        max_in_flight: int = 8,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._answer_ttl = answer_ttl
        self._failure_ttl = failure_ttl
        self._max_entries = max_entries
        self._max_in_flight = max_in_flight
        self.clock = clock  # public so tests can move time on
        self._known: OrderedDict[str, tuple[float, Member | None]] = OrderedDict()
        self._in_flight: dict[str, asyncio.Task[Member | None]] = {}
        self.asked = 0

    def __len__(self) -> int:
        return len(self._known)

    async def lookup(self, service_url: str, conversation_id: str, user_id: str) -> Member | None:
        known = self._known.get(user_id)
        if known is not None:
            expires, member = known
            if expires > self.clock():
                return member
            del self._known[user_id]
        task = self._in_flight.get(user_id)
        if task is None:
            if len(self._in_flight) >= self._max_in_flight:
                log.warning(
                    "member lookup for %s skipped: %d already running",
                    user_id,
                    len(self._in_flight),
                )
                return None
            task = asyncio.ensure_future(self._ask(service_url, conversation_id, user_id))
            self._in_flight[user_id] = task
            task.add_done_callback(lambda _: self._in_flight.pop(user_id, None))
        # Shielded: a turn that gives up does not cancel the answer others are waiting for.
        return await asyncio.shield(task)

    async def _ask(self, service_url: str, conversation_id: str, user_id: str) -> Member | None:
        self.asked += 1
        try:
            body = await self._fetch(service_url, conversation_id, user_id)
        except DeliveryError as error:
            log.warning("member lookup for %s failed (%s); no role this turn", user_id, error)
            self._remember(user_id, None, self._failure_ttl)
            return None
        member = Member.parse(body) if body is not None else None
        if member is None:
            log.info("member lookup for %s: Teams does not know them here; no role", user_id)
        self._remember(user_id, member, self._answer_ttl)
        return member

    def _remember(self, user_id: str, member: Member | None, ttl: float) -> None:
        self._known[user_id] = (self.clock() + ttl, member)
        self._known.move_to_end(user_id)
        while len(self._known) > self._max_entries:
            self._known.popitem(last=False)


async def recognise(
    session: AsyncSession,
    members: MemberDirectory,
    *,
    service_url: str,
    conversation_id: str,
    sender: Sender,
    found: Person | None,
) -> Person | None:
    """The roster person known only by e-mail who sent this activity, once Teams has said
    which e-mail is theirs; None when the roster has nobody left to match, or Teams does not
    say, or nobody matches. `found` is the row without a role that the ids found, if any."""
    if not sender.user_id or not await people.has_email_only_people(session):
        return None
    member = await members.lookup(service_url, conversation_id, sender.user_id)
    if member is None or not member.addresses:
        return None
    if member.id != sender.user_id or (
        sender.aad_object_id
        and member.aad_object_id
        and member.aad_object_id.lower() != sender.aad_object_id.lower()
    ):
        log.warning("member lookup for %s answered for someone else; ignored", sender.user_id)
        return None
    person = await people.claim_by_address(
        session,
        member.addresses,
        user_id=sender.user_id,
        aad_object_id=sender.aad_object_id or member.aad_object_id,
        replacing=found,
    )
    if person is not None:
        log.info("person %s recognised by e-mail as Teams user %s", person.id, sender.user_id)
    return person
