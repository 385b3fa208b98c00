"""`advisor serve` as a user runs it: one process serves the HTTP API and the web app; API tokens guard the
web app too; a bad port is refused; other commands never import the server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest

from advisor.knowledge import Knowledge
from tests.api_server import api_settings, offline_app, serving
from tests.processes import advisor_serve, free_port


@pytest.mark.slow
def test_advisor_serve_answers_on_v1_and_shows_the_web_app(tmp_path: Path, indexed_home: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(indexed_home, home)
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ADVISOR_MODEL")}
    env.update(ADVISOR_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False")
    port = free_port()
    with advisor_serve(env, tmp_path / "serve.log", port=port) as base:
        page = httpx.get(f"{base}/", timeout=30)
        assert page.status_code == 200 and "gradio" in page.text.lower()
        client = openai.OpenAI(base_url=f"{base}/v1", api_key="not-needed", max_retries=0, timeout=60)
        assert [m.id for m in client.models.list()] == ["advisor-offline"]
        answer = client.chat.completions.create(model="advisor-offline",
                                                messages=[{"role": "user", "content": "Why is evals ranked there?"}])
        assert "[1]" in (answer.choices[0].message.content or "")
    printed = (tmp_path / "serve.log").read_text()
    assert f"API http://127.0.0.1:{port}/v1" in printed and f"web app http://127.0.0.1:{port}/" in printed


@pytest.mark.slow
def test_api_tokens_guard_the_web_app_too(tmp_path: Path, indexed_home: Path, knowledge: Knowledge) -> None:
    settings = api_settings(tmp_path / "home", indexed_home, ADVISOR_API_TOKENS="web-token-123-4f9a")
    app = offline_app(settings, knowledge, web=True)
    assert app.state.web
    with serving(app) as base:
        assert httpx.get(f"{base}/config").status_code == 401
        assert httpx.post(f"{base}/login", data={"username": "ada", "password": "guess-123"}).status_code != 200
        login = httpx.post(f"{base}/login", data={"username": "ada", "password": "web-token-123-4f9a"})
        assert login.status_code == 200 and login.json() == {"success": True}
        assert httpx.get(f"{base}/config", cookies=login.cookies).status_code == 200
        assert httpx.get(f"{base}/v1/models").status_code == 401


def test_a_bad_port_is_refused(run_cli: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = run_cli("serve", "--port", "70000")
    assert code == 2 and "1-65535" in err


def test_other_commands_do_not_import_the_server() -> None:
    probe = ("import sys; from advisor.interfaces.cli import build_parser; build_parser(); "
             "print(sorted(m for m in ('fastapi', 'uvicorn', 'gradio', 'advisor.interfaces.api') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
