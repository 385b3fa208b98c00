"""The web app checked for accessibility by axe-core (the engine browsers' own audits use), run in Debian's
Chromium through Playwright on each tab, at laptop and phone width, in the states a person reaches: an answer with
its sources, a what-if with a field's explanation open, the profile and plan, and a mistake's note. No serious or
critical violation may remain. axe-core comes from the `axe-playwright-python` package (its bundled axe.min.js);
nothing is downloaded when the tests run."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from tests.web_support import LAPTOP, PHONE, RunningApp, chromium, copy_home, running_app

pytestmark = pytest.mark.slow

BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def app(indexed_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with running_app(copy_home(indexed_home, tmp_path_factory.mktemp("web-a11y-home"))) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2 A and AA rules, and best
    practices)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate((files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def report(violations: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']} {v['id']}: {v['help']} — " + "; ".join(
        f"{n['target']} {n['html'][:120]}" for n in v["nodes"][:3]) for v in violations)


def wait_answered(page: Any) -> None:
    page.wait_for_function("(document.querySelector('#adv-status') || {innerText: ''}).innerText"
                           ".startsWith('Answered')")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_no_serious_or_critical_accessibility_violations_on_any_tab(browser: Any, app: RunningApp,
                                                                    viewport: dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(app.url)
    page.wait_for_selector("#adv-input textarea:not([disabled])")
    found: dict[str, list[dict[str, Any]]] = {"first screen": axe_violations(page)}
    # the chat: an answer, its tool line, a source opened, and a mistake's note
    page.fill("#adv-input textarea", "I'm a backend engineer with 6 months of runway and I like interpretability.")
    page.keyboard.press("Enter")
    wait_answered(page)
    page.locator("#adv-chat a.cite").first.click()
    page.wait_for_selector("#adv-sources details.adv-source[open]")
    found["chat with an answer"] = axe_violations(page)
    page.fill("#adv-input textarea", "   ")
    page.click("#adv-send")
    page.wait_for_selector("#adv-status .adv-note")
    found["chat with a note"] = axe_violations(page)
    # the ranking: a what-if moved and a field explained
    page.get_by_role("tab", name="Why fields rank where they do").click()
    page.wait_for_selector("#adv-chart .adv-row")
    page.locator("#adv-w-feedback_quality input[type=range]").focus()
    page.keyboard.press("End")
    page.wait_for_function("document.querySelector('#adv-moved').innerText.includes('and why')")
    page.locator("#adv-chart .adv-row").nth(2).click()
    page.wait_for_selector("#adv-explanation .adv-explain")
    found["ranking with a what-if"] = axe_violations(page)
    # the profile and plan
    page.get_by_role("tab", name="Your profile and plan").click()
    page.wait_for_selector("#adv-recs .adv-rec")
    found["profile and plan"] = axe_violations(page)
    context.close()
    assert not any(found.values()), "\n".join(f"{state}:\n{report(v)}" for state, v in found.items() if v)


def test_the_check_finds_a_violation_when_there_is_one(browser: Any, app: RunningApp) -> None:
    """A page with an unlabelled button and low-contrast text fails: the check can fail."""
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(app.url)
    page.wait_for_selector("#adv-input textarea")
    page.evaluate("""() => { const b = document.createElement('button'); document.body.appendChild(b);
        const p = document.createElement('p'); p.textContent = 'faint'; p.style.color = '#eeeeee';
        document.body.appendChild(p); }""")
    ids = {v["id"] for v in axe_violations(page)}
    context.close()
    assert {"button-name", "color-contrast"} <= ids
