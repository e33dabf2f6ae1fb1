"""The `poll` dialog (poll.mmd), begun by `poll` alone or by a `poll` line that left parts out
(what it gave is filled in). In a channel or group chat everything is asked on one card: a
typed answer there reaches the bot only with an @mention. In the 1:1 chat the question and the
options are typed, then the settings card, which also offers the channels the person may post
to. Nothing is stored before the last step; `cancel` ends it anywhere."""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptValidatorContext, TextPrompt

from bot.sdk.prompts import CardPrompt, ask, ask_card
from bot.turn import Turn
from dialogs import once
from dialogs.poll.cards import settings_card
from dialogs.poll.service import create_poll, place_label, postable_channels
from domain.polls import PollError, PollSpec, split_options, validate_options, validate_question
from domain.text import quote
from domain.when import WhenError, describe, parse_when

DIALOG_ID = "poll.create"
HERE = "here"


def _given_options(prompt: PromptValidatorContext) -> list[str]:
    return list((prompt.options.validations or {}).get("given") or [])


class PollDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(TextPrompt("poll.question", self._check_question))
        self.add_dialog(TextPrompt("poll.options", self._check_options))
        self.add_dialog(CardPrompt("poll.settings", self._check_settings))
        self.add_dialog(
            WaterfallDialog(
                "poll.steps",
                [
                    self.ask_question_step,
                    self.ask_options_step,
                    self.ask_settings_step,
                    self.create_poll_step,
                ],
            )
        )
        self.initial_dialog_id = "poll.steps"

    @staticmethod
    async def _check_question(prompt: PromptValidatorContext) -> bool:
        try:
            validate_question(prompt.recognized.value or "")
        except PollError as error:
            await prompt.context.send_activity(f"{error} What is the question? (or `cancel`)")
            return False
        return True

    @staticmethod
    async def _check_options(prompt: PromptValidatorContext) -> bool:
        typed = split_options(prompt.recognized.value or "")
        try:
            validate_options([*_given_options(prompt), *typed])
        except PollError as error:
            await prompt.context.send_activity(f"{error} Type the options again (or `cancel`).")
            return False
        return True

    @staticmethod
    async def _check_settings(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        value: dict[str, Any] = prompt.recognized.value
        context = prompt.options.validations or {}
        turn = Turn.of(prompt.context)
        problems = []
        if context.get("draft"):
            # The channel's draft card: the question and the options are on it.
            try:
                validate_question(str(value.get("question") or ""))
            except PollError as error:
                problems.append(str(error).rstrip("."))
            try:
                validate_options(split_options(str(value.get("options") or "")))
            except PollError as error:
                problems.append(str(error).rstrip("."))
        closes = str(value.get("closes") or "").strip()
        if closes:
            try:
                parse_when(closes, turn.now(), await turn.timezone(), locale=turn.locale)
            except WhenError as error:
                problems.append(f"closing time: {str(error).rstrip('.')}")
        post_to = str(value.get("post_to") or HERE)
        if post_to not in context.get("places", [HERE]):
            problems.append("post it to one of the channels the card offers")
        if problems:
            await prompt.context.send_activity(
                "Please fix the card and press Create poll again: " + "; ".join(problems) + "."
            )
            return False
        return True

    async def ask_question_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        given: dict[str, Any] = dict(step.options or {})
        step.values[once.INSTANCE] = once.new_instance()
        step.values["given"] = given
        if not turn.is_personal:
            return await step.next(None)  # the draft card asks for everything at once
        if given.get("question"):
            return await step.next(given["question"])
        return await step.prompt(
            "poll.question", ask("What is the poll's question? (`cancel` stops)")
        )

    async def ask_options_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result is None:
            return await step.next(None)
        step.values["question"] = validate_question(str(step.result))
        given = list(step.values["given"].get("options") or [])
        if given:
            listed = ", ".join(quote(option, 40) for option in given)
            text = (
                f"Options for {quote(step.values['question'])} so far: {listed}. Type the others, "
                "one per line or separated by |."
            )
        else:
            text = "Type the options, 2 to 10: one per line, or separated by |."
        options = ask(text)
        options.validations = {"given": given}
        return await step.prompt("poll.options", options)

    async def ask_settings_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        given: dict[str, Any] = step.values["given"]
        draft = step.result is None
        places: list[tuple[str, str]] = []
        if not draft:
            typed = split_options(str(step.result))
            step.values["options"] = list(validate_options([*(given.get("options") or []), *typed]))
            channels = await postable_channels(turn)
            if channels:
                places = [("This chat", HERE)] + [
                    (await place_label(turn, channel), str(channel.id)) for channel in channels
                ]
        card = settings_card(
            question=given.get("question") or "" if draft else None,
            options=tuple(given.get("options") or ()),
            multi=bool(given.get("multi")),
            anonymous=bool(given.get("anonymous")),
            closes=str(given.get("closes") or ""),
            places=places,
        )
        options = ask_card(
            once.stamp(card, step.values.get(once.INSTANCE)),
            retry="Please fill in the card above and press Create poll (or type `cancel`).",
        )
        options.validations = {
            "draft": draft,
            "places": [value for _, value in places] or [HERE],
        }
        return await step.prompt("poll.settings", options)

    async def create_poll_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        answers: dict[str, Any] = step.result
        if "question" not in step.values:  # the draft card
            step.values["question"] = validate_question(str(answers.get("question") or ""))
            step.values["options"] = list(
                validate_options(split_options(str(answers.get("options") or "")))
            )
        closes = str(answers.get("closes") or "").strip()
        zone = await turn.timezone()
        spec = PollSpec(
            question=step.values["question"],
            options=tuple(step.values["options"]),
            multi=answers.get("mode") == "multi",
            anonymous=str(answers.get("anonymous")).lower() == "true",
            closes_at=parse_when(closes, turn.now(), zone, locale=turn.locale) if closes else None,
        )
        post_to = str(answers.get("post_to") or HERE)
        poll = await create_poll(
            turn,
            spec,
            once.key_of(turn, step.values),
            channel_pk=None if post_to == HERE else int(post_to),
        )
        if poll is not None and spec.closes_at is not None:
            await step.context.send_activity(
                MessageFactory.text(f"It closes {describe(spec.closes_at, zone)}.")
            )
        return await step.end_dialog()
