"""The app under test, talked to over HTTP the way Teams talks to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.services import Services
from bot.web import SERVICES
from tests.harness import teams
from tests.harness.connector import ADAPTIVE_CARD, Call, FakeConnector


@dataclass
class Reply:
    """What one inbound activity produced: the HTTP answer and the connector calls it caused."""

    status: int
    body: Any
    calls: list[Call]

    @property
    def texts(self) -> list[str]:
        return [call.text for call in self.calls if call.kind in ("send", "reply")]

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            card for call in self.calls if call.kind in ("send", "reply") for card in call.cards
        ]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


@dataclass
class BotUnderTest:
    client: TestClient[Any, Any]
    connector: FakeConnector

    @property
    def app(self) -> web.Application:
        app = self.client.app
        assert isinstance(app, web.Application)
        return app

    @property
    def services(self) -> Services:
        return self.app[SERVICES]

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
        before = len(self.connector.calls)
        response = await self.client.post("/api/messages", json=activity, headers=headers)
        try:
            body = await response.json()
        except Exception:
            body = await response.text()
        # A card in an invoke response (Action.Execute) replaces the clicked card: it must parse
        # like any card sent through the connector.
        if isinstance(body, dict) and body.get("type") == ADAPTIVE_CARD:
            where = f"invoke response to {activity.get('name') or activity.get('type')}"
            self.connector.saw_card(body.get("value"), where)
        return Reply(response.status, body, self.connector.calls[before:])

    async def say(
        self,
        text: str,
        conversation: teams.Conversation = teams.AARHUS_GENERAL,
        who: teams.User = teams.ALICE,
        **kwargs: Any,
    ) -> Reply:
        activity = teams.message(
            text, service_url=self.connector.url, conversation=conversation, who=who, **kwargs
        )
        return await self.post(activity)

    async def submit(
        self,
        value: dict[str, Any],
        conversation: teams.Conversation = teams.AARHUS_GENERAL,
        who: teams.User = teams.ALICE,
        reply_to_id: str | None = None,
        locale: str | None = None,
    ) -> Reply:
        activity = teams.submit(
            value,
            service_url=self.connector.url,
            conversation=conversation,
            who=who,
            reply_to_id=reply_to_id,
            locale=locale,
        )
        return await self.post(activity)

    async def execute(
        self,
        verb: str,
        data: dict[str, Any],
        conversation: teams.Conversation = teams.AARHUS_GENERAL,
        who: teams.User = teams.ALICE,
        reply_to_id: str | None = None,
    ) -> Reply:
        activity = teams.execute(
            verb,
            data,
            service_url=self.connector.url,
            conversation=conversation,
            who=who,
            reply_to_id=reply_to_id,
        )
        return await self.post(activity)
