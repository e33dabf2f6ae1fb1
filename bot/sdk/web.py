"""`/api/messages`: the Bot Framework protocol on botbuilder's adapter.

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
from typing import Any

from aiohttp import web
from botbuilder.core import Bot, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from bot.activities import MalformedActivity
from bot.sdk.activities import check_addressable, tenant_id
from bot.sdk.decode import activity_from_json
from bot.sdk.turn import COMMITTED_KEY
from bot.signing_keys import SigningKeysUnavailable
from bot.web import (
    RETRY_AFTER_SECONDS,
    SERVICES,
    download,
    healthz,
    keep_running,
    parse_document,
    problem,
    refusal,
    withdraw,
)
from storage.db import DatabaseUnavailable, is_unavailable_error

log = logging.getLogger(__name__)

ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", Bot)


def _parse_activity(body: bytes) -> Activity:
    document = parse_document(body)
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


def _invoke_json(body: Any) -> Any:
    if body is None or isinstance(body, dict | list | str | int | float | bool):
        return body
    return serializer_helper(body)


async def messages(request: web.Request) -> web.StreamResponse:
    if "application/json" not in request.headers.get("Content-Type", ""):
        return problem(415, "Content-Type must be application/json")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return problem(413, "request body too large")
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
        return problem(401, "unauthorized")
    except SigningKeysUnavailable as error:
        # Microsoft's signing keys cannot be had now: our problem, not the caller's. Answered at
        # once (never held while the key endpoint is slow); Teams re-sends after Retry-After.
        log.warning("cannot authenticate %s %s yet: %s", activity.type, activity.id, error)
        retry_after = str(math.ceil(error.retry_after))
        return problem(503, "authentication unavailable", **{"Retry-After": retry_after})
    except OSError as error:
        log.error("could not authenticate request: %s", error)
        return problem(503, "authentication unavailable", **{"Retry-After": RETRY_AFTER_SECONDS})
    except Exception as error:
        # botbuilder signals a bad token with PermissionError, jwt errors, IndexError (unknown
        # key id) or a bare Exception (endorsements): all of them mean "not authenticated".
        log.warning(
            "rejected unauthenticated request for %s: %s", activity.type, type(error).__name__
        )
        return problem(401, "unauthorized")
    refused = refusal(
        request.app[SERVICES],
        kind=activity.type,
        activity_id=activity.id,
        tenant=tenant_id(activity),
        service_url=activity.service_url,
    )
    if refused is not None:
        return refused
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
        return await withdraw(request.app, turn, activity.type, activity.id)
    if not done:
        keep_running(request.app, turn, activity.type, activity.id)
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
        return problem(503, "database unavailable", **{"Retry-After": RETRY_AFTER_SECONDS})
    except Exception as error:
        if is_unavailable_error(error):
            return problem(503, "service unavailable", **{"Retry-After": RETRY_AFTER_SECONDS})
        raise
    if invoke_response is not None:
        return web.json_response(
            _invoke_json(invoke_response.body), status=int(invoke_response.status)
        )
    return web.Response(status=201)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/files/{token}", download)
