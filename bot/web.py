"""The HTTP side of the endpoints, SDK-free: `/healthz`, and what `/api/messages`
(bot/sdk/web.py) checks before and after the SDK has a turn: the body's shape, the tenant and
serviceUrl policy, the acknowledgement deadline.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot import file_links
from bot.service_urls import service_url_check
from bot.services import Services
from storage import files
from storage.db import is_unavailable_error

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)

RETRY_AFTER_SECONDS = "5"


def problem(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


# Teams' activities nest a dozen levels at most (a card's submitted data inside `value`); past
# this, a body is refused before anything walks it recursively (msrest, `clean`, the state store).
MAX_JSON_DEPTH = 64


def nesting_exceeds(document: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than `limit` levels, found without recursion."""
    stack: list[tuple[Any, int]] = [(document, 1)] if isinstance(document, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _too_deep() -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"error": f"body nests deeper than {MAX_JSON_DEPTH} levels"}),
        content_type="application/json",
    )


BACKGROUND: web.AppKey[set[asyncio.Future[Any]]] = web.AppKey("background_turns")


def keep_running(
    app: web.Application, turn: asyncio.Future[Any], kind: str, activity_id: str | None
) -> None:
    """Let a turn answered at the deadline finish in the background (and log how it ends)."""
    turns: set[asyncio.Future[Any]] = app[BACKGROUND]
    turns.add(turn)

    def finished(future: asyncio.Future[Any]) -> None:
        turns.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error(
                "turn %s %s failed after its acknowledgement: %s",
                kind,
                activity_id,
                future.exception(),
            )

    turn.add_done_callback(finished)


# How long a turn cancelled at the deadline gets to roll back before the 503 goes out anyway
# (a cancelled turn cannot commit: the 503 is true either way; Teams waits ~15 s in all).
ROLLBACK_SECONDS = 2.0


async def withdraw(
    app: web.Application, turn: asyncio.Future[Any], kind: str, activity_id: str | None
) -> web.Response:
    """Cancel a turn that committed nothing by the deadline (waiting for a database lock, say)
    and ask Teams to send the activity again: a 202 would promise work that may never happen."""
    turn.cancel()
    await asyncio.wait({turn}, timeout=ROLLBACK_SECONDS)
    if not turn.done():
        keep_running(app, turn, kind, activity_id)
    log.warning(
        "turn %s %s had committed nothing at the acknowledgement deadline: cancelled, 503",
        kind,
        activity_id,
    )
    return problem(503, "turn did not finish in time", **{"Retry-After": RETRY_AFTER_SECONDS})


# The fields the bot relies on, and the JSON types the Bot Framework schema gives them.
_SHAPES: tuple[tuple[tuple[str, ...], tuple[type, ...]], ...] = (
    (("type",), (str,)),
    (("id",), (str,)),
    (("serviceUrl",), (str,)),
    (("channelId",), (str,)),
    (("text",), (str,)),
    (("name",), (str,)),
    (("replyToId",), (str,)),
    (("action",), (str,)),
    (("conversation",), (dict,)),
    (("conversation", "id"), (str,)),
    (("from",), (dict,)),
    (("from", "id"), (str,)),
    (("from", "name"), (str,)),
    (("from", "aadObjectId"), (str,)),
    (("recipient",), (dict,)),
    (("recipient", "id"), (str,)),
    (("channelData",), (dict,)),
    (("entities",), (list,)),
    (("membersAdded",), (list,)),
    (("membersRemoved",), (list,)),
)


def wrongly_typed(document: dict[str, Any]) -> str | None:
    """The first field whose value has a type the schema does not allow (null is allowed)."""
    for path, allowed in _SHAPES:
        value: Any = document
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, allowed):
            return ".".join(path)
    for entity in document.get("entities") or []:
        if not isinstance(entity, dict):
            return "entities"
    for member in [*(document.get("membersAdded") or []), *(document.get("membersRemoved") or [])]:
        if not isinstance(member, dict) or not isinstance(member.get("id"), str):
            return "membersAdded/membersRemoved"
    return None


def parse_document(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object whose fields have the types the bot relies on; a 400
    (raised) for anything else."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise web.HTTPBadRequest(
            text='{"error": "body is not JSON"}', content_type="application/json"
        ) from None
    except RecursionError:  # json's C scanner gives up near the interpreter's recursion limit
        raise _too_deep() from None
    if nesting_exceeds(document):
        raise _too_deep()
    if not isinstance(document, dict):
        raise web.HTTPBadRequest(
            text='{"error": "body is not a JSON object"}', content_type="application/json"
        )
    wrong = wrongly_typed(document)
    if wrong:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"{wrong} has the wrong type"}),
            content_type="application/json",
        )
    return document


def refusal(
    services: Services, *, kind: str, activity_id: str | None, tenant: str | None, service_url: str
) -> web.Response | None:
    """403 for an activity from a tenant the bot does not serve, or naming a serviceUrl the
    bot will not post to; checked before any state is read or written, so such an activity
    records no conversation and cannot replace a channel's stored address.

    403 for both: the request is well formed (and, with authentication, genuinely from the
    Bot Framework: the token's serviceurl claim matched); the bot declines it by policy, and
    Teams does not retry a 4xx."""
    settings = services.settings
    if not settings.allows_tenant(tenant):
        log.warning(
            "refused %s %s from tenant %r: not in ICC_ALLOWED_TENANTS",
            kind,
            activity_id,
            tenant,
        )
        return problem(403, "tenant not allowed")
    if not service_url_check(settings)(service_url):
        log.warning(
            "refused %s %s from tenant %r: serviceUrl %r is not an allowed Teams service",
            kind,
            activity_id,
            tenant,
            service_url[:200],
        )
        return problem(403, "serviceUrl not allowed")
    return None


# How long /healthz waits for the database before saying what it is doing instead.
HEALTH_SECONDS = 1.0


async def healthz(request: web.Request) -> web.Response:
    """The process and its database, answered within about HEALTH_SECONDS.

    200 with "database": "ok"; 200 with "status": "degraded" and "database": "busy" when the
    database is there but every connection is held by turns waiting (a lock another process
    holds, say): the process is alive and restarting it would not help; 503 with "database":
    "unreachable" when the database refuses, fails or does not answer. "outbox": how many
    messages wait to be sent and since when the oldest does (read within the same second), and
    what the sender did since the process started.
    """
    services = request.app[SERVICES]
    outbox = services.outbox
    database, queue = await asyncio.gather(
        services.database.health(within=HEALTH_SECONDS),
        outbox.health(within=HEALTH_SECONDS) if outbox is not None else _nothing(),
    )
    payload: dict[str, Any] = {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "dialect": services.database.dialect,
        "authentication": "on" if services.settings.authenticated else "off",
    }
    if services.scheduler_status is not None:
        payload["scheduler"] = services.scheduler_status()
    if queue is not None:
        payload["outbox"] = queue
    return web.json_response(payload, status=503 if database == "unreachable" else 200)


def _content_disposition(name: str) -> str:
    """`attachment` with the name in both forms: an ASCII fallback and RFC 5987's UTF-8."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(request: web.Request) -> web.Response:
    """`GET /files/<token>`: the exported file a signed link names, as a download.

    404 for anything but an intact, unexpired token naming a file that is still kept (a
    declined or expired one is gone): the answer never says which, so tokens cannot be probed.
    """
    services = request.app[SERVICES]
    now = services.clock()
    claim = file_links.verify(services.settings.secret_key, request.match_info["token"], now)
    if claim is None:
        return problem(404, "not found")
    try:
        async with services.database.unit_of_work() as session:
            row = await files.live(session, claim.file_id, now)
    except Exception as error:
        if is_unavailable_error(error):
            return problem(503, "service unavailable", **{"Retry-After": RETRY_AFTER_SECONDS})
        raise
    if row is None:
        return problem(404, "not found")
    return web.Response(
        body=row.content,
        headers={
            "Content-Type": row.content_type,
            "Content-Disposition": _content_disposition(row.name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Referrer-Policy": "no-referrer",
        },
    )


async def _nothing() -> None:
    return None


async def background_ctx(app: web.Application) -> AsyncIterator[None]:
    """Turns answered at the deadline finish before the app shuts down."""
    app[BACKGROUND] = set()
    yield
    pending: set[asyncio.Future[Any]] = app[BACKGROUND]
    if pending:
        await asyncio.wait(pending, timeout=30)
