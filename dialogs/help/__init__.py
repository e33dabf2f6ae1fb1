from dialogs.help.commands import router_for

__all__ = ["router_for"]
