"""Helpers for the web app's tests: the real app started as `advisor ui` on a free port of 127.0.0.1 with its
own advisor home, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.settings import PROJECT_ROOT
from tests.processes import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
LAPTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}


def app_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ADVISOR_MODEL", "CHROMA_HOST", "CHROMA_PORT",
                        "ADVISOR_UI_AUTH")}
    env.update({"ADVISOR_HOME": str(home), "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False",
                "PYTHONUNBUFFERED": "1", **extra})
    return env


def copy_home(indexed_home: Path, target: Path) -> Path:
    shutil.copytree(indexed_home, target, dirs_exist_ok=True)
    return target


@dataclass
class RunningApp:
    url: str
    home: Path
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    @property
    def sessions_db(self) -> Path:
        return self.home / "sessions.sqlite3"

    def log(self) -> str:
        return "".join(self.output[-200:])


@contextmanager
def running_app(home: Path, timeout: float = 60, **env: str) -> Iterator[RunningApp]:
    """`advisor ui` on a free port; yields once it has printed its address, and stops it (by its pid) after."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "advisor.interfaces.cli", "ui", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=PROJECT_ROOT, env=app_env(home, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    app = RunningApp(f"http://127.0.0.1:{port}/", home, proc)
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            app.output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"the web app did not start in {timeout} s:\n{app.log()}") from None
            if "is running at http://127.0.0.1:" in line:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the web app did not start:\n{app.log()}")
        yield app
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, name: str, full_page: bool = True) -> Path:
    """tests/artifacts/NAME.png: the whole page, or (full_page=False) only what the window shows."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
