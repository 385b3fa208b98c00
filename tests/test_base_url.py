"""A malformed OPENAI_BASE_URL (a password holding '/', '#' or '?' that was not percent-encoded) stops the
command with one line that names the variable and hides the value, in `advisor ask` and in `advisor doctor`."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from advisor.settings import SettingsError, load_settings

RunCli = Callable[..., tuple[int, str, str]]
BAD_URLS = ["http://alice:XYZ/secret@127.0.0.1:9/v1", "http://alice:p#ssXYZ@127.0.0.1:9/v1",
            "http://alice:p?ssXYZ@127.0.0.1:9/v1", "http://alice:12?XYZ@127.0.0.1:9/v1", "ftp://127.0.0.1/v1"]
PIECES = ["XYZ", "secret", "alice", "p#ss", "p?ss"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_malformed_base_url_is_one_line_naming_the_variable(url: str, run_cli: RunCli,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"OPENAI_BASE_URL": url})
    assert "OPENAI_BASE_URL=(hidden)" in str(caught.value)
    monkeypatch.setenv("ADVISOR_MODEL", "openai-compatible:any")
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    code, out, err = run_cli("ask", "Why is evals ranked where it is?")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "OPENAI_BASE_URL" in err, err
    assert "Traceback" not in err and not any(piece in out + err for piece in PIECES)
    code, out, _ = run_cli("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert code == 1 and "OPENAI_BASE_URL" in str(checks["configuration"]["detail"])
    assert not any(piece in out for piece in PIECES)


@pytest.mark.parametrize("url", ["http://127.0.0.1:11434/v1", "https://api.example.org/v1",
                                 "http://alice:se%2Fcr%23et@127.0.0.1:9/v1"])
def test_well_formed_base_urls_are_accepted(url: str) -> None:
    assert load_settings({"OPENAI_BASE_URL": url}).openai_base_url == url
