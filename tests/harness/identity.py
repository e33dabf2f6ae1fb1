"""A stand-in for Bot Framework's token service, so authentication runs for real, offline.

It publishes OpenID metadata and signing keys like login.botframework.com does (counting each
fetch, and able to fail or hang), mints tokens as the Bot Connector would send them, and gives
the bot a credentials factory whose outbound token is a known string, so the fake connector can
check the Authorization header.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import jwt
from aiohttp import web
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "00000000-0000-0000-0000-00000000b075"
APP_PASSWORD = "not-a-real-secret"
OUTBOUND_TOKEN = "known-outbound-token"
ISSUER = "https://api.botframework.com"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class BotFrameworkIdentity:
    """Served on the test's own event loop (aiohttp): the bot must fetch without blocking it."""

    url: str = ""
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "test-key-1"
    # Keys published besides `key` (a rotation), by key id.
    more_keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    # "fail": every document is a 503; "hang": no answer until `release()` (or the test's end).
    answer: Literal["ok", "fail", "hang"] = "ok"
    hits: Counter[str] = field(default_factory=Counter)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}{METADATA_PATH}"

    @property
    def fetches(self) -> int:
        """How often the bot fetched the metadata (each fetch of keys starts there)."""
        return self.hits[METADATA_PATH]

    def token(self, service_url: str, *, audience: str = APP_ID, key: rsa.RSAPrivateKey | None = None,
              kid: str | None = None, expires_in: int = 600) -> str:  # fmt: skip
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "serviceurl": service_url,
            "nbf": now - 5,
            "exp": now + expires_in,
        }
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def documents(self) -> dict[str, bytes]:
        jwks = []
        for kid, key in {self.kid: self.key, **self.more_keys}.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            jwk.update(kid=kid, use="sig", endorsements=["msteams"])
            jwks.append(jwk)
        return {
            METADATA_PATH: json.dumps(
                {"issuer": ISSUER, "jwks_uri": f"{self.url}{KEYS_PATH}"}
            ).encode(),
            KEYS_PATH: json.dumps({"keys": jwks}).encode(),
        }

    def release(self) -> None:
        """Let hanging requests go (they then answer as `answer` says)."""
        self._released.set()

    def app(self) -> web.Application:
        async def serve(request: web.Request) -> web.Response:
            self.hits[request.path] += 1
            if self.answer == "hang":
                await self._released.wait()
            if self.answer == "fail":
                return web.json_response({"error": "unavailable"}, status=503)
            body = self.documents().get(request.path)
            if body is None:
                return web.json_response({}, status=404)
            return web.Response(body=body, content_type="application/json")

        app = web.Application()
        app.router.add_get("/{path:.*}", serve)
        return app


class KnownTokenCredentials(AppCredentials):  # type: ignore[misc]
    def __init__(self, app_id: str, oauth_scope: str | None = None) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self.issued = 0

    def get_access_token(self, force_refresh: bool = False) -> str:
        self.issued += 1
        return OUTBOUND_TOKEN


class KnownTokenCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """No network to a login endpoint: every outbound call carries OUTBOUND_TOKEN."""

    def __init__(self) -> None:
        self.created: list[KnownTokenCredentials] = []

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == APP_ID

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        credentials = KnownTokenCredentials(app_id, oauth_scope)
        self.created.append(credentials)
        return credentials
