"""Pieces every dialog uses, re-exported until the feature folders land (issue 18): the prompts
now live in bot/sdk/prompts.py (dialog.py files import them from there), the verb of a dialog's
cards in bot/handler.py (cards.py files import it from there)."""

from __future__ import annotations

from bot.handler import DIALOG_VERB
from bot.sdk.prompts import CardPrompt, ask, ask_card

__all__ = ["DIALOG_VERB", "CardPrompt", "ask", "ask_card"]
