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
    from botbuilder.dialogs import Dialog

    from bot.turn import Turn

CommandHandler = Callable[["Turn", str], Awaitable[None]]


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


@dataclass
class Router:
    """Maps a command's first word, or a card action's verb, to its handler."""

    commands: dict[str, Command] = field(default_factory=dict)
    actions: dict[str, ActionHandler] = field(default_factory=dict)
    dialogs: list[Dialog] = field(default_factory=list)
    _order: list[str] = field(default_factory=list)

    def command(
        self,
        name: str,
        usage: str,
        summary: str,
        *,
        starts: str | None = None,
        aliases: tuple[str, ...] = (),
    ) -> Callable[[CommandHandler], CommandHandler]:
        def register(handler: CommandHandler) -> CommandHandler:
            self.add_command(Command(name, handler, CommandHelp(usage, summary, starts), aliases))
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

    def include(self, other: Router) -> None:
        for name in other._order:
            self.add_command(other.commands[name])
        for verb, handler in other.actions.items():
            self._add_action(verb, handler)
        self.dialogs.extend(other.dialogs)

    def help_entries(self) -> list[CommandHelp]:
        return [self.commands[name].help for name in self._order]

    def resolve(self, text: str) -> tuple[Command | None, str]:
        """The command a text names, and the rest of the text (its arguments)."""
        word, _, rest = text.strip().partition(" ")
        return self.commands.get(word.lower()), rest.strip()

    def closest(self, text: str) -> str | None:
        word = text.strip().split(" ", 1)[0].lower()
        if not word:
            return None
        matches = difflib.get_close_matches(word, list(self.commands), n=1, cutoff=0.5)
        if matches:
            return self.commands[matches[0]].name
        prefixed = [name for name in self._order if name.startswith(word[:3])]
        return prefixed[0] if prefixed else None
