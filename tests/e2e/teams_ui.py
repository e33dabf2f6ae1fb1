"""Driving the Teams emulator's web UI the way a person does: type, click, read what appears.

Locators follow what the emulator (Agents Playground 0.2.28) shows, as TEAMS_TOOLS.md
describes: the left rail's "Personal Chat" and "My Team - <channel>" items, the personal
chat's compose box, a channel's "Start a new post" box with its "Post" button and the
`@` → "Test Bot" mention pop-up, each post's thread with its own reply box, and Adaptive Cards
rendered with the class `ac-adaptiveCard`. Every wait is Playwright's auto-waiting with a
generous timeout, never a fixed sleep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.stack import INSTALL_HINT

try:
    from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect
except ImportError as missing:  # a clear failure, not a skip
    raise ImportError(f"{missing}. {INSTALL_HINT}") from missing

# The flags Chromium runs with here: no GPU, no network of its own, nothing to download.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Cards show times with Adaptive Cards' DATE()/TIME() in the reader's zone: the browser's.
READER_TIMEZONE = "Europe/Brussels"
VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}
# A bot reply can take a few seconds on a busy CI machine (the turn, the emulator's socket).
REPLY_TIMEOUT_MS = 30_000
# A card, not a card shown inside another card (Action.ShowCard).
TOP_CARD = ".ac-adaptiveCard:not(.ac-adaptiveCard .ac-adaptiveCard)"
COMPOSER = "[contenteditable='true'][role='textbox']"
POST_HEADER = "[id^='fui-CardHeader__header']"
BOT_NAME = "Test Bot"
APOLOGY = "Sorry, something went wrong"
# The Log Panel lists every activity both ways with its HTTP status; the bot updating a
# message in place (a card refreshed for everyone) is "User Application -> … message 200".
LOG_ENTRY = "[contenteditable='true'][spellcheck='false'] > div"
CARD_UPDATE = re.compile(r"User Application -> Microsoft 365 Agents Playground\s+message 200\b")
# The emulator logs what it sent the bot when the bot's HTTP answer arrives: after the turn.
TURN_DONE = re.compile(r"Microsoft 365 Agents Playground -> User Application\s+(message|invoke) \d")

# What a person would see as a badly rendered card, measured in the page: a field whose
# pre-filled value or placeholder does not fit, text cut off by its box, text outside the card.
_RENDERING_PROBLEMS = """
(card) => {
  const problems = [];
  const cardBox = card.getBoundingClientRect();
  const short = (s) => {
    s = (s || '').replace(/\\s+/g, ' ').trim();
    return s.length > 50 ? s.slice(0, 49) + '…' : s;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const rectsOf = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
  };
  for (const el of card.querySelectorAll('input, textarea')) {
    if (!visible(el) || ['checkbox', 'radio', 'hidden'].includes(el.type)) continue;
    const shown = el.value || el.placeholder;
    if (shown && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`the field showing “${short(shown)}” is cut off: ` +
        `${el.clientWidth}px wide, its text needs ${el.scrollWidth}px`);
    }
  }
  // The glyphs of each text, where they are drawn: outside the card, under a box that clips
  // them, or a word split over two lines because its column is too narrow for it.
  const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    if (!text.trim() || !node.parentElement || !visible(node.parentElement)) continue;
    const lines = rectsOf(node, 0, text.length);
    if (!lines.length) continue;
    const quoted = `“${short(text)}”`;
    if (lines.some((r) => r.right > cardBox.right + 1 || r.left < cardBox.left - 1)) {
      problems.push(`the text ${quoted} sticks out of the card`);
      continue;
    }
    let clipped = false;
    for (let box = node.parentElement; box && box !== card; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      const b = box.getBoundingClientRect();
      // Half a line may pass a clipping box's edge (line boxes are taller than glyphs).
      const slack = Math.max(2, lines[0].height / 2);
      if (lines.some((r) => r.right > b.right + 1 || r.left < b.left - 1 ||
                            r.bottom > b.bottom + slack || r.top < b.top - slack)) {
        problems.push(`the text ${quoted} is cut off by its box`);
        clipped = true;
        break;
      }
    }
    if (clipped) continue;
    for (const word of text.matchAll(/[^\\s\\-\\u2010-\\u2014\\/]{2,}/g)) {
      const tops = new Set(rectsOf(node, word.index, word.index + word[0].length)
        .map((r) => Math.round(r.top)));
      if (tops.size > 1) {
        problems.push(`the word “${word[0]}” is split over two lines (its column is too narrow)`);
      }
    }
  }
  for (const img of card.querySelectorAll('img')) {
    if (visible(img) && (!img.complete || img.naturalWidth === 0)) {
      problems.push(`an image (${short(img.alt || img.src)}) did not load`);
    }
  }
  return problems;
}
"""


def _type_into(page: Page, box: Locator, text: str, *, mention: bool) -> None:
    # The emulator sends a message without its line breaks (Shift+Enter, a pasted newline:
    # "a<br>b" arrives as "ab"), so a scenario can only type one line per message.
    assert "\n" not in text, "the Teams emulator cannot send a message of several lines"
    box.click()
    if mention:
        page.keyboard.type("@")
        page.get_by_role("menuitem", name=BOT_NAME).click()
        page.keyboard.type(" ")
    page.keyboard.type(text)


def _line(text: str) -> re.Pattern[str]:
    """`text` with any run of spaces matching any whitespace (cards wrap and split lines)."""
    return re.compile(r"\s+".join(re.escape(word) for word in text.split()))


@dataclass
class Conversation:
    """Something the bot's messages appear in: the personal chat, or one post's thread."""

    page: Page
    root: Locator

    def card(self, containing: str) -> Locator:
        """The newest card (not a card inside a card) with `containing` in it, once it shows."""
        card = self.root.locator(TOP_CARD).filter(has_text=_line(containing)).last
        expect(card).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        return card

    def expect_text(self, text: str) -> Locator:
        """Waits until `text` appears (in a message or a card) and returns where."""
        found = self.root.get_by_text(_line(text)).last
        expect(found).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        return found

    def expect_no_apology(self) -> None:
        """The bot's "Sorry, something went wrong…" means a turn failed: a person notices.

        Checked after `TeamsClient.turn()` has seen the turn end, so it cannot come later."""
        apology = self.root.get_by_text(APOLOGY)
        if apology.count():
            apology.first.scroll_into_view_if_needed()
            raise AssertionError(
                f"the bot answered “{apology.first.inner_text()}”: a turn failed "
                "(its traceback is in test-output/e2e/logs/bot.log)"
            )

    def _type(self, box: Locator, text: str, *, mention: bool) -> None:
        _type_into(self.page, box, text, mention=mention)


@dataclass
class PersonalChat(Conversation):
    def send(self, text: str) -> None:
        self._type(self.root.locator(COMPOSER).last, text, mention=False)
        self.page.keyboard.press("Enter")


@dataclass
class Thread(Conversation):
    """A channel post and the replies under it; the bot answers a post in its thread."""

    def reply(self, text: str) -> None:
        """Answers in the thread, @mentioning the bot (in a channel it sees nothing else)."""
        self._type(self.root.locator(COMPOSER), text, mention=True)
        self.page.keyboard.press("Enter")


@dataclass
class Channel:
    page: Page
    name: str

    def new_post(self, text: str) -> Thread:
        """Starts a post that @mentions the bot, as a person must in a channel."""
        composer = self.page.get_by_role("group").filter(
            has=self.page.get_by_role("button", name="Post", exact=True)
        )
        _type_into(self.page, composer.locator(COMPOSER), text, mention=True)
        composer.get_by_role("button", name="Post", exact=True).click()
        return self.thread(f"{BOT_NAME} {text}")

    def thread(self, containing: str) -> Thread:
        """The newest post (posts are listed newest first) with `containing` in it."""
        post = self.page.get_by_role("group").filter(has_text=_line(containing)).first
        expect(post).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        return Thread(self.page, post)

    def bot_post(self, containing: str, *, timeout_ms: int = REPLY_TIMEOUT_MS) -> Thread:
        """A post the bot started itself (a proactive message: a posted agenda, a reminder)."""
        # A post's own header (not a reply's, not an @mention of the bot) names its author.
        by_bot = self.page.locator(POST_HEADER).filter(
            has=self.page.get_by_text(BOT_NAME, exact=True)
        )
        post = (
            self.page.get_by_role("group")
            .filter(has=by_bot)
            .filter(has_text=_line(containing))
            .first
        )
        expect(post).to_be_visible(timeout=timeout_ms)
        return Thread(self.page, post)


@dataclass
class TeamsClient:
    """The emulator in one browser page, with the scenario's screenshots and card checks."""

    page: Page
    url: str
    screenshots: Path
    rendering_problems: list[str] = field(default_factory=list)

    def open(self) -> None:
        """Loads the UI and waits until it is connected to the bot."""
        self.page.goto(self.url)
        expect(self.page.get_by_text("Connected.", exact=True)).to_be_visible(
            timeout=REPLY_TIMEOUT_MS
        )
        expect(self.page.locator(COMPOSER).first).to_be_visible(timeout=REPLY_TIMEOUT_MS)

    def personal_chat(self) -> PersonalChat:
        self.page.get_by_role("treeitem", name="Personal Chat").click()
        # The message pane: the innermost block holding both the compose box and messages
        # (not the left rail's previews, not the Log Panel, which repeat the messages' text).
        pane = (
            self.page.locator("div")
            .filter(has=self.page.locator(COMPOSER))
            .filter(has=self.page.get_by_label("Message header"))
            .last
        )
        expect(pane).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        return PersonalChat(self.page, pane)

    def channel(self, name: str) -> Channel:
        """A channel of the emulator's team "My Team" ("General" or "Announcements")."""
        self.page.get_by_role("treeitem", name=f"My Team - {name}").click()
        expect(self.page.get_by_role("button", name="Post", exact=True)).to_be_visible(
            timeout=REPLY_TIMEOUT_MS
        )
        return Channel(self.page, name)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Waits, after the block (one message or click), until the bot has answered it: then
        everything the turn sends has arrived, and the absence of a reply means something."""
        turns = self.page.locator(LOG_ENTRY).filter(has_text=TURN_DONE)
        before = turns.count()
        yield
        expect(turns).to_have_count(before + 1, timeout=REPLY_TIMEOUT_MS)

    @contextmanager
    def card_update(self) -> Iterator[None]:
        """Waits, after the block, for the bot's in-place update of a card to arrive.

        A click on an Action.Execute button gets the clicker's card back at once, and the bot
        then refreshes the shared card for everyone: the next click must wait for that refresh,
        or it would land on a card about to be replaced."""
        updates = self.page.locator(LOG_ENTRY).filter(has_text=CARD_UPDATE)
        before = updates.count()
        yield
        expect(updates).to_have_count(before + 1, timeout=REPLY_TIMEOUT_MS)

    def check_rendering(self, card: Locator, what: str) -> None:
        """Records what renders badly in `card` (asserted by `assert_cards_render_well`), with
        a screenshot of the card as it was, `rendering-<what>.png`."""
        problems: list[str] = card.evaluate(_RENDERING_PROBLEMS)
        if problems:
            shot = self.card_screenshot("rendering-" + re.sub(r"\W+", "-", what).strip("-"), card)
            for problem in dict.fromkeys(problems):
                times = problems.count(problem)
                repeated = f" ({times} times)" if times > 1 else ""
                self.rendering_problems.append(f"{what} ({shot.name}): {problem}{repeated}")

    def assert_cards_render_well(self) -> None:
        assert not self.rendering_problems, (
            f"{len(self.rendering_problems)} rendering problem(s) a person would see "
            f"(screenshots in {self.screenshots}):\n" + "\n".join(self.rendering_problems)
        )

    def screenshot(self, name: str, *, show: Locator | None = None) -> Path:
        """The page as the person sees it (scrolled to `show`), saved as `<name>.png`."""
        if show is not None:
            show.scroll_into_view_if_needed()
        path = self.screenshots / f"{name}.png"
        self.page.screenshot(path=path)
        return path

    def card_screenshot(self, name: str, card: Locator) -> Path:
        """One card, whole, saved as `<name>.png` (it may be taller than the window)."""
        path = self.screenshots / f"{name}.png"
        # A card taller than the window would be captured in pieces, under the emulator's
        # sticky toolbar: the window grows to the card's height for the screenshot.
        box = card.bounding_box()
        size = self.page.viewport_size or VIEWPORT
        if box is not None and box["height"] + 200 > size["height"]:
            self.page.set_viewport_size(
                {"width": size["width"], "height": int(box["height"]) + 300}
            )
        try:
            card.screenshot(path=path)
        finally:
            self.page.set_viewport_size(size)
        return path


@contextmanager
def open_teams(browser: Browser, url: str, screenshots: Path) -> Iterator[TeamsClient]:
    """The emulator at `url` in a fresh page (its own cookies and storage), connected."""
    context = browser.new_context(viewport=VIEWPORT, timezone_id=READER_TIMEZONE, locale="en-US")
    try:
        teams = TeamsClient(context.new_page(), url, screenshots)
        teams.open()
        yield teams
    finally:
        context.close()
