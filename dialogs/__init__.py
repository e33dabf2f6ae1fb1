"""The features, one router each: their commands, card actions, dialogs, cards kept in sync,
scheduled jobs and start-up work, merged into the app's router."""

from __future__ import annotations

from bot.cards import help_card
from bot.router import Router
from bot.turn import Turn


def build_router() -> Router:
    from dialogs import actions, agenda, link, minutes, poll, remind, summary, timezone

    router = Router()

    @router.command("help", "help", "Show this list of commands.")
    async def show_help(turn: Turn, _args: str) -> None:
        await turn.reply(card=help_card(router.help_entries()))

    for feature in (poll, minutes, actions, agenda, summary, remind, link, timezone):
        router.include(feature.router)
    return router
