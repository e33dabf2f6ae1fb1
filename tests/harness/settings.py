"""The settings the app under test runs with: no scheduler, a known secret key, and a sender
that does not wait out Teams' rate limits (tests/test_outbound.py tests those on a fake clock)."""

from __future__ import annotations

from typing import Any

from config import DEFAULT_UPLOAD_HOSTS, Settings, load_settings

SECRET_KEY = "test-secret"


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """The app's settings for a test on `database_url`, the environment ignored."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "run_scheduler": False,
        "secret_key": SECRET_KEY,
        "pacing": "off",
        # The fake connector stands in for OneDrive too (its /upload/ endpoint, on loopback).
        "upload_hosts": (*DEFAULT_UPLOAD_HOSTS, "127.0.0.1"),
    }
    return load_settings({}, **{**values, **overrides})
