"""A stand-in for Bot Framework's token service, so authentication runs for real, offline.

It publishes OpenID metadata and a signing key like login.botframework.com does, mints
tokens as the Bot Connector would send them, and gives the bot a credentials factory whose
outbound token is a known string, so the fake connector can check the Authorization header.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "00000000-0000-0000-0000-00000000b075"
APP_PASSWORD = "not-a-real-secret"
OUTBOUND_TOKEN = "known-outbound-token"
ISSUER = "https://api.botframework.com"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class BotFrameworkIdentity:
    url: str = ""
    key: rsa.RSAPrivateKey = field(default_factory=_key)
    kid: str = "test-key-1"

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

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
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", endorsements=["msteams"])
        return {
            "/v1/.well-known/openidconfiguration": json.dumps(
                {"issuer": ISSUER, "jwks_uri": f"{self.url}/v1/.well-known/keys"}
            ).encode(),
            "/v1/.well-known/keys": json.dumps({"keys": [jwk]}).encode(),
        }

    @contextmanager
    def serving(self) -> Iterator[BotFrameworkIdentity]:
        """Serve the metadata from a thread: botbuilder fetches it with blocking `requests`
        inside the event loop, which a server on that same loop could never answer."""
        identity = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = identity.documents().get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body or b"{}")

            def log_message(self, *args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


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
