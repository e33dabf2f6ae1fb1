"""The SDK seam: botbuilder's authentication, with connector clients that pay their way.

botbuilder 4.17.1's stock `CloudAdapter` builds a new `ConnectorClient` and a new user-token
client on every turn (each an msrest `Configuration` with a `ClientRetryPolicy`: about half of
a turn's CPU in a py-spy profile), and sends through `requests` in a thread pool. Here, still
inside botbuilder:

- inbound authentication is botbuilder's own (`ConfigurationBotFrameworkAuthentication`);
- `create_connector_factory` / the factory in each `AuthenticateRequestResult` return one
  `ConnectorClient` per (app id, service URL, audience), built once and reused;
- credentials are created once per (app id, audience) and shared by those clients and by our
  outbound sender: msal inside them caches the token and renews it when it expires;
- the user-token client is built at most once per app id;
- connector clients send through the app's one aiohttp `ClientSession` (an msrest pipeline of
  ours), not `requests` in threads.

What the SDK did not allow: msrest's pipeline has no aiohttp credentials policy (its one
policy signs a `requests.Session`), so the bearer header is set by a small policy of ours that
asks the same botbuilder credentials object for the token.

Inbound tokens are checked by botbuilder's own validation (issuer, audience, endorsements,
serviceUrl claim), but the keys it checks signatures with come from bot.signing_keys (aiohttp,
a timeout, a cache refreshed ahead), not from its `_OpenIdMetadata`, which fetches them with a
blocking `requests.get`. botbuilder looks them up in one process-wide cache,
`JwtTokenExtractor.metadataCache`, its only hook; we put a router there that answers each
lookup with the keys of the `IccAuthentication` authenticating the request (a context
variable), so that two apps in one process (the tests) never share a session.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from typing import Any

import aiohttp
from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity
from botframework.connector import BotFrameworkConnectorConfiguration
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline, Request, Response
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.aiohttp import AioHttpClientResponse

from bot.signing_keys import SigningKey, SigningKeySets, SigningKeysUnavailable

log = logging.getLogger(__name__)

USER_AGENT = "Microsoft-BotFramework/3.1 (BotBuilder Python/4.17.1) icc-bot"


class SharedSessionSender(AsyncHTTPSender):  # type: ignore[misc]
    """msrest's last pipeline step, sending with the app's aiohttp session (never closing it)."""

    def __init__(self, session: aiohttp.ClientSession, timeout: float = 30.0) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> SharedSessionSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None

    def build_context(self) -> None:
        return None

    async def send(self, request: Request, **config: Any) -> Response:
        http_request = request.http_request
        result = await self._session.request(
            http_request.method,
            http_request.url,
            headers=http_request.headers,
            data=http_request.data,
            timeout=self._timeout,
        )
        response = AioHttpClientResponse(http_request, result)
        await response.load_body()
        return Response(request, response)


class BearerPolicy(AsyncHTTPPolicy):  # type: ignore[misc]
    """Sets `Authorization: Bearer …` from botbuilder credentials (none when auth is off)."""

    def __init__(self, credentials: AppCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    async def send(self, request: Request, **kwargs: Any) -> Response:
        token = await credential_token(self._credentials)
        if token:
            request.http_request.headers["Authorization"] = f"Bearer {token}"
        return await self.next.send(request, **kwargs)


async def credential_token(credentials: AppCredentials) -> str | None:
    if not getattr(credentials, "microsoft_app_id", None):
        return None
    # get_access_token is synchronous: an msal cache hit, or a token request when it expired.
    token: str = await asyncio.to_thread(credentials.get_access_token)
    return token


class CredentialsCache:
    """One credentials object per (app id, audience), from a botbuilder credentials factory."""

    def __init__(self, factory: ServiceClientCredentialsFactory) -> None:
        self.factory = factory
        self._cache: dict[tuple[str, str], AppCredentials] = {}
        self._lock = asyncio.Lock()

    @property
    def count(self) -> int:
        return len(self._cache)

    async def get(self, app_id: str, audience: str) -> AppCredentials:
        key = (app_id or "", audience or "")
        credentials = self._cache.get(key)
        if credentials is None:
            async with self._lock:
                credentials = self._cache.get(key)
                if credentials is None:
                    credentials = await self.factory.create_credentials(
                        app_id,
                        audience,
                        AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL,
                        True,
                    )
                    self._cache[key] = credentials
        return credentials


class ConnectorClients:
    """The app's connector clients, one per (app id, service URL, audience)."""

    def __init__(
        self, credentials: CredentialsCache, session: aiohttp.ClientSession | None = None
    ) -> None:
        self.credentials = credentials
        self.session = session
        self._clients: dict[tuple[str, str, str], ConnectorClient] = {}
        self.created = 0

    async def get(self, app_id: str, service_url: str, audience: str) -> ConnectorClient:
        key = (app_id or "", service_url, audience or "")
        client = self._clients.get(key)
        if client is None:
            credentials = await self.credentials.get(app_id, audience)
            client = self._build(credentials, service_url)
            self._clients[key] = client
            self.created += 1
            log.debug("connector client %d for %s", self.created, service_url)
        return client

    def _build(self, credentials: AppCredentials, service_url: str) -> ConnectorClient:
        session = self.session

        def pipeline(config: BotFrameworkConnectorConfiguration) -> AsyncPipeline:
            if session is None:
                raise RuntimeError("connector clients need the app's aiohttp session")
            policies = [config.user_agent_policy, BearerPolicy(credentials), RawDeserializer()]
            return AsyncPipeline(policies, SharedSessionSender(session))

        configuration = BotFrameworkConnectorConfiguration(
            credentials, service_url, pipeline_type=pipeline
        )
        client = ConnectorClient(
            credentials, base_url=service_url, custom_configuration=configuration
        )
        client.config.add_user_agent(USER_AGENT)
        return client


class _ReusingConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    def __init__(self, clients: ConnectorClients, app_id: str, default_audience: str) -> None:
        self._clients = clients
        self._app_id = app_id
        self._default_audience = default_audience

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return await self._clients.get(
            self._app_id, service_url, audience or self._default_audience
        )


# The signing keys of the IccAuthentication authenticating the current request.
_SIGNING_KEYS: ContextVar[SigningKeySets | None] = ContextVar("signing_keys", default=None)


class _RoutedMetadata:
    """What botbuilder's JwtTokenExtractor holds for a metadata URL: asks our keys instead."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def get(self, key_id: str | None) -> SigningKey:
        keys = _SIGNING_KEYS.get()
        if keys is None:
            # Only IccAuthentication's methods set them; anything else would have blocked.
            raise SigningKeysUnavailable(
                f"signing keys for {self.url} asked for outside IccAuthentication", 5.0
            )
        return await keys.for_url(self.url).get(key_id)


class _RoutedMetadataCache:
    """Stands in for `JwtTokenExtractor.metadataCache` (botbuilder calls get and setdefault)."""

    def __init__(self) -> None:
        self._routes: dict[str, _RoutedMetadata] = {}

    def get(self, url: str, default: object = None) -> _RoutedMetadata:
        route = self._routes.get(url)
        if route is None:
            route = self._routes[url] = _RoutedMetadata(url)
        return route

    def setdefault(self, url: str, default: object = None) -> _RoutedMetadata:
        return self.get(url)


def _route_signing_keys() -> None:
    """Make every botbuilder key lookup, for any metadata URL, ask bot.signing_keys."""
    if not isinstance(JwtTokenExtractor.metadataCache, _RoutedMetadataCache):
        JwtTokenExtractor.metadataCache = _RoutedMetadataCache()


def _app_id(claims_identity: ClaimsIdentity) -> str:
    return str(
        claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
        or claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
        or ""
    )


class IccAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's configuration authentication, handing out reused connector clients and
    checking inbound tokens with signing keys fetched without blocking (bot.signing_keys)."""

    def __init__(
        self, configuration: Any, credentials_factory: ServiceClientCredentialsFactory | None = None
    ) -> None:
        factory = credentials_factory or ConfigurationServiceClientCredentialFactory(configuration)
        self._inner = ConfigurationBotFrameworkAuthentication(
            configuration, credentials_factory=factory
        )
        self.credentials = CredentialsCache(factory)
        self.clients = ConnectorClients(self.credentials)
        self._user_token_clients: dict[str, UserTokenClient] = {}
        self.user_token_clients_created = 0
        self.signing_keys = SigningKeySets()
        _route_signing_keys()

    def use_session(self, session: aiohttp.ClientSession | None) -> None:
        self.clients.session = session
        self.signing_keys.session = session

    @property
    def audience(self) -> str:
        return str(self._inner.get_originating_audience())

    def _factory(self, app_id: str) -> ConnectorFactory:
        return _ReusingConnectorFactory(self.clients, app_id, self.audience)

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        """botbuilder's checks; raises PermissionError (and others) for a token that is not
        valid, SigningKeysUnavailable when the keys to check it cannot be had now."""
        route = _SIGNING_KEYS.set(self.signing_keys)
        try:
            result: AuthenticateRequestResult = await self._inner.authenticate_request(
                activity, auth_header
            )
        finally:
            _SIGNING_KEYS.reset(route)
        result.connector_factory = self._factory(_app_id(result.claims_identity))
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        route = _SIGNING_KEYS.set(self.signing_keys)
        try:
            return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)
        finally:
            _SIGNING_KEYS.reset(route)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._factory(_app_id(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = _app_id(claims_identity)
        client = self._user_token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._user_token_clients[app_id] = client
            self.user_token_clients_created += 1
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self.audience

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        route = _SIGNING_KEYS.set(self.signing_keys)
        try:
            return await self._inner.authenticate_channel_request(auth_header)
        finally:
            _SIGNING_KEYS.reset(route)
