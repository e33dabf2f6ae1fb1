"""A fake Bot Connector: the `serviceUrl` Teams gives the bot, recording everything sent to it.

It can be told to answer the next requests with 429 (and Retry-After), 5xx, 403, or to hang.
Every Adaptive Card it receives is kept, to be run through Microsoft's card parser. It answers
member lookups (`GET …/members/{id}`) for the members it was told about, 404 for anyone else;
creates 1:1 chats (`POST /v3/conversations`: the chat's id is `a:personal-<user>`, as
tests.harness.teams.personal names it), refused with 403 for the members in `unreachable`; and
stands in for OneDrive's upload sessions of the file consent flow (`PUT /upload/<name>`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.harness.card_parser import CardParser

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


@dataclass
class Call:
    method: str
    path: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    returned_id: str | None = None
    at: float = 0.0  # the loop time the call arrived

    @property
    def kind(self) -> str:
        if self.method == "PUT":
            return "update"
        if self.method == "DELETE":
            return "delete"
        if self.path == "/v3/conversations":
            return "create_conversation"
        return "reply" if self.activity_id else "send"

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if a.get("contentType") == ADAPTIVE_CARD
        ]

    @property
    def card(self) -> dict[str, Any]:
        cards = self.cards
        assert len(cards) == 1, f"expected one card, got {len(cards)}: {self.body}"
        return cards[0]

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.body.get("attachments") or [])


@dataclass
class MemberLookup:
    """A `GET /v3/conversations/{id}/members/{userId}` the bot made, and the status answered."""

    conversation_id: str
    member_id: str
    status: int
    headers: dict[str, str]
    started: float = 0.0  # loop times: when it arrived, and when it was answered
    answered: float = 0.0


@dataclass
class Fault:
    status: int
    times: int
    retry_after: str | None = None
    hang_seconds: float = 0.0
    match: str | None = None
    method: str | None = None


@dataclass
class SentCard:
    """An Adaptive Card the bot sent, and where: a connector call or an invoke response."""

    card: Any
    where: str


@dataclass
class Upload:
    """A file the bot PUT to the stand-in OneDrive upload URL."""

    name: str
    content: bytes
    headers: dict[str, str]
    status: int


@dataclass
class CardProblem:
    sent: SentCard
    problems: list[str]

    def __str__(self) -> str:
        lines = [f"{self.sent.where}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        lines.append("  card: " + json.dumps(self.sent.card, indent=2).replace("\n", "\n  "))
        return "\n".join(lines)


@dataclass
class FakeConnector:
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    url: str = ""
    card_parser: CardParser | None = None
    # Called with each call as it arrives, before it is answered (e.g. to kill the bot then).
    on_call: Callable[[Call], None] | None = None
    # Every Adaptive Card the bot sent, and the problems the parser found in those checked.
    sent_cards: list[SentCard] = field(default_factory=list)
    card_problems: list[CardProblem] = field(default_factory=list)
    # Members it knows (a TeamsChannelAccount each, by Teams user id), and the lookups made.
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    member_lookups: list[MemberLookup] = field(default_factory=list)
    # Teams users the bot cannot open a 1:1 chat with (POST /v3/conversations answers 403).
    unreachable: set[str] = field(default_factory=set)
    # Files PUT to the upload endpoint (the consent flow's OneDrive stand-in), in order.
    uploads: list[Upload] = field(default_factory=list)
    # Paths whose next request is answered 307 (method and body kept) to the Location given.
    redirects: dict[str, str] = field(default_factory=dict)
    # Where the upload endpoint redirects its next upload (307: the method and body are kept).
    upload_redirect: str | None = None
    # An outage: every send, reply and update is answered 503 while this is set.
    down: bool = False
    # Throttling: this fraction of sends, replies and updates is answered 429 (Retry-After 1),
    # drawn from `rng` (seeded, so a run can be repeated).
    throttled: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(17))
    _checked: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- what tests tell it to do --------------------------------------------------------

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        match: str | None = None,
        method: str | None = None,
    ) -> None:
        retry = None if retry_after is None else str(retry_after)
        self.faults.append(Fault(status, times, retry, match=match, method=method))

    def hang(
        self, seconds: float, *, times: int = 1, match: str | None = None, method: str | None = None
    ) -> None:
        self.faults.append(Fault(200, times, hang_seconds=seconds, match=match, method=method))

    def add_member(
        self,
        user_id: str,
        name: str,
        *,
        aad_object_id: str | None = None,
        email: str | None = None,
        user_principal_name: str | None = None,
        tenant_id: str | None = None,
    ) -> None:
        """Someone the member lookup knows, answered as Teams does (TeamsChannelAccount)."""
        self.members[user_id] = {
            "id": user_id,
            "name": name,
            "aadObjectId": aad_object_id,
            "email": email,
            "userPrincipalName": user_principal_name or email,
            "tenantId": tenant_id,
            "userRole": "user",
        }

    def clear(self) -> None:
        """Forgets the calls; the cards they carried are still checked."""
        self.calls.clear()

    def saw_card(self, card: Any, where: str) -> None:
        self.sent_cards.append(SentCard(card, where))

    def check_cards(self) -> list[CardProblem]:
        """Parses the cards not parsed yet; returns (and keeps) the problems of all so far."""
        if self.card_parser is None:
            raise RuntimeError("FakeConnector.card_parser is not set: cannot check cards")
        for sent in self.sent_cards[self._checked :]:
            problems = self.card_parser.problems(sent.card)
            if problems:
                self.card_problems.append(CardProblem(sent, problems))
        self._checked = len(self.sent_cards)
        return list(self.card_problems)

    # --- what tests read -----------------------------------------------------------------

    @property
    def ok_calls(self) -> list[Call]:
        return [call for call in self.calls if call.status < 300]

    def sent(self) -> list[Call]:
        """Messages that reached the conversation (sends and replies), in order."""
        return [call for call in self.ok_calls if call.kind in ("send", "reply")]

    def most_member_lookups_at_once(self) -> int:
        """The most member lookups the connector was answering at the same moment."""
        lookups = self.member_lookups
        return max(
            (sum(1 for o in lookups if o.started <= one.started < o.answered) for one in lookups),
            default=0,
        )

    def updates(self) -> list[Call]:
        return [call for call in self.ok_calls if call.kind == "update"]

    def texts(self) -> list[str]:
        return [call.text for call in self.sent()]

    def last(self) -> Call:
        sent = self.sent()
        assert sent, "the bot sent nothing"
        return sent[-1]

    async def wait_for(self, predicate: Any, within: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate(self):
            if loop.time() > deadline:
                raise AssertionError(
                    f"connector condition not met in {within}s; calls={self.calls}"
                )
            await asyncio.sleep(0.02)

    # --- the HTTP side -------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        lookup = "/members/" in path  # faults for member lookups are asked for by name
        for fault in self.faults:
            if lookup and fault.method != "GET" and "/members/" not in (fault.match or ""):
                continue
            if (
                fault.times > 0
                and (fault.match is None or fault.match in path)
                and (fault.method is None or fault.method == method)
            ):
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if request.path in self.redirects:
            raise web.HTTPTemporaryRedirect(self.redirects.pop(request.path))
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = {"_raw": raw.decode(errors="replace")}
        conversation_id = unquote(request.match_info.get("conversation_id", ""))
        activity_id = request.match_info.get("activity_id")
        activity_id = unquote(activity_id) if activity_id else None
        fault = self._take_fault(request.method, request.path)
        status = 200
        if fault is None and self.down:
            fault = Fault(503, 1)
        elif fault is None and self.throttled and self.rng.random() < self.throttled:
            fault = Fault(429, 1, retry_after="1")
        if fault is not None and fault.hang_seconds:
            await asyncio.sleep(fault.hang_seconds)
        elif fault is not None:
            status = fault.status
        call = Call(
            request.method,
            request.path,
            conversation_id,
            activity_id,
            body,
            dict(request.headers),
            status,
            at=asyncio.get_running_loop().time(),
        )
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        for attachment in body.get("attachments") or []:
            if isinstance(attachment, dict) and attachment.get("contentType") == ADAPTIVE_CARD:
                self.saw_card(attachment.get("content"), f"{request.method} {request.path}")
        if status >= 300:
            headers = {"Retry-After": fault.retry_after} if fault and fault.retry_after else None
            return web.json_response(
                {"error": {"code": "Fault", "message": "injected"}}, status=status, headers=headers
            )
        if request.method == "DELETE":
            return web.json_response({})
        if request.method == "PUT":
            call.returned_id = activity_id
            return web.json_response({"id": activity_id})
        n = next(self._ids)
        call.returned_id = f"act-{n}"
        if request.path == "/v3/conversations":
            members = body.get("members")
            member = members[0].get("id") if isinstance(members, list) and members else None
            if isinstance(member, str) and not body.get("isGroup"):
                if member in self.unreachable:
                    call.status = 403
                    error = {"code": "BotNotInConversationRoster", "message": "not reachable"}
                    return web.json_response({"error": error}, status=403)
                # Teams answers with the one 1:1 chat of that user and the bot.
                return web.json_response({"id": f"a:personal-{member.split(':', 1)[-1]}"})
            return web.json_response(
                {"id": f"a:created-{n}", "activityId": call.returned_id, "serviceUrl": self.url}
            )
        return web.json_response({"id": call.returned_id})

    async def _member(self, request: web.Request) -> web.Response:
        conversation_id = unquote(request.match_info["conversation_id"])
        member_id = unquote(request.match_info["member_id"])
        started = asyncio.get_running_loop().time()
        fault = self._take_fault(request.method, request.path)
        if fault is not None and fault.hang_seconds:
            await asyncio.sleep(fault.hang_seconds)
        member = self.members.get(member_id)
        status = fault.status if fault is not None and not fault.hang_seconds else 200
        if status < 300 and member is None:
            status = 404
        self.member_lookups.append(
            MemberLookup(
                conversation_id,
                member_id,
                status,
                dict(request.headers),
                started,
                asyncio.get_running_loop().time(),
            )
        )
        if status == 404:
            error = {"code": "MemberNotFoundInConversation", "message": "The member was not found."}
            return web.json_response({"error": error}, status=404)
        if status >= 300:
            headers = {"Retry-After": fault.retry_after} if fault and fault.retry_after else None
            return web.json_response(
                {"error": {"code": "Fault", "message": "injected"}}, status=status, headers=headers
            )
        return web.json_response(member)

    def upload_url(self, name: str) -> str:
        """Where a fileConsent/invoke of this fake Teams says to upload `name`."""
        return f"{self.url}/upload/{name}"

    async def _upload(self, request: web.Request) -> web.Response:
        content = await request.read()
        fault = self._take_fault(request.method, request.path)
        # A fault may hang and then fail (status >= 300), or only hang (answered 201).
        status = fault.status if fault is not None and fault.status >= 300 else 201
        if fault is not None and fault.hang_seconds:
            await asyncio.sleep(fault.hang_seconds)
        name = unquote(request.match_info["name"])
        if self.upload_redirect is not None and status < 300:
            status = 307
        self.uploads.append(Upload(name, content, dict(request.headers), status))
        if status == 307:
            location, self.upload_redirect = str(self.upload_redirect), None
            raise web.HTTPTemporaryRedirect(location)
        if status >= 300:
            return web.json_response({"error": {"code": "Fault"}}, status=status)
        return web.json_response(
            {"id": f"drive-item-{len(self.uploads)}", "name": name}, status=201
        )

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_put("/upload/{name}", self._upload)
        app.router.add_post("/v3/conversations", self._handle)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._handle)
        app.router.add_post(
            "/v3/conversations/{conversation_id}/activities/{activity_id}", self._handle
        )
        app.router.add_put(
            "/v3/conversations/{conversation_id}/activities/{activity_id}", self._handle
        )
        app.router.add_delete(
            "/v3/conversations/{conversation_id}/activities/{activity_id}", self._handle
        )
        app.router.add_get("/v3/conversations/{conversation_id}/members/{member_id}", self._member)
        return app
