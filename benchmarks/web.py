"""The web app as a person meets it, measured in a real browser (Debian's Chromium through Playwright):

1. page weight: every request the first page load makes until the chat box is ready (count, bytes on the wire,
   bytes decoded), and whether any left the app's address;
2. first-answer latency: from clicking Send to the first grounded words in the chat, and to the whole answer,
   for the first question a fresh server gets and for later ones; beside it, the same question through the
   conversation service in-process (no page, no network), so the page's own overhead shows as a ratio.

Run from the repository root:  .venv/bin/python benchmarks/web.py  [--runs 7]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from tests.web_support import CHROMIUM_ARGS, LAPTOP, running_app

QUESTIONS = [
    "I'm a backend engineer with 6 months of runway and I like interpretability. What should I work on?",
    "Why is scalable oversight ranked first?",
    "What if automated eval generation works?",
    "What should I read first on evaluations?",
]
FIRST_WORDS = """(before) => {
    const bots = document.querySelectorAll('#adv-chat [data-testid=bot]');
    for (let i = 0; i < bots.length; i++) {
        const t = bots[i].innerText || '';
        if (i >= before && t.trim().length > 0 && !t.startsWith('Looked up') && !t.startsWith('Looking')) return true;
    }
    return false; }"""


def build_home(target: Path) -> Path:
    """An advisor home with the shipped knowledge indexed (as `advisor index` would build it)."""
    from advisor.knowledge import load_knowledge
    from advisor.search.index import ChunkIndex
    from advisor.search.retrieve import Retriever
    from advisor.settings import load_settings

    settings = load_settings({"ADVISOR_HOME": str(target)})
    retriever = Retriever(ChunkIndex(settings), load_knowledge(settings.knowledge_dir))
    retriever.sync_knowledge()
    retriever.index.close()
    return target


def page_weight(browser: Any, url: str) -> dict[str, Any]:
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    finished: list[Any] = []
    page.on("requestfinished", lambda r: finished.append(r))
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("#adv-input textarea")
    ready = time.perf_counter() - started
    page.wait_for_timeout(2000)  # let the page's load events and late requests (fonts, icons) finish
    wire = decoded = 0
    for request in finished:
        sizes = request.sizes()
        wire += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        response = request.response()
        if response is not None:
            with contextlib.suppress(Exception):  # streamed responses (the queue) have no body to read
                decoded += len(response.body())
    outside = [r.url for r in finished if not r.url.startswith(url)]
    context.close()
    return {"requests": len(finished), "wire": wire, "decoded": decoded, "ready": ready, "outside": outside}


def browser_latency(browser: Any, url: str, question: str) -> tuple[float, float, str]:
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#adv-input textarea")
    page.fill("#adv-input textarea", question)
    before = page.locator("#adv-chat [data-testid=bot]").count()
    started = time.perf_counter()
    page.click("#adv-send")
    page.wait_for_function(FIRST_WORDS, arg=before, polling="raf", timeout=60_000)
    first = time.perf_counter() - started
    page.wait_for_function("document.querySelector('#adv-status').innerText.startsWith('Answered')",
                           polling="raf", timeout=60_000)
    whole = time.perf_counter() - started
    status = page.inner_text("#adv-status")
    context.close()
    return first, whole, status


def service_latency(home: Path, runs: int) -> list[float]:
    """The same questions through the conversation service in this process: time to the first grounded text."""
    os.environ["ADVISOR_HOME"] = str(home)
    from advisor.chat.events import AnswerText
    from advisor.interfaces.web.server import make_service

    service = make_service()
    service.retriever()
    out = []
    for i in range(runs):
        started = time.perf_counter()
        for event in service.ask(f"bench-{i}", QUESTIONS[i % len(QUESTIONS)], "detailed"):
            if isinstance(event, AnswerText):
                out.append(time.perf_counter() - started)
                break
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="advisor-web-bench-"))
    try:
        home = build_home(work / "home")
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average "
              f"{os.getloadavg()[0]:.2f}")
        with running_app(home) as app, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            cold = browser_latency(browser, app.url, QUESTIONS[0])
            weight = page_weight(browser, app.url)
            warm = [browser_latency(browser, app.url, QUESTIONS[i % len(QUESTIONS)]) for i in range(args.runs)]
            browser.close()
        direct = service_latency(home, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("\n## Page weight (first load: the chat box ready, then 2 s for the load events and late requests)")
    print(f"requests: {weight['requests']}; bytes on the wire: {weight['wire']:,} "
          f"({weight['wire'] / 1024 / 1024:.2f} MiB); decoded: {weight['decoded']:,}; ready after "
          f"{weight['ready']:.2f} s; requests outside the app's address: {len(weight['outside'])}")
    print("\n## First-answer latency (offline backend; click Send -> first grounded words / whole answer)")
    print(f"first question to a fresh server: {cold[0]:.2f} s / {cold[1]:.2f} s  ({cold[2]})")
    firsts = [w[0] for w in warm]
    wholes = [w[1] for w in warm]
    print(f"later questions, {len(warm)} runs: first words median {statistics.median(firsts):.2f} s "
          f"(min {min(firsts):.2f}, max {max(firsts):.2f}); whole answer median {statistics.median(wholes):.2f} s")
    med = statistics.median(direct)
    print(f"same questions through the service in-process: first text median {med * 1000:.0f} ms; "
          f"the page adds {statistics.median(firsts) - med:.2f} s ({statistics.median(firsts) / med:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
