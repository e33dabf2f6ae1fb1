from dialogs.actions.commands import router

__all__ = ["router"]
