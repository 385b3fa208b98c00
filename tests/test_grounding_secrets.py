"""No secret reaches the user, the session store or an export: a model server whose error body echoes the
request's Authorization header (and other keys) is answered offline with the secrets redacted."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from advisor.redact import redact
from tests.scripted_llm import ScriptedLLMServer, error, scripted_llm_fixture  # noqa: F401

RunCli = Callable[..., tuple[int, str, str]]

CONFIGURED_KEY = "local-KEY-7f3c9a1e55b2"  # not shaped like any known key: only found as the configured value
OTHER_KEY = "sk-proj-Zx81kQm4Lr09vTe7Yb"
URL_PASSWORD = "hunter2-pw-4471"


def test_a_server_error_that_echoes_the_key_is_redacted_everywhere(
    scripted_llm: ScriptedLLMServer, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, home_with_index: Path,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CONFIGURED_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_llm.base_url.replace("http://", f"http://bob:{URL_PASSWORD}@"))
    monkeypatch.setenv("ADVISOR_LLM_RETRIES", "0")
    echoed = (f"upstream rejected the request; headers were {{'Authorization': 'Bearer {CONFIGURED_KEY}'}}; "
              f"fallback key {OTHER_KEY}; proxy http://bob:{URL_PASSWORD}@10.0.0.1/v1")
    scripted_llm.enqueue(error(500, echoed), error(500, echoed))
    code, out, err = run_cli("ask", "Why is scalable oversight ranked first?", "--session", "leak",
                             "--model", "openai-compatible:scripted", "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["backend"] == "offline (fallback)"
    notice = answer["flags"][0]
    assert "did not answer" in notice and "[redacted]" in notice  # the notice still says what went wrong
    assert scripted_llm.requests[0] is not None  # the key really was sent (and echoed)

    code, shown, _ = run_cli("sessions", "show", "leak")
    assert code == 0
    export = tmp_path / "leak.md"
    assert run_cli("sessions", "export", "leak", "-o", str(export))[0] == 0
    stored = b"".join(p.read_bytes() for p in home_with_index.glob("sessions.sqlite3*"))
    for where, text in [("stdout", out), ("stderr", err), ("sessions show", shown),
                        ("export", export.read_text()), ("session store", stored.decode("utf-8", "replace"))]:
        for secret in (CONFIGURED_KEY, OTHER_KEY, URL_PASSWORD):
            assert secret not in text, f"{secret} reached {where}"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-123_456", "abc.def-123_456"),
        ('{"authorization": "Basic dXNlcjpwYXNzd29yZA=="}', "dXNlcjpwYXNzd29yZA=="),
        ("x-api-key: 0123456789abcdef", "0123456789abcdef"),
        ("invalid key sk-ant-api03-AbCdEf0123456789", "AbCdEf0123456789"),
        ("GET https://user:s3cr3t!@example.com/v1/models", "s3cr3t!"),
        ("https://example.com/v1?api_key=QWERTY123&x=1", "QWERTY123"),
    ],
)
def test_redact_removes_tokens_keys_and_url_credentials(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned and "[redacted]" in cleaned


def test_redact_keeps_ordinary_text() -> None:
    for text in ("The essay ranks scalable oversight first [1].", "bearer of bad news", "http://127.0.0.1:8080/v1",
                 "skills: python, statistics", "risk-averse plans"):
        assert redact(text) == text
