"""HTTP endpoints: `/api/messages` (the Bot Framework protocol) and `/healthz`.

We call the adapter's `process_activity` ourselves instead of `CloudAdapter.process`:
botbuilder 4.17.1's `process` serialises an invoke response body that `ActivityHandler` has
already turned into a dict, and answers every Action.Execute with HTTP 500. It also lets us
answer malformed requests with a 4xx, failed authentication with 401 before any handler runs,
and an unreachable database with 503 so Teams retries.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from aiohttp import web
from botbuilder.core import Bot, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from bot.activities import MalformedActivity, check_addressable
from bot.services import Services
from storage.db import DatabaseUnavailable, is_unavailable_error

log = logging.getLogger(__name__)

ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", Bot)
SERVICES = web.AppKey("services", Services)

RETRY_AFTER_SECONDS = "5"


def _problem(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


def _parse_activity(body: bytes) -> Activity:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise web.HTTPBadRequest(
            text='{"error": "body is not JSON"}', content_type="application/json"
        ) from None
    if not isinstance(document, dict):
        raise web.HTTPBadRequest(
            text='{"error": "body is not a JSON object"}', content_type="application/json"
        )
    try:
        activity = Activity().deserialize(document)
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
    except (requests.RequestException, OSError) as error:
        # Microsoft's signing keys could not be fetched: our problem, not the caller's.
        log.error("could not authenticate request: %s", error)
        return _problem(503, "authentication unavailable", **{"Retry-After": RETRY_AFTER_SECONDS})
    except Exception as error:
        # botbuilder signals a bad token with PermissionError, jwt errors, IndexError (unknown
        # key id) or a bare Exception (endorsements): all of them mean "not authenticated".
        log.warning(
            "rejected unauthenticated request for %s: %s", activity.type, type(error).__name__
        )
        return _problem(401, "unauthorized")
    try:
        invoke_response = await adapter.process_activity(authentication, activity, bot.on_turn)
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


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    reachable = await services.database.ping()
    payload = {
        "status": "ok" if reachable else "degraded",
        "database": "ok" if reachable else "unreachable",
        "dialect": services.database.dialect,
        "authentication": "on" if services.settings.authenticated else "off",
    }
    return web.json_response(payload, status=200 if reachable else 503)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
