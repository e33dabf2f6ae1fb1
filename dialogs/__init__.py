"""The features, one router each: their commands, card actions, dialogs, cards kept in sync,
scheduled jobs and start-up work, merged into the app's router."""

from __future__ import annotations

from bot.router import Router


def build_router() -> Router:
    from dialogs import actions, agenda, help, link, minutes, poll, remind, summary, timezone

    router = Router()
    router.include(help.router_for(router))  # first in the list; it lists the merged router
    for feature in (poll, minutes, actions, agenda, summary, remind, link, timezone):
        router.include(feature.router)
    return router
