"""The Teams activity handler: a thin shell that records where it is, then routes.

Every turn runs in one session. Whatever the turn wrote is committed before anything is sent
to Teams (a reply never confirms what could still roll back, and no database lock is held
across a network call); the rest, dialog state included, is committed at the end.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import ComponentDialog, DialogContext, DialogSet, DialogTurnStatus
from botbuilder.dialogs.prompts import Prompt
from botbuilder.schema import Activity, ActivityTypes

from bot import file_delivery
from bot.cards import COMMAND_VERB, DIALOG_VERB, INSTANCE, help_card
from bot.handler import (
    CANCEL_WORDS,
    DIALOG_FINISHED,
    Waiting,
    deliver_submit_result,
    interrupts,
    invoke_body,
    left_behind,
    run_command,
    still_waiting,
)
from bot.router import ActionResult, Router
from bot.sdk import activities
from bot.sdk.prompts import CardPrompt
from bot.sdk.references import ReferenceCache
from bot.sdk.state import DialogState, SqlStorage, current_session
from bot.sdk.turn import io_of, start_turn
from bot.services import Services
from bot.turn import Turn
from storage import channels, finished
from storage.state import ETagConflict

log = logging.getLogger(__name__)

# botbuilder 4.17.1 has no public way to leave an invoke response for the adapter other than
# "sending" it, which deep-copies the activity, card and all. Its adapters read the response
# from this turn_state key, which only its classes name (privately); it stays here, inside the
# SDK fence, so that an SDK upgrade that renames it breaks this one line.
_INVOKE_RESPONSE_KEY: str = TurnContext._INVOKE_RESPONSE_KEY


def answer_invoke(turn_context: TurnContext, result: ActionResult) -> InvokeResponse:
    """Leave the invoke response where the adapter reads it, instead of "sending" it:
    TurnContext.send_activity deep-copies the activity, card and all, which was a tenth of a
    vote turn's CPU."""
    response = InvokeResponse(status=int(HTTPStatus.OK), body=invoke_body(result))
    turn_context.turn_state[_INVOKE_RESPONSE_KEY] = Activity(
        type=ActivityTypes.invoke_response, value=response
    )
    return response


class IccBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(self, services: Services, router: Router) -> None:
        super().__init__()
        self.services = services
        self.router = router
        self.references = ReferenceCache()
        self.dialog_state = DialogState(SqlStorage(services.database))
        self.dialogs = DialogSet(self.dialog_state.create_property("DialogState"))
        for dialog in router.dialogs:
            self.dialogs.add(dialog)

    # --- the turn's unit of work ---------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        activities.sanitize(activity)
        async with self.services.database.sessions() as session:
            token = current_session.set(session)
            try:
                turn = start_turn(turn_context, session, self.services)
                if activity.type in (ActivityTypes.message, ActivityTypes.invoke):
                    turn.channel_id = await self.references.record(session, activity)
                await super().on_turn(turn_context)
                try:
                    await self.dialog_state.save_changes(turn_context)
                except ETagConflict:
                    if not turn_context.turn_state.get(DIALOG_FINISHED):
                        raise
                    # Two deliveries of a dialog's last click both ended it: whichever wrote
                    # the state first holds the same ending (or a dialog begun since).
                    log.info("dialog state of %s already moved on", activity.id)
                if session.in_transaction():  # a turn that committed early has nothing left
                    await session.commit()
            finally:
                current_session.reset(token)

    # --- install / uninstall -------------------------------------------------------------

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        turn = Turn.of(turn_context)
        bot_id = activity.recipient.id
        event = activities.channel_data(activity).get("eventType")
        if any(member.id == bot_id for member in activity.members_added or []):
            channel = await channels.record(turn.session, activities.conversation_info(activity))
            turn.channel_id = channel.id
            log.info(
                "installed in conversation %s (team %s)", channel.conversation_id, channel.team_id
            )
            # A personal or group chat is a chat, not a channel.
            where = "this channel's" if turn.is_channel else "this chat's"
            await turn.reply(
                f"Hello! I'm the ICC bot. I keep {where} ecosystem calls, TAG sessions, "
                "polls and reminders running.",
                help_card(self.router.help_entries()),
            )
        elif any(member.id == bot_id for member in activity.members_removed or []) or event in (
            "teamDeleted",
            "teamArchived",
        ):
            await self._record_uninstall(turn, f"bot removed ({event or 'membersRemoved'})")
        elif event == "channelDeleted":
            deleted = activities.channel_data(activity).get("channel") or {}
            if isinstance(deleted, dict) and deleted.get("id"):
                await channels.mark_uninstalled(
                    turn.session, conversation_id=deleted["id"], reason="channel deleted"
                )
        elif activity.conversation and activity.service_url:
            # Renames and other updates: keep the stored reference fresh.
            await channels.record(turn.session, activities.conversation_info(activity))
        self.references.forget()  # installs and removals change what is stored

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        turn = Turn.of(turn_context)
        channel = await channels.record(
            turn.session, activities.conversation_info(turn_context.activity)
        )
        turn.channel_id = channel.id
        self.references.forget()
        log.info("installation added in %s", channel.conversation_id)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._record_uninstall(Turn.of(turn_context), "app uninstalled")

    async def _record_uninstall(self, turn: Turn, reason: str) -> None:
        self.references.forget()
        activity = io_of(turn).activity
        team = activities.team_id(activity)
        count = await channels.mark_uninstalled(
            turn.session,
            conversation_id=activities.base_conversation_id(activity.conversation.id),
            team_id=team,
            reason=reason,
        )
        log.info(
            "uninstalled from %s (team %s): %d channel(s) disabled",
            activity.conversation.id,
            team,
            count,
        )

    # --- messages ------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        turn = Turn.of(turn_context)
        value = turn_context.activity.value
        verb = value.get("verb") if isinstance(value, dict) else None
        if isinstance(verb, str) and verb in self.router.actions:
            # A feature's card button: no dialog is involved, so no dialog state is read.
            result = await self.router.actions[verb](turn, value)
            await deliver_submit_result(turn, result)
            return
        dialogs = await self._open_dialogs(turn)
        if value is not None:
            await self._on_submit(turn, dialogs, value)
            return
        # Prompts read activity.text: give them what the person typed, without the @mention.
        text = activities.command_text(turn_context.activity)
        turn_context.activity.text = text
        if text.lower() in CANCEL_WORDS:
            await self._cancel(turn, dialogs)
            return
        if dialogs.active_dialog is not None:
            # A command typed while a question waits interrupts it (rule in bot/handler.py).
            if interrupts(self.router, text, await self._waiting(dialogs)) is not None:
                await self._run_interrupting(turn, dialogs, text)
                return
            await dialogs.continue_dialog()
            return
        await run_command(self.router, turn, text)

    async def _waiting(self, dialogs: DialogContext) -> Waiting:
        """The open dialogs, and whether the question now asked takes typed text: the prompt on
        top of the innermost stack (a ComponentDialog keeps its own stack in its state)."""
        starters = tuple(self.router.starter_of(instance.id) for instance in dialogs.stack)
        instance = dialogs.active_dialog
        asking = dialogs.find_dialog_sync(instance.id) if instance else None
        stamped: str | None = None
        while isinstance(asking, ComponentDialog) and instance is not None:
            inner = instance.state.get(ComponentDialog.persisted_dialog_state)
            stack = getattr(inner, "dialog_stack", None)
            if not stack:
                break
            for entry in stack:  # the waterfall keeps the instance in its step values
                values = entry.state.get("values") if isinstance(entry.state, dict) else None
                if isinstance(values, dict) and isinstance(values.get(INSTANCE), str):
                    stamped = values[INSTANCE]
            instance = stack[0]
            asking = await asking.find_dialog(instance.id)
        typed = isinstance(asking, Prompt) and not isinstance(asking, CardPrompt)
        return Waiting(starters, typed, stamped)

    async def _run_interrupting(self, turn: Turn, dialogs: DialogContext, text: str) -> None:
        """Run the command `text` while dialogs are open: beside them (`help`, the question
        stays), or after leaving them, saying so; `cancel` ends them."""
        if text.lower() in CANCEL_WORDS:
            await self._cancel(turn, dialogs)
            return
        waiting = await self._waiting(dialogs)
        command, _ = self.router.resolve(text)
        if command is not None and command.keeps_dialogs:
            await run_command(self.router, turn, text)
            await turn.reply(still_waiting(waiting))
            return
        if command is not None:
            await dialogs.cancel_all_dialogs()
            await turn.reply(left_behind(waiting, text))
        await run_command(self.router, turn, text)

    async def _open_dialogs(self, turn: Turn) -> DialogContext:
        """Read the sender's dialog state: the turn may now begin or continue dialogs."""
        io = io_of(turn)
        io.dialog_context = await self.dialogs.create_context(io.context)
        return io.dialog_context

    async def _run_command(self, turn: Turn, dialogs: DialogContext, text: str) -> None:
        if dialogs.active_dialog is not None:
            await self._run_interrupting(turn, dialogs, text)
        else:
            await run_command(self.router, turn, text)

    async def _cancel(self, turn: Turn, dialogs: DialogContext) -> None:
        if dialogs.active_dialog is None:
            await turn.reply("There is nothing to cancel.")
            return
        await dialogs.cancel_all_dialogs()
        await turn.reply("Cancelled. Nothing from that conversation was saved.")

    async def _on_submit(self, turn: Turn, dialogs: DialogContext, value: Any) -> None:
        """Action.Submit: a message whose `value` carries the card's data and inputs."""
        verb = value.get("verb") if isinstance(value, dict) else None
        if verb == COMMAND_VERB and isinstance(value.get("text"), str):
            # A button that types a command: always a command, never a dialog's answer.
            await self._run_command(turn, dialogs, value["text"].strip())
            return
        if verb == DIALOG_VERB or (verb is None and isinstance(value, dict)):
            # A card of a dialog instance already saved: say what it became, change nothing.
            instance = value.get(INSTANCE)
            done = await finished.get(turn.session, instance) if isinstance(instance, str) else None
            if done is not None:
                await turn.reply(finished.already_saved(done))
                return
            waiting = await self._waiting(dialogs) if dialogs.active_dialog else None
            other = (
                waiting is not None
                and waiting.instance is not None
                and isinstance(instance, str)
                and instance != waiting.instance
            )
            if waiting is not None and other:
                named = " or ".join(f"`{word}`" for word in waiting.starts()) or "that form"
                await turn.reply(
                    f"That card is from an earlier run of {named}: please use the latest card "
                    "above (or type `cancel`)."
                )
                return
            if waiting is not None:
                result = await dialogs.continue_dialog()
                if result.status != DialogTurnStatus.Empty:
                    return
            await turn.reply(
                "That form is no longer waiting for an answer. Start again from the command."
            )
            return
        log.info("card submit with unknown verb %r in %s", verb, turn.reply_conversation_id)
        await turn.reply(
            "That button is not something I can act on (it may be from an older card)."
        )

    # --- invokes (Action.Execute) --------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name == "fileConsent/invoke":
            # Answered 200 with no body whatever came of it: the outcome is a chat message.
            await file_delivery.answer_consent(Turn.of(turn_context), turn_context.activity.value)
            response = InvokeResponse(status=int(HTTPStatus.OK))
            turn_context.turn_state[_INVOKE_RESPONSE_KEY] = Activity(
                type=ActivityTypes.invoke_response, value=response
            )
            return response
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        turn = Turn.of(turn_context)
        value = turn_context.activity.value
        action = value.get("action") if isinstance(value, dict) else None
        verb = action.get("verb") if isinstance(action, dict) else None
        data = action.get("data") if isinstance(action, dict) else None
        if not isinstance(data, dict):
            data = {}
        if verb == COMMAND_VERB and isinstance(data.get("text"), str):
            dialogs = await self._open_dialogs(turn)
            await self._run_command(turn, dialogs, data["text"].strip())
            return answer_invoke(turn_context, ActionResult(message="OK"))
        handler = self.router.actions.get(verb) if isinstance(verb, str) else None
        if handler is None:
            log.info(
                "invoke with unknown verb %r in %s", verb, turn_context.activity.conversation.id
            )
            result = ActionResult.refuse(
                "That button is not something I can act on (it may be from an older card)."
            )
        else:
            result = await handler(turn, data)
        return answer_invoke(turn_context, result)
