"""Command and card-action routing: a table per feature, merged into one router by the app."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from bot import payloads
from bot.cards import Card, CommandHelp
from bot.payloads import Payload

if TYPE_CHECKING:
    from bot.card_sync import CardSync
    from bot.sdk.prompts import Dialog
    from bot.services import Services
    from bot.turn import Turn
    from scheduler.engine import JobSource

CommandHandler = Callable[["Turn", str], Awaitable[None]]
# A feature's part in the app's life: run with the app's services (aiogram's routers carry
# startup/shutdown the same way).
Hook = Callable[["Services"], Awaitable[None]]
H = TypeVar("H", bound=Callable[..., Any])


@dataclass(frozen=True)
class ActionResult:
    """What a card click gets back: a short message, and the card the clicker sees instead of
    the clicked one (Action.Execute only; other people's view changes by an update)."""

    message: str | None = None
    card: Card | None = None
    # True when the message is an error the user caused (shown the same way, logged less).
    refused: bool = False

    @classmethod
    def refuse(cls, message: str) -> ActionResult:
        return cls(message=message, refused=True)


ActionHandler = Callable[["Turn", dict[str, Any]], Awaitable[ActionResult]]
P = TypeVar("P", bound=Payload)


@dataclass(frozen=True)
class Command:
    name: str
    handler: CommandHandler
    help: CommandHelp
    aliases: tuple[str, ...] = ()
    # Runs beside a dialog that waits instead of interrupting it (`help`).
    keeps_dialogs: bool = False


@dataclass
class Router:
    """Maps a command's first word, or a card action's verb, to its handler; and carries each
    feature's lifecycle: its cards kept in sync, its scheduled jobs, what it does when the app
    starts or stops and when this process is elected to run the scheduler."""

    commands: dict[str, Command] = field(default_factory=dict)
    actions: dict[str, ActionHandler] = field(default_factory=dict)
    dialogs: list[Dialog] = field(default_factory=list)
    # Built once the sender runs (a card sync registers its outbox handlers).
    card_syncs: list[Callable[[Services], CardSync]] = field(default_factory=list)
    job_sources: list[Callable[[Services], JobSource]] = field(default_factory=list)
    startup: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)
    elected: list[Hook] = field(default_factory=list)
    _order: list[str] = field(default_factory=list)

    def command(
        self,
        name: str,
        usage: str,
        summary: str,
        *,
        starts: str | None = None,
        aliases: tuple[str, ...] = (),
        keeps_dialogs: bool = False,
    ) -> Callable[[CommandHandler], CommandHandler]:
        def register(handler: CommandHandler) -> CommandHandler:
            self.add_command(
                Command(name, handler, CommandHelp(usage, summary, starts), aliases, keeps_dialogs)
            )
            return handler

        return register

    def add_command(self, command: Command) -> None:
        for word in (command.name, *command.aliases):
            if word in self.commands:
                raise ValueError(f"command {word!r} registered twice")
            self.commands[word] = command
        self._order.append(command.name)

    def action(
        self, verb: str, payload: type[P]
    ) -> Callable[
        [Callable[[Turn, P], Awaitable[ActionResult]]], Callable[[Turn, P], Awaitable[ActionResult]]
    ]:
        """Register a card verb's handler; the router hands it `payload`, parsed and checked."""

        def register(
            handler: Callable[[Turn, P], Awaitable[ActionResult]],
        ) -> Callable[[Turn, P], Awaitable[ActionResult]]:
            async def checked(turn: Turn, data: dict[str, Any]) -> ActionResult:
                found = await payloads.check(turn, payload, data)
                if isinstance(found, str):
                    return ActionResult.refuse(found)
                return await handler(turn, found)

            self._add_action(verb, checked)
            return handler

        return register

    def _add_action(self, verb: str, handler: ActionHandler) -> None:
        if verb in self.actions:
            raise ValueError(f"card verb {verb!r} registered twice")
        self.actions[verb] = handler

    def add_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog)

    def card_sync(self, build: Callable[[Services], CardSync]) -> Callable[[Services], CardSync]:
        """A card kept in step with its rows; built at start-up, caught up, closed at stop."""
        self.card_syncs.append(build)
        return build

    def jobs(self, source: Callable[[Services], JobSource]) -> Callable[[Services], JobSource]:
        """The feature's scheduled work (run only by the process that leads)."""
        self.job_sources.append(source)
        return source

    def on_startup(self, hook: H) -> H:
        self.startup.append(hook)
        return hook

    def on_shutdown(self, hook: H) -> H:
        self.shutdown.append(hook)
        return hook

    def on_elected(self, hook: H) -> H:
        """Run when this process starts leading the scheduler (catch up on what fell due)."""
        self.elected.append(hook)
        return hook

    def include(self, other: Router) -> None:
        for name in other._order:
            self.add_command(other.commands[name])
        for verb, handler in other.actions.items():
            self._add_action(verb, handler)
        self.dialogs.extend(other.dialogs)
        self.card_syncs.extend(other.card_syncs)
        self.job_sources.extend(other.job_sources)
        self.startup.extend(other.startup)
        self.shutdown.extend(other.shutdown)
        self.elected.extend(other.elected)

    async def start(self, services: Services) -> None:
        """At start-up, before the sender's drain loop: cards synced and caught up, then each
        feature's own start-up work."""
        for build in self.card_syncs:
            sync = build(services)
            services.card_syncs[sync.name] = sync
        for sync in services.card_syncs.values():
            await sync.catch_up()
        for hook in self.startup:
            await hook(services)

    async def stop(self, services: Services) -> None:
        for hook in self.shutdown:
            await hook(services)
        for sync in services.card_syncs.values():
            await sync.close()
        services.card_syncs.clear()

    async def on_lead(self, services: Services) -> None:
        for hook in self.elected:
            await hook(services)

    def scheduled(self, services: Services) -> list[JobSource]:
        return [source(services) for source in self.job_sources]

    def help_entries(self) -> list[CommandHelp]:
        return [self.commands[name].help for name in self._order]

    def resolve(self, text: str) -> tuple[Command | None, str]:
        """The command a text names, and the rest of the text (its arguments)."""
        word, _, rest = text.strip().partition(" ")
        return self.commands.get(word.lower()), rest.strip()

    def starter_of(self, dialog_id: str) -> Command | None:
        """The command that starts the dialog `dialog_id`: the one with a `starts` text named
        like the dialog ("poll" starts "poll.create", "remind setup" starts "remind")."""
        family = dialog_id.split(".", 1)[0].lower()
        for name in self._order:
            command = self.commands[name]
            if command.help.starts and command.name == family:
                return command
        return None

    def closest(self, text: str) -> str | None:
        word = text.strip().split(" ", 1)[0].lower()
        if not word:
            return None
        matches = difflib.get_close_matches(word, list(self.commands), n=1, cutoff=0.5)
        if matches:
            return self.commands[matches[0]].name
        prefixed = [name for name in self._order if name.startswith(word[:3])]
        return prefixed[0] if prefixed else None
