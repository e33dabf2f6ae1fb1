"""Teams-shaped activities, as Teams sends them to a bot's /api/messages."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

BOT_ID = "28:icc-bot-app-id"
BOT_NAME = "ICC Bot"
TENANT = "72f988bf-0000-0000-0000-icc-tenant"
_ids = itertools.count(1_700_000_000_000)


@dataclass(frozen=True)
class User:
    id: str
    name: str
    aad_object_id: str

    def account(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}


def user(name: str) -> User:
    key = name.lower().replace(" ", "-")
    return User(id=f"29:{key}", name=name, aad_object_id=str(uuid.uuid5(uuid.NAMESPACE_DNS, key)))


ALICE = user("Alice Rep")
BOB = user("Bob Rep")
MARTA = user("Marta Mentor")
OSCAR = user("Oscar Outsider")
BEATRIZ = user("Beatriz Rep")
LENA = user("Lena Lead")
PAULO = user("Paulo Mentor")
ADA = user("Ada Admin")


@dataclass(frozen=True)
class Conversation:
    id: str
    kind: str  # personal | channel | groupChat
    team_id: str | None = None
    team_name: str | None = None
    channel_name: str | None = None

    def account(self, thread: str | None = None) -> dict[str, Any]:
        conversation_id = (
            f"{self.id};messageid={thread}" if thread and self.kind == "channel" else self.id
        )
        account: dict[str, Any] = {
            "id": conversation_id,
            "conversationType": self.kind,
            "tenantId": TENANT,
        }
        if self.kind != "personal":
            account["isGroup"] = True
        return account

    def channel_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tenant": {"id": TENANT}}
        if self.kind == "channel":
            data["team"] = {"id": self.team_id, "name": self.team_name}
            data["channel"] = {"id": self.id, "name": self.channel_name}
        return data


def channel(name: str, team: str = "ICC Aarhus") -> Conversation:
    key = (team + "-" + name).lower().replace(" ", "-")
    team_id = "19:" + team.lower().replace(" ", "-") + "-general@thread.tacv2"
    conversation_id = team_id if name == "General" else f"19:{key}@thread.tacv2"
    return Conversation(conversation_id, "channel", team_id, team, name)


def personal(who: User) -> Conversation:
    return Conversation(f"a:personal-{who.id[3:]}", "personal")


AARHUS_GENERAL = channel("General")
BRAGA_GENERAL = channel("General", team="ICC Braga")
GREEN_TAG = channel("General", team="TAG Green Buildings")
TOURISM_TAG = channel("General", team="TAG Tourism Data")


def _base(
    kind: str, conversation: Conversation, who: User | None, service_url: str, thread: str | None
) -> dict[str, Any]:
    activity_id = str(next(_ids))
    return {
        "type": kind,
        "id": activity_id,
        "timestamp": "2026-11-23T10:00:00.000Z",
        "localTimestamp": "2026-11-23T11:00:00.000+01:00",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": who.account() if who else {"id": "29:system"},
        "conversation": conversation.account(thread),
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "channelData": conversation.channel_data(),
        "locale": "en-US",
    }


def message(
    text: str,
    *,
    service_url: str,
    conversation: Conversation,
    who: User = ALICE,
    mention: bool | None = None,
    thread: str | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """A typed message; in a channel it @mentions the bot unless told otherwise (as Teams requires).
    `locale`: the sender's Teams locale (en-US unless told)."""
    activity = _base("message", conversation, who, service_url, thread)
    activity["textFormat"] = "plain"
    mention = conversation.kind == "channel" if mention is None else mention
    if mention:
        tag = f"<at>{BOT_NAME}</at>"
        activity["text"] = f"{tag} {text}"
        activity["entities"] = [
            {"type": "mention", "text": tag, "mentioned": {"id": BOT_ID, "name": BOT_NAME}},
            {
                "type": "clientInfo",
                "locale": "en-US",
                "country": "US",
                "platform": "Web",
                "timezone": "Europe/Brussels",
            },
        ]
    else:
        activity["text"] = text
        activity["entities"] = [{"type": "clientInfo", "locale": "en-US", "platform": "Web"}]
    return with_locale(activity, locale)


def with_locale(activity: dict[str, Any], locale: str | None) -> dict[str, Any]:
    """The activity as a client set to `locale` sends it (None: unchanged)."""
    if locale is not None:
        activity["locale"] = locale
        for entity in activity.get("entities", []):
            if entity.get("type") == "clientInfo":
                entity["locale"] = locale
    return activity


def submit(
    value: dict[str, Any],
    *,
    service_url: str,
    conversation: Conversation,
    who: User = ALICE,
    reply_to_id: str | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """An Action.Submit click: a message with `value` and no text."""
    activity = _base("message", conversation, who, service_url, None)
    activity["value"] = value
    if reply_to_id:
        activity["replyToId"] = reply_to_id
    return with_locale(activity, locale)


def execute(
    verb: str,
    data: dict[str, Any],
    *,
    service_url: str,
    conversation: Conversation,
    who: User = ALICE,
    reply_to_id: str | None = None,
) -> dict[str, Any]:
    """An Action.Execute click: an `adaptiveCard/action` invoke."""
    activity = _base("invoke", conversation, who, service_url, None)
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {
        "action": {"type": "Action.Execute", "verb": verb, "data": data},
        "trigger": "manual",
    }
    if reply_to_id:
        activity["replyToId"] = reply_to_id
    return activity


def bot_added(conversation: Conversation, *, service_url: str) -> dict[str, Any]:
    activity = _base("conversationUpdate", conversation, ALICE, service_url, None)
    activity["membersAdded"] = [{"id": BOT_ID}]
    if conversation.kind == "channel":
        activity["channelData"]["eventType"] = "teamMemberAdded"
    return activity


def bot_removed(conversation: Conversation, *, service_url: str) -> dict[str, Any]:
    activity = _base("conversationUpdate", conversation, ALICE, service_url, None)
    activity["membersRemoved"] = [{"id": BOT_ID}]
    if conversation.kind == "channel":
        activity["channelData"]["eventType"] = "teamMemberRemoved"
    return activity


def installation_update(
    action: str, conversation: Conversation, *, service_url: str
) -> dict[str, Any]:
    activity = _base("installationUpdate", conversation, ALICE, service_url, None)
    activity["action"] = action
    return activity


def _elements(node: Any) -> Any:
    """Every element of a card, nested ones (columns, containers, shown cards) included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _elements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _elements(value)


def pick(card: dict[str, Any], input_id: str, *titles: str) -> str:
    """What Teams submits for the choice set `input_id` of `card` when a person ticks the
    choices titled `titles`: their values, joined with commas. A title the card does not
    offer fails the test, so a test clicks what the card shows rather than guessing values."""
    for element in _elements(card):
        if element.get("type") == "Input.ChoiceSet" and element.get("id") == input_id:
            offered = {choice["title"]: choice["value"] for choice in element["choices"]}
            missing = [title for title in titles if title not in offered]
            assert not missing, f"{input_id} offers {sorted(offered)}, not {missing}"
            return ",".join(offered[title] for title in titles)
    raise AssertionError(f"the card has no choice set {input_id!r}")
