"""Who is speaking: roster people recognised by their Teams ids, never by a display name."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import ActionItem
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.test_commands import card_text
from tests.test_minutes import later, run_minutes

# Someone in Teams who calls themselves what a rep of Aarhus is called (in another case).
IMPOSTOR = teams.User(
    id="29:someone-else", name="BOB REP", aad_object_id="0badc0de-0000-4000-8000-000000000001"
)


async def test_a_display_name_like_a_reps_never_gets_the_reps_actions(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say(
        "timezone Europe/Rome", conversation=teams.personal(IMPOSTOR), who=IMPOSTOR
    )
    assert "Europe/Rome" in reply.text
    await run_minutes(bot, actions=f"Draft the port pilot | Bob Rep | {later(30)}")
    async with bot.services.database.unit_of_work() as session:
        pilot = await session.scalar(
            select(ActionItem).where(ActionItem.text == "Draft the port pilot")
        )
    assert pilot is not None

    reply = await bot.say("actions mine", conversation=teams.personal(IMPOSTOR), who=IMPOSTOR)
    shown = reply.text + "".join(card_text(card) for card in reply.cards)
    assert "Draft the port pilot" not in shown
    reply = await bot.execute(
        "actions.set",
        {"action_id": pilot.id, "status": "dropped", "view": "mine"},
        conversation=teams.personal(IMPOSTOR),
        who=IMPOSTOR,
    )
    assert "only the owner" in reply.body["value"]

    # The real Bob still finds it his.
    reply = await bot.say("actions mine", who=teams.BOB)
    assert "Draft the port pilot" in card_text(reply.cards[0])
