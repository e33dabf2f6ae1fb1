"""The keys that sign inbound tokens: fetched with aiohttp, cached, and never awaited for long.

botbuilder 4.17.1 fetches them with a blocking `requests.get` without a timeout, inside the
event loop, and again on every request while the fetch fails: a slow key endpoint freezes the
whole bot. Here, per OpenID metadata URL:

- one fetch at a time (metadata, then its `jwks_uri`), on the app's aiohttp session, with a
  timeout; every request that needs keys meanwhile waits for that same fetch;
- keys are used for a day at most (botbuilder's limit) and refreshed in the background after
  half of that, while the old ones still serve;
- a failed fetch is not retried for a while: requests that have no usable keys get
  `SigningKeysUnavailable` (503) at once instead of another fetch each;
- an unknown key id ("kid") refreshes the keys at most once per interval; past that, or still
  unknown after it, the token is refused (`UnknownSigningKey`, 401).

Which keys to trust and every claim check stay botbuilder's (bot.sdk.connector routes its key
lookups here); this module only decides when to fetch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyTimes:
    """How long things take and last, in seconds."""

    # One fetch, metadata and keys together, gives up after this.
    timeout: float = 5.0
    # Keys this old are refreshed in the background while they go on serving.
    refresh_after: float = 12 * 3600
    # Keys older than this are not used (botbuilder's limit); a request waits for new ones.
    max_age: float = 24 * 3600
    # After a failed fetch, none is tried for this long.
    retry_after_failure: float = 30.0
    # A token naming a key id we do not have refreshes the keys at most this often.
    unknown_kid_interval: float = 300.0


@dataclass(frozen=True)
class SigningKey:
    """One published key; the attribute names are those botbuilder's JwtTokenExtractor reads."""

    public_key: Any
    endorsements: list[str]


class SigningKeysUnavailable(Exception):
    """The keys to check a token could not be fetched (yet): our problem, not the caller's."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnknownSigningKey(PermissionError):
    """The token names a key its issuer does not publish: not authenticated.

    A PermissionError, as botbuilder's other "not authorized" outcomes are."""


Fetch = Callable[[str], Awaitable[Mapping[str, SigningKey]]]


def parse_keys(document: Any) -> dict[str, SigningKey]:
    """A JWKS document's RSA keys by key id; a key that cannot be read is left out."""
    keys: dict[str, SigningKey] = {}
    for jwk in document["keys"]:
        kid = jwk.get("kid")
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        except Exception as error:  # PyJWT raises several kinds for a key it cannot read
            log.warning("signing key %r left out: %s", kid, error)
            continue
        if isinstance(kid, str):
            keys[kid] = SigningKey(public_key, list(jwk.get("endorsements") or []))
    return keys


async def fetch_keys(session: aiohttp.ClientSession, metadata_url: str) -> dict[str, SigningKey]:
    """The keys an OpenID metadata document points to (the caller bounds the time)."""
    async with session.get(metadata_url, raise_for_status=True) as response:
        metadata = await response.json(content_type=None)
    async with session.get(metadata["jwks_uri"], raise_for_status=True) as response:
        document = await response.json(content_type=None)
    return parse_keys(document)


class SigningKeys:
    """The signing keys published at one OpenID metadata URL."""

    def __init__(
        self,
        url: str,
        fetch: Fetch,
        times: Callable[[], KeyTimes],
        clock: Callable[[], float],
    ) -> None:
        self.url = url
        self._fetch = fetch
        self._times = times
        self._clock = clock
        self._keys: Mapping[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self._kid_refresh_at: float | None = None
        self._task: asyncio.Task[bool] | None = None

    async def get(self, kid: str | None) -> SigningKey:
        times = self._times()
        now = self._clock()
        age = None if self._fetched_at is None else now - self._fetched_at
        if age is None or age >= times.max_age:
            await self._refreshed(times, now)
        elif age >= times.refresh_after and self._may_fetch(times, now):
            self._start()
        key = self._keys.get(kid) if kid else None
        if key is not None:
            return key
        if not kid:
            raise UnknownSigningKey("the token names no signing key")
        if self._may_look_for_new_keys(times, now):
            self._kid_refresh_at = now
            await self._refreshed(times, now)
        elif self._task is not None:
            await self._refreshed(times, now)  # the fetch in flight may bring it
        elif not self._may_fetch(times, now):
            # The key may be new, and the keys cannot be fetched now to know.
            raise self._unavailable(times, now)
        key = self._keys.get(kid)
        if key is None:
            raise UnknownSigningKey(f"no signing key {kid[:64]!r} at {self.url}")
        return key

    def _may_fetch(self, times: KeyTimes, now: float) -> bool:
        return self._failed_at is None or now - self._failed_at >= times.retry_after_failure

    def _may_look_for_new_keys(self, times: KeyTimes, now: float) -> bool:
        """Whether a token naming an unknown key id may refresh the keys now."""
        last = max(
            (t for t in (self._fetched_at, self._kid_refresh_at) if t is not None), default=None
        )
        recent = last is not None and now - last < times.unknown_kid_interval
        return not recent and self._may_fetch(times, now)

    def _unavailable(self, times: KeyTimes, now: float) -> SigningKeysUnavailable:
        waited = 0.0 if self._failed_at is None else now - self._failed_at
        return SigningKeysUnavailable(
            f"signing keys at {self.url} are unavailable",
            retry_after=max(1.0, times.retry_after_failure - waited),
        )

    async def _refreshed(self, times: KeyTimes, now: float) -> None:
        """Wait for the fetch in flight (or start one); raise if there are no fresh keys after."""
        if self._task is None and not self._may_fetch(times, now):
            raise self._unavailable(times, now)
        # Shielded: a request that gives up does not cancel the fetch the others wait for.
        if not await asyncio.shield(self._start()):
            raise self._unavailable(times, self._clock())

    def _start(self) -> asyncio.Task[bool]:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self._task

    async def _run(self) -> bool:
        try:
            async with asyncio.timeout(self._times().timeout):
                keys = await self._fetch(self.url)
            if not keys:
                raise ValueError("no usable keys in the document")
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._failed_at = self._clock()
            log.error(
                "signing keys from %s not fetched: %s %s", self.url, type(error).__name__, error
            )
            return False
        finally:
            self._task = None
        self._keys = keys
        self._fetched_at = self._clock()
        self._failed_at = None
        log.info("signing keys from %s: %d keys", self.url, len(keys))
        return True

    async def close(self) -> None:
        task = self._task
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class SigningKeySets:
    """One app's signing keys, per metadata URL, fetched on the app's aiohttp session.

    `times` and `clock` may be replaced before use (tests shorten times, or move the clock)."""

    def __init__(
        self, times: KeyTimes | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.times = times or KeyTimes()
        self.clock = clock
        self.session: aiohttp.ClientSession | None = None
        self._sets: dict[str, SigningKeys] = {}

    def for_url(self, url: str) -> SigningKeys:
        keys = self._sets.get(url)
        if keys is None:
            keys = self._sets[url] = SigningKeys(
                url, self._fetch, lambda: self.times, lambda: self.clock()
            )
        return keys

    async def _fetch(self, url: str) -> Mapping[str, SigningKey]:
        if self.session is None:
            raise RuntimeError("the app's aiohttp session is not open (app not started)")
        return await fetch_keys(self.session, url)

    async def close(self) -> None:
        for keys in self._sets.values():
            await keys.close()
