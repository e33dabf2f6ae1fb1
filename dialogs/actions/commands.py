"""`actions`: the action tracker over minutes and TAG summaries.

    actions | actions open | actions mine | actions overdue | actions export [<city or TAG>]

A card per list; an item's owner (or a city rep / lead expert of its city, or for a TAG
commitment the TAG's mentor and experts) marks it done, blocked or dropped from the card. In a
channel or group chat the list everyone sees has no buttons: each person's own view (a
Universal Actions refresh, automatic for the owners and those who may change the items) shows
the buttons on what they may change; a click updates everyone's card and answers the clicker
with theirs. `actions export` sends the whole tracker of the channel's city or TAG (or, in a
1:1 chat, the person's one city or TAG, or the one named) as an Excel workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from bot import payloads
from bot.cards import Card
from bot.payloads import MaxLength, Payload, Scope
from bot.router import ActionResult, Router
from bot.turn import Turn
from dialogs.actions import service
from dialogs.actions.cards import EXPORT, REFRESH, SET, UNDO, VIEWS, Notice, View
from dialogs.actions.service import Listing
from dialogs.context import CITY_WRITERS
from domain.actions import STATUS_LABELS, Status
from domain.numbers import parse_ids
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


# Longest `ids` a card carries: SHOWN ids of up to 10 digits, comma-separated.
IDS_TEXT = service.SHOWN * 11


def item_scope(item: ActionItem) -> Scope:
    """Where an item lives, for the router's check of a click (and of a listed item)."""
    return Scope(
        f"Action #{item.id}",
        city_id=item.city_id,
        tag_id=item.tag_id,
        city_roles=CITY_WRITERS,
        owner_person_id=item.owner_person_id,
    )


async def listing_of(
    turn: Turn, view: View, ids: str, owner_id: int | None
) -> tuple[Listing, list[ActionItem]] | str:
    """The list a card in a shared conversation shows, from its buttons' data: every item in
    it checked like a click on it (so a forged id cannot show another city's items here); items
    deleted since are left out. A str: why not."""
    parsed = parse_ids(ids, most=service.SHOWN)
    if parsed is None or (owner_id is not None and view != "mine"):
        return "That card's list of actions is not valid."
    rows = await action_store.by_ids(turn.session, parsed)
    for row in rows:
        refusal = await payloads.authorize(turn, item_scope(row))
        if refusal is not None:
            return refusal
        if owner_id is not None and row.owner_person_id != owner_id:
            return "That card's list of actions is not valid."
    return Listing(view, parsed, owner_id), rows


@dataclass
class SetStatus(Payload):
    """Done / Blocked / Dropped on an action card: the item, its new status, the list shown
    (in a shared conversation: its items' ids and, for `mine`, whose they are)."""

    action_id: int
    status: Status
    view: View = "open"
    ids: Annotated[str, MaxLength(IDS_TEXT)] = ""
    owner_id: int | None = None
    item: ActionItem = field(init=False, repr=False)
    listing: tuple[Listing, list[ActionItem]] | None = field(init=False, repr=False, default=None)

    async def scope(self, turn: Turn) -> Scope | str:
        item = await action_store.get(turn.session, self.action_id)
        if item is None:
            return f"Action #{self.action_id} no longer exists."
        self.item = item
        if self.ids:  # a card with no ids: a 1:1 chat's, or one posted before lists carried them
            found = await listing_of(turn, self.view, self.ids, self.owner_id)
            if isinstance(found, str):
                return found
            self.listing = found
        return item_scope(item)

    @property
    def listed_data(self) -> dict[str, Any]:
        """What the clicked card lists, for the buttons of the card drawn after the click."""
        return self.listing[0].data() if self.listing else {"view": self.view}


def _refusal(item: ActionItem) -> ActionResult:
    return ActionResult.refuse(
        f"Sorry, only the owner of action #{item.id} or a representative of its city can change it."
    )


async def _redrawn(
    turn: Turn, click: SetStatus | UndoStatus, notice: Notice, said: str | None
) -> Card | None:
    """After a click: the card the clicker sees (their own view); and when the click changed
    something (`said`) in a shared conversation, everyone's card of the clicked message
    updated to match, with no buttons."""
    shared: Card | str | None = None
    if click.listing is not None:
        listing, rows = click.listing
        card: Card | str = await service.listing_card(turn, listing, rows, notice, reader=True)
        if said and not turn.is_personal:
            shared = await service.listing_card(turn, listing, rows, Notice(said), reader=False)
    else:
        card = await service.build_view(turn, click.view, notice, reader=True)
        if said and not turn.is_personal:
            shared = await service.build_view(turn, click.view, Notice(said), reader=False)
    if isinstance(shared, dict):
        await turn.update_clicked(shared)
    return card if not isinstance(card, str) else None


@router.action(SET, SetStatus)
async def set_action(turn: Turn, click: SetStatus) -> ActionResult:
    item, status = click.item, click.status
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
    notice = await service.change_notice(
        turn, item, click.listed_data, previous if changed else None
    )
    card = await _redrawn(turn, click, notice, message if changed else None)
    return ActionResult(message=message, card=card)


@dataclass
class UndoStatus(Payload):
    """Undo under a status change: the item, the change it takes back, the status before, the
    list shown (as on Done)."""

    action_id: int
    event_id: int
    previous: Status
    view: View = "open"
    ids: Annotated[str, MaxLength(IDS_TEXT)] = ""
    owner_id: int | None = None
    item: ActionItem = field(init=False, repr=False)
    listing: tuple[Listing, list[ActionItem]] | None = field(init=False, repr=False, default=None)

    async def scope(self, turn: Turn) -> Scope | str:
        item = await action_store.get(turn.session, self.action_id)
        if item is None:
            return f"Action #{self.action_id} no longer exists."
        self.item = item
        if self.ids:
            found = await listing_of(turn, self.view, self.ids, self.owner_id)
            if isinstance(found, str):
                return found
            self.listing = found
        return item_scope(item)


@router.action(UNDO, UndoStatus)
async def undo_action(turn: Turn, click: UndoStatus) -> ActionResult:
    item = click.item
    if not await service.may_update(turn, item):
        return _refusal(item)
    refused = await service.undo(turn, item, click.event_id, click.previous)
    if refused is not None:
        return ActionResult.refuse(refused)
    message = f"Undone: action #{item.id} is {STATUS_LABELS[Status(item.status)]} again."
    return ActionResult(message=message, card=await _redrawn(turn, click, Notice(message), message))


@dataclass
class Refresh(Payload):
    """Teams asking for one person's view of a list posted in a shared conversation."""

    view: View
    ids: Annotated[str, MaxLength(IDS_TEXT)] = ""
    owner_id: int | None = None
    listing: tuple[Listing, list[ActionItem]] = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> str | None:
        # Each listed item is checked as a click on it would be (`listing_of`).
        found = await listing_of(turn, self.view, self.ids, self.owner_id)
        if isinstance(found, str):
            return found
        self.listing = found
        return None


@router.action(REFRESH, Refresh)
async def refresh_action(turn: Turn, click: Refresh) -> ActionResult:
    """The sender's own view (status buttons where they may change the item), answered to
    them alone, automatic or by hand: nothing is written or sent."""
    return ActionResult(card=await service.listing_card(turn, *click.listing, reader=True))


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
