from dialogs.timezone.commands import router

__all__ = ["router"]
