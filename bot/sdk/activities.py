"""Reading the SDK's Activity: where it came from, who sent it, what was typed."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from bot.activities import MalformedActivity, Sender, clean
from domain.text import base_conversation_id
from storage.channels import ConversationInfo

# The edges reach it as activities.base_conversation_id.
__all__ = ["base_conversation_id"]

_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_AT_TAG = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)


def channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    return data if isinstance(data, dict) else {}


def team_id(activity: Activity) -> str | None:
    team = channel_data(activity).get("team")
    return team.get("id") if isinstance(team, dict) else None


def tenant_id(activity: Activity) -> str | None:
    """channelData.tenant.id, else conversation.tenantId.

    botbuilder's schema maps `tenant_id` to the JSON key "tenantID", so the "tenantId" Teams
    sends lands among the conversation's additional properties."""
    tenant = channel_data(activity).get("tenant")
    if isinstance(tenant, dict) and tenant.get("id"):
        return str(tenant["id"])
    conversation = activity.conversation
    if conversation is None:
        return None
    extra = getattr(conversation, "additional_properties", None) or {}
    value = extra.get("tenantId") if isinstance(extra, dict) else None
    if isinstance(value, str) and value:
        return value
    return getattr(conversation, "tenant_id", None) or None


def conversation_type(activity: Activity) -> str:
    kind = getattr(activity.conversation, "conversation_type", None)
    if kind in ("personal", "channel", "groupChat"):
        return str(kind)
    if team_id(activity):
        return "channel"
    return "groupChat" if getattr(activity.conversation, "is_group", False) else "personal"


def check_addressable(activity: Activity) -> None:
    if activity.conversation is None or not getattr(activity.conversation, "id", None):
        raise MalformedActivity("activity has no conversation")
    if not activity.service_url:
        raise MalformedActivity("activity has no serviceUrl")
    parsed = urlsplit(activity.service_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise MalformedActivity("serviceUrl is not an http(s) URL")
    if activity.recipient is None or not getattr(activity.recipient, "id", None):
        raise MalformedActivity("activity has no recipient")


def conversation_info(activity: Activity) -> ConversationInfo:
    """The reference to store for later proactive messages, addressed to the channel itself."""
    reference: ConversationReference = TurnContext.get_conversation_reference(activity)
    base_id = base_conversation_id(activity.conversation.id)
    reference.conversation.id = base_id
    reference.activity_id = None
    reference.user = None  # the reference addresses the conversation, not whoever spoke last
    data = channel_data(activity)
    channel = data.get("channel")
    channel = channel if isinstance(channel, dict) else {}
    team = data.get("team")
    team = team if isinstance(team, dict) else {}
    name = channel.get("name") or team.get("name") or getattr(activity.conversation, "name", None)
    return ConversationInfo(
        conversation_id=base_id,
        conversation_type=conversation_type(activity),
        channel_id=activity.channel_id or "msteams",
        service_url=activity.service_url,
        reference=reference.serialize(),
        tenant_id=tenant_id(activity),
        team_id=team_id(activity),
        name=str(name)[:300] if name else None,
    )


def command_text(activity: Activity) -> str:
    """The message text without the bot's @mention, HTML and extra spaces; lines are kept."""
    text = activity.text or ""
    bot_id = getattr(activity.recipient, "id", None)
    for entity in activity.entities or []:
        props = entity.additional_properties if hasattr(entity, "additional_properties") else {}
        if getattr(entity, "type", None) != "mention" or not isinstance(props, dict):
            continue
        mentioned = props.get("mentioned") or {}
        if isinstance(mentioned, dict) and mentioned.get("id") == bot_id and props.get("text"):
            text = text.replace(str(props["text"]), " ")
    # A channel post may still open with an <at> tag of the bot (some clients omit the entity).
    text = _AT_TAG.sub(" ", text) if text.lstrip().lower().startswith("<at") else text
    text = _BREAKS.sub("\n", text)
    text = html.unescape(_TAGS.sub(" ", text)).replace("\xa0", " ")
    # Spaces collapse; line breaks stay (options of a poll, items of minutes, one per line).
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def sender(activity: Activity) -> Sender:
    account = activity.from_property
    return Sender(
        user_id=getattr(account, "id", "") or "",
        aad_object_id=getattr(account, "aad_object_id", None),
        name=getattr(account, "name", "") or "",
    )


def client_timezone(activity: Activity) -> str | None:
    """The IANA zone the sender's Teams client reports in its clientInfo entity, if any."""
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "clientInfo":
            continue
        props = getattr(entity, "additional_properties", None)
        zone = props.get("timezone") if isinstance(props, dict) else None
        if isinstance(zone, str) and zone:
            return zone
    return None


def locale(activity: Activity) -> str | None:
    """The sender's locale ("en-GB"): the activity's, else its clientInfo entity's."""
    if isinstance(activity.locale, str) and activity.locale.strip():
        return activity.locale.strip()
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "clientInfo":
            continue
        props = getattr(entity, "additional_properties", None)
        value = props.get("locale") if isinstance(props, dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def sanitize(activity: Activity) -> None:
    if activity.text:
        activity.text = clean(activity.text)
    if activity.value is not None:
        activity.value = clean(activity.value)
    account = activity.from_property
    if account is not None and isinstance(getattr(account, "name", None), str):
        account.name = clean(account.name)  # stored as the author of what they create


def refresh_trigger(activity: Activity) -> str | None:
    """How an `adaptiveCard/action` invoke came: "automatic" (Teams refreshing a card for a
    person listed in its refresh.userIds), "manual" (a click, or a refresh by hand), else None."""
    if activity.type != "invoke" or activity.name != "adaptiveCard/action":
        return None
    value = activity.value
    trigger = value.get("trigger") if isinstance(value, dict) else None
    return trigger if trigger in ("automatic", "manual") else None
