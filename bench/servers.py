"""Processes the benchmarks start: a fast fake Bot Connector and the two baselines.

python -m bench.servers connector PORT       # answers every connector call, counts them
python -m bench.servers echo-botbuilder PORT # the floor: botbuilder's echo bot, stock auth
python -m bench.servers echo-aiohttp PORT    # the limit: aiohttp alone, one shared session
"""

from __future__ import annotations

import itertools
import json
import logging
import sys
from typing import Any

import aiohttp
from aiohttp import web


def connector_app() -> web.Application:
    """Counts sends and updates per conversation, with their times, for rate checks."""
    ids = itertools.count(1)
    stats: dict[str, Any] = {}

    def clear(fail_every: int = 0, down: bool = False) -> None:
        stats.update(
            posts=0, puts=0, failed=0, fail_every=fail_every, last_card=None,
            put_times=[], post_times=[], delivered={}, recent_cards=[], down=down, refused=0,
        )  # fmt: skip

    clear()

    async def post(request: web.Request) -> web.Response:
        body = await request.read()
        if stats["down"]:  # an outage: everything refused, nothing counted as delivered
            stats["refused"] += 1
            return web.json_response({"error": "unavailable"}, status=503)
        stats["posts"] += 1
        fail_every = stats["fail_every"]
        if fail_every and stats["posts"] % fail_every == 0:
            stats["failed"] += 1
            # Alternate the two kinds of answer Teams asks bots to retry.
            if stats["failed"] % 2:
                return web.json_response(
                    {"error": "throttled"}, status=429, headers={"Retry-After": "1"}
                )
            return web.json_response({"error": "unavailable"}, status=503)
        if b"adaptive" in body:
            stats["last_card"] = json.loads(body)
            stats["recent_cards"] = [*stats["recent_cards"][-49:], stats["last_card"]]
        conversation = request.match_info["conversation_id"]
        stats["delivered"][conversation] = stats["delivered"].get(conversation, 0) + 1
        stats["post_times"].append(request.loop.time())
        return web.json_response({"id": f"act-{next(ids)}"})

    async def put(request: web.Request) -> web.Response:
        body = await request.read()
        if stats["down"]:
            stats["refused"] += 1
            return web.json_response({"error": "unavailable"}, status=503)
        stats["puts"] += 1
        stats["put_times"].append(request.loop.time())
        stats["last_card"] = json.loads(body)
        return web.json_response({"id": request.match_info["activity_id"]})

    async def get_stats(_request: web.Request) -> web.Response:
        return web.json_response(stats)

    async def reset(request: web.Request) -> web.Response:
        options = await request.json() if request.can_read_body else {}
        clear(int(options.get("fail_every", 0)), bool(options.get("down", False)))
        return web.json_response({"ok": True})

    async def set_down(request: web.Request) -> web.Response:
        stats["down"] = bool((await request.json()).get("down"))
        return web.json_response({"ok": True, "at": request.loop.time()})

    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation_id}/activities", post)
    app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", post)
    app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", put)
    app.router.add_get("/_stats", get_stats)
    app.router.add_post("/_reset", reset)
    app.router.add_post("/_down", set_down)
    return app


def echo_botbuilder_app() -> web.Application:
    """The sample echo bot: CloudAdapter with stock authentication, one text reply per message."""
    from botbuilder.core import ActivityHandler, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    class Config:
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    class EchoBot(ActivityHandler):  # type: ignore[misc]
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(f"Echo: {turn_context.activity.text}")

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        response = await adapter.process(request, bot)
        return response or web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def echo_aiohttp_app() -> web.Application:
    """aiohttp alone: parse the activity, post one reply through one shared ClientSession."""
    session_key = web.AppKey("session", aiohttp.ClientSession)

    async def messages(request: web.Request) -> web.Response:
        activity = await request.json()
        conversation = activity["conversation"]["id"]
        reply = {
            "type": "message",
            "text": f"Echo: {activity.get('text', '')}",
            "replyToId": activity["id"],
            "conversation": activity["conversation"],
            "from": activity["recipient"],
            "recipient": activity["from"],
        }
        url = f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{conversation}/activities/{activity['id']}"
        async with request.app[session_key].post(url, json=reply) as response:
            await response.read()
        return web.Response(status=201)

    async def session_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        async with aiohttp.ClientSession() as session:
            app[session_key] = session
            yield

    app = web.Application()
    app.cleanup_ctx.append(session_ctx)
    app.router.add_post("/api/messages", messages)
    return app


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    logging.basicConfig(level=logging.WARNING)
    factory = {
        "connector": connector_app,
        "echo-botbuilder": echo_botbuilder_app,
        "echo-aiohttp": echo_aiohttp_app,
    }[kind]
    web.run_app(factory(), host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
