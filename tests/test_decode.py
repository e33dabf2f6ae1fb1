"""bot/sdk/decode.activity_from_json gives what msrest's Activity().deserialize gives, on Teams'
activities and on anything else a caller may post."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.sdk.decode import activity_from_json
from tests.harness import teams
from tests.harness.hostile import json_values
from tests.harness.sdk import Activity, Model

URL = "https://smba.trafficmanager.net/emea/"


def shape(value: Any) -> Any:
    """Everything an object holds, with the class of every value, for comparison."""
    if isinstance(value, Model):
        return type(value).__name__, {name: shape(v) for name, v in vars(value).items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__, value


def by_msrest(document: dict[str, Any]) -> Any:
    try:
        return shape(Activity().deserialize(copy.deepcopy(document)))
    except Exception as error:
        return "raises", type(error).__name__


def by_us(document: dict[str, Any]) -> Any:
    try:
        return shape(activity_from_json(copy.deepcopy(document)))
    except Exception as error:
        return "raises", type(error).__name__


def teams_activities() -> list[dict[str, Any]]:
    channel, personal = teams.AARHUS_GENERAL, teams.personal(teams.BOB)
    with_attachment = teams.message("see the file", service_url=URL, conversation=personal)
    with_attachment["attachments"] = [
        {"contentType": "text/html", "content": "<p>see the file</p>"},
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": "minutes.md",
            "content": {"downloadUrl": "https://x/y", "uniqueId": "1", "fileType": "md"},
        },
    ]
    with_attachment["suggestedActions"] = {"to": ["a"], "actions": [{"type": "imBack", "value": 1}]}
    reaction = teams.message("", service_url=URL, conversation=channel)
    reaction.update(type="messageReaction", reactionsAdded=[{"type": "like"}], replyToId="17")
    return [
        teams.message("help", service_url=URL, conversation=channel),
        teams.message("poll a | b", service_url=URL, conversation=personal, thread="42"),
        teams.submit({"verb": "poll.vote", "poll_id": 3}, service_url=URL, conversation=channel),
        teams.execute(
            "poll.vote", {"poll_id": 3, "choice": "1"}, service_url=URL, conversation=channel
        ),
        teams.bot_added(channel, service_url=URL),
        teams.bot_removed(channel, service_url=URL),
        teams.installation_update("add", personal, service_url=URL),
        with_attachment,
        reaction,
    ]


@pytest.mark.parametrize("document", teams_activities(), ids=lambda d: d["type"])
def test_teams_activities_decode_as_msrest_decodes_them_without_msrest(
    document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = by_msrest(document)
    assert expected[0] == "Activity"

    def not_called(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the fast path handed a Teams activity to msrest")

    monkeypatch.setattr(Activity, "deserialize", not_called)
    assert by_us(document) == expected


def test_mentions_keep_what_botbuilder_reads_from_them() -> None:
    document = teams.message("help", service_url=URL, conversation=teams.AARHUS_GENERAL)
    activity = activity_from_json(document)
    mention = activity.entities[0]
    assert mention.type == "mention"
    assert mention.additional_properties["mentioned"]["id"] == teams.BOT_ID
    assert activity.from_property.aad_object_id == teams.ALICE.aad_object_id
    assert activity.timestamp.isoformat() == "2026-11-23T10:00:00+00:00"


# Values of the wrong kind, where msrest converts ("5" for a number in a text field), refuses
# (a date that is not one) or keeps them (unknown keys).
odd_values = st.one_of(
    json_values,
    st.sampled_from(["2026-11-23T10:00:00Z", "not a date", "true", "0", "12", "1.5"]),
    st.lists(st.sampled_from([None, "x", 1, {"id": "a"}, {"type": "mention"}]), max_size=3),
)
ACTIVITY_KEYS = [d["key"] for d in Activity._attribute_map.values()] + ["unknownKey"]
NESTED = [("from", "id"), ("from", "aadObjectId"), ("conversation", "isGroup"),
          ("conversation", "tenantId"), ("recipient", "role"), ("channelData", "tenant")]  # fmt: skip


@settings(max_examples=400, deadline=None)
@example(teams_activities()[0], [("text", 5), ("locale", 1.5)], [])
@example(teams_activities()[2], [("historyDisclosed", "true"), ("timestamp", "not a date")], [])
@example(teams_activities()[3], [("entities", {"type": "mention"}), ("from", "29:x")], [])
@example(teams_activities()[4], [("membersAdded", [None, {"id": 1}])], [(("from", "id"), 7)])
@given(
    base=st.sampled_from(teams_activities()),
    changes=st.lists(st.tuples(st.sampled_from(ACTIVITY_KEYS), odd_values), max_size=4),
    nested=st.lists(st.tuples(st.sampled_from(NESTED), odd_values), max_size=2),
)
def test_any_document_decodes_or_fails_exactly_as_with_msrest(
    base: dict[str, Any], changes: list[tuple[str, Any]], nested: list[tuple[tuple[str, str], Any]]
) -> None:
    document = copy.deepcopy(base)
    for key, value in changes:
        document[key] = value
    for (outer, inner), value in nested:
        if isinstance(document.get(outer), dict):
            document[outer][inner] = value
    assert by_us(document) == by_msrest(document)
