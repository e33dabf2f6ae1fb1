"""The Bot Framework adapter: authentication from our settings, and what a failed turn does."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import AuthenticationConstants, ServiceClientCredentialsFactory

from config import Settings
from storage.db import DatabaseUnavailable, is_unavailable_error

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


def _configuration(settings: Settings) -> _BotConfiguration:
    return _BotConfiguration(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )


def create_adapter(settings: Settings) -> CloudAdapter:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_configuration(settings)))
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


class CredentialTokens:
    """Bearer tokens for outbound calls, from botbuilder's own credentials (msal caches and
    renews them); none when the bot runs without an app id."""

    def __init__(self, factory: ServiceClientCredentialsFactory, app_id: str) -> None:
        self._factory = factory
        self._app_id = app_id
        self._credentials: Any = None

    async def token(self, service_url: str) -> str | None:
        if not self._app_id:
            return None
        if self._credentials is None:
            self._credentials = await self._factory.create_credentials(
                self._app_id,
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL,
                True,
            )
        # get_access_token is synchronous (msal); it only touches the network on a cache miss.
        token: str = await asyncio.to_thread(self._credentials.get_access_token)
        return token


def credential_tokens(settings: Settings) -> CredentialTokens:
    factory = ConfigurationServiceClientCredentialFactory(_configuration(settings))
    return CredentialTokens(factory, settings.app_id)
