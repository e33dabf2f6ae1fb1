"""`summary [<TAG>]`: the mentor's or an expert's summary of a TAG working session.

Key points, the top 3 takeaways, the commitments each city makes until the next session,
support requested and the next session. Posted to the TAG channel; the commitments land in
the action tracker (owner: the city) and become the recap of the next agenda.
`summary edit <id>` changes the texts and updates the posted card in place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptValidatorContext, TextPrompt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import payloads
from bot.card_sync import card_message
from bot.outbound import DeliveryError, Target
from bot.outbox import Outcome
from bot.payloads import Payload, Scope
from bot.publishing import Published, Wording, publish
from bot.router import Router
from bot.services import Services
from bot.turn import Turn
from dialogs import once
from dialogs.common import CardPrompt, ask, ask_card
from dialogs.context import TAG_ROLES, has_tag_role, resolve_tag
from dialogs.tag_cards import CommitmentLine, SummaryView, summary_card, summary_form
from domain.actions import ActionError, Kind, OwnerType, Status, local_today, parse_commitment_lines
from domain.numbers import parse_int
from domain.text import escape_markdown as md
from domain.when import WhenError, card_date
from storage import agendas as agenda_store
from storage import channels as channel_store
from storage import finished, people
from storage import outbox as outbox_store
from storage.models import ActionItem, City, Tag, TagSummary

log = logging.getLogger(__name__)
router = Router()

DIALOG_ID = "summary"


class SummaryDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(CardPrompt("summary.form", self._check_form))
        self.add_dialog(TextPrompt("summary.commitments", self._check_commitments))
        self.add_dialog(
            WaterfallDialog(
                "summary.steps",
                [self.ask_summary_step, self.ask_commitments_step, self.save_summary_step],
            )
        )
        self.initial_dialog_id = "summary.steps"

    @staticmethod
    async def _check_form(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        value: dict[str, Any] = prompt.recognized.value
        turn = Turn.of(prompt.context)
        problems = []
        key_points = str(value.get("key_points") or "").strip()
        takeaways = [str(value.get(f"takeaway{i}") or "").strip() for i in range(3)]
        if not key_points:
            problems.append("write the key points")
        if not takeaways[0]:
            problems.append("give at least the first takeaway")
        try:
            next_session = card_date(value.get("next_session"))
        except WhenError as error:
            next_session = None
            problems.append(f"the next session's date: {error}")
        if next_session and next_session < turn.now().date():
            problems.append("the next session would be in the past")
        session = parse_int(value.get("session"), low=1, high=20)
        if session is None:
            problems.append("the session number goes from 1 to 20")
        if problems:
            await prompt.context.send_activity("Please fix the card: " + "; ".join(problems) + ".")
            return False
        prompt.recognized.value = {
            "session": session,
            "key_points": key_points,
            "takeaways": [t for t in takeaways if t],
            "support": str(value.get("support") or "").strip(),
            "next_session": next_session.isoformat() if next_session else None,
        }
        return True

    @staticmethod
    async def _check_commitments(prompt: PromptValidatorContext) -> bool:
        text = prompt.recognized.value or ""
        context = prompt.options.validations
        turn = Turn.of(prompt.context)
        zone = ZoneInfo(context["zone"])
        if not text.strip():
            await prompt.context.send_activity("Type the commitments, one per line, or `none`.")
            return False
        try:
            parse_commitment_lines(
                text,
                context["cities"],
                today=local_today(turn.now(), zone),
                zone=zone,
                now=turn.now(),
            )
        except ActionError as error:
            await prompt.context.send_activity(f"{error} Type the commitments again, or `none`.")
            return False
        return True

    async def ask_summary_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        tag = await turn.session.get(Tag, int(step.options["tag_id"]))
        assert tag is not None
        step.values.update(
            tag_id=tag.id,
            tag=tag.name,
            zone=tag.timezone,
            summary_id=step.options.get("summary_id"),
        )
        existing = (
            await turn.session.get(TagSummary, step.values["summary_id"])
            if step.values["summary_id"]
            else None
        )
        if existing is not None:
            form = summary_form(
                tag=tag.name, session=existing.session_number, key_points=existing.key_points,
                takeaways=existing.takeaways, support=existing.support_requested, next_session=existing.next_session,
            )  # fmt: skip
        else:
            held = await agenda_store.sessions_held(turn.session, tag.id)
            latest = await agenda_store.latest_summary(turn.session, tag.id)
            # The last session with an agenda, unless it is already summarised.
            summarised = latest is not None and latest.session_number >= held
            session = held + 1 if summarised or held == 0 else held
            if held == 0:
                await step.context.send_activity(
                    f"{md(tag.name)} has no sessions on record yet: this is the summary of its first."
                )
            form = summary_form(tag=tag.name, session=session)
        step.values[once.INSTANCE] = instance = once.new_instance()
        return await step.prompt(
            "summary.form",
            ask_card(
                once.stamp(form, instance), retry="Please fill in the card above and press Next."
            ),
        )

    async def ask_commitments_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values.update(step.result)
        if step.values["summary_id"]:
            return await step.next(None)  # editing: commitments live on in the action tracker
        turn = Turn.of(step.context)
        member_ids = await people.tag_city_ids(turn.session, step.values["tag_id"])
        cities = [
            city.name
            for city in (
                await turn.session.scalars(
                    select(City).where(City.id.in_(member_ids)).order_by(City.name)
                )
            ).all()
        ]
        step.values["cities"] = cities
        options = ask(
            "Commitments until the next session: one per line, `city | commitment | due date` "
            f"(cities: {', '.join(map(md, cities)) or 'none in the roster'}), or `none`."
        )
        options.validations = {"cities": cities, "zone": step.values["zone"]}
        return await step.prompt("summary.commitments", options)

    async def save_summary_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        if step.values["summary_id"]:
            await save_edit(turn, dict(step.values))
            return await step.end_dialog()
        zone = ZoneInfo(step.values["zone"])
        drafts = parse_commitment_lines(
            str(step.result),
            step.values["cities"],
            today=local_today(turn.now(), zone),
            zone=zone,
            now=turn.now(),
        )
        step.values["commitments"] = [
            {"city": d.city, "text": d.text, "due": d.due.isoformat() if d.due else None}
            for d in drafts
        ]
        await save_and_post(turn, dict(step.values))
        return await step.end_dialog()


router.add_dialog(SummaryDialog())


async def view_of(session: AsyncSession, summary: TagSummary) -> SummaryView:
    tag = await session.get(Tag, summary.tag_id)
    items = (
        await session.scalars(
            select(ActionItem)
            .where(ActionItem.source_type == "summary", ActionItem.source_id == summary.id)
            .order_by(ActionItem.id)
        )
    ).all()
    return SummaryView(
        id=summary.id, tag=tag.name if tag else "?", session=summary.session_number, author=summary.author_name,
        key_points=summary.key_points, takeaways=tuple(summary.takeaways),
        commitments=tuple(CommitmentLine(i.owner_name or "?", i.text, i.due_date, i.status) for i in items),
        support=summary.support_requested, next_session=summary.next_session,
        edited=summary.updated_at > summary.created_at,
    )  # fmt: skip


async def save_and_post(turn: Turn, values: dict[str, Any]) -> None:
    session = turn.session
    key = once.key_of(turn, values)
    already = await once.finish(turn, key, "summary")
    if already is not None:
        await turn.reply(already)
        return
    who = turn.sender
    summary = TagSummary(
        source_key=f"summary|{key}", tag_id=values["tag_id"], session_number=values["session"],
        key_points=values["key_points"], takeaways=values["takeaways"], support_requested=values["support"],
        next_session=date.fromisoformat(values["next_session"]) if values["next_session"] else None,
        author_user_id=who.user_id, author_name=who.name or "someone", created_at=turn.now(), updated_at=turn.now(),
    )  # fmt: skip
    session.add(summary)
    await session.flush()
    await finished.record(session, key, summary.id)
    for line in values["commitments"]:
        city = await people.city_by_name(session, line["city"])
        session.add(
            ActionItem(
                kind=Kind.COMMITMENT, text=line["text"], status=Status.OPEN, owner_type=OwnerType.CITY,
                owner_name=line["city"], owner_city_id=city.id if city else None, city_id=city.id if city else None,
                tag_id=values["tag_id"], source_type="summary", source_id=summary.id,
                due_date=date.fromisoformat(line["due"]) if line["due"] else None,
                support_needed=values["support"] or None, created_at=turn.now(), updated_at=turn.now(),
            )
        )  # fmt: skip
    await session.flush()
    card = summary_card(await view_of(session, summary))
    channel = await channel_store.linked_to(session, tag_id=summary.tag_id)
    await turn.commit()
    log.info("TAG summary %s saved for TAG %s", summary.id, summary.tag_id)

    def remember(posted: Published) -> None:
        summary.service_url, summary.conversation_id = posted.service_url, posted.conversation_id
        summary.activity_id = posted.activity_id

    await publish(
        turn, channel, card, record=f"summary-posted:{summary.id}", remember=remember,
        what=f"summary {summary.id}",
        wording=Wording(
            here=f"Summary #{summary.id} posted.",
            posted=f"Summary #{summary.id} posted in {{where}}.",
            queued=f"Summary #{summary.id} saved. Teams is not taking messages right now; it "
            "will appear in {where} as soon as Teams does.",
            failed="I saved the summary but could not post it to the TAG channel. Here it is:",
            somewhere="the TAG channel",
        ),
    )  # fmt: skip


async def save_edit(turn: Turn, values: dict[str, Any]) -> None:
    summary = await turn.session.get(TagSummary, values["summary_id"])
    if summary is None:
        await turn.reply("That summary no longer exists.")
        return
    summary.session_number = values["session"]
    summary.key_points = values["key_points"]
    summary.takeaways = values["takeaways"]
    summary.support_requested = values["support"]
    summary.next_session = (
        date.fromisoformat(values["next_session"]) if values["next_session"] else None
    )
    summary.updated_at = turn.now()
    card = summary_card(await view_of(turn.session, summary))
    tenant = (
        await channel_store.tenant_of(turn.session, summary.conversation_id)
        if summary.conversation_id
        else None
    )
    await turn.commit()
    if summary.activity_id and summary.conversation_id and summary.service_url:
        try:
            updated = await turn.update_card(
                Target(summary.service_url, summary.conversation_id, tenant),
                summary.activity_id,
                card_message(card),
                card_key=f"summary:{summary.id}",
            )
        except DeliveryError as error:
            log.warning("summary %s card could not be updated: %s", summary.id, error)
            await turn.reply(
                "I saved your changes but could not update the posted card. Here it is:", card
            )
            return
        if not updated:
            await turn.reply(
                f"Summary #{summary.id} updated. Teams is not taking messages right now; the "
                "posted card will show the changes as soon as Teams does."
            )
            return
    await turn.reply(f"Summary #{summary.id} updated; its card shows the changes.")


@dataclass
class SummaryRef(Payload):
    """`summary edit <id>`: the summary it names, from its TAG's channel or a TAG member's chat."""

    summary_id: int
    summary: TagSummary = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        summary = await turn.session.get(TagSummary, self.summary_id)
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
        tag: Tag | str | None = await turn.session.get(Tag, summary.tag_id)
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


@router.on_startup
async def on_startup(services: Services) -> None:
    """A summary card whose post was queued records its activity id once Teams takes it."""

    async def posted(session: AsyncSession, argument: str, outcome: Outcome) -> None:
        if outcome.status == "sent" and argument.isdigit():
            await outbox_store.record_posted(
                session, int(argument), outcome.activity_id, model=TagSummary
            )

    services.require_outbox().on("summary-posted", posted)
