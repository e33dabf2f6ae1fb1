"""Action items (actions, agreements, commitments) and their history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import Kind, OwnerType, Status
from storage.models import ActionEvent, ActionItem, City, utcnow

OPEN_STATUSES = ("open", "in_progress", "blocked")


async def open_for_recap(session: AsyncSession, city_id: int, group: str) -> list[ActionItem]:
    """What the last ecosystem calls of this city and stakeholder group left open."""
    result = await session.scalars(
        select(ActionItem)
        .where(
            ActionItem.city_id == city_id,
            ActionItem.source_type == "minutes",
            func.lower(ActionItem.stakeholder_group) == group.strip().lower(),
            ActionItem.status.in_(OPEN_STATUSES),
        )
        .order_by(ActionItem.id)
    )
    return list(result.all())


async def open_for_city(session: AsyncSession, city_id: int) -> list[ActionItem]:
    result = await session.scalars(
        select(ActionItem)
        .where(
            ActionItem.city_id == city_id,
            ActionItem.status.in_(OPEN_STATUSES),
            ActionItem.source_type == "minutes",
        )
        .order_by(ActionItem.due_date.is_(None), ActionItem.due_date, ActionItem.id)
    )
    return list(result.all())


async def listing(
    session: AsyncSession,
    *,
    city_ids: Sequence[int] | None = None,
    tag_ids: Sequence[int] | None = None,
    owner_person_id: int | None = None,
    only_open: bool = True,
    kinds: Sequence[str] = ("action", "commitment"),
    limit: int = 200,
) -> list[ActionItem]:
    statement = select(ActionItem).where(ActionItem.kind.in_(kinds))
    scopes = []
    if city_ids is not None:
        scopes.append(ActionItem.city_id.in_(city_ids))
    if tag_ids is not None:
        scopes.append(ActionItem.tag_id.in_(tag_ids))
    if scopes:
        from sqlalchemy import or_

        statement = statement.where(or_(*scopes))
    if owner_person_id is not None:
        statement = statement.where(ActionItem.owner_person_id == owner_person_id)
    if only_open:
        statement = statement.where(ActionItem.status.in_(OPEN_STATUSES))
    statement = statement.order_by(
        ActionItem.due_date.is_(None), ActionItem.due_date, ActionItem.id
    ).limit(limit)
    return list((await session.scalars(statement)).all())


async def from_source(session: AsyncSession, source_type: str, source_id: int) -> list[ActionItem]:
    """The items one set of minutes (or one summary) recorded, in the order it recorded them."""
    result = await session.scalars(
        select(ActionItem)
        .where(ActionItem.source_type == source_type, ActionItem.source_id == source_id)
        .order_by(ActionItem.id)
    )
    return list(result.all())


@dataclass(frozen=True)
class ItemDraft:
    """A new action, agreement or commitment; the owner ids are those that apply."""

    kind: str
    text: str
    source_type: str
    source_id: int
    now: datetime
    status: str = "open"
    owner_type: str | None = None
    owner_name: str | None = None
    owner_person_id: int | None = None
    owner_stakeholder_id: int | None = None
    owner_city_id: int | None = None
    city_id: int | None = None
    tag_id: int | None = None
    stakeholder_group: str | None = None
    due_date: date | None = None
    support_needed: str | None = None


def add_item(session: AsyncSession, draft: ItemDraft) -> ActionItem:
    """The new item, added to the session (flushed with the rest of the unit of work)."""
    item = ActionItem(
        kind=draft.kind,
        text=draft.text,
        status=draft.status,
        owner_type=draft.owner_type,
        owner_name=draft.owner_name,
        owner_person_id=draft.owner_person_id,
        owner_stakeholder_id=draft.owner_stakeholder_id,
        owner_city_id=draft.owner_city_id,
        city_id=draft.city_id,
        tag_id=draft.tag_id,
        stakeholder_group=draft.stakeholder_group,
        source_type=draft.source_type,
        source_id=draft.source_id,
        due_date=draft.due_date,
        support_needed=draft.support_needed,
        created_at=draft.now,
        updated_at=draft.now,
    )
    session.add(item)
    return item


async def get(session: AsyncSession, action_id: int) -> ActionItem | None:
    return await session.get(ActionItem, action_id)


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> list[ActionItem]:
    """The items with these ids that exist, in the order of `ids`."""
    if not ids:
        return []
    found = {
        item.id: item
        for item in (await session.scalars(select(ActionItem).where(ActionItem.id.in_(ids)))).all()
    }
    return [found[i] for i in ids if i in found]


async def set_status(
    session: AsyncSession,
    item: ActionItem,
    status: str,
    by_name: str,
    *,
    source_type: str | None = None,
    source_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Change an item's status and record who did it; False if it already had that status."""
    if item.status == status:
        return False
    now = now or utcnow()
    item.status = status
    item.updated_at = now
    session.add(
        ActionEvent(
            action_id=item.id,
            status=status,
            by_name=by_name,
            source_type=source_type,
            source_id=source_id,
            at=now,
        )
    )
    return True


async def last_event(session: AsyncSession, action_id: int) -> ActionEvent | None:
    """The item's latest status change (the one an Undo may take back)."""
    return await session.scalar(
        select(ActionEvent)
        .where(ActionEvent.action_id == action_id)
        .order_by(ActionEvent.id.desc())
        .limit(1)
    )


async def status_before(session: AsyncSession, event: ActionEvent) -> str | None:
    """The status the item had before `event`, if its history says (None: not recorded)."""
    return await session.scalar(
        select(ActionEvent.status)
        .where(ActionEvent.action_id == event.action_id, ActionEvent.id < event.id)
        .order_by(ActionEvent.id.desc())
        .limit(1)
    )


async def history(session: AsyncSession, action_id: int) -> list[ActionEvent]:
    result = await session.scalars(
        select(ActionEvent).where(ActionEvent.action_id == action_id).order_by(ActionEvent.id)
    )
    return list(result.all())


async def city_names(session: AsyncSession, city_ids: Sequence[int]) -> dict[int, City]:
    if not city_ids:
        return {}
    result = await session.scalars(select(City).where(City.id.in_(set(city_ids))))
    return {city.id: city for city in result.all()}


def due_label(due: date | None) -> str:
    return f"{due:%d %b %Y}" if due else "no due date"


# --- commitments from TAG summaries -------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentDraft:
    """A city's commitment until the next TAG session, as a summary records it."""

    text: str
    city_name: str
    city_id: int | None
    tag_id: int
    summary_id: int
    due_date: date | None
    support_needed: str | None
    created_at: datetime


async def add_commitment(session: AsyncSession, draft: CommitmentDraft) -> None:
    session.add(
        ActionItem(
            kind=Kind.COMMITMENT, text=draft.text, status=Status.OPEN, owner_type=OwnerType.CITY,
            owner_name=draft.city_name, owner_city_id=draft.city_id, city_id=draft.city_id,
            tag_id=draft.tag_id, source_type="summary", source_id=draft.summary_id,
            due_date=draft.due_date, support_needed=draft.support_needed,
            created_at=draft.created_at, updated_at=draft.created_at,
        )
    )  # fmt: skip


async def of_summary(session: AsyncSession, summary_id: int) -> list[ActionItem]:
    result = await session.scalars(
        select(ActionItem)
        .where(ActionItem.source_type == "summary", ActionItem.source_id == summary_id)
        .order_by(ActionItem.id)
    )
    return list(result.all())
