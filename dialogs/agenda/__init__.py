"""The agenda of a TAG working session: built in a dialog, posted, answered on its card."""

from dialogs.agenda.commands import router

__all__ = ["router"]
