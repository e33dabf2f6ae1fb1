"""The Bot Framework adapter: authentication from our settings, and what a failed turn does."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes

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


def create_adapter(settings: Settings) -> CloudAdapter:
    configuration = _BotConfiguration(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))
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
