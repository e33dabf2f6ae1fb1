"""Entry point: builds the aiohttp app (bot endpoint, health), starts the scheduler.

python app.py        # serves http://localhost:3978/api/messages on SQLite by default
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import aiohttp
from aiohttp import web

from bot.members import MemberDirectory
from bot.outbound import Outbound
from bot.outbox import Backoff, Outbox
from bot.router import Router
from bot.sdk.adapter import (
    AdapterTokens,
    CredentialsFactory,
    IccAdapter,
    authentication,
    create_adapter,
)
from bot.sdk.handler import IccBot
from bot.sdk.web import ADAPTER, BOT, add_routes
from bot.service_urls import service_url_check
from bot.services import Services
from bot.web import SERVICES, background_ctx
from config import ConfigError, Settings, load_or_create_secret_key, load_settings
from dialogs import build_router
from scheduler.engine import Engine
from scheduler.leader import Leadership
from scheduler.setup import create_scheduler
from storage.db import Database, is_unavailable_error
from storage.migrate import migrate

log = logging.getLogger("icc-bot")

ROUTER = web.AppKey("router", Router)
ENGINE = web.AppKey("engine", Engine)
LEADERSHIP = web.AppKey("leadership", Leadership)


def create_app(
    settings: Settings,
    *,
    router: Router | None = None,
    credentials_factory: CredentialsFactory | None = None,
) -> web.Application:
    """Build the application; nothing starts until the app's startup runs its cleanup_ctx.

    `credentials_factory` replaces the one built from the settings (tests issue known tokens)."""
    app = web.Application(client_max_size=settings.max_request_bytes)
    database = Database(settings.database_url)
    services = Services(settings=settings, database=database)
    services.members = _member_directory(services)
    adapter = create_adapter(settings, credentials_factory)
    router = router or build_router()
    bot = IccBot(services, router)
    app[SERVICES] = services
    app[ROUTER] = router
    app[ADAPTER] = adapter
    app[BOT] = bot
    add_routes(app)
    app.cleanup_ctx.append(_database_ctx)
    app.cleanup_ctx.append(_secret_key_ctx)
    app.cleanup_ctx.append(_outbound_ctx)
    if settings.run_scheduler:
        app.cleanup_ctx.append(_scheduler_ctx)
    app.cleanup_ctx.append(_features_ctx)
    # Last in, first out: turns answered at the deadline finish before anything closes.
    app.cleanup_ctx.append(background_ctx)
    return app


def _member_directory(services: Services) -> MemberDirectory:
    """Who a Teams id is; it asks through the running sender (its aiohttp session and tokens)."""

    async def fetch(service_url: str, conversation_id: str, user_id: str) -> Any:
        return await services.require_outbound().get_member(service_url, conversation_id, user_id)

    return MemberDirectory(fetch)


async def _secret_key_ctx(app: web.Application) -> AsyncIterator[None]:
    """Without ICC_SECRET_KEY (no authentication), the key kept in a file beside the data."""
    services = app[SERVICES]
    if not services.settings.secret_key:
        key = load_or_create_secret_key(services.settings.secret_key_file)
        services.settings = services.settings.with_overrides(secret_key=key)
    yield


async def _database_ctx(app: web.Application) -> AsyncIterator[None]:
    database = app[SERVICES].database
    await migrate(database.engine)
    yield
    await database.dispose()


async def _outbound_ctx(app: web.Application) -> AsyncIterator[None]:
    """One aiohttp session for every call to Teams (turn replies and proactive sends alike) and
    for fetching the keys that sign inbound tokens."""
    services = app[SERVICES]
    auth = authentication(app[ADAPTER])
    connector = aiohttp.TCPConnector(limit=200, limit_per_host=100)
    async with aiohttp.ClientSession(connector=connector) as http:
        auth.use_session(http)
        services.outbound = Outbound(
            http,
            AdapterTokens(auth, services.settings.app_id),
            timeout=services.settings.connector_timeout_seconds,
            allowed=service_url_check(services.settings),
            paced=services.settings.pacing == "teams",
        )
        services.outbox = Outbox(
            services.database,
            services.outbound,
            services.clock,
            backoff=Backoff(cap=services.settings.outbox_max_backoff_seconds),
            exclusive=services.settings.is_sqlite,
        )
        adapter = app[ADAPTER]
        if isinstance(adapter, IccAdapter):
            adapter.outbound = services.outbound  # turn replies share the sender
            adapter.outbox = services.outbox
        yield
        await services.outbox.close()
        if isinstance(adapter, IccAdapter):
            adapter.outbound = None
            adapter.outbox = None
        services.outbox = None
        services.outbound = None
        await auth.signing_keys.close()  # a key fetch in flight ends before its session
        auth.use_session(None)


async def _scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    """The scheduler runs in the one process that leads (see scheduler/leader.py)."""
    services = app[SERVICES]
    scheduler = create_scheduler(misfire_grace_seconds=services.settings.reminder_grace_seconds)
    router = app[ROUTER]
    engine = Engine(scheduler, services.database, router.scheduled(services))
    app[ENGINE] = engine

    async def elected() -> None:
        engine.start()
        await engine.reconcile()
        _spawn(router.on_lead(services))  # catch up on what fell due while nobody led

    leadership = Leadership(services.database, elected, engine.pause)
    app[LEADERSHIP] = leadership
    services.scheduler_status = lambda: {
        "leader": leadership.leader,
        "jobs": len(engine.job_ids()),
    }
    services.nudge_scheduler = lambda: _spawn(engine.reconcile()) if leadership.leader else None
    await leadership.start()
    yield
    await leadership.stop()
    engine.stop()


def _spawn(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


_background: set[asyncio.Task[None]] = set()


async def _features_ctx(app: web.Application) -> AsyncIterator[None]:
    services, router = app[SERVICES], app[ROUTER]
    await router.start(services)
    # The drain loop starts once the features have said what their queued messages record.
    await services.require_outbox().start()
    yield
    await router.stop(services)


def _announce(settings: Settings) -> None:
    if settings.authenticated:
        log.info(
            "Bot Framework authentication ON for app id %s (%s)", settings.app_id, settings.app_type
        )
    else:
        banner = "!" * 78
        log.warning(banner)
        log.warning("NO MicrosoftAppId SET: running WITHOUT AUTHENTICATION.")
        log.warning("Anyone who can reach this port can talk to the bot. Fine for the Teams")
        log.warning("emulator (Agents Playground) on this machine; never expose it like this.")
        log.warning(banner)
    if settings.authenticated and not settings.public_url:
        log.warning(
            "ICC_PUBLIC_URL is not set: download links name %s, which people outside this "
            "machine cannot reach",
            settings.link_origin,
        )
    log.info("database: %s", settings.database_url.split("@")[-1])
    if not settings.secret_key:
        log.info("anonymous ballots keyed by %s (ICC_SECRET_KEY unset)", settings.secret_key_file)
    log.info("listening on http://%s:%d/api/messages", settings.host, settings.port)


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"icc-bot: configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _announce(settings)
    try:
        web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    except ConfigError as error:  # a key file that holds no key
        print(f"icc-bot: configuration error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if is_unavailable_error(error):
            where = settings.database_url.split("@")[-1]
            print(f"icc-bot: cannot reach the database ({where}): {error}", file=sys.stderr)
            return 1
        if isinstance(error, OSError):
            print(f"icc-bot: cannot start: {error}", file=sys.stderr)
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
