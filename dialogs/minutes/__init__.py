"""The minutes of ecosystem calls: a dialog, commands, cards, exports."""

from dialogs.minutes.commands import router

__all__ = ["router"]
