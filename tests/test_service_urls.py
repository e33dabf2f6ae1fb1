"""The service-URL allow-list as a function: which addresses the bot may post to."""

from __future__ import annotations

import pytest

from bot.service_urls import allowed_service_url
from config import DEFAULT_SERVICE_URL_HOSTS


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net/teams/",
        "https://smba.trafficmanager.net/emea/",
        "https://smba.trafficmanager.net/amer/",
        "https://SMBA.trafficmanager.net:443/apac/",
        "https://smba.infra.gcc.teams.microsoft.com/teams",
        "https://smba.infra.gov.teams.microsoft.us/teams",
        "https://smba.infra.dod.teams.microsoft.us/teams",
        "https://webchat.botframework.com/",
        "https://europe.directline.botframework.com/",
    ],
)
def test_teams_and_bot_framework_service_urls_are_allowed_by_default(url: str) -> None:
    assert allowed_service_url(url, DEFAULT_SERVICE_URL_HOSTS, allow_loopback=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://smba.trafficmanager.net/teams/",
        "https://botframework.com/",
        "https://evilbotframework.com/",
        "https://smba.trafficmanager.net.attacker.example/",
        "https://smba.trafficmanager.net@attacker.example/",
        "https://user@smba.trafficmanager.net/teams/",
        "https://smba.trafficmanager.net:99999/teams/",
        "https://smba.trafficmanager.net:8443/teams/",
        "https://localhost\x00.webchat.botframework.com/",
        "https://attacker.example%2f.webchat.botframework.com/",
        "https://attacker.example .webchat.botframework.com/",
        "ftp://smba.trafficmanager.net/teams/",
        "https:///teams/",
        "http://127.0.0.1:3978/",
        "http://localhost:3978/",
        "http://[::1]:3978/",
        "not a url",
    ],
)
def test_anything_else_is_refused_with_authentication_on(url: str) -> None:
    assert not allowed_service_url(url, DEFAULT_SERVICE_URL_HOSTS, allow_loopback=False)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:3978/", "http://127.9.9.9/", "https://localhost:1/", "http://[::1]:56150/"],
)
def test_loopback_is_allowed_while_authentication_is_off(url: str) -> None:
    assert allowed_service_url(url, DEFAULT_SERVICE_URL_HOSTS, allow_loopback=True)


def test_a_listed_loopback_address_is_allowed_with_authentication_on() -> None:
    assert allowed_service_url("http://127.0.0.1:8080/", ("127.0.0.1",), allow_loopback=False)
    assert not allowed_service_url("http://localhost:8080/", ("127.0.0.1",), allow_loopback=False)


def test_without_authentication_other_private_addresses_stay_refused() -> None:
    for url in ("http://10.0.0.5/", "https://169.254.169.254/", "https://192.168.1.10/"):
        assert not allowed_service_url(url, DEFAULT_SERVICE_URL_HOSTS, allow_loopback=True), url
