"""Personal views of shared cards (Universal Actions `refresh` with `userIds`), through
/api/messages: the posted agenda shows each reader their own attendance answer, and a channel's
action list shows status buttons only to those who may change the items.

The Teams emulator shows no refresh (it warns "User specific view is not supported yet" and
never sends the automatic invoke), so these answers are tested here, with Teams' invokes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dialogs.agenda.service import card_sync as agenda_card_sync
from storage.models import Agenda, AgendaResponse
from tests.harness import clock, teams
from tests.harness.agenda import TAG, build_agenda
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.cards import card_text

CARD = "application/vnd.microsoft.card.adaptive"


def buttons(card: dict[str, Any]) -> list[str]:
    """The titles of the card's Action.Execute buttons, wherever they sit."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and "title" in node:
                found.append(node["title"])
            for key, value in node.items():
                if key not in ("refresh", "fallback"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


async def refresh(
    bot: BotUnderTest,
    verb: str,
    data: dict[str, Any],
    *,
    who: teams.User,
    conversation: teams.Conversation,
    trigger: str = "automatic",
) -> Reply:
    """The invoke Teams sends when a card with `refresh` is shown to `who` (automatic) or
    refreshed by hand (manual)."""
    activity = teams.execute(
        verb, data, service_url=bot.connector.url, conversation=conversation, who=who
    )
    activity["value"]["trigger"] = trigger
    return await bot.post(activity)


async def settled(bot: BotUnderTest) -> None:
    await agenda_card_sync(bot.services).coalescer.wait_idle()
    await bot.services.require_outbox().wait_empty()


# --- the agenda --------------------------------------------------------------------------------


async def posted_agenda(bot: BotUnderTest) -> Agenda:
    await build_agenda(bot)
    async with bot.services.database.unit_of_work() as session:
        agenda = (await session.scalars(select(Agenda).order_by(Agenda.id.desc()))).first()
    assert agenda is not None
    return agenda


async def rsvp(bot: BotUnderTest, agenda: Agenda, who: teams.User, attending: bool) -> Reply:
    return await bot.execute(
        "agenda.rsvp",
        {"agenda_id": agenda.id, "attending": attending},
        conversation=TAG,
        who=who,
    )


async def test_each_reader_of_the_agenda_sees_their_own_answer_and_a_stranger_the_shared_card(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    agenda = await posted_agenda(bot)
    await rsvp(bot, agenda, teams.ALICE, True)
    await rsvp(bot, agenda, teams.BOB, False)
    await settled(bot)
    shared = bot.connector.updates()[-1].card
    assert "You said" not in card_text(shared)
    assert buttons(shared)[:2] == ["I'll attend", "Can't attend"]
    # Those who answered are refreshed automatically, the latest first.
    assert shared["refresh"]["userIds"] == [teams.BOB.id, teams.ALICE.id]
    assert shared["refresh"]["action"]["verb"] == "agenda.refresh"
    calls = len(bot.connector.calls)

    data = shared["refresh"]["action"]["data"]
    alice = await refresh(bot, "agenda.refresh", data, who=teams.ALICE, conversation=TAG)
    bob = await refresh(bot, "agenda.refresh", data, who=teams.BOB, conversation=TAG)
    oscar = await refresh(bot, "agenda.refresh", data, who=teams.OSCAR, conversation=TAG)

    assert alice.body["type"] == CARD
    mine = alice.body["value"]
    assert "You said you will attend." in card_text(mine)
    assert "I'll attend" not in buttons(mine)
    assert "Can't attend" in buttons(mine)
    assert "Attending: 1** · Can't attend: 1" in card_text(mine)
    assert mine["refresh"] == shared["refresh"]  # it stays refreshable
    mine = bob.body["value"]
    assert "You said you can't attend." in card_text(mine)
    assert "I'll attend" in buttons(mine)
    assert "Can't attend" not in buttons(mine)
    theirs = oscar.body["value"]
    assert "You said" not in card_text(theirs)
    assert buttons(theirs)[:2] == ["I'll attend", "Can't attend"]
    # An automatic refresh answers that person only: no update of the shared card, no send.
    await settled(bot)
    assert alice.calls == bob.calls == oscar.calls == []
    assert len(bot.connector.calls) == calls


async def test_an_rsvp_updates_the_shared_card_and_answers_the_clicker_with_their_view(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    agenda = await posted_agenda(bot)
    reply = await rsvp(bot, agenda, teams.ALICE, True)
    assert "You said you will attend." in card_text(reply.body["value"])
    reply = await rsvp(bot, agenda, teams.ALICE, False)  # she changes her mind
    assert "You said you can't attend." in card_text(reply.body["value"])
    assert buttons(reply.body["value"])[0] == "I'll attend"
    await settled(bot)
    shared = bot.connector.updates()[-1]
    assert shared.activity_id == agenda.activity_id
    assert "Attending: 0** · Can't attend: 1" in card_text(shared.card)
    assert "You said" not in card_text(shared.card)


async def test_the_agenda_refreshes_automatically_for_at_most_sixty_who_answered(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    agenda = await posted_agenda(bot)
    async with bot.services.database.unit_of_work() as session:
        for number in range(70):
            session.add(
                AgendaResponse(
                    agenda_id=agenda.id, user_id=f"29:member-{number}", name=f"Member {number}",
                    attending=number % 2 == 0, updated_at=clock.now(),
                )
            )  # fmt: skip
    reply = await rsvp(bot, agenda, teams.ALICE, True)
    user_ids = reply.body["value"]["refresh"]["userIds"]
    assert len(user_ids) == 60
    assert user_ids[0] == teams.ALICE.id  # the latest answer first
    await settled(bot)
    assert len(bot.connector.updates()[-1].card["refresh"]["userIds"]) == 60


async def test_a_refresh_naming_another_channels_agenda_or_none_is_refused(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    agenda = await posted_agenda(bot)
    for conversation, data, said in (
        (teams.AARHUS_GENERAL, {"agenda_id": agenda.id}, "belongs to another conversation"),
        (teams.TOURISM_TAG, {"agenda_id": agenda.id}, "belongs to another conversation"),
        (TAG, {"agenda_id": 999_999}, "no longer exists"),
        (TAG, {"agenda_id": "1; drop"}, "which agenda"),
    ):
        reply = await refresh(
            bot, "agenda.refresh", data, who=teams.ALICE, conversation=conversation
        )
        assert reply.body["type"] == "application/vnd.microsoft.activity.message"
        assert said in reply.body["value"], reply.body
        assert reply.calls == []
