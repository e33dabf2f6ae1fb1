"""bot.turn's TurnIO on botbuilder's TurnContext: the incoming activity's fields, sending,
dialogs, and committing the turn's writes before anything is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from sqlalchemy.ext.asyncio import AsyncSession

from bot.activities import Sender
from bot.cards import Card
from bot.handler import DIALOG_FINISHED
from bot.sdk import activities
from bot.sdk.adapter import ON_SENT, TICKET, outgoing
from bot.sdk.attachments import attachment
from bot.turn import TURN_KEY, Turn

if TYPE_CHECKING:
    from botbuilder.dialogs import DialogContext

    from bot.services import Services

# An asyncio.Event the endpoint may leave in turn_state: set once the turn's writes so far are
# committed, so answering 202 before the turn ends promises nothing that could still roll back.
COMMITTED_KEY = "icc.committed"


class ContextIO:
    """One turn's TurnContext, and its dialog context once the handler has opened one."""

    def __init__(self, context: TurnContext) -> None:
        self.context = context
        self.dialog_context: DialogContext | None = None

    @property
    def activity(self) -> Activity:
        return self.context.activity

    @property
    def activity_id(self) -> str | None:
        activity_id: str | None = self.context.activity.id
        return activity_id

    @property
    def conversation_id(self) -> str:
        return str(self.context.activity.conversation.id)

    @property
    def service_url(self) -> str:
        return str(self.context.activity.service_url)

    @property
    def sender(self) -> Sender:
        return activities.sender(self.context.activity)

    @property
    def conversation_type(self) -> str:
        return activities.conversation_type(self.context.activity)

    @property
    def client_timezone(self) -> str | None:
        return activities.client_timezone(self.context.activity)

    @property
    def locale(self) -> str | None:
        return activities.locale(self.context.activity)

    @property
    def bot_id(self) -> str:
        return str(getattr(self.context.activity.recipient, "id", "") or "")

    @property
    def tenant_id(self) -> str | None:
        return activities.tenant_id(self.context.activity)

    @property
    def reply_to_id(self) -> str | None:
        reply_to_id: str | None = self.context.activity.reply_to_id
        return reply_to_id or None

    @property
    def refresh_trigger(self) -> str | None:
        return activities.refresh_trigger(self.context.activity)

    @property
    def sdk_context(self) -> TurnContext:
        return self.context

    async def send(self, text: str | None, card: Card | None, *, on_sent: str | None) -> str | None:
        if card is not None:
            message = MessageFactory.attachment(attachment(card), text=text)
        else:
            message = MessageFactory.text(text or "")
        if on_sent:
            setattr(message, ON_SENT, on_sent)
        response: ResourceResponse | None = await self.context.send_activity(message)
        # A message Teams refused for now stays queued: its response's id is empty.
        return (response.id or None) if response is not None else None

    def mark_committed(self) -> None:
        signal = self.context.turn_state.get(COMMITTED_KEY)
        if signal is not None:
            signal.set()

    def mark_dialog_finished(self) -> None:
        self.context.turn_state[DIALOG_FINISHED] = True

    async def begin_dialog(self, dialog_id: str, options: Any) -> None:
        if self.dialog_context is None:
            raise RuntimeError("dialogs are not available in this turn")
        await self.dialog_context.begin_dialog(dialog_id, options)


def io_of(turn: Turn) -> ContextIO:
    """The SDK side of a turn this package started."""
    if not isinstance(turn.io, ContextIO):
        raise TypeError("the turn was not started by bot.sdk.turn.start_turn")
    return turn.io


def start_turn(context: TurnContext, session: AsyncSession, services: Services) -> Turn:
    """The Turn of `context`, findable with Turn.of(context), whose writes commit before
    anything it sends (or updates) leaves."""
    turn = Turn(ContextIO(context), session, services)
    context.turn_state[TURN_KEY] = turn
    hook = _commit_before_sending(turn)
    context.on_send_activities(hook)
    context.on_update_activity(hook)
    return turn


def _commit_before_sending(
    turn: Turn,
) -> Callable[[TurnContext, Any, Callable[[], Awaitable[Any]]], Awaitable[Any]]:
    """A TurnContext send/update hook: each message becomes an outbox row in the turn's
    transaction, which commits first; then the messages go (bot/sdk/adapter.py)."""

    async def hook(context: TurnContext, payload: Any, send: Callable[[], Awaitable[Any]]) -> Any:
        messages = []
        if turn.services.outbox is not None and isinstance(payload, list):
            max_age = turn.reply_max_age
            messages = [
                (activity, outgoing(context, activity, max_age=max_age))
                for activity in payload
                if activity.type in (None, ActivityTypes.message)
            ]
        tickets = await turn.commit_with([message for _, message in messages])
        for (activity, _), ticket in zip(messages, tickets, strict=True):
            setattr(activity, TICKET, ticket)
        return await send()

    return hook
