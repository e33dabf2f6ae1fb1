"""`actions`: the action tracker over minutes and TAG summaries.

    actions | actions open | actions mine | actions overdue | actions export [<city or TAG>]

A card per list; an item's owner (or a city rep / lead expert of its city, or for a TAG
commitment the TAG's mentor and experts) marks it done, blocked or dropped from the card.
`actions export` sends the whole tracker of the channel's city or TAG (or, in a 1:1 chat, the
person's one city or TAG, or the one named) as an Excel workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.payloads import Payload, Scope
from bot.router import ActionResult, Router
from bot.turn import Turn
from dialogs.actions import service
from dialogs.actions.cards import EXPORT, SET, UNDO, VIEWS, Notice, View
from dialogs.context import CITY_WRITERS
from domain.actions import STATUS_LABELS, Status
from storage import actions as action_store
from storage.models import ActionItem

router = Router()

USAGE = "actions [open | mine | overdue | export [<city or TAG>]]"


@router.command(
    "actions",
    USAGE,
    "List open, your or overdue actions; mark them done from the card; export the tracker to Excel.",
    starts="actions",
)
async def actions_command(turn: Turn, args: str) -> None:
    first, _, rest = args.strip().partition(" ")
    if first.lower() == "export":
        refused = await service.send_tracker(turn, rest)
        if refused is not None:
            await turn.reply(refused)
        return
    view = args.strip().lower() or "open"
    if view not in VIEWS:
        await turn.reply(f"Usage: `{USAGE}`")
        return
    result = await service.build_view(turn, view)
    if isinstance(result, str):
        await turn.reply(result)
    else:
        await turn.reply(card=result)


@dataclass
class SetStatus(Payload):
    """Done / Blocked / Dropped on an action card: the item, its new status, the list shown."""

    action_id: int
    status: Status
    view: View = "open"
    item: ActionItem = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        item = await action_store.get(turn.session, self.action_id)
        if item is None:
            return f"Action #{self.action_id} no longer exists."
        self.item = item
        return Scope(
            f"Action #{item.id}",
            city_id=item.city_id,
            tag_id=item.tag_id,
            city_roles=CITY_WRITERS,
            owner_person_id=item.owner_person_id,
        )


def _refusal(item: ActionItem) -> ActionResult:
    return ActionResult.refuse(
        f"Sorry, only the owner of action #{item.id} or a representative of its city can change it."
    )


@router.action(SET, SetStatus)
async def set_action(turn: Turn, click: SetStatus) -> ActionResult:
    item, status, view = click.item, click.status, click.view
    if not await service.may_update(turn, item):
        return _refusal(item)
    previous = item.status
    changed = await service.set_status(turn, item, status)
    label = STATUS_LABELS[status]
    message = (
        f"Action #{item.id} is now {label}."
        if changed
        else f"Action #{item.id} was already {label}."
    )
    # The card says what changed, with an Undo for a few minutes (a second click of the
    # same button changes nothing and shows the same Undo).
    notice = await service.change_notice(turn, item, view, previous if changed else None)
    card = await service.build_view(turn, view, notice)
    return ActionResult(message=message, card=card if not isinstance(card, str) else None)


@dataclass
class UndoStatus(Payload):
    """Undo under a status change: the item, the change it takes back, the status before."""

    action_id: int
    event_id: int
    previous: Status
    view: View = "open"
    item: ActionItem = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        item = await action_store.get(turn.session, self.action_id)
        if item is None:
            return f"Action #{self.action_id} no longer exists."
        self.item = item
        return Scope(
            f"Action #{item.id}",
            city_id=item.city_id,
            tag_id=item.tag_id,
            city_roles=CITY_WRITERS,
            owner_person_id=item.owner_person_id,
        )


@router.action(UNDO, UndoStatus)
async def undo_action(turn: Turn, click: UndoStatus) -> ActionResult:
    item = click.item
    if not await service.may_update(turn, item):
        return _refusal(item)
    refused = await service.undo(turn, item, click.event_id, click.previous)
    if refused is not None:
        return ActionResult.refuse(refused)
    message = f"Undone: action #{item.id} is {STATUS_LABELS[Status(item.status)]} again."
    card = await service.build_view(turn, click.view, Notice(message))
    return ActionResult(message=message, card=card if not isinstance(card, str) else None)


@dataclass
class ExportClick(Payload):
    """Export to Excel under an action list: what `actions export` sends from here. It names no
    object; who may have which tracker is decided as for the command."""


@router.action(EXPORT, ExportClick)
async def export_action(turn: Turn, click: ExportClick) -> ActionResult:
    refused = await service.send_tracker(turn, "")
    if refused is not None:
        return ActionResult.refuse(refused)
    return ActionResult(message="The action tracker is sent as an Excel workbook.")
