from dialogs.link.commands import router

__all__ = ["router"]
