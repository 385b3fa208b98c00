"""`advisor ui` on its own (not under `advisor serve`) slows repeated failed logins too: after a few wrong
passwords from one address, the login answers 429 with Retry-After, even for the right password."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.processes import ADVISOR, free_port


@pytest.mark.slow
def test_the_standalone_web_app_slows_failed_logins(home_with_index: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "ADVISOR_HOME": str(home_with_index), "ADVISOR_UI_AUTH": "ada:correct-horse-battery",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        proc = subprocess.Popen([ADVISOR, "ui", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(url, timeout=1)
                    break
                except httpx.HTTPError:
                    assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                    time.sleep(0.25)
            codes = [httpx.post(f"{url}/login", data={"username": "ada", "password": f"wrong-{i}"},
                                timeout=30).status_code for i in range(6)]
            assert codes[0] in (400, 401, 403) and 429 in codes, codes
            blocked = httpx.post(f"{url}/login", data={"username": "ada", "password": "correct-horse-battery"},
                                 timeout=30)
            assert blocked.status_code == 429 and blocked.headers.get("retry-after")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
