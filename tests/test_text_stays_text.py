"""Text stays text: whatever people type (or a card submits) is shown literally, in plain
replies and in cards alike. Teams renders Markdown in a plain message, in a TextBlock and in
a FactSet's titles and values; a poll question such as `[click](http://evil)` must not become
a link, `**b**` bold, `# h` a heading or `<at>` a mention.

Every scenario collects what the fake connector recorded (sends, replies, updates) and what
invoke responses carried, and checks every field that renders Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import teams
from tests.harness.agenda import TAG, commitments_answer, unchanged, when
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.minutes import later, run_minutes, setup_value
from tests.harness.remind import setup_form

# As a person types them in Teams (the client sends `<` as an entity) and as a card submits them.
TYPED = "# h [x](http://evil.example) **b** &lt;at&gt;Eve&lt;/at&gt;"
SUBMITTED = "# h [x](http://evil.example) **b** <at>Eve</at>"

# Markup that would act if it reached a Markdown field unescaped.
ACTIVE = [
    re.compile(r"(?<!\\)\[x"),  # a link's text…
    re.compile(r"(?<!\\)\]\("),  # …or its target
    re.compile(r"(?<!\\)\*\*b"),  # bold
    re.compile(r"(?<!\\)<at"),  # a mention or HTML
    re.compile(r"(?<!\\)# h"),  # a heading
]
# Where Adaptive Cards render Markdown; everything else in a card is plain text.
MARKDOWN_FIELDS = {("TextBlock", "text"), ("Fact", "title"), ("Fact", "value")}


def _card_strings(node: Any, parent: str = "") -> Iterator[tuple[bool, str]]:
    """(renders Markdown?, string) for the strings of a card a reader sees."""
    if isinstance(node, dict):
        kind = str(node.get("type") or ("Fact" if parent == "facts" else ""))
        for key, value in node.items():
            if isinstance(value, str) and key in ("text", "title", "value", "placeholder", "label"):
                yield (kind, key) in MARKDOWN_FIELDS, value
            else:
                yield from _card_strings(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from _card_strings(item, parent)


class Traffic:
    """Everything the bot showed during a scenario."""

    def __init__(self, bot: BotUnderTest) -> None:
        self.bot = bot
        self.start = len(bot.connector.calls)
        self.invoke_bodies: list[Any] = []

    async def execute(self, verb: str, data: dict[str, Any], **kwargs: Any) -> Reply:
        reply = await self.bot.execute(verb, data, **kwargs)
        self.invoke_bodies.append(reply.body)
        return reply

    def strings(self) -> Iterator[tuple[bool, str]]:
        for call in self.bot.connector.calls[self.start :]:
            if call.text:
                yield True, call.text  # a plain message renders Markdown
            for card in call.cards:
                yield from _card_strings(card)
        for body in self.invoke_bodies:
            if isinstance(body, dict) and isinstance(body.get("value"), str):
                yield True, body["value"]  # the message may be shown as a chat reply too
            elif isinstance(body, dict):
                yield from _card_strings(body.get("value"))

    def check(self, *, expected_shown: int = 1) -> None:
        """No markup from user text acts anywhere, and the user text was shown (escaped) in
        at least `expected_shown` Markdown strings, and as typed in plain fields."""
        shown = 0
        for markdown, text in self.strings():
            if markdown:
                for pattern in ACTIVE:
                    assert not pattern.search(text), f"{pattern.pattern!r} acts in: {text!r}"
                shown += "evil\\.example" in text
            else:
                assert "\\[" not in text, f"escaped plain text: {text!r}"
                assert "\\*" not in text, f"escaped plain text: {text!r}"
        assert shown >= expected_shown, "the user text never reached a reply"


def _plain_titles(traffic: Traffic) -> list[str]:
    return [text for markdown, text in traffic.strings() if not markdown]


async def test_a_poll_question_and_options_are_shown_literally_everywhere(
    bot: BotUnderTest,
) -> None:
    traffic = Traffic(bot)
    reply = await bot.say(f"poll {TYPED} | [y](http://evil.example) | **b** bold")
    (card,) = reply.cards
    poll_id = int(str(card).split("Poll #", 1)[1].split(" ", 1)[0])
    assert "[y](http://evil.example)" in _plain_titles(traffic)  # a choice shows as typed
    await traffic.execute("poll.vote", {"poll_id": poll_id, "choice": "0"})
    vote = {"verb": "poll.vote", "poll_id": poll_id, "choice": "1"}
    await bot.submit(vote, conversation=teams.personal(teams.ALICE))
    await traffic.execute("poll.voters", {"poll_id": poll_id})
    await bot.say(f"poll results {poll_id}")
    await traffic.execute("poll.close", {"poll_id": poll_id})
    await bot.say(f"poll Lunch? | {TYPED} | {TYPED.upper()}")  # the duplicate is quoted
    await bot.say(f"poll Lunch? | a | b --closes {TYPED}")  # the unreadable time is quoted
    await bot.say(f"poll Lunch? | a | b --multi {TYPED}")  # so is a flag's stray value
    await bot.say(TYPED)  # an unknown command is quoted
    traffic.check(expected_shown=8)


async def test_a_display_name_is_shown_literally(bot: BotUnderTest) -> None:
    mallory = teams.User(id="29:mallory", name=SUBMITTED, aad_object_id="aad-mallory")
    traffic = Traffic(bot)
    reply = await bot.say("poll Lunch? | Yes | No", who=mallory)
    poll_id = int(str(reply.cards[0]).split("Poll #", 1)[1].split(" ", 1)[0])
    await traffic.execute("poll.vote", {"poll_id": poll_id, "choice": "0"}, who=mallory)
    await traffic.execute("poll.voters", {"poll_id": poll_id})
    await traffic.execute("poll.close", {"poll_id": poll_id})  # "only … can close it"
    traffic.check(expected_shown=3)


async def test_minutes_fields_are_shown_literally(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    traffic = Traffic(bot)
    reply = await run_minutes(
        bot,
        setup=setup_value(
            group=SUBMITTED, new_stakeholders="Energy Agency, [x](http://evil.example) Agency"
        ),
        tour={"t0_progress": SUBMITTED, "t0_pain": SUBMITTED, "t0_support": SUBMITTED},
        agreements=f"Energy Agency: {TYPED}\n{TYPED}",
        actions=f"{TYPED} | Energy Agency | {later(14)}",
        closing={"verb": "dialog", "step": "closing", "next_steps": SUBMITTED},
    )
    assert "saved" in reply.text, reply.text
    await bot.say("minutes show 1")
    await bot.say("minutes list")
    await bot.say("actions")
    # The next minutes of the group recap what is still open; an unknown owner is quoted.
    await bot.say("minutes")
    reply = await bot.submit(setup_value(group=SUBMITTED, new_stakeholders="Port", reps=""))
    assert "Recap" in str(reply.cards), reply.text
    await bot.submit({"verb": "dialog", "step": "recap"})
    reply = await bot.submit(
        {"verb": "dialog", "step": "meeting", "more_actions": f"Do it | {TYPED} | {later(3)}"}
    )
    assert "don't know the owner" in reply.text, reply.text
    traffic.check(expected_shown=10)


async def test_agenda_titles_and_summary_fields_are_shown_literally(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    traffic = Traffic(bot)
    await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    await bot.submit(when(), conversation=TAG, who=teams.MARTA)
    edit = {**unchanged(6), "title0": SUBMITTED, "new_title": SUBMITTED, "new_minutes": "0"}
    await bot.submit({**edit, "do": "update"}, conversation=TAG, who=teams.MARTA)  # refused
    reply = await bot.submit(
        {**edit, "new_minutes": 5, "do": "post"}, conversation=TAG, who=teams.MARTA
    )
    assert "TAG working session" in str(reply.cards), reply.text
    proposal = {"agenda_id": 1, "title": SUBMITTED, "minutes": 5}
    await traffic.execute("agenda.propose", proposal, conversation=TAG, who=teams.ALICE)
    decision = {"agenda_id": 1, "proposal_id": 1, "accept": True}
    await traffic.execute("agenda.decide", decision, conversation=TAG, who=teams.MARTA)
    await traffic.execute("agenda.decide", decision, conversation=TAG, who=teams.MARTA)  # again
    await bot.say("summary", conversation=TAG, who=teams.MARTA)
    form = {
        "verb": "dialog",
        "step": "summary",
        "session": 1,
        "key_points": SUBMITTED,
        "takeaway0": SUBMITTED,
        "takeaway1": SUBMITTED,
        "support": SUBMITTED,
    }
    await bot.submit(form, conversation=TAG, who=teams.MARTA)
    # Commitments are written on a card (issue 19); a line whose city is unknown is quoted.
    await bot.submit(commitments_answer(f"{TYPED} | thing"), conversation=TAG, who=teams.MARTA)
    reply = await bot.submit(
        commitments_answer(f"Aarhus | {TYPED} | {later(9)}"), conversation=TAG, who=teams.MARTA
    )
    assert "Summary #1 posted" in reply.text, reply.text
    await bot.say("actions", conversation=TAG, who=teams.MARTA)
    await bot.say(f"agenda {TYPED}", who=teams.ALICE)  # an unknown TAG is quoted
    traffic.check(expected_shown=10)


async def test_link_and_timezone_names_are_quoted_literally(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    traffic = Traffic(bot)
    await bot.say(f"link city {TYPED}")
    await bot.say(f"link tag {TYPED}")
    await bot.say(f"timezone {TYPED}")
    await bot.say("timezone", conversation=teams.personal(teams.ALICE))
    await bot.say(TYPED, conversation=teams.personal(teams.ALICE))
    await bot.say("remind setup")
    reply = await bot.submit(setup_form(kind="custom", text=SUBMITTED, timezone=SUBMITTED))
    assert "time zone" in reply.text
    traffic.check(expected_shown=3)


@pytest.mark.parametrize("text", ["[x](http://evil.example)", "**b**", "# h", "<at>Eve</at>"])
def test_the_checker_catches_each_markup(text: str) -> None:
    assert any(pattern.search(text) for pattern in ACTIVE)
