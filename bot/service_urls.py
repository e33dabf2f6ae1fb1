"""Where the bot may send: the Bot Connector hosts Teams names, and loopback while
authentication is off (the Teams emulator, the tests' fake connector).

An activity's serviceUrl becomes the address the bot posts to, later, with its own token:
an address outside this list is refused on the way in and again on the way out."""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import urlsplit

from config import Settings

# A host name as DNS has it: ASCII letters, digits and hyphens between dots (IDNs in their
# xn-- form). Anything else can mean one host to this check and another to the resolver:
# getaddrinfo stops at a NUL, so `localhost\x00.sharepoint.com` would reach 127.0.0.1.
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")


def host_matches(host: str, pattern: str) -> bool:
    """`*.example.com` matches any name below example.com (not example.com itself)."""
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_service_url(url: str, hosts: tuple[str, ...], allow_loopback: bool) -> bool:
    """Whether `url` is https on a listed host (its default port), or http(s) on loopback where
    that is allowed (or listed)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # .port raises ValueError for a bad port
    except ValueError:
        return False
    if not host or parts.username is not None or parts.scheme not in ("http", "https"):
        return False
    listed = any(host_matches(host, pattern) for pattern in hosts)
    if is_loopback(host):
        return listed or allow_loopback
    return (
        listed
        and parts.scheme == "https"
        and port in (None, 443)
        and _HOST_NAME.fullmatch(host) is not None
    )


@functools.lru_cache(maxsize=8)  # one per app's settings: not rebuilt for every request
def service_url_check(settings: Settings) -> ServiceUrlCheck:
    return ServiceUrlCheck(settings.service_url_hosts, allow_loopback=not settings.authenticated)


class ServiceUrlCheck:
    """`allowed_service_url` bound to one app's settings."""

    def __init__(self, hosts: tuple[str, ...], *, allow_loopback: bool) -> None:
        self.hosts = hosts
        self.allow_loopback = allow_loopback

    def __call__(self, url: str) -> bool:
        return allowed_service_url(url, self.hosts, self.allow_loopback)
