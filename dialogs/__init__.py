"""One module per conversation; `build_router` merges their commands, card actions and dialogs."""

from __future__ import annotations

from bot.cards import help_card
from bot.router import Router
from bot.turn import Turn


def build_router() -> Router:
    from dialogs import profile

    router = Router()

    @router.command("help", "help", "Show this list of commands.")
    async def show_help(turn: Turn, _args: str) -> None:
        await turn.reply(card=help_card(router.help_entries()))

    router.include(profile.router)
    return router
