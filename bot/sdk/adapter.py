"""The Bot Framework adapter: authentication from our settings, and what a failed turn does."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import Any, TypeAlias

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, CallerIdConstants, ResourceResponse
from botframework.connector.auth import AuthenticationConstants, ServiceClientCredentialsFactory

from bot.outbound import Outbound, Target
from bot.outbox import Message, Outbox, Ticket
from bot.sdk import activities as activity_fields
from bot.sdk.connector import IccAuthentication, credential_token
from config import Settings
from storage.db import DatabaseUnavailable, is_unavailable_error
from storage.models import utcnow

log = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, something went wrong on my side and that last step was not saved. "
    "Please try again in a moment."
)


@dataclass(frozen=True)
class _BotConfiguration:
    """The attribute names botbuilder's configuration classes read."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


@dataclass(frozen=True)
class _PublicCloudWithMetadata(_BotConfiguration):
    """The public cloud's constants with another OpenID metadata URL.

    botbuilder switches to its "parameterized" authentication as soon as one endpoint is
    configured, and then expects every one of them: all but the metadata URL are the public
    cloud's own values here.
    """

    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str = (
        AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
    )
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
    OAUTH_URL: str = AuthenticationConstants.OAUTH_URL
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str = (
        AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
    )
    CALLER_ID: str = CallerIdConstants.public_azure_channel.value
    VALIDATE_AUTHORITY: bool = True


def _configuration(settings: Settings) -> _BotConfiguration:
    if settings.openid_metadata_url:
        return _PublicCloudWithMetadata(
            APP_ID=settings.app_id,
            APP_PASSWORD=settings.app_password,
            APP_TYPE=settings.app_type,
            APP_TENANTID=settings.app_tenant_id,
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.openid_metadata_url,
        )
    return _BotConfiguration(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )


# Set on an outgoing Activity: what the outbox records once a queued message is delivered
# (Turn.reply's `on_sent`), and the outbox row the turn staged for it before its commit.
ON_SENT = "icc_on_sent"
TICKET = "icc_ticket"


def outgoing(context: TurnContext, activity: Activity, *, max_age: timedelta) -> Message:
    """A turn's reply as an outbox message: serialized once, here."""
    # The tenant of the turn: Teams' 50 requests/s per tenant counts replies too.
    target = Target(
        activity.service_url, activity.conversation.id, activity_fields.tenant_id(context.activity)
    )
    activity.id = None
    return Message(
        kind="reply" if activity.reply_to_id else "send",
        target=target,
        body=activity_json(activity),
        activity_id=activity.reply_to_id,
        on_sent=getattr(activity, ON_SENT, None),
        expires_at=utcnow() + max_age,
    )


class IccAdapter(CloudAdapter):  # type: ignore[misc]
    """CloudAdapter whose turn replies go out through our outbox and sender.

    A py-spy profile of dialog turns showed a fifth of their time in msrest's generic
    serializer walking the Adaptive Card dict of each reply. Messages are serialized here with
    the card as plain JSON and posted by the app's rate-limited sender (the same aiohttp
    session, credentials, per-conversation limits and retries as proactive messages); invoke
    responses, traces and delays stay with botbuilder. A message the turn staged in the outbox
    (bot/sdk/turn.py, before the turn's commit) is tried now and, if Teams refuses it, left queued: its
    ResourceResponse then has an empty id.
    """

    outbound: Outbound | None = None

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        if self.outbound is None:
            return list(await super().send_activities(context, activities))
        responses: list[ResourceResponse] = []
        for number, activity in enumerate(activities):
            if activity.type not in (None, ActivityTypes.message, ActivityTypes.typing):
                responses += await super().send_activities(context, [activity])
                continue
            ticket = getattr(activity, TICKET, None)
            sent: str | None
            if isinstance(ticket, Ticket) and self.outbox is not None:
                try:
                    sent = await self.outbox.try_now(ticket)
                except BaseException:
                    # The turn stops here: the messages it queued after this one go to the
                    # drain loop instead of staying held for an attempt that will not come.
                    for later in activities[number + 1 :]:
                        held = getattr(later, TICKET, None)
                        if isinstance(held, Ticket):
                            await self.outbox.hand_over(held)
                    raise
            else:  # typing, or a message sent outside a turn's unit of work
                message = outgoing(context, activity, max_age=timedelta(0))
                if message.activity_id:
                    sent = await self.outbound.reply(
                        message.target, message.activity_id, message.body
                    )
                else:
                    sent = await self.outbound.send(message.target, message.body)
            responses.append(ResourceResponse(id=sent or ""))
        return responses

    outbox: Outbox | None = None


def activity_json(activity: Activity) -> dict[str, Any]:
    """The activity as the Bot Connector expects it, attachments' content as plain JSON."""
    attachments, activity.attachments = activity.attachments, None
    try:
        body: dict[str, Any] = activity.serialize()
    finally:
        activity.attachments = attachments
    if attachments:
        body["attachments"] = [
            {
                key: value
                for key, value in (
                    ("contentType", a.content_type), ("content", a.content),
                    ("contentUrl", a.content_url), ("name", a.name),
                )
                if value is not None
            }
            for a in attachments
        ]  # fmt: skip
    return body


# What create_app may be handed to issue known tokens (tests do); named here so that app.py
# need not import the SDK.
CredentialsFactory: TypeAlias = ServiceClientCredentialsFactory


def create_adapter(
    settings: Settings, credentials_factory: CredentialsFactory | None = None
) -> CloudAdapter:
    """A CloudAdapter on our authentication seam (reused connector clients, see bot.sdk.connector)."""
    adapter = IccAdapter(IccAuthentication(_configuration(settings), credentials_factory))
    adapter.on_turn_error = on_turn_error
    return adapter


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    """Log with ids; tell the user briefly, never the internals.

    A database that is not there is not the user's problem and not a bug: the turn is failed
    upwards so the endpoint answers 503 and Teams re-sends the activity later.
    """
    activity: Activity = context.activity
    if is_unavailable_error(error):
        log.warning(
            "database unavailable during %s %s: %s",
            activity.type,
            activity.id,
            type(error).__name__,
        )
        raise DatabaseUnavailable(str(error)) from error
    log.error(
        "turn failed: type=%s id=%s conversation=%s",
        activity.type,
        activity.id,
        getattr(activity.conversation, "id", None),
        exc_info=error,
    )
    try:
        if activity.type == ActivityTypes.invoke:
            body = {
                "statusCode": 200,
                "type": "application/vnd.microsoft.activity.message",
                "value": APOLOGY,
            }
            await context.send_activity(
                Activity(
                    type=ActivityTypes.invoke_response,
                    value=InvokeResponse(status=int(HTTPStatus.OK), body=body),
                )
            )
        elif activity.type == ActivityTypes.message:
            await context.send_activity(APOLOGY)
    except Exception as send_error:  # the connector itself may be what failed
        log.error("could not send the apology for %s: %s", activity.id, send_error)


def authentication(adapter: CloudAdapter) -> IccAuthentication:
    auth = adapter.bot_framework_authentication
    if not isinstance(auth, IccAuthentication):
        raise TypeError("the adapter was not built by create_adapter")
    return auth


class AdapterTokens:
    """Bearer tokens for the outbound sender, from the same credentials the connector clients
    use (one per app id and audience; msal caches and renews the token)."""

    def __init__(self, auth: IccAuthentication, app_id: str) -> None:
        self._auth = auth
        self._app_id = app_id

    async def token(self, service_url: str) -> str | None:
        if not self._app_id:
            return None
        credentials = await self._auth.credentials.get(self._app_id, self._auth.audience)
        return await credential_token(credentials)
