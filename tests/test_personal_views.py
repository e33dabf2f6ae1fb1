"""Personal views of shared cards (Universal Actions `refresh` with `userIds`), through
/api/messages: the posted agenda shows each reader their own attendance answer, and a channel's
action list shows status buttons only to those who may change the items.

The Teams emulator shows no refresh (it warns "User specific view is not supported yet" and
never sends the automatic invoke), so these answers are tested here, with Teams' invokes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from dialogs.agenda.service import card_sync as agenda_card_sync
from storage.models import ActionItem, Agenda, AgendaResponse, City, Person, RoleAssignment
from tests.harness import clock, teams
from tests.harness.agenda import TAG, build_agenda, post_summary
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.cards import card_text
from tests.harness.minutes import run_braga_minutes, run_minutes

CARD = "application/vnd.microsoft.card.adaptive"


ADD_TO_CALENDAR = "📅 Add to calendar"


def buttons(card: dict[str, Any]) -> list[str]:
    """The titles of the card's Action.Execute buttons, wherever they sit (the agenda's Add to
    calendar aside: it is everyone's)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            title = node.get("title")
            if node.get("type") == "Action.Execute" and title and title != ADD_TO_CALENDAR:
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


# --- the action list -----------------------------------------------------------------------------

EV = "Share the EV charging data"  # the Energy Agency's action in the minutes run_minutes saves
PILOT = "Draft the port pilot"  # Bob's


async def item_id(bot: BotUnderTest, text: str) -> int:
    async with bot.services.database.unit_of_work() as session:
        item = await session.scalar(select(ActionItem).where(ActionItem.text == text))
        assert item is not None
        return item.id


async def owned_by_marta(bot: BotUnderTest) -> None:
    """Aarhus's minutes with the EV action given to Marta, a mentor with no role in Aarhus."""
    await run_minutes(bot)
    async with bot.services.database.unit_of_work() as session:
        marta = await session.scalar(select(Person).where(Person.name == teams.MARTA.name))
        assert marta is not None
        await session.execute(
            update(ActionItem)
            .where(ActionItem.text == EV)
            .values(owner_person_id=marta.id, owner_name=marta.name, owner_type="person")
        )


def status_buttons(card: dict[str, Any]) -> dict[str, list[str]]:
    """The status buttons of each item on an action card, by the item's id."""
    found: dict[str, list[str]] = {}
    for element in card["body"]:
        for inner in element.get("items", []):
            if inner.get("type") == "ActionSet":
                for action in inner["actions"]:
                    if action.get("verb") == "actions.set":
                        key = str(action["data"]["action_id"])
                        found.setdefault(key, []).append(action["title"])
    return found


async def posted_list(bot: BotUnderTest, command: str = "actions") -> tuple[str, dict[str, Any]]:
    """`actions` in Aarhus's channel: the message's id and the card everyone sees."""
    reply = await bot.say(command)
    (call,) = [call for call in reply.calls if call.cards]
    assert call.returned_id is not None
    return call.returned_id, call.cards[0]


async def test_the_posted_action_list_has_no_buttons_and_each_person_sees_theirs(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await owned_by_marta(bot)
    ev, pilot = await item_id(bot, EV), await item_id(bot, PILOT)
    _, shared = await posted_list(bot)
    assert EV in card_text(shared)
    assert PILOT in card_text(shared)
    assert status_buttons(shared) == {}
    assert shared["refresh"]["action"]["verb"] == "actions.refresh"
    data = shared["refresh"]["action"]["data"]
    assert data["ids"] == f"{ev},{pilot}" or data["ids"] == f"{pilot},{ev}"
    # The owners first, then Aarhus's reps; Bob has not spoken to the bot yet, so Teams' id
    # for him is unknown.
    assert shared["refresh"]["userIds"] == [teams.MARTA.id, teams.ALICE.id]
    calls = len(bot.connector.calls)

    views = {}
    for who in (teams.MARTA, teams.ALICE, teams.OSCAR, teams.BEATRIZ):
        reply = await refresh(
            bot, "actions.refresh", data, who=who, conversation=teams.AARHUS_GENERAL
        )
        assert reply.body["type"] == CARD, reply.body
        assert reply.body["value"]["refresh"] == shared["refresh"]
        assert not [c for c in reply.calls if c.kind in ("send", "reply", "update")]
        views[who.name] = status_buttons(reply.body["value"])
    # The owner: her own action only; a city rep: every action of her city; a stranger and
    # another city's rep: the shared card.
    assert views[teams.MARTA.name] == {str(ev): ["Done", "Blocked", "Dropped"]}
    assert set(views[teams.ALICE.name]) == {str(ev), str(pilot)}
    assert views[teams.OSCAR.name] == views[teams.BEATRIZ.name] == {}
    await bot.services.require_outbox().wait_empty()
    assert len(bot.connector.calls) == calls  # nothing sent, nothing updated
    # By hand (the card's Refresh menu) the answer is the same.
    reply = await refresh(
        bot, "actions.refresh", data, who=teams.MARTA, conversation=teams.AARHUS_GENERAL,
        trigger="manual",
    )  # fmt: skip
    assert status_buttons(reply.body["value"]) == views[teams.MARTA.name]


async def test_an_automatic_refresh_of_the_action_list_makes_no_connector_call(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    _, shared = await posted_list(bot)
    await bot.services.require_outbox().wait_empty()
    calls = len(bot.connector.calls)
    reply = await refresh(
        bot,
        "actions.refresh",
        shared["refresh"]["action"]["data"],
        who=teams.ALICE,
        conversation=teams.AARHUS_GENERAL,
    )
    assert status_buttons(reply.body["value"])
    await bot.services.require_outbox().wait_empty()
    assert reply.calls == []
    assert len(bot.connector.calls) == calls


async def test_done_updates_everyones_list_and_answers_the_clicker_with_their_view(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    pilot = await item_id(bot, PILOT)
    message_id, shared = await posted_list(bot)
    data = shared["refresh"]["action"]["data"]
    mine = await refresh(
        bot, "actions.refresh", data, who=teams.BOB, conversation=teams.AARHUS_GENERAL
    )
    done = next(
        action["data"]
        for element in mine.body["value"]["body"]
        for inner in element.get("items", [])
        if inner.get("type") == "ActionSet"
        for action in inner["actions"]
        if action["data"].get("action_id") == pilot and action["title"] == "Done"
    )
    reply = await bot.execute("actions.set", done, who=teams.BOB, reply_to_id=message_id)
    card = reply.body["value"]
    assert PILOT not in card_text(card)  # done: off the open list
    assert "You can undo this" in card_text(card)
    (update_call,) = [c for c in reply.calls if c.kind == "update"]
    assert update_call.activity_id == message_id
    everyone = update_call.card
    assert PILOT not in card_text(everyone)
    assert f"Action #{pilot} is now done." in card_text(everyone)
    assert status_buttons(everyone) == {}
    assert "actions.undo" not in str(everyone)  # the Undo is the clicker's alone
    assert str(pilot) not in everyone["refresh"]["action"]["data"]["ids"].split(",")
    assert everyone["refresh"] == card["refresh"]

    # Undo brings it back, on both cards.
    undo = next(
        action["data"]
        for element in card["body"]
        for inner in element.get("items", [])
        if inner.get("type") == "ActionSet"
        for action in inner["actions"]
        if action.get("verb") == "actions.undo"
    )
    reply = await bot.execute("actions.undo", undo, who=teams.BOB, reply_to_id=message_id)
    assert PILOT in card_text(reply.body["value"])
    assert str(pilot) in status_buttons(reply.body["value"])
    (update_call,) = [c for c in reply.calls if c.kind == "update"]
    assert PILOT in card_text(update_call.card)
    assert status_buttons(update_call.card) == {}


async def test_in_a_1_1_chat_the_list_keeps_its_buttons_where_allowed_and_no_refresh(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await owned_by_marta(bot)
    reply = await bot.say("actions mine", conversation=teams.personal(teams.MARTA), who=teams.MARTA)
    card = reply.cards[0]
    assert "refresh" not in card
    assert status_buttons(card) == {str(await item_id(bot, EV)): ["Done", "Blocked", "Dropped"]}


async def test_a_tag_channels_commitments_show_buttons_to_the_mentor_and_each_citys_reps(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await post_summary(bot, "Aarhus | Pool the tenders\nBraga | Share the energy data")
    aarhus, braga = (
        await item_id(bot, "Pool the tenders"),
        await item_id(bot, "Share the energy data"),
    )
    reply = await bot.say("actions", conversation=TAG, who=teams.MARTA)
    shared = reply.cards[0]
    assert status_buttons(shared) == {}
    assert set(shared["refresh"]["userIds"]) >= {teams.ALICE.id, teams.BEATRIZ.id, teams.MARTA.id}
    data = shared["refresh"]["action"]["data"]
    seen = {}
    for who in (teams.MARTA, teams.ALICE, teams.BEATRIZ, teams.PAULO):
        answer = await refresh(bot, "actions.refresh", data, who=who, conversation=TAG)
        seen[who.name] = set(status_buttons(answer.body["value"]))
    assert seen[teams.MARTA.name] == {str(aarhus), str(braga)}
    assert seen[teams.ALICE.name] == {str(aarhus)}
    assert seen[teams.BEATRIZ.name] == {str(braga)}
    assert seen[teams.PAULO.name] == set()  # another TAG's mentor


async def test_the_action_list_refreshes_automatically_for_at_most_sixty(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    async with bot.services.database.unit_of_work() as session:
        aarhus = await session.scalar(select(City).where(City.name == "Aarhus"))
        assert aarhus is not None
        for number in range(70):
            person = Person(name=f"Rep {number:02}", teams_user_id=f"29:rep-{number}")
            session.add(person)
            await session.flush()
            session.add(
                RoleAssignment(
                    person_id=person.id, role="city_rep", city_id=aarhus.id,
                    scope=f"city:{aarhus.id}",
                )
            )  # fmt: skip
    _, shared = await posted_list(bot)
    assert len(shared["refresh"]["userIds"]) == 60
    assert shared["refresh"]["userIds"][0] == teams.ALICE.id


async def test_a_forged_action_list_is_refused_and_shows_nothing_of_another_city(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    await run_braga_minutes(bot)
    pilot, braga = await item_id(bot, PILOT), await item_id(bot, "Braga task")
    for data, said in (
        ({"view": "open", "ids": f"{pilot},{braga}"}, "belongs to another conversation"),
        ({"view": "open", "ids": f"{pilot},x"}, "not valid"),
        ({"view": "open", "ids": f"{pilot},{pilot}"}, "not valid"),
        ({"view": "everything", "ids": f"{pilot}"}, "view"),
        ({"view": "open", "ids": f"{pilot}", "owner_id": 1}, "not valid"),
        ({"view": "mine", "ids": f"{pilot}", "owner_id": 99_999}, "not valid"),
    ):
        reply = await refresh(
            bot, "actions.refresh", data, who=teams.ALICE, conversation=teams.AARHUS_GENERAL
        )
        assert reply.body["type"] == "application/vnd.microsoft.activity.message", data
        assert said in reply.body["value"], (data, reply.body)
        assert "Braga task" not in str(reply.body)
    # A click whose list names Braga's item changes nothing.
    reply = await bot.execute(
        "actions.set",
        {"action_id": pilot, "status": "done", "view": "open", "ids": f"{pilot},{braga}"},
        who=teams.BOB,
        reply_to_id="1",
    )
    assert "belongs to another conversation" in reply.body["value"]
    assert reply.calls == []
    async with bot.services.database.unit_of_work() as session:
        item = await session.get(ActionItem, pilot)
        assert item is not None
        assert item.status == "open"
