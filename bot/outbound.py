"""Messages the bot sends outside a turn's own reply: proactive posts and card updates.

One sender for the whole app. It paces every call by Teams' rate limits (see
`domain.ratelimit`), retries what Teams says to retry (429, 412, 502, 503, 504, timeouts;
Retry-After first, else exponential backoff with jitter, bounded), and reports a conversation
the bot can no longer reach (403, 404) instead of retrying it. It talks to the connector with
the app's one aiohttp session; botbuilder's credentials supply the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from domain.ratelimit import PER_CONVERSATION, PER_TENANT, SlidingWindows
from domain.text import base_conversation_id

log = logging.getLogger(__name__)

# Microsoft lists 412, 429, 502, 503 and 504; a 500 from the connector is as transient in practice.
RETRYABLE = {412, 429, 500, 502, 503, 504}
_CANCELLED = object()
GONE = {403, 404}


class DeliveryError(Exception):
    def __init__(
        self, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        # What the last answer's Retry-After asked for, if it said.
        self.retry_after = retry_after


class ConversationGone(DeliveryError):
    """403/404: the bot was removed from that team or chat, or the message no longer exists."""


class DeliveryFailed(DeliveryError):
    """Retries exhausted, or an answer that retrying cannot fix."""


class DeliveryRefused(DeliveryFailed):
    """The target's service URL is not one the bot may post to: nothing was sent, and
    retrying cannot change that."""


@dataclass(frozen=True)
class Target:
    service_url: str
    conversation_id: str
    tenant_id: str | None = None

    @property
    def pacing_key(self) -> str:
        return base_conversation_id(self.conversation_id)


class TokenSource(Protocol):
    async def token(self, service_url: str) -> str | None: ...


class NoTokens:
    """No credentials configured (the Teams emulator): calls go without Authorization."""

    async def token(self, service_url: str) -> str | None:
        return None


@dataclass
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0

    def backoff(self, attempt: int) -> float:
        delay: float = min(self.max_delay, self.base_delay * (2**attempt))
        return delay * random.uniform(0.5, 1.0)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (moment - now).total_seconds())


class KeyedLocks:
    """An asyncio.Lock per key, kept only while someone holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Outbound:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        tokens: TokenSource | None = None,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        allowed: Callable[[str], bool] | None = None,
        paced: bool = True,
    ) -> None:
        """`allowed` says which service URLs may be posted to (the app passes its allow-list,
        bot.service_urls); a stored or computed target outside it is never called.

        `paced=False` (the setting ICC_PACING=off, for tests against a fake connector) sends
        without waiting for Teams' windows; sends are still counted in them, and still leave
        one conversation in order."""
        self._http = http
        self._allowed = allowed
        self._tokens = tokens or NoTokens()
        self._retry = retry or RetryPolicy()
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.timeout_seconds = timeout
        self._clock = clock
        self._sleep = sleep
        self._paced = paced
        self.conversations = SlidingWindows(PER_CONVERSATION)
        self.tenants = SlidingWindows(PER_TENANT)
        # Sends queue per conversation, then per tenant (a tenant over its budget does not hold
        # up another's). The windows above drop a conversation once its hour has passed.
        self._conversation_locks = KeyedLocks()
        self._tenant_locks = KeyedLocks()
        self.sent_count = 0

    async def send(
        self,
        target: Target,
        activity: dict[str, Any],
        *,
        reserve: Callable[[], Awaitable[bool]] | None = None,
        retry: RetryPolicy | None = None,
    ) -> str | None:
        """Post a new message in the conversation; returns its activity id.

        `reserve`, if given, runs once the rate limits allow the first attempt and just before
        it: a False answer cancels the send (returns None). The outbox uses it, so a message
        is claimed only when it is really about to leave. `retry` replaces the sender's own
        retry policy for this call.
        """
        url = f"{target.service_url.rstrip('/')}/v3/conversations/{quote(target.conversation_id, safe='')}/activities"
        body = await self._call("POST", url, target, activity, reserve=reserve, retry=retry)
        if body is _CANCELLED:
            return None
        return str(body.get("id", "")) if isinstance(body, dict) else ""

    async def reply(
        self,
        target: Target,
        reply_to_id: str,
        activity: dict[str, Any],
        *,
        reserve: Callable[[], Awaitable[bool]] | None = None,
        retry: RetryPolicy | None = None,
    ) -> str | None:
        """Post a message in reply to another (in a channel: into its thread)."""
        url = (
            f"{target.service_url.rstrip('/')}/v3/conversations/{quote(target.conversation_id, safe='')}"
            f"/activities/{quote(reply_to_id, safe='')}"
        )
        body = await self._call("POST", url, target, activity, reserve=reserve, retry=retry)
        if body is _CANCELLED:
            return None
        return str(body.get("id", "")) if isinstance(body, dict) else ""

    async def update(
        self,
        target: Target,
        activity_id: str,
        activity: dict[str, Any],
        *,
        reserve: Callable[[], Awaitable[bool]] | None = None,
        retry: RetryPolicy | None = None,
    ) -> bool:
        """Replace an existing message (a card updated in place); False if `reserve` said no."""
        url = (
            f"{target.service_url.rstrip('/')}/v3/conversations/{quote(target.conversation_id, safe='')}"
            f"/activities/{quote(activity_id, safe='')}"
        )
        body = await self._call(
            "PUT", url, target, dict(activity, id=activity_id), reserve=reserve, retry=retry
        )
        return body is not _CANCELLED

    async def _pace(self, target: Target) -> None:
        key = target.pacing_key
        tenant = target.tenant_id or "-"
        async with self._conversation_locks.hold(key):
            while self._paced and (wait := self.conversations.wait_time(key, self._clock())) > 0:
                await self._sleep(wait)
            async with self._tenant_locks.hold(tenant):
                while self._paced and (wait := self.tenants.wait_time(tenant, self._clock())) > 0:
                    await self._sleep(wait)
                self.tenants.record(tenant, self._clock())
            self.conversations.record(key, self._clock())

    def pacing_state(self) -> tuple[int, int]:
        """(locks held or awaited, conversations with sends in their windows): what the
        sender keeps in memory."""
        return len(self._conversation_locks) + len(self._tenant_locks), len(self.conversations)

    async def _call(
        self,
        method: str,
        url: str,
        target: Target,
        payload: dict[str, Any],
        *,
        reserve: Callable[[], Awaitable[bool]] | None = None,
        retry: RetryPolicy | None = None,
    ) -> Any:
        policy = retry or self._retry
        last_status: int | None = None
        retry_after: float | None = None
        for attempt in range(policy.attempts):
            await self._pace(target)
            if attempt == 0 and reserve is not None and not await reserve():
                return _CANCELLED
            # After `reserve`: an outbox row exists to be marked failed, so it is not retried.
            headers = await self._headers(method, target.pacing_key, target.service_url)
            headers["Content-Type"] = "application/json"
            try:
                # Never redirected: a 307 re-sends the body to a Location nobody checked, and
                # what answers there would name the conversation (a 1:1 chat's id) we post to.
                async with self._http.request(
                    method,
                    url,
                    json=payload,
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as response:
                    self.sent_count += 1
                    status = response.status
                    if status < 300:
                        try:
                            return await response.json(content_type=None)
                        except ValueError:
                            return {}
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            except (
                TimeoutError,
                aiohttp.ClientConnectionError,
                aiohttp.ClientPayloadError,
            ) as error:
                status, retry_after = 0, None
                log.warning(
                    "%s %s: %s (attempt %d)",
                    method,
                    target.pacing_key,
                    type(error).__name__,
                    attempt + 1,
                )
            last_status = status or last_status
            if status in GONE:
                raise ConversationGone(f"{method} answered {status}", status)
            if status and status not in RETRYABLE:
                raise DeliveryFailed(f"{method} answered {status}", status)
            if attempt + 1 == policy.attempts:
                break
            delay = retry_after if retry_after is not None else policy.backoff(attempt)
            delay = min(delay, policy.max_delay * 4)
            log.info(
                "%s %s answered %s; retrying in %.1fs",
                method,
                target.pacing_key,
                status or "timeout",
                delay,
            )
            await self._sleep(delay)
        raise DeliveryFailed(
            f"{method} failed after {policy.attempts} attempt(s)"
            + (f", last answer {last_status}" if last_status else ", no answer"),
            last_status,
            retry_after,
        )

    async def _headers(self, what: str, where: str, service_url: str) -> dict[str, str]:
        """The bearer token for a call to `service_url` — refused (DeliveryRefused, never
        retried) when it is not one of Teams' service URLs, so no token leaves for elsewhere."""
        if self._allowed is not None and not self._allowed(service_url):
            log.error(
                "%s %s refused: serviceUrl %r is not an allowed Teams service",
                what,
                where,
                service_url[:200],
            )
            raise DeliveryRefused(f"{what} refused: serviceUrl not allowed")
        headers: dict[str, str] = {}
        token = await self._tokens.token(service_url)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def create_personal_conversation(
        self,
        service_url: str,
        *,
        bot_id: str,
        user_id: str,
        tenant_id: str | None,
        retry: RetryPolicy | None = None,
    ) -> str:
        """The 1:1 chat between the bot and `user_id` (Teams answers with the existing one if
        there is one): what `POST /v3/conversations` answers for a member of a team the bot is
        installed in. Retried like a send; ConversationGone when Teams refuses (403/404: the
        person is not reachable), DeliveryFailed otherwise."""
        url = f"{service_url.rstrip('/')}/v3/conversations"
        body: dict[str, Any] = {
            "isGroup": False,
            "bot": {"id": bot_id},
            "members": [{"id": user_id}],
        }
        if tenant_id:
            body["tenantId"] = tenant_id
            body["channelData"] = {"tenant": {"id": tenant_id}}
        target = Target(service_url, f"personal:{user_id}", tenant_id)
        answer = await self._call("POST", url, target, body, retry=retry)
        conversation_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(conversation_id, str) or not conversation_id:
            raise DeliveryFailed("POST conversation answered without an id")
        return conversation_id

    async def upload(self, url: str, content: bytes, *, allowed: Callable[[str], bool]) -> None:
        """PUT `content` at a pre-authorised upload URL (the file consent flow's OneDrive
        upload session): one request with its Content-Range, no bot token. A URL `allowed`
        refuses is never called (DeliveryRefused); any other answer than 2xx, a timeout or a
        broken connection: DeliveryFailed (a redirect too: it is not followed)."""
        if not allowed(url):
            raise DeliveryRefused("upload refused: not an allowed upload host")
        size = len(content)
        headers = {
            "Content-Length": str(size),
            "Content-Range": f"bytes 0-{size - 1}/{size}",
        }
        try:
            # Never redirected: a 307 keeps the PUT and its body, and its Location is unchecked.
            async with self._http.put(
                url, data=content, headers=headers, timeout=self._timeout, allow_redirects=False
            ) as response:
                if response.status >= 300:
                    raise DeliveryFailed(f"upload answered {response.status}", response.status)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise DeliveryFailed(f"upload: {type(error).__name__}") from error

    async def get_member(
        self, service_url: str, conversation_id: str, user_id: str
    ) -> dict[str, Any] | None:
        """One member of a conversation as the connector knows them (e-mail, UPN, AAD id), or
        None when it does not know them (404, e.g. MemberNotFoundInConversation).

        A lookup, not a delivery: one attempt within the connector timeout, no pacing and no
        retries (the caller caches what it learns, failures included); any other answer, a
        timeout or a broken connection raises DeliveryFailed.
        """
        url = (
            f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}"
            f"/members/{quote(user_id, safe='')}"
        )
        headers = await self._headers("GET member", conversation_id, service_url)
        try:
            async with self._http.get(
                url, headers=headers, timeout=self._timeout, allow_redirects=False
            ) as response:
                if response.status == 404:
                    return None
                if response.status >= 300:
                    raise DeliveryFailed(f"GET member answered {response.status}", response.status)
                body = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            raise DeliveryFailed(f"GET member: {type(error).__name__}") from error
        return body if isinstance(body, dict) else None
