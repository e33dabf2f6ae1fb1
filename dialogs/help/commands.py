"""`help`: the list of every command the bot answers to."""

from __future__ import annotations

from bot.cards import help_card
from bot.router import Router
from bot.turn import Turn


def router_for(app: Router) -> Router:
    """The help feature's router, listing `app`'s commands: read when someone asks, so the
    features included into `app` after this one are listed too."""
    router = Router()

    # Asked in the middle of a dialog, the list is shown and the question keeps waiting.
    @router.command("help", "help", "Show this list of commands.", keeps_dialogs=True)
    async def show_help(turn: Turn, _args: str) -> None:
        await turn.reply(card=help_card(app.help_entries()))

    return router
