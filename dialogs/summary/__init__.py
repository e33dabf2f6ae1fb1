"""The summary of a TAG working session: written in a dialog, posted, edited in place."""

from dialogs.summary.commands import router

__all__ = ["router"]
