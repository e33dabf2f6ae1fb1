"""One module per conversation; this module merges their commands, card actions, dialogs,
scheduled jobs and start-up work for the app."""

from __future__ import annotations

from bot.cards import help_card
from bot.router import Router
from bot.services import Services
from bot.turn import Turn
from scheduler.engine import JobSource


def build_router() -> Router:
    from dialogs import actions, agenda, minutes, poll, profile, remind, setup, summary

    router = Router()

    @router.command("help", "help", "Show this list of commands.")
    async def show_help(turn: Turn, _args: str) -> None:
        await turn.reply(card=help_card(router.help_entries()))

    router.include(poll.router)
    router.include(minutes.router)
    router.include(actions.router)
    router.include(agenda.router)
    router.include(summary.router)
    router.include(remind.router)
    router.include(setup.router)
    router.include(profile.router)
    return router


def job_sources(services: Services) -> list[JobSource]:
    from dialogs import poll, remind

    return [poll.job_source(services), remind.job_source(services)]


async def on_elected(services: Services) -> None:
    """This process now runs the scheduler: deliver what fell due while none did."""
    from dialogs import remind

    await remind.catch_up(services)


async def on_startup(services: Services) -> None:
    from dialogs import agenda, minutes, poll, remind, summary

    remind.register(services)
    await poll.on_startup(services)
    await agenda.on_startup(services)
    await minutes.on_startup(services)
    await summary.on_startup(services)


async def on_shutdown(services: Services) -> None:
    from dialogs import agenda, poll

    await poll.on_shutdown(services)
    await agenda.on_shutdown(services)
