"""Download links the bot serves itself (`GET /files/<token>`): an HMAC-signed, expiring token
naming one exported file.

The token is `<file id>.<expiry, Unix seconds>.<signature>`, the signature an HMAC-SHA256 of
the first two parts under a key derived from the app's secret key. Anyone holding the link may
download the file until it expires (that is its purpose: to forward it to stakeholders who are
not Teams users); changing any part of it makes it worthless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

_TOKEN = re.compile(r"(\d{1,12})\.(\d{1,12})\.([A-Za-z0-9_-]{43})")
_PURPOSE = b"icc-bot file links v1"


@dataclass(frozen=True)
class LinkClaim:
    file_id: int
    expires_at: datetime


def _key(secret_key: str) -> bytes:
    # A key of its own, so a signature made here is worth nothing anywhere else the secret is used.
    return hmac.new(secret_key.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def _signature(secret_key: str, message: str) -> str:
    digest = hmac.new(_key(secret_key), message.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def sign(secret_key: str, file_id: int, expires_at: datetime) -> str:
    if not secret_key:
        raise ValueError("no secret key to sign links with")
    message = f"{file_id}.{int(expires_at.timestamp())}"
    return f"{message}.{_signature(secret_key, message)}"


def verify(secret_key: str, token: str, now: datetime) -> LinkClaim | None:
    """What a token names, if it is ours, intact and not expired; None otherwise."""
    match = _TOKEN.fullmatch(token)
    if match is None or not secret_key:
        return None
    file_id, expires, signature = match.groups()
    expected = _signature(secret_key, f"{file_id}.{expires}")
    if not hmac.compare_digest(expected, signature):
        return None
    expires_at = datetime.fromtimestamp(int(expires), UTC)
    if expires_at <= now:
        return None
    return LinkClaim(int(file_id), expires_at)


def url(origin: str, token: str) -> str:
    return f"{origin.rstrip('/')}/files/{token}"
