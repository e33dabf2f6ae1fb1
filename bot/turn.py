"""One inbound turn as the features see it: who spoke, where, the turn's unit of work, replies."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment, ResourceResponse
from sqlalchemy.ext.asyncio import AsyncSession

from bot import activities, members
from bot.adapter import ON_SENT, TICKET, outgoing
from bot.cards import Card, attachment, split_card
from bot.files import File
from bot.outbound import Target
from bot.outbox import Message
from storage import people
from storage.models import Person, RoleAssignment

if TYPE_CHECKING:
    from botbuilder.dialogs import DialogContext

    from bot.services import Services

TURN_KEY = "icc.turn"
# An asyncio.Event the endpoint may leave in turn_state: set once the turn's writes so far are
# committed, so answering 202 before the turn ends promises nothing that could still roll back.
COMMITTED_KEY = "icc.committed"


@dataclass
class Turn:
    context: TurnContext
    session: AsyncSession
    services: Services
    channel_id: int | None = None
    dialog_context: DialogContext | None = None
    _person: Person | None = field(default=None, init=False)
    _person_loaded: bool = field(default=False, init=False)
    _roles: list[RoleAssignment] | None = field(default=None, init=False)

    @classmethod
    def of(cls, context: TurnContext) -> Turn:
        turn = context.turn_state.get(TURN_KEY)
        if not isinstance(turn, Turn):
            raise RuntimeError("no Turn on this TurnContext")
        return turn

    @property
    def activity(self) -> Activity:
        return self.context.activity

    @property
    def sender(self) -> activities.Sender:
        return activities.sender(self.activity)

    @property
    def activity_key(self) -> str:
        """A key that is the same when Teams re-delivers this activity."""
        conversation = activities.base_conversation_id(self.activity.conversation.id)
        return f"{conversation}|{self.activity.id or ''}"

    @property
    def now(self) -> Callable[[], datetime]:
        return self.services.clock

    @property
    def conversation_id(self) -> str:
        """The conversation (channel or chat) without the thread part."""
        return activities.base_conversation_id(self.activity.conversation.id)

    @property
    def is_personal(self) -> bool:
        return activities.conversation_type(self.activity) == "personal"

    @property
    def is_channel(self) -> bool:
        return activities.conversation_type(self.activity) == "channel"

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
                    members.directory(self.services),
                    service_url=self.activity.service_url or "",
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
            activities.client_timezone(self.activity),
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
        self._committed()

    async def commit_before_sending(
        self, context: TurnContext, payload: Any, send: Callable[[], Awaitable[Any]]
    ) -> Any:
        """A TurnContext send/update hook: each message becomes an outbox row in the turn's
        transaction, which commits first; then the messages go (bot/adapter.py)."""
        outbox = self.services.outbox
        staged = []
        if outbox is not None and isinstance(payload, list):
            max_age = timedelta(seconds=self.services.settings.outbox_reply_max_age_seconds)
            for activity in payload:
                if activity.type in (None, ActivityTypes.message):
                    message = outgoing(context, activity, max_age=max_age)
                    staged.append(
                        (activity, outbox.stage(self.session, message, claim=True), message)
                    )
        if self.session.in_transaction():
            await self.session.commit()
        self._committed()
        for activity, row, message in staged:
            setattr(activity, TICKET, outbox.ticket_of(row, message))  # type: ignore[union-attr]
        return await send()

    def _committed(self) -> None:
        signal = self.context.turn_state.get(COMMITTED_KEY)
        if signal is not None:
            signal.set()

    async def reply(
        self,
        text: str | None = None,
        card: Card | None = None,
        *,
        files: list[File] | None = None,
        on_sent: str | None = None,
    ) -> ResourceResponse | None:
        """Send a message here. It is queued if Teams refuses it now: the response's id is then
        empty, and `on_sent` ("<handler>:<argument>", bot/outbox.py) is told the id once the
        queued message is delivered."""
        if card is not None:
            *first_parts, last = split_card(card)
            for part in first_parts:  # a card over Teams' message size goes out in parts
                await self.context.send_activity(
                    MessageFactory.attachment(attachment(part), text=text)
                )
                text = None
            message = MessageFactory.attachment(attachment(last), text=text)
        else:
            message = MessageFactory.text(text or "")
        if files:
            message.attachments = (message.attachments or []) + [_attachment_of(f) for f in files]
        if on_sent:
            setattr(message, ON_SENT, on_sent)
        result: ResourceResponse | None = await self.context.send_activity(message)
        return result

    async def post(
        self, target: Target, activity: dict[str, Any], *, on_sent: str | None = None
    ) -> str | None:
        """Post a message to another conversation (e.g. the channel linked to a city): an
        outbox row in this turn's transaction, sent after its commit. Returns the activity id,
        or None when Teams refused it for now and it stays queued (`on_sent` is told the id
        when it is delivered). ConversationGone/DeliveryFailed: refused for good."""
        outbox = self.services.require_outbox()
        max_age = timedelta(seconds=self.services.settings.outbox_reply_max_age_seconds)
        message = Message(
            kind="send", target=target, body=activity, on_sent=on_sent,
            expires_at=self.now() + max_age,
        )  # fmt: skip
        row = outbox.stage(self.session, message, claim=True)
        await self.commit()
        return await outbox.try_now(outbox.ticket_of(row, message))

    async def update_card(
        self, target: Target, activity_id: str, activity: dict[str, Any], *, card_key: str
    ) -> bool:
        """Replace a posted card, through the outbox (one queued state per `card_key`, the
        latest). False when Teams refused it for now and it stays queued."""
        outbox = self.services.require_outbox()
        message = Message(
            kind="update", target=target, body=activity, activity_id=activity_id,
            card_key=card_key,
        )  # fmt: skip
        ticket = await outbox.stage_card(self.session, message)
        await self.commit()
        return await outbox.try_now(ticket) is not None

    async def begin_dialog(self, dialog_id: str, options: Any = None) -> None:
        if self.dialog_context is None:
            raise RuntimeError("dialogs are not available in this turn")
        await self.dialog_context.begin_dialog(dialog_id, options)


def _attachment_of(file: File) -> Attachment:
    """Sent inline as a data: URI (what the Teams emulator shows; real Teams accepts it only for
    images — issue 20 moves files to the consent flow)."""
    encoded = base64.b64encode(file.content).decode("ascii")
    return Attachment(
        content_type=file.content_type,
        content_url=f"data:{file.content_type};base64,{encoded}",
        name=file.name,
    )
