"""Owners in a real browser (Debian's Chromium through Playwright): two people logged in with two tokens cannot
resume, list or see each other's conversations, a wrong code (even one made of HTML) shows "not found" and
nothing else, and "Download my plan" saves the plan from the page, with no file made on the server."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from advisor.knowledge import Knowledge
from tests.api_server import api_settings, offline_app, serving
from tests.web_support import chromium

pytestmark = pytest.mark.slow

TOKEN_A = "owner-a-" + secrets.token_urlsafe(24)
TOKEN_B = "owner-b-" + secrets.token_urlsafe(24)
ALICE = "I'm a lawyer living in Quokkaville with 6 months of runway and I like technical governance. What fits me?"


@pytest.fixture(scope="module")
def base(indexed_home: Path, knowledge: Knowledge, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = api_settings(tmp_path_factory.mktemp("owners-browser") / "home", indexed_home,
                            ADVISOR_API_TOKENS=f"{TOKEN_A},{TOKEN_B}")
    with serving(offline_app(settings, knowledge, web=True)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def logged_in(browser: Any, base: str, user: str, token: str) -> Any:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/")
    page.locator("input").first.fill(user)
    page.locator("input[type=password]").fill(token)
    page.get_by_role("button", name=re.compile("log ?in", re.IGNORECASE)).click()
    page.wait_for_selector("#adv-input textarea")
    # the tab's conversation is made when the page has loaded (its code is under Resume)
    page.get_by_text("Resume a conversation").click()
    page.wait_for_function("(document.querySelector('#adv-resume') || {textContent: ''}).textContent"
                           ".includes('saved as')")
    return page


def send(page: Any, text: str) -> None:
    before = page.locator("#adv-chat [data-testid=user]").count()
    page.fill("#adv-input textarea", text)
    page.click("#adv-send")
    page.wait_for_function(f"document.querySelectorAll('#adv-chat [data-testid=user]').length > {before}")
    page.wait_for_function("document.querySelector('#adv-status').innerText.startsWith('Answered')")


def code_of(page: Any) -> str:
    note = page.locator("#adv-resume").inner_text()
    return re.search(r"(web-[A-Za-z0-9_-]+)", note).group(1)  # type: ignore[union-attr]


def resume(page: Any, code: str) -> str:
    """Enter a code under Resume; returns the note it shows there (why it could not) or ''."""
    page.fill("#adv-resume textarea", code)
    page.get_by_role("button", name="Resume", exact=True).click()
    note = page.locator("#adv-resume .adv-note").last
    note.wait_for(state="visible", timeout=15_000)
    assert page.locator(".toast-body, [data-testid='toast-body']").count() == 0  # a note, not a pop-up
    return str(note.inner_text())


def test_two_logins_in_chromium_never_see_each_others_conversations(browser: Any, base: str) -> None:
    alice = logged_in(browser, base, "alice", TOKEN_A)
    send(alice, ALICE)
    code = code_of(alice)
    bob = logged_in(browser, base, "bob", TOKEN_B)
    shown = resume(bob, code)
    assert "No conversation with that code was found." in shown and "web-" not in shown
    assert "Quokkaville" not in bob.locator("#adv-chat").inner_text()
    # HTML in a code stays text: no link or form appears in the note
    resume(bob, "<a id='evil' href='http://203.0.113.9/'>click</a><form id='evilform'><input></form>")
    assert bob.locator("#evil, #evilform").count() == 0
    # Bob's list of his own conversations does not name Alice's; hers does
    bob.get_by_text("Your conversations").click()
    bob.click("#adv-mine-go")
    bob.wait_for_function("document.querySelector('#adv-mine-list').innerText.length > 0")
    assert code not in bob.locator("#adv-mine-list").inner_text()
    alice.get_by_text("Your conversations").click()
    alice.click("#adv-mine-go")
    alice.wait_for_function(f"document.querySelector('#adv-mine-list').innerText.includes('{code}')")
    # Alice's plan downloads from the page (made on request; no file on the server)
    alice.get_by_role("tab", name="Your profile and plan").click()
    alice.wait_for_selector("#adv-recs .adv-rec")
    with alice.expect_download() as download:
        alice.click("#adv-download")
    assert download.value.suggested_filename == "my-ai-safety-plan.md"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Quokkaville" in text and "## Your plan" in text
    alice.context.close()
    bob.context.close()
