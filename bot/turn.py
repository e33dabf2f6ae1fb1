"""One inbound turn as the features see it: who spoke, where, the turn's unit of work, replies.

SDK-free: the SDK's side of a turn (the incoming activity, sending, dialogs) sits behind
`TurnIO`, which bot/sdk/turn.py implements on botbuilder's TurnContext.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from bot import file_delivery, members
from bot.activities import Sender
from bot.cards import Card, card_message, split_card
from bot.files import File
from bot.outbound import ConversationGone, DeliveryFailed, Target
from bot.outbox import Message, Ticket
from domain.text import base_conversation_id
from domain.when import DEFAULT_LOCALE
from storage import channels, people
from storage.models import Person, RoleAssignment

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

TURN_KEY = "icc.turn"


class TurnIO(Protocol):
    """The SDK's side of one turn: what arrived, and how to answer it."""

    @property
    def activity_id(self) -> str | None: ...

    @property
    def conversation_id(self) -> str:
        """As the activity names it: a channel thread's id includes the thread."""
        ...

    @property
    def service_url(self) -> str: ...

    @property
    def sender(self) -> Sender: ...

    @property
    def conversation_type(self) -> str:
        """ "personal", "channel" or "groupChat"."""
        ...

    @property
    def client_timezone(self) -> str | None: ...

    @property
    def locale(self) -> str | None:
        """The sender's Teams locale ("en-GB", "de-DE"), if the activity names one."""
        ...

    @property
    def bot_id(self) -> str:
        """The bot's own account id in this conversation (the activity's recipient)."""
        ...

    @property
    def tenant_id(self) -> str | None: ...

    @property
    def reply_to_id(self) -> str | None:
        """The message a card click came from (its `replyToId`), if the activity names one."""
        ...

    @property
    def refresh_trigger(self) -> str | None:
        """ "automatic" when Teams asks for one person's view of a card (Universal Actions
        refresh), "manual" for a click; None for anything but an Action.Execute invoke."""
        ...

    async def send(self, text: str | None, card: Card | None, *, on_sent: str | None) -> str | None:
        """Send one message here; the new activity's id, or None while it waits in the outbox."""
        ...

    def mark_committed(self) -> None:
        """Tell the endpoint that what the turn wrote so far is durable."""
        ...

    def mark_dialog_finished(self) -> None:
        """Tell the activity handler that this turn's dialog saved (or refused) its result."""
        ...

    async def begin_dialog(self, dialog_id: str, options: Any) -> None: ...


class HasTurnState(Protocol):
    """The SDK's turn object as far as Turn.of needs it (a botbuilder TurnContext)."""

    turn_state: dict[str, Any]


@dataclass(frozen=True)
class Sent:
    """What became of a reply: the new activity's id, or None while it waits in the outbox."""

    id: str | None


@dataclass
class Turn:
    io: TurnIO
    session: AsyncSession
    services: Services
    channel_id: int | None = None
    _person: Person | None = field(default=None, init=False)
    _person_loaded: bool = field(default=False, init=False)
    _roles: list[RoleAssignment] | None = field(default=None, init=False)

    @classmethod
    def of(cls, context: HasTurnState) -> Turn:
        """The Turn of the SDK's turn object (a dialog step's `step_context.context`)."""
        turn = context.turn_state.get(TURN_KEY)
        if not isinstance(turn, Turn):
            raise RuntimeError("no Turn on this TurnContext")
        return turn

    @property
    def activity_id(self) -> str | None:
        return self.io.activity_id

    @property
    def service_url(self) -> str:
        return self.io.service_url

    @property
    def reply_conversation_id(self) -> str:
        """The conversation as the activity names it (a channel thread included): where a
        reply to this turn goes."""
        return self.io.conversation_id

    @property
    def sender(self) -> Sender:
        return self.io.sender

    @property
    def activity_key(self) -> str:
        """A key that is the same when Teams re-delivers this activity."""
        return f"{self.conversation_id}|{self.io.activity_id or ''}"

    @property
    def now(self) -> Callable[[], datetime]:
        return self.services.clock

    @property
    def conversation_id(self) -> str:
        """The conversation (channel or chat) without the thread part."""
        return base_conversation_id(self.io.conversation_id)

    @property
    def is_personal(self) -> bool:
        return self.io.conversation_type == "personal"

    @property
    def is_channel(self) -> bool:
        return self.io.conversation_type == "channel"

    @property
    def tenant_id(self) -> str | None:
        return self.io.tenant_id

    @property
    def bot_id(self) -> str:
        return self.io.bot_id

    @property
    def is_automatic_refresh(self) -> bool:
        """Teams asking for the sender's own view of a card: answer with that view only, never
        update the shared message (which would make Teams refresh everyone's again: a loop)."""
        return self.io.refresh_trigger == "automatic"

    @property
    def locale(self) -> str:
        """How the sender writes dates: their Teams client's locale, else the programme's."""
        return self.io.locale or DEFAULT_LOCALE

    async def person(self) -> Person | None:
        """The roster entry of whoever sent this activity, if the roster knows them.

        By their Teams ids; failing that, when the roster knows people by e-mail only, by the
        e-mail Teams gives for the member (asked once, then the ids are stored). Never by name.
        """
        if not self._person_loaded:
            who = self.sender
            person = await people.find_by_teams_identity(
                self.session, who.user_id, who.aad_object_id
            )
            # Nobody, or only the role-less row a time zone made: perhaps a roster person
            # known by e-mail who speaks for the first time.
            if person is None or (person.email is None and not await self._roles_of(person)):
                claimed = await members.recognise(
                    self.session,
                    self.services.require_members(),
                    service_url=self.service_url,
                    conversation_id=self.conversation_id,
                    sender=who,
                    found=person,
                )
                if claimed is not None:
                    person, self._roles = claimed, None
            self._person = person
            self._person_loaded = True
        return self._person

    async def _roles_of(self, person: Person) -> list[RoleAssignment]:
        self._roles = await people.roles_of(self.session, person.id)
        return self._roles

    async def timezone(self) -> ZoneInfo:
        """The sender's zone: their roster setting, else what their Teams client reports,
        else the programme default."""
        person = await self.person()
        candidates = [
            person.timezone if person else None,
            self.io.client_timezone,
        ]
        for name in candidates:
            if name:
                try:
                    return ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError):
                    continue
        return ZoneInfo(self.services.settings.default_timezone)

    async def roles(self) -> list[RoleAssignment]:
        person = await self.person()  # may have read the roles already
        if self._roles is None:
            self._roles = await people.roles_of(self.session, person.id) if person else []
        return self._roles

    async def commit(self) -> None:
        """Make this turn's writes durable now (before a reply confirms them)."""
        await self.session.commit()
        self.io.mark_committed()

    async def commit_with(self, messages: list[Message]) -> list[Ticket]:
        """Stage the turn's outgoing messages as outbox rows in its transaction, then commit:
        what the turn wrote and the messages confirming it become durable together, and go
        afterwards (bot/sdk/turn.py calls this just before the SDK sends)."""
        outbox = self.services.outbox
        rows = (
            [outbox.stage(self.session, m, claim=True) for m in messages]
            if outbox is not None
            else []
        )
        if self.session.in_transaction():
            await self.session.commit()
        self.io.mark_committed()
        if outbox is None:
            return []
        return [outbox.ticket_of(row, m) for row, m in zip(rows, messages, strict=True)]

    @property
    def reply_max_age(self) -> timedelta:
        """How long a reply may wait in the outbox before it is no longer worth sending."""
        return timedelta(seconds=self.services.settings.outbox_reply_max_age_seconds)

    async def reply(
        self,
        text: str | None = None,
        card: Card | None = None,
        *,
        on_sent: str | None = None,
    ) -> Sent:
        """Send a message here. It is queued if Teams refuses it now: its id is then None, and
        `on_sent` ("<handler>:<argument>", bot/outbox.py) is told the id once the queued
        message is delivered."""
        if card is not None:
            *first_parts, card = split_card(card)
            for part in first_parts:  # a card over Teams' message size goes out in parts
                await self.io.send(text, part, on_sent=None)
                text = None
        else:
            text = text or ""
        return Sent(await self.io.send(text, card, on_sent=on_sent))

    async def send_file(self, file: File, text: str) -> None:
        """Give the sender `file` the way Teams accepts files from a bot (bot/file_delivery.py):
        `text` says what it is ("Minutes #3 as Word, ready to e-mail to the stakeholders.")."""
        await file_delivery.deliver(self, file, text)

    async def post(self, target: Target, card: Card, *, on_sent: str | None = None) -> str | None:
        """Post a card to another conversation (e.g. the channel linked to a city): an
        outbox row in this turn's transaction, sent after its commit. Returns the activity id,
        or None when Teams refused it for now and it stays queued (`on_sent` is told the id
        when it is delivered). ConversationGone/DeliveryFailed: refused for good."""
        return await self.post_activity(target, card_message(card), on_sent=on_sent)

    async def post_activity(
        self, target: Target, body: dict[str, Any], *, on_sent: str | None = None
    ) -> str | None:
        """`post` for a message that is not one Adaptive Card (a file card, a link)."""
        message = Message(
            kind="send", target=target, body=body, on_sent=on_sent,
            expires_at=self.now() + self.reply_max_age,
        )  # fmt: skip
        return await self._send_now(message)

    async def _send_now(self, message: Message) -> str | None:
        """`message` as an outbox row in this turn's transaction, committed, then tried at once."""
        outbox = self.services.require_outbox()
        row = outbox.stage(self.session, message, claim=True)
        await self.commit()
        return await outbox.try_now(outbox.ticket_of(row, message))

    async def update_clicked(self, card: Card) -> bool:
        """Replace, for everyone, the card of the message this click came from (a shared card
        whose clicker is answered with their own view): an outbox row, sent after the turn's
        commit. False when the click names no message (nothing to update)."""
        activity_id = self.io.reply_to_id
        if not activity_id or self.is_automatic_refresh:
            return False  # an automatic refresh never updates the shared card: that loops
        target = Target(
            self.service_url,
            self.reply_conversation_id,
            await channels.tenant_of(self.session, self.conversation_id),
        )
        message = Message(
            kind="update", target=target, body=card_message(card), activity_id=activity_id,
            expires_at=self.now() + self.reply_max_age,
        )  # fmt: skip
        try:
            await self._send_now(message)
        except (ConversationGone, DeliveryFailed) as error:
            # The message is gone (or the bot from there): the clicker still gets their view.
            log.warning("clicked card %s could not be updated: %s", activity_id, error)
            return False
        return True

    def mark_dialog_finished(self) -> None:
        self.io.mark_dialog_finished()

    async def begin_dialog(self, dialog_id: str, options: Any = None) -> None:
        await self.io.begin_dialog(dialog_id, options)
