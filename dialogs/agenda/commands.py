"""`agenda [<TAG>]`: build the agenda of the TAG's next working session and post it.

    agenda [<TAG>] | agenda edit <id> | agenda invite <id>

The posted card carries the preparation checklist, the guiding questions for the session's
stage, "I'll attend / can't attend" counts updated in place, item proposals that the
agenda's owner accepts or declines, and "Add to calendar" (the session as an .ics file, as
`agenda invite <id>` sends it to whoever may read the agenda). Everyone who answered sees their
own answer on it, with the button to change it (a Universal Actions refresh, answered to that
person alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from bot import payloads
from bot.payloads import MaxLength, Payload, Scope
from bot.router import ActionResult, Router
from bot.turn import Turn
from dialogs.agenda import service
from dialogs.agenda.cards import DECIDE, INVITE, PROPOSE, REFRESH, RSVP
from dialogs.agenda.dialog import DIALOG_ID, AgendaDialog
from dialogs.context import TAG_ROLES, has_tag_role, resolve_tag
from domain.agenda import AgendaError, check_item
from domain.text import escape_markdown as md
from domain.text import quote
from storage import agendas as agenda_store
from storage import people
from storage.models import Agenda, Tag

router = Router()
router.add_dialog(AgendaDialog())
router.card_sync(service.build_card_sync)


USAGE = "agenda [<TAG>] | agenda edit <id> | agenda invite <id>"


@router.command(
    "agenda",
    USAGE,
    "Build the agenda of the TAG's next working session, or correct a posted one (mentor and "
    "experts); a posted session as a calendar invite (.ics).",
    starts="agenda",
)
async def agenda_command(turn: Turn, args: str) -> None:
    words = args.split()
    posted: Agenda | None = None
    if words and words[0].lower() == "invite":
        raw = words[1] if len(words) == 2 else ""
        which = f"Which agenda? `agenda invite <id>` (or press Add to calendar on its card). Usage: `{USAGE}`"
        found = await payloads.check_typed(turn, AgendaRef, raw, which)
        if found is not None:
            await service.send_invite(turn, found.agenda)
        return
    if words and words[0].lower() == "edit":
        raw = words[1] if len(words) == 2 else ""
        which = "Which agenda? `agenda edit <id>` (or press Edit agenda on its card)."
        found = await payloads.check_typed(turn, AgendaRef, raw, which)
        if found is None:
            return
        posted = found.agenda
        tag: Tag | str | None = await people.tag(turn.session, posted.tag_id)
    else:
        tag = await resolve_tag(turn, args.strip())
    if isinstance(tag, str) or tag is None:
        await turn.reply(tag or "That agenda's TAG no longer exists.")
        return
    if not has_tag_role(await turn.roles(), tag.id, TAG_ROLES):
        await turn.reply(
            f"Only the mentor and the experts of {md(tag.name)} build its agenda. "
            "Everyone can propose an item from the posted agenda card."
        )
        return
    await turn.begin_dialog(
        DIALOG_ID, {"tag_id": tag.id, "agenda_id": posted.id if posted else None}
    )


@dataclass
class AgendaRef(Payload):
    """`agenda edit <id>`: the agenda it names, from its TAG's channel or a member's chat."""

    agenda_id: int
    agenda: Agenda = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        agenda = await agenda_store.get(turn.session, self.agenda_id)
        if agenda is None:
            return f"I don't know agenda #{self.agenda_id}."
        self.agenda = agenda
        return Scope(
            f"Agenda #{agenda.id}", conversation_id=agenda.conversation_id, tag_id=agenda.tag_id
        )


@dataclass
class AgendaClick(Payload):
    """A button on a posted agenda card: the agenda it belongs to."""

    agenda_id: int
    agenda: Agenda = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        agenda = await agenda_store.get(turn.session, self.agenda_id)
        if agenda is None:
            return f"Agenda #{self.agenda_id} no longer exists."
        self.agenda = agenda
        return Scope(
            f"Agenda #{agenda.id}", conversation_id=agenda.conversation_id, tag_id=agenda.tag_id
        )


@dataclass
class Rsvp(AgendaClick):
    attending: bool


@dataclass
class Propose(AgendaClick):
    title: Annotated[str, MaxLength(500)] = ""
    minutes: object = 5  # checked by domain.agenda.check_item


@dataclass
class Decide(AgendaClick):
    proposal_id: int
    accept: bool


@router.action(INVITE, AgendaClick)
async def invite_action(turn: Turn, click: AgendaClick) -> ActionResult:
    await service.send_invite(turn, click.agenda)
    return ActionResult(message="The calendar invite is posted below.")


@router.action(RSVP, Rsvp)
async def rsvp_action(turn: Turn, click: Rsvp) -> ActionResult:
    card = await service.rsvp(turn, click.agenda, click.attending)
    return ActionResult(
        message="Thanks, you're down as attending."
        if click.attending
        else "Thanks, noted that you can't attend.",
        card=card,
    )


@router.action(REFRESH, AgendaClick)
async def refresh_action(turn: Turn, click: AgendaClick) -> ActionResult:
    """Teams asking for the clicker's own view of the posted agenda (automatically for those
    who answered, or by hand): answered to that person alone, nothing written or sent."""
    return ActionResult(card=await service.personal_card(turn, click.agenda))


@router.action(PROPOSE, Propose)
async def propose_action(turn: Turn, click: Propose) -> ActionResult:
    try:
        item = check_item(click.title, click.minutes)
    except AgendaError as error:
        return ActionResult.refuse(str(error))
    card = await service.propose(turn, click.agenda, item)
    return ActionResult(
        message=f"Proposed {quote(item.title)}; {md(click.agenda.owner_name)} will accept or decline it.",
        card=card,
    )


@router.action(DECIDE, Decide)
async def decide_action(turn: Turn, click: Decide) -> ActionResult:
    try:
        message, card = await service.decide(turn, click.agenda, click.proposal_id, click.accept)
    except AgendaError as error:
        return ActionResult.refuse(str(error))
    return ActionResult(message=message, card=card)
