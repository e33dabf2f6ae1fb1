"""The SDK's own types the tests compare ours with (the ban on SDK imports outside bot/sdk/
spares tests/harness/ only: tests reach the SDK through here)."""

from __future__ import annotations

from botbuilder.core import StoreItem
from botbuilder.schema import Activity
from msrest.serialization import Model

__all__ = ["Activity", "Model", "StoreItem"]
