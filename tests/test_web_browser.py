"""The web app in a real browser (Debian's Chromium through Playwright): the three jobs a person comes for, the
network staying on the app's own address, two people never seeing each other, and script inside a user's
document staying inert. Screenshots at laptop and phone width go to tests/artifacts/."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from advisor.chat.sessions import SessionStore
from advisor.knowledge import Knowledge
from advisor.knowledge.ranking import FACTORS
from advisor.settings import PROJECT_ROOT
from tests.web_support import LAPTOP, PHONE, RunningApp, app_env, chromium, copy_home, running_app, screenshot

pytestmark = pytest.mark.slow

CAREER = "I'm a backend engineer with 6 months of runway and I like interpretability. What should I work on?"
XSS_DOC = """# Quokka notes: my interpretability plan <script>window.__xss = 1</script>

I like interpretability research and I keep notes about quokka habitats.
<img src="x" onerror="window.__xss = 2"> An image that must not load.
See [my plan](javascript:window.__xss=3) and ![tracker](http://203.0.113.9/pixel.png).
<iframe src="javascript:window.__xss=4"></iframe> Quokka quokka.
"""


@pytest.fixture(scope="module")
def app(indexed_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    home = copy_home(indexed_home, tmp_path_factory.mktemp("web-browser-home"))
    doc = tmp_path_factory.mktemp("docs") / "quokka-notes.md"
    doc.write_text(XSS_DOC, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "advisor.interfaces.cli", "index", "--add", str(doc)], cwd=PROJECT_ROOT,
                   env=app_env(home), check=True, capture_output=True, text=True, timeout=300)
    with running_app(home) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


class Visit:
    """One browser context on the app, recording every request the page makes and any dialog it opens."""

    def __init__(self, browser: Any, app: RunningApp, viewport: dict[str, int] = LAPTOP) -> None:
        self.app = app
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.set_default_timeout(20_000)
        self.page.goto(app.url)
        self.page.wait_for_selector("#adv-input textarea")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def send(self, text: str) -> str:
        """Type and send a message; wait for the answer; returns the status line."""
        page = self.page
        page.wait_for_selector("#adv-status", state="attached")  # rendered a moment after the input box
        page.evaluate("""() => { window.__statuses = [];
            new MutationObserver(() => window.__statuses.push(document.querySelector('#adv-status').innerText))
              .observe(document.querySelector('#adv-status'), {childList: true, subtree: true, characterData: true});
        }""")
        before = page.locator("#adv-chat [data-testid=user]").count()
        page.fill("#adv-input textarea", text)
        page.click("#adv-send")
        page.wait_for_function(f"document.querySelectorAll('#adv-chat [data-testid=user]').length > {before}")
        page.wait_for_function("document.querySelector('#adv-status').innerText.startsWith('Answered')")
        return str(page.inner_text("#adv-status"))

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.app.url)]

    def close(self) -> None:
        self.context.close()


def test_talk_cite_open_source_move_a_weight_and_see_the_chart_change(browser: Any, app: RunningApp) -> None:
    v = Visit(browser, app)
    page = v.page
    screenshot(page, "laptop-0-empty")
    status = v.send(CAREER)
    assert "Answered by offline" in status
    statuses = page.evaluate("window.__statuses")
    assert any(s.startswith(("Thinking", "Writing")) for s in statuses), statuses  # shown while it streamed
    bot = page.locator("#adv-chat [data-testid=bot]").last
    assert "Here is what I would bet on" in bot.inner_text() or "fit" in bot.inner_text()
    tool_line = page.locator("#adv-chat").get_by_text(re.compile(r"^Looked up:"))
    assert tool_line.count() >= 1

    # a citation opens the passage it quotes
    cite = page.locator("#adv-chat a.cite").first
    target = str(cite.get_attribute("href")).lstrip("#")
    assert not page.locator(f"#{target}").evaluate("el => el.open")
    cite.click()
    page.wait_for_function(f"document.getElementById('{target}').open === true")
    quote = page.locator(f"#{target} blockquote")
    assert quote.is_visible() and len(quote.inner_text()) > 20
    screenshot(page, "laptop-1-answer-and-source")

    # the ranking: a weight moved redraws the chart and says what moved
    v.tab("Why fields rank where they do")
    page.wait_for_selector("#adv-chart .adv-row")
    order = page.eval_on_selector_all("#adv-chart .adv-row", "rows => rows.map(r => r.dataset.field)")
    page.locator("#adv-w-feedback_quality input[type=range]").focus()
    page.keyboard.press("End")  # feedback quality weighs 10
    page.wait_for_function("""(before) => {
        const now = Array.from(document.querySelectorAll('#adv-chart .adv-row')).map(r => r.dataset.field);
        return now.join() !== before.join(); }""", arg=order)
    moved = page.inner_text("#adv-moved")
    lines = [line for line in moved.split("\n") if "→" in line]
    assert lines and all(line.count("counts more now") + line.count("what-if changes") + line.count("moved past")
                         + line.count("fell behind") in (1, 2) for line in lines), moved  # one or two causes each
    assert moved.count("weighs 10") == 1  # the change itself is said once, not on every line
    assert page.locator("#adv-chart .adv-move.adv-up, #adv-chart .adv-move.adv-down").count() > 0
    # the legend says which factors protect a field
    assert page.locator("#adv-chart .adv-legend .adv-protects").count() == 2
    # clicking a field shows why it ranks there, scrolled into view
    page.locator("#adv-chart .adv-row[data-field='evaluations']").click()
    page.wait_for_selector("#adv-explanation .adv-explain h3:text('Evaluations')")
    assert "Under your what-if" in page.inner_text("#adv-explanation")
    page.wait_for_function("""() => { const r = document.querySelector('#adv-explanation .adv-explain')
        .getBoundingClientRect(); return r.top > -60 && r.top < window.innerHeight / 2; }""")
    screenshot(page, "laptop-2-ranking-what-if")

    # "ask about this change" asks in plain words and gets the what-if answered
    page.click("#adv-ask-change")
    page.wait_for_function("document.querySelectorAll('#adv-chat [data-testid=user]').length === 2")
    status_starts(page, "Answered")
    asked = page.locator("#adv-chat [data-testid=user]").last.inner_text()
    assert asked.startswith("What if feedback quality counted 10 instead of 3? What would that change for me?")
    assert "=" not in asked and "_" not in asked and "Evaluations" in asked
    answer = page.locator("#adv-chat [data-testid=bot]").last.inner_text()
    assert "did you mean" not in answer.lower() and "feedback quality" in answer.lower()
    store = SessionStore(app.sessions_db)
    answered = [m.meta.get("what_if") for s in store.list() for m in store.messages(s.name) if m.role == "assistant"]
    assert any((w or {}).get("weights", {}).get("feedback_quality", 0) > 3 for w in answered), answered

    assert not v.outside_requests(), v.outside_requests()
    assert len(v.requests) > 10
    v.close()


def _in_view(page: Any, selector: str, viewport: dict[str, int]) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 0.5


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_first_screen_says_what_to_do_and_an_example_start_sends_itself(browser: Any, app: RunningApp,
                                                                             viewport: dict[str, int]) -> None:
    v = Visit(browser, app, viewport=viewport)
    page = v.page
    name = "laptop" if viewport == LAPTOP else "phone"
    page.wait_for_selector("#adv-chat :text('Which AI-safety field is a safer bet for you?')")
    examples = page.locator("#adv-chat button.example")
    assert examples.count() == 3
    # nothing to scroll for: the welcome's example starts and the message box are on the first screen
    assert _in_view(page, "#adv-input textarea", viewport) and _in_view(page, "#adv-send", viewport)
    assert "Enter sends" in str(page.get_attribute("#adv-input textarea", "placeholder"))
    screenshot(page, f"{name}-0-first-screen", full_page=False)  # the first screen as a person sees it
    examples.first.click()
    page.wait_for_function("document.querySelectorAll('#adv-chat [data-testid=user]').length === 1")
    page.wait_for_function("document.querySelector('#adv-status').innerText.startsWith('Answered')")
    assert "backend engineer" in page.locator("#adv-chat [data-testid=user]").first.inner_text()
    # the answer is read from its start: the question sits at the top of the chat, not scrolled past
    top = page.evaluate("""() => {
        const q = document.querySelector('#adv-chat [data-testid=user]');
        const chat = document.querySelector('#adv-chat .bubble-wrap');
        return q.getBoundingClientRect().top - chat.getBoundingClientRect().top; }""")
    assert 0 <= top < 60, top
    # on a phone the message box stays at the bottom of the screen while the long answer is scrolled
    page.mouse.wheel(0, 2000)
    page.wait_for_function("window.scrollY > 0 || document.querySelector('#adv-chat .bubble-wrap').scrollTop > 0")
    assert _in_view(page, "#adv-input textarea", viewport)
    # Enter sends; Shift+Enter only starts a new line
    page.click("#adv-input textarea")
    page.keyboard.type("Why is that")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("ranked there?")
    assert page.input_value("#adv-input textarea") == "Why is that\nranked there?"
    assert page.locator("#adv-chat [data-testid=user]").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('#adv-chat [data-testid=user]').length === 2")
    page.wait_for_function("document.querySelector('#adv-input textarea').value === ''")
    screenshot(page, f"{name}-1-introduce-yourself")
    v.close()


def status_starts(page: Any, words: str) -> None:
    """Wait until the line under the chat starts with `words`."""
    page.wait_for_function("(w) => (document.querySelector('#adv-status') || {innerText: ''}).innerText.trim()"
                           ".startsWith(w)", arg=words)


def no_alarm(page: Any) -> None:
    """No pop-up and no red "Error" badge over the page's content."""
    assert page.locator(".toast-body, .toast-wrap .toast").count() == 0
    assert not any(e.is_visible() for e in page.locator("[data-testid=status-tracker] .error").all())


COMMAND_SYNTAX = re.compile(r"advisor [a-z]+ --|`|\b[A-Z_]{4,}=|\b[a-z]+_[a-z_]+=|expected [A-Z]{3,}")


def clean_screen(page: Any) -> None:
    """What a stranger should never see: an error badge or pop-up, or command-line syntax."""
    no_alarm(page)
    shown = page.inner_text("body")
    assert not COMMAND_SYNTAX.search(shown), COMMAND_SYNTAX.search(shown)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_stranger_introduces_themselves_gets_picks_opens_a_source_moves_a_weight_and_downloads_a_plan(
        browser: Any, app: RunningApp, viewport: dict[str, int]) -> None:
    from markdown_it import MarkdownIt

    v = Visit(browser, app, viewport=viewport)
    page = v.page
    name = "laptop" if viewport == LAPTOP else "phone"
    clean_screen(page)
    # 1. introduce yourself
    page.fill("#adv-input textarea", "I'm a pharmacist who doesn't code. I care about AI going well and I have "
                                     "10 hours a week. Where could I help?")
    screenshot(page, f"journey-{name}-1-introduce-yourself", full_page=False)
    page.keyboard.press("Enter")
    status_starts(page, "Answered")
    # 2. the picks, read from the start of the answer
    assert page.locator("#adv-chat [data-testid=bot]").count() >= 1
    screenshot(page, f"journey-{name}-2-picks", full_page=False)
    clean_screen(page)
    # 3. open a source
    cite = page.locator("#adv-chat a.cite").first
    target = str(cite.get_attribute("href")).lstrip("#")
    cite.click()
    page.wait_for_function(f"document.getElementById('{target}').open === true")
    page.locator(f"#{target}").scroll_into_view_if_needed()
    screenshot(page, f"journey-{name}-3-source", full_page=False)
    clean_screen(page)
    # 4. move a weight and see the chart change
    v.tab("Why fields rank where they do")
    page.wait_for_selector("#adv-chart .adv-row")
    page.locator("#adv-w-human_interaction input[type=range]").focus()
    page.keyboard.press("End")
    page.wait_for_function("document.querySelector('#adv-moved').innerText.includes('and why')")
    screenshot(page, f"journey-{name}-4-weight", full_page=False)
    clean_screen(page)
    # 5. download the plan, and read it as a Markdown viewer shows it
    v.tab("Your profile and plan")
    page.wait_for_selector("#adv-recs .adv-rec")
    with page.expect_download() as download:
        page.click("#adv-download")
    plan = Path(download.value.path()).read_text(encoding="utf-8")
    assert plan.startswith("# Your AI-safety career plan, ") and "knowledge/fields" not in plan
    clean_screen(page)
    doc = v.context.new_page()
    doc.set_content(f"<meta charset='utf-8'><body style='font-family:system-ui;max-width:46rem;margin:1rem auto;"
                    f"padding:0 1rem;line-height:1.45'>{MarkdownIt('commonmark').render(plan)}</body>")
    screenshot(doc, f"journey-{name}-5-plan", full_page=False)
    assert "pharmacist" in doc.inner_text("body") and doc.locator("a[href^='https://']").count() >= 3
    v.close()


def test_mistakes_get_a_quiet_note_in_the_pages_words_and_change_nothing(browser: Any, app: RunningApp) -> None:
    v = Visit(browser, app)
    page = v.page
    # too long: a counter says so while typing, the note says what to do, and the text stays in the box
    page.fill("#adv-input textarea", "x" * 4100)
    page.wait_for_selector("#adv-count:text('4,100 of 4,000 characters')")
    page.click("#adv-send")
    page.wait_for_selector("#adv-status .adv-note:text('I read up to 4,000')")
    assert len(page.input_value("#adv-input textarea")) == 4100
    # empty: the same quiet note, nothing sent
    page.fill("#adv-input textarea", "   ")
    page.click("#adv-send")
    page.wait_for_selector("#adv-status .adv-note:text('Type a message first')")
    assert page.locator("#adv-chat [data-testid=user]").count() == 0
    screenshot(page, "laptop-error-empty-message", full_page=False)
    no_alarm(page)
    # every weight at 0: refused gently, the chart keeps the last ranking the sliders could make
    v.tab("Why fields rank where they do")
    page.wait_for_selector("#adv-chart .adv-row")
    names = [f.name for f in FACTORS]
    for name in names[:-1]:
        page.locator(f"#adv-w-{name} input[type=range]").focus()
        page.keyboard.press("Home")
    for f in FACTORS[:-1]:  # the chart has redrawn for the last weight that leaves one factor above 0
        page.wait_for_function("(s) => document.querySelector('#adv-moved').innerText.includes(s)",
                               arg=f"{f.label} weighs 0")
    before = page.inner_html("#adv-chart .adv-chart")
    page.locator(f"#adv-w-{names[-1]} input[type=range]").focus()
    page.keyboard.press("Home")
    page.wait_for_selector("#adv-rank-note .adv-note:text('Every factor is at 0')")
    assert page.inner_html("#adv-chart .adv-chart") == before
    assert page.locator("#adv-ask-change").is_disabled()
    screenshot(page, "laptop-error-all-weights-zero", full_page=False)
    clean_screen(page)
    v.close()


def test_a_reload_comes_back_to_the_conversation_and_keeps_a_question_in_flight(browser: Any,
                                                                              app: RunningApp) -> None:
    v = Visit(browser, app)
    page = v.page
    v.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url.rstrip("/"))
    v.send("Why is scalable oversight ranked first?")
    code = str(page.get_attribute("#adv-code", "data-code"))
    assert code.startswith("web-") and f"c={code}" in page.url
    page.get_by_role("button", name="Copy", exact=True).click()
    page.wait_for_selector("#adv-code-line button:text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == code
    page.reload()
    status_starts(page, "Welcome back")
    assert page.locator("#adv-chat [data-testid=user]").count() == 1
    assert page.get_attribute("#adv-code", "data-code") == code
    # the bare address in the same browser comes back to it too (the code is in the browser's storage)
    page.goto(app.url)
    status_starts(page, "Welcome back")
    assert page.get_attribute("#adv-code", "data-code") == code
    # a question sent just before a reload is not lost: answered in the conversation, or back in the box
    question = "What does the essay say about evaluations?"
    page.fill("#adv-input textarea", question)
    page.keyboard.press("Enter")
    page.reload()
    status_starts(page, "Welcome back")
    page.wait_for_function("""(q) => {
        const rows = document.querySelectorAll('#adv-chat .message-row');
        const answered = rows.length && !rows[rows.length - 1].classList.contains('user-row');
        const asked = Array.from(document.querySelectorAll('#adv-chat [data-testid=user]'))
          .map(e => e.innerText.trim());
        return document.querySelector('#adv-input textarea').value === q || (answered && asked.includes(q)); }""",
                           arg=question)
    screenshot(page, "laptop-reload-keeps-the-conversation", full_page=False)
    v.close()


def test_the_cant_or_wont_list_is_shown_editable_and_the_profile_speaks_in_words(browser: Any, app: RunningApp,
                                                                                  knowledge: Knowledge) -> None:
    v = Visit(browser, app)
    page = v.page
    v.send("I'm a pharmacist, I can't code, and I like field building. What fits me?")
    understood = page.inner_text("#adv-understood")
    assert "Field building" in understood and "field-building" not in understood
    v.tab("Your profile and plan")
    page.wait_for_selector("#adv-recs .adv-rec")
    lacks = "#adv-lacks textarea, #adv-lacks input"
    page.wait_for_function("(s) => document.querySelector(s).value.includes('programming')", arg=lacks)
    recs = page.inner_text("#adv-recs")
    assert "for what you told me" in recs and "on automation (#" in recs  # fit and safety said in words
    assert not re.search(r"\bfit \d\.\d\d\b", recs)
    assert not [f.id for f in knowledge.fields if "-" in f.id and f.id in recs + understood]  # names, not ids
    screenshot(page, "laptop-profile-cant-or-wont")
    # take it out: the advisor forgets it
    page.fill(lacks, "")
    page.click("#adv-save")
    page.wait_for_function("!document.querySelector('#adv-recs').innerText.includes('programming')")
    store = SessionStore(app.sessions_db)
    code = str(page.get_attribute("#adv-code", "data-code"))
    assert store.profile(code).lacks == []
    v.close()


def test_editing_the_profile_changes_the_recommendations_and_plan(browser: Any, app: RunningApp) -> None:
    v = Visit(browser, app)
    page = v.page
    v.tab("Your profile and plan")
    page.wait_for_selector("#adv-recs .adv-rec")

    def recommended() -> list[str]:
        return page.eval_on_selector_all("#adv-recs .adv-rec", "els => els.map(e => e.dataset.field)")

    before = recommended()
    assert "mechanistic-interpretability" not in before
    page.click("#adv-interests input")
    page.keyboard.type("Mechanistic interp")
    page.keyboard.press("Enter")
    page.fill("#adv-skills textarea, #adv-skills input", "python, linear algebra")
    page.click("#adv-save")
    page.wait_for_function("""() => Array.from(document.querySelectorAll('#adv-recs .adv-rec'))
        .some(e => e.dataset.field === 'mechanistic-interpretability')""")
    assert recommended() != before
    # tick the first reading as read: the plan's progress follows
    progress = page.inner_text("#adv-readings .adv-progress")
    assert progress.startswith("0 of")
    page.locator("#adv-ticks input[type=checkbox]").first.check()
    page.wait_for_function("document.querySelector('#adv-readings .adv-progress').innerText.startsWith('1 of')")
    # the plan downloads as Markdown
    with page.expect_download() as download:
        page.click("#adv-download")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Mechanistic interpretability" in text and "Reading plan" in text
    screenshot(page, "laptop-3-profile-and-plan")
    assert not v.outside_requests(), v.outside_requests()
    v.close()


def test_thumbs_and_a_comment_are_stored_with_the_answer(browser: Any, app: RunningApp) -> None:
    v = Visit(browser, app)
    page = v.page
    v.send("Why is scalable oversight ranked first?")
    page.locator("#adv-chat button[aria-label='Like'], #adv-chat button[title='Like']").last.click()
    page.wait_for_selector("#adv-comment-row textarea, #adv-comment-row input", state="visible")
    page.fill("#adv-comment textarea", "Clear, with the essay's own words.")
    page.get_by_role("button", name="Save comment").click()
    page.wait_for_function("document.querySelector('#adv-feedback-note').innerText.includes('Comment saved')")
    store = SessionStore(app.sessions_db)
    rated = [m.meta["feedback"] for s in store.list() for m in store.messages(s.name) if "feedback" in m.meta]
    assert {"rating": "up", "comment": "Clear, with the essay's own words."}.items() <= next(
        f for f in rated if f["comment"]).items()
    v.close()


def test_two_people_never_see_each_other(browser: Any, app: RunningApp) -> None:
    a, b = Visit(browser, app), Visit(browser, app)
    a.send("I'm a teacher and I like field building. What should I work on?")
    b.send("I'm a physicist interested in agent foundations. Which field should I pick?")
    a_chat, b_chat = a.page.inner_text("#adv-chat"), b.page.inner_text("#adv-chat")
    assert "teacher" in a_chat and "physicist" not in a_chat
    assert "physicist" in b_chat and "teacher" not in b_chat
    a_me, b_me = a.page.inner_text("#adv-understood"), b.page.inner_text("#adv-understood")
    assert "physic" not in a_me and "teach" not in b_me
    for v, other in ((a, "physic"), (b, "teach")):
        v.tab("Your profile and plan")
        v.page.wait_for_selector("#adv-recs .adv-rec")
        assert other not in v.page.inner_text("#adv-recs").lower()
        assert other not in json.dumps([v.page.input_value("#adv-skills textarea, #adv-skills input"),
                                        v.page.input_value("#adv-background textarea, #adv-background input")])
    a.close()
    b.close()


def test_script_in_a_user_document_stays_inert(browser: Any, app: RunningApp) -> None:
    v = Visit(browser, app)
    page = v.page
    page.get_by_text("Search the sources").click()
    page.fill("#adv-query textarea, #adv-query input", "quokka interpretability plan")
    page.click("#adv-search-go")
    page.wait_for_selector("#adv-found .adv-source")
    found = page.inner_text("#adv-found")
    assert "<script>" in found and "onerror" in found  # shown as text
    v.send("I like interpretability research; see my quokka notes. What should I work on?")
    for where in ("#adv-found", "#adv-sources", "#adv-chat"):
        assert page.locator(f"{where} script, {where} iframe, {where} img[onerror]").count() == 0
        assert page.locator(f"{where} a[href^='javascript']").count() == 0
    # let anything the page loaded settle (images done, a frame and a task later), then look
    page.wait_for_function("""() => new Promise(done => requestAnimationFrame(() => setTimeout(() =>
        done(Array.from(document.images).every(i => i.complete)))))""")
    assert page.evaluate("window.__xss") is None
    assert not v.dialogs
    assert not v.outside_requests(), v.outside_requests()  # the tracker image was never fetched
    v.close()


def test_phone_width_has_no_sideways_scrolling(browser: Any, app: RunningApp) -> None:
    v = Visit(browser, app, viewport=PHONE)
    page = v.page
    v.send(CAREER)
    page.locator("#adv-chat a.cite").first.click()
    screenshot(page, "phone-1-chat")
    width = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    assert page.evaluate(width) <= PHONE["width"] + 1
    # at the end of the page nothing is hidden under the pinned message box
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("""() => { const last = document.querySelector('#adv-search').getBoundingClientRect();
        return last.bottom <= document.querySelector('#adv-compose').getBoundingClientRect().top; }""")
    v.tab("Why fields rank where they do")
    page.wait_for_selector("#adv-chart .adv-row")
    # the chart stays at the top of the screen while the sliders under it are moved
    page.locator("#adv-w-economic_incentive input[type=range]").focus()
    page.keyboard.press("End")
    page.wait_for_function("document.querySelector('#adv-moved').innerText.includes('economic incentive weighs 10')")
    chart, slider = (page.locator(s).bounding_box() for s in ("#adv-chart",
                                                              "#adv-w-economic_incentive input[type=range]"))
    assert chart and slider and abs(chart["y"]) < 1 and slider["y"] >= chart["y"] + chart["height"] - 1
    assert chart["height"] < PHONE["height"] / 2
    screenshot(page, "phone-2-ranking-what-if", full_page=False)
    page.locator("#adv-chart .adv-row").first.click()
    page.wait_for_selector("#adv-explanation .adv-explain")
    page.wait_for_function("""() => { const r = document.querySelector('#adv-explanation .adv-explain')
        .getBoundingClientRect(); return r.top > 0 && r.top < window.innerHeight; }""")
    screenshot(page, "phone-3-explanation", full_page=False)
    assert page.evaluate(width) <= PHONE["width"] + 1
    v.tab("Your profile and plan")
    page.wait_for_selector("#adv-recs .adv-rec")
    screenshot(page, "phone-4-plan")
    assert page.evaluate(width) <= PHONE["width"] + 1
    v.close()


def test_a_resumed_conversation_shows_the_thumbs_given_earlier(browser: Any, app: RunningApp) -> None:
    v = Visit(browser, app)
    v.send("Why is scalable oversight ranked first?")
    v.page.locator("#adv-chat button[aria-label='Dislike'], #adv-chat button[title='Dislike']").last.click()
    v.page.wait_for_function("document.querySelector('#adv-feedback-note').innerText.includes('saved')")
    v.close()
    store = SessionStore(app.sessions_db)
    code = next(s.name for s in store.list() if any(
        (m.meta.get("feedback") or {}).get("rating") == "down" for m in store.messages(s.name)))

    w = Visit(browser, app)  # another tab, later: resume by the code
    page = w.page
    page.get_by_text("Resume a conversation").click()
    page.fill("#adv-resume textarea", code)
    page.get_by_role("button", name="Resume", exact=True).click()
    page.wait_for_function("document.querySelectorAll('#adv-chat [data-testid=user]').length == 1")
    page.wait_for_selector("#adv-chat button[aria-label='Disliked']")  # the thumb shows as given
    assert page.locator("#adv-chat button[aria-label='Liked']").count() == 0
    page.locator("#adv-new").click()  # a new conversation starts without thumbs
    page.wait_for_function("document.querySelectorAll('#adv-chat [data-testid=user]').length == 0")
    assert page.locator("#adv-chat button[aria-label='Disliked']").count() == 0
    w.close()
