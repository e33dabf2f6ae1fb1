from dialogs.remind.commands import router

__all__ = ["router"]
