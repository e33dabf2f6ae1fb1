"""Quick polls: the `poll` command, its dialog, its live card and its deadline job."""

from dialogs.poll.commands import router

__all__ = ["router"]
