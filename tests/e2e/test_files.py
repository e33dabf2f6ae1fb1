"""An export in the Teams emulator: asked for by typing, downloaded by clicking its link.

The emulator shows no file consent card, file card or upload ("not supported yet",
TEAMS_TOOLS.md): accepting, declining, the upload to OneDrive and its allow-list are covered by
the protocol suite (tests/test_files.py). What a person does here is what works everywhere:
click the download link the bot serves itself, and get the file. Asked in a channel, the file
goes to the personal chat, which the emulator's connector opens for its one user.
"""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from tests.e2e.teams_ui import TeamsClient

QUESTION = "Which venue for the stakeholder day?"


def test_a_poll_export_asked_for_in_a_channel_arrives_in_the_chat_and_downloads(
    teams: TeamsClient,
) -> None:
    thread = teams.channel("General").new_post(f"poll {QUESTION} | Town hall | Library")
    card = thread.card(QUESTION)
    poll_id = re.search(r"Poll #(\d+)", card.inner_text())
    assert poll_id is not None
    card.get_by_label("Library", exact=True).check()
    with teams.card_update():
        card.get_by_role("button", name="Vote", exact=True).click()

    with teams.turn():
        thread.reply(f"poll export {poll_id.group(1)}")
    thread.expect_text("to you in our 1:1 chat")

    chat = teams.personal_chat()
    name = f"poll-{poll_id.group(1)}.csv"
    link = chat.root.get_by_role("link", name=name).last
    expect(link).to_be_visible()
    chat.expect_text("a download link you can forward")
    with teams.page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == name
    path = download.path()
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == [f"Poll #{poll_id.group(1)}", QUESTION]
    assert ["Library", "1", "100", "Alex Wilber"] in rows
    teams.screenshot("file-link", show=link)
    chat.expect_no_apology()
