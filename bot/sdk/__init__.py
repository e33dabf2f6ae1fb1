"""The Bot Framework SDK behind a fence (issue 18): the only package that imports botbuilder,
botframework or msrest (ruff's banned-api enforces it; the dialog.py files are the exception).

Moving to another SDK (the Microsoft 365 Agents SDK) means rewriting this package and the
dialog.py files' imports, nothing else: everything above speaks the bot's own types (bot.turn's
Turn and TurnIO, bot.files.File, bot.outbound.Target, card dicts).
"""
