"""HTTP endpoints: `/api/messages` (the Bot Framework protocol) and `/healthz`.

We call the adapter's `process_activity` ourselves instead of `CloudAdapter.process`:
botbuilder 4.17.1's `process` serialises an invoke response body that `ActivityHandler` has
already turned into a dict, and answers every Action.Execute with HTTP 500. It also lets us
answer malformed requests with a 4xx, failed authentication with 401 before any handler runs,
and an unreachable database, or signing keys we cannot fetch, with 503 so Teams retries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from botbuilder.core import Bot, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from bot.activities import MalformedActivity, check_addressable, tenant_id
from bot.decode import activity_from_json
from bot.service_urls import service_url_check
from bot.services import Services
from bot.signing_keys import SigningKeysUnavailable
from bot.turn import COMMITTED_KEY
from storage.db import DatabaseUnavailable, is_unavailable_error

log = logging.getLogger(__name__)

ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", Bot)
SERVICES = web.AppKey("services", Services)

RETRY_AFTER_SECONDS = "5"


def _problem(status: int, message: str, **headers: str) -> web.Response:
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


def _parse_activity(body: bytes) -> Activity:
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
    try:
        activity = activity_from_json(document)
    except Exception as error:  # msrest raises several kinds on wrongly-typed fields
        log.info("undecodable activity: %s", error)
        raise web.HTTPBadRequest(
            text='{"error": "body is not a Bot Framework activity"}',
            content_type="application/json",
        ) from None
    if not activity.type:
        raise web.HTTPBadRequest(
            text='{"error": "activity has no type"}', content_type="application/json"
        )
    try:
        check_addressable(activity)
    except MalformedActivity as error:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": str(error)}), content_type="application/json"
        ) from None
    return activity


BACKGROUND: web.AppKey[set[asyncio.Future[Any]]] = web.AppKey("background_turns")


def _keep_running(app: web.Application, turn: asyncio.Future[Any], activity: Activity) -> None:
    turns: set[asyncio.Future[Any]] = app[BACKGROUND]
    turns.add(turn)

    def finished(future: asyncio.Future[Any]) -> None:
        turns.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error(
                "turn %s %s failed after its acknowledgement: %s",
                activity.type,
                activity.id,
                future.exception(),
            )

    turn.add_done_callback(finished)


# How long a turn cancelled at the deadline gets to roll back before the 503 goes out anyway
# (a cancelled turn cannot commit: the 503 is true either way; Teams waits ~15 s in all).
ROLLBACK_SECONDS = 2.0


async def _withdraw(
    app: web.Application, turn: asyncio.Future[Any], activity: Activity
) -> web.Response:
    """Cancel a turn that committed nothing by the deadline (waiting for a database lock, say)
    and ask Teams to send the activity again: a 202 would promise work that may never happen."""
    turn.cancel()
    await asyncio.wait({turn}, timeout=ROLLBACK_SECONDS)
    if not turn.done():
        _keep_running(app, turn, activity)
    log.warning(
        "turn %s %s had committed nothing at the acknowledgement deadline: cancelled, 503",
        activity.type,
        activity.id,
    )
    return _problem(503, "turn did not finish in time", **{"Retry-After": RETRY_AFTER_SECONDS})


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


def _refusal(services: Services, activity: Activity) -> web.Response | None:
    """403 for an activity from a tenant the bot does not serve, or naming a serviceUrl the
    bot will not post to; checked before any state is read or written, so such an activity
    records no conversation and cannot replace a channel's stored address.

    403 for both: the request is well formed (and, with authentication, genuinely from the
    Bot Framework: the token's serviceurl claim matched); the bot declines it by policy, and
    Teams does not retry a 4xx."""
    settings = services.settings
    tenant = tenant_id(activity)
    if not settings.allows_tenant(tenant):
        log.warning(
            "refused %s %s from tenant %r: not in ICC_ALLOWED_TENANTS",
            activity.type,
            activity.id,
            tenant,
        )
        return _problem(403, "tenant not allowed")
    if not service_url_check(settings)(activity.service_url):
        log.warning(
            "refused %s %s from tenant %r: serviceUrl %r is not an allowed Teams service",
            activity.type,
            activity.id,
            tenant,
            activity.service_url[:200],
        )
        return _problem(403, "serviceUrl not allowed")
    return None


def _invoke_json(body: Any) -> Any:
    if body is None or isinstance(body, dict | list | str | int | float | bool):
        return body
    return serializer_helper(body)


async def messages(request: web.Request) -> web.StreamResponse:
    if "application/json" not in request.headers.get("Content-Type", ""):
        return _problem(415, "Content-Type must be application/json")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, "request body too large")
    activity = _parse_activity(body)
    adapter = request.app[ADAPTER]
    bot = request.app[BOT]
    auth_header = request.headers.get("Authorization", "")
    try:
        authentication = await adapter.bot_framework_authentication.authenticate_request(
            activity, auth_header
        )
    except PermissionError as error:  # botbuilder's "not authorized" (an OSError subclass)
        log.warning("rejected unauthenticated request for %s: %s", activity.type, error)
        return _problem(401, "unauthorized")
    except SigningKeysUnavailable as error:
        # Microsoft's signing keys cannot be had now: our problem, not the caller's. Answered at
        # once (never held while the key endpoint is slow); Teams re-sends after Retry-After.
        log.warning("cannot authenticate %s %s yet: %s", activity.type, activity.id, error)
        retry_after = str(math.ceil(error.retry_after))
        return _problem(503, "authentication unavailable", **{"Retry-After": retry_after})
    except OSError as error:
        log.error("could not authenticate request: %s", error)
        return _problem(503, "authentication unavailable", **{"Retry-After": RETRY_AFTER_SECONDS})
    except Exception as error:
        # botbuilder signals a bad token with PermissionError, jwt errors, IndexError (unknown
        # key id) or a bare Exception (endorsements): all of them mean "not authenticated".
        log.warning(
            "rejected unauthenticated request for %s: %s", activity.type, type(error).__name__
        )
        return _problem(401, "unauthorized")
    refusal = _refusal(request.app[SERVICES], activity)
    if refusal is not None:
        return refusal
    # Teams re-sends an activity it got no answer to within about 15 seconds. A turn still busy
    # at the deadline is answered now: 202 if its work is committed (it is only sending), else
    # it is cancelled (its transaction rolls back) and answered 503 so that Teams re-sends it.
    committed = asyncio.Event()

    async def logic(context: TurnContext) -> None:
        context.turn_state[COMMITTED_KEY] = committed
        await bot.on_turn(context)

    turn = asyncio.ensure_future(adapter.process_activity(authentication, activity, logic))
    done, _ = await asyncio.wait({turn}, timeout=request.app[SERVICES].settings.ack_seconds)
    if not done and not committed.is_set():
        return await _withdraw(request.app, turn, activity)
    if not done:
        _keep_running(request.app, turn, activity)
        log.warning(
            "turn %s %s committed, still sending at the acknowledgement deadline; answered now",
            activity.type,
            activity.id,
        )
        if activity.type == "invoke":
            return web.json_response(
                {
                    "statusCode": 200,
                    "type": "application/vnd.microsoft.activity.message",
                    "value": "Working on it…",
                }
            )
        return web.Response(status=202)
    try:
        invoke_response = turn.result()
    except DatabaseUnavailable:
        return _problem(503, "database unavailable", **{"Retry-After": RETRY_AFTER_SECONDS})
    except Exception as error:
        if is_unavailable_error(error):
            return _problem(503, "service unavailable", **{"Retry-After": RETRY_AFTER_SECONDS})
        raise
    if invoke_response is not None:
        return web.json_response(
            _invoke_json(invoke_response.body), status=int(invoke_response.status)
        )
    return web.Response(status=201)


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


async def _nothing() -> None:
    return None


async def background_ctx(app: web.Application) -> AsyncIterator[None]:
    """Turns answered at the deadline finish before the app shuts down."""
    app[BACKGROUND] = set()
    yield
    pending: set[asyncio.Future[Any]] = app[BACKGROUND]
    if pending:
        await asyncio.wait(pending, timeout=30)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
