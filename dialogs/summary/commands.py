"""`summary [<TAG>]`: the mentor's or an expert's summary of a TAG working session.

Key points, the top 3 takeaways, the commitments each city makes until the next session,
support requested and the next session. Posted to the TAG channel; the commitments land in
the action tracker (owner: the city) and become the recap of the next agenda.
`summary edit <id>` changes the texts; card sync updates the posted card in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import payloads
from bot.payloads import Payload, Scope
from bot.router import Router
from bot.turn import Turn
from dialogs.context import TAG_ROLES, has_tag_role, resolve_tag
from dialogs.summary import service
from dialogs.summary.dialog import DIALOG_ID, SummaryDialog
from domain.text import escape_markdown as md
from storage import people
from storage import summaries as summary_store
from storage.models import Tag, TagSummary

router = Router()
router.add_dialog(SummaryDialog())
router.card_sync(service.build_card_sync)


@dataclass
class SummaryRef(Payload):
    """`summary edit <id>`: the summary it names, from its TAG's channel or a TAG member's chat."""

    summary_id: int
    summary: TagSummary = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        summary = await summary_store.get(turn.session, self.summary_id)
        if summary is None:
            return f"I don't know summary #{self.summary_id}."
        self.summary = summary
        return Scope(
            f"Summary #{summary.id}", conversation_id=summary.conversation_id, tag_id=summary.tag_id
        )


@router.command(
    "summary",
    "summary [<TAG>] | summary edit <id>",
    "Post the summary of a TAG session (mentor and experts).",
    starts="summary",
)
async def summary_command(turn: Turn, args: str) -> None:
    words = args.split()
    summary: TagSummary | None = None
    if words and words[0].lower() == "edit":
        raw = words[1] if len(words) == 2 else ""
        which = "Which summary? `summary edit <id>` (the number is on its card)."
        found = await payloads.check_typed(turn, SummaryRef, raw, which)
        if found is None:
            return
        summary = found.summary
        tag: Tag | str | None = await people.tag(turn.session, summary.tag_id)
    else:
        tag = await resolve_tag(turn, args.strip())
    if isinstance(tag, str) or tag is None:
        await turn.reply(tag or "That summary's TAG no longer exists.")
        return
    if not has_tag_role(await turn.roles(), tag.id, TAG_ROLES):
        await turn.reply(
            f"Only the mentor and the experts of {md(tag.name)} post its session summary."
        )
        return
    await turn.begin_dialog(
        DIALOG_ID, {"tag_id": tag.id, "summary_id": summary.id if summary else None}
    )
