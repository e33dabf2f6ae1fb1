"""The card check itself: Microsoft's Adaptive Cards parser catches bad cards and passes good ones,
and the fake connector runs every card the bot sends through it."""

from __future__ import annotations

from typing import Any

from bot.cards import CommandHelp, help_card
from tests.harness.card_parser import CardParser
from tests.harness.connector import ADAPTIVE_CARD, FakeConnector


def a_card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Any:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        card["actions"] = actions
    return card


def test_an_unknown_element_type_is_a_problem(card_parser: CardParser) -> None:
    problems = card_parser.problems(a_card([{"type": "Bogus", "text": "hi"}]))
    assert problems == [
        'Parse UnknownElementType: Unknown element type "Bogus". Fallback will be used if present.'
    ]


def test_an_unknown_action_type_is_a_problem(card_parser: CardParser) -> None:
    problems = card_parser.problems(a_card([], [{"type": "Action.Bogus", "title": "Go"}]))
    assert any("UnknownActionType" in problem for problem in problems), problems


def test_a_missing_required_property_is_a_problem(card_parser: CardParser) -> None:
    problems = card_parser.problems(
        a_card(
            [{"type": "Input.Text", "label": "Your name"}],  # no id
            [{"type": "Action.OpenUrl", "title": "Open"}],  # no url
        )
    )
    assert (
        "Validation PropertyCantBeNull: All inputs must have a unique Id. [Input.Text]" in problems
    )
    assert 'Validation PropertyCantBeNull: Property "url" must be set. [Action.OpenUrl]' in problems


def test_an_invalid_property_value_is_a_problem(card_parser: CardParser) -> None:
    problems = card_parser.problems(a_card([{"type": "TextBlock", "text": "x", "size": "Huge"}]))
    assert problems == [
        'Parse InvalidPropertyValue: Invalid value "Huge" for property "size". [TextBlock]'
    ]


def test_a_card_without_a_version_is_a_problem(card_parser: CardParser) -> None:
    card = a_card([{"type": "TextBlock", "text": "x"}])
    del card["version"]
    assert card_parser.problems(card) == [
        'Validation PropertyCantBeNull: Property "version" must be set. [AdaptiveCard]'
    ]


def test_a_card_newer_than_teams_renders_is_a_problem(card_parser: CardParser) -> None:
    card = a_card([{"type": "TextBlock", "text": "x"}])
    card["version"] = "1.6"
    assert any("UnsupportedCardVersion" in problem for problem in card_parser.problems(card))


def test_a_1_6_property_in_a_1_5_card_is_a_problem(card_parser: CardParser) -> None:
    card = a_card(
        [{"type": "Input.Text", "id": "name", "label": "Name", "labelPosition": "inline"}]
    )
    assert card_parser.problems(card) == [
        'Parse UnsupportedProperty: Property "labelPosition" is supported in version 1.6, '
        "but you are using version 1.5. [Input.Text#name]"
    ]


def test_seven_actions_are_too_many_for_teams_but_six_are_fine(card_parser: CardParser) -> None:
    def actions(n: int) -> list[dict[str, Any]]:
        return [{"type": "Action.Submit", "title": f"{i}", "data": {"i": i}} for i in range(n)]

    assert card_parser.problems(a_card([], actions(6))) == []
    assert card_parser.problems(a_card([], actions(7))) == [
        "Validation TooManyActions: Maximum number of actions exceeded (6). [AdaptiveCard]"
    ]


def test_teams_text_functions_and_msteams_properties_are_fine(card_parser: CardParser) -> None:
    card = a_card(
        [
            {
                "type": "TextBlock",
                "text": "Closes {{DATE(2026-12-04T16:00:00Z, SHORT)}} {{TIME(2026-12-04T16:00:00Z)}}",
                "wrap": True,
            },
            {"type": "TextBlock", "text": "Hi <at>Alice Rep</at>", "wrap": True},
        ]
    )
    card["msteams"] = {
        "width": "Full",
        "entities": [
            {
                "type": "mention",
                "text": "<at>Alice Rep</at>",
                "mentioned": {"id": "29:alice-rep", "name": "Alice Rep"},
            }
        ],
    }
    assert card_parser.problems(card) == []


def test_the_help_card_parses_cleanly(card_parser: CardParser) -> None:
    commands = [
        CommandHelp("help", "Show this list of commands."),
        CommandHelp("poll <question> | <option> | <option>", "A quick poll.", starts="poll"),
        CommandHelp("minutes", "Take the minutes of an ecosystem call.", starts="minutes"),
        CommandHelp("actions [mine|open|overdue]", "Action items.", starts="actions"),
        CommandHelp("agenda [<TAG>]", "The next TAG session's agenda.", starts="agenda"),
        CommandHelp("summary [<TAG>]", "The TAG session summary.", starts="summary"),
        CommandHelp("remind setup", "The channel's reminders.", starts="remind setup"),
        CommandHelp("timezone [<Area/City>]", "Your time zone.", starts="timezone"),
    ]
    card = help_card(commands, intro="Hi! Here is what I can do.")
    assert len(card["actions"]) == 6  # the most it offers, and the most Teams shows
    assert card_parser.problems(card) == []


async def test_the_fake_connector_checks_every_card_it_receives(
    aiohttp_client: Any, card_parser: CardParser
) -> None:
    fake = FakeConnector(card_parser=card_parser)  # not the fixture, whose teardown would fail
    client = await aiohttp_client(fake.app())
    good = a_card([{"type": "TextBlock", "text": "fine"}])
    bad = a_card([{"type": "Bogus"}])
    for card in (good, bad):
        response = await client.post(
            "/v3/conversations/19:abc@thread.tacv2/activities",
            json={
                "type": "message",
                "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}],
            },
        )
        assert response.status == 200
    fake.clear()  # forgetting the calls does not forget their cards

    problems = fake.check_cards()

    assert [problem.sent.card for problem in problems] == [bad]
    assert problems[0].sent.where == "POST /v3/conversations/19:abc@thread.tacv2/activities"
    assert "UnknownElementType" in str(problems[0])
