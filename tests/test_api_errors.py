"""The HTTP API when things go wrong: OpenAI's error JSON with the right status (400, 401, 404, 405, 413, 429,
500), no stack trace, and the backend's API key in no response, even when the model endpoint echoes it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from advisor.knowledge import Knowledge, load_knowledge
from tests.api_server import api_settings, offline_app, serving
from tests.scripted_llm import ScriptedLLMServer, error, scripted_llm_fixture, text  # noqa: F401

SECRET = "sk-test-4f9c2d81e7b6a5SECRET0c3d"
TOKEN = "team-token-7d1e9a"
ASK = {"model": "advisor-offline", "messages": [{"role": "user", "content": "Why is evals ranked where it is?"}]}


def assert_openai_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["message"] and "Traceback" not in response.text
    if code:
        assert body["error"]["code"] == code
    return dict(body["error"])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, indexed_home: Path, knowledge: Knowledge) -> Iterator[str]:
    settings = api_settings(tmp_path_factory.mktemp("api-errors"), indexed_home, ADVISOR_API_MAX_BODY="4096")
    with serving(offline_app(settings, knowledge)) as url:
        yield url


@pytest.mark.parametrize(("body", "param"), [
    ({**ASK, "messages": [{"role": "user", "content": "   "}]}, None),
    ({**ASK, "messages": [{"role": "user", "content": "x" * 4001}]}, None),
    ({**ASK, "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}, "messages"),
    ({**ASK, "messages": []}, "messages"),
    ({**ASK, "messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role"),
    ({**ASK, "mode": "verbose"}, "mode"),
    ({**ASK, "n": 2}, "n"),
    ({"messages": ASK["messages"]}, "model"),
    ({**ASK, "messages": [{"role": "user", "content": "\ud800 lone surrogate"}]}, "messages.0.content"),
])
def test_bad_requests_are_400_in_openais_shape(base: str, body: dict[str, Any], param: str | None) -> None:
    response = httpx.post(f"{base}/v1/chat/completions", content=json.dumps(body), timeout=30,
                          headers={"content-type": "application/json"})
    err = assert_openai_error(response, 400)
    assert err["type"] == "invalid_request_error" and err["param"] == param


def test_more_bad_requests(base: str) -> None:
    post = f"{base}/v1/chat/completions"
    err = assert_openai_error(httpx.post(post, content=b"{not json", headers={"content-type": "application/json"}), 400)
    assert "not valid JSON" in err["message"]
    err = assert_openai_error(httpx.post(post, json=ASK, headers={"X-Advisor-Session": "a/b"}), 400, "invalid_session")
    assert err["param"] == "X-Advisor-Session"
    assert_openai_error(httpx.post(post, json=ASK, headers={"X-Advisor-Mode": "loud"}), 400)
    client = openai.OpenAI(base_url=f"{base}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="empty"):
        client.chat.completions.create(model="advisor-offline", messages=[{"role": "user", "content": ""}],
                                       stream=True)


def test_unknown_models_and_routes_are_404_and_wrong_methods_405(base: str) -> None:
    err = assert_openai_error(httpx.post(f"{base}/v1/chat/completions", json={**ASK, "model": "gpt-4o"}), 404,
                              "model_not_found")
    assert err["param"] == "model" and "advisor-offline" in err["message"]
    assert_openai_error(httpx.get(f"{base}/v1/models/gpt-4o"), 404, "model_not_found")
    assert_openai_error(httpx.post(f"{base}/v1/completions", json={"prompt": "hi"}), 404, "not_found")
    assert_openai_error(httpx.get(f"{base}/v1/chat/completions"), 405)
    client = openai.OpenAI(base_url=f"{base}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="advisor-online", messages=[{"role": "user", "content": "hi"}])


def test_a_body_over_the_limit_is_413(base: str) -> None:
    big = {**ASK, "messages": [{"role": "user", "content": "history " * 300}] * 3 + ASK["messages"]}
    assert len(json.dumps(big)) > 4096
    assert_openai_error(httpx.post(f"{base}/v1/chat/completions", json=big), 413, "request_too_large")

    def chunked() -> Iterator[bytes]:  # no content-length: the size is counted as the body arrives
        data = json.dumps(big).encode()
        for i in range(0, len(data), 1000):
            yield data[i:i + 1000]

    assert_openai_error(httpx.post(f"{base}/v1/chat/completions", content=chunked(),
                                   headers={"content-type": "application/json"}), 413)
    client = openai.OpenAI(base_url=f"{base}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(**big)
    assert caught.value.status_code == 413
    assert httpx.post(f"{base}/v1/chat/completions", json=ASK, timeout=30).status_code == 200  # under it: fine


def test_tokens_are_checked_and_clients_are_rate_limited(tmp_path: Path, indexed_home: Path,
                                                        knowledge: Knowledge) -> None:
    settings = api_settings(tmp_path / "home", indexed_home, ADVISOR_API_TOKENS=f" {TOKEN}, other-token-2-9f8e7d ",
                            ADVISOR_API_RATE_LIMIT="3")
    with serving(offline_app(settings, knowledge)) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200  # health needs no token
        err = assert_openai_error(httpx.get(f"{url}/v1/models"), 401, "invalid_api_key")
        assert "bearer token" in err["message"]
        no = openai.OpenAI(base_url=f"{url}/v1", api_key="wrong-token", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            no.chat.completions.create(**ASK)
        # a refused token does not spend the rate limit, and the second token has its own bucket
        yes = openai.OpenAI(base_url=f"{url}/v1", api_key=TOKEN, max_retries=0, timeout=30)
        for _ in range(3):
            assert yes.chat.completions.create(**ASK).choices[0].message.content
        with pytest.raises(openai.RateLimitError) as caught:
            yes.chat.completions.create(**ASK)
        assert int(caught.value.response.headers["retry-after"]) >= 1
        assert caught.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
        assert [m.id for m in yes.models.list()] == ["advisor-offline"]  # the limit is on completions only
        other = openai.OpenAI(base_url=f"{url}/v1", api_key="other-token-2-9f8e7d", max_retries=0, timeout=30)
        assert other.chat.completions.create(**ASK).choices[0].message.content
        assert TOKEN not in httpx.get(f"{url}/v1/models", headers={"authorization": f"Bearer {TOKEN}"}).text


def test_server_faults_are_500_without_a_trace(tmp_path: Path, indexed_home: Path, knowledge_copy: Path) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(Path(__file__).resolve().parent.parent / "prompts", prompts)
    settings = api_settings(tmp_path / "home", indexed_home, ADVISOR_KNOWLEDGE_DIR=str(knowledge_copy),
                            ADVISOR_PROMPTS_DIR=str(prompts))
    (prompts / "answer_why_head.txt").unlink()  # a broken prompts folder: each turn fails after it has started
    with serving(offline_app(settings, load_knowledge(knowledge_copy))) as url:
        post = f"{url}/v1/chat/completions"
        session = {"X-Advisor-Session": "faults"}
        err = assert_openai_error(httpx.post(post, json=ASK, headers=session, timeout=30), 500, "internal_error")
        assert "server's log" in err["message"] and str(prompts) not in err["message"]
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0, timeout=30)
        with pytest.raises(openai.APIError, match="server's log") as caught:
            list(client.chat.completions.create(**ASK, stream=True, extra_headers=session))
        assert not isinstance(caught.value, openai.APIStatusError)  # the stream had begun: an error event
        lexicon = knowledge_copy / "lexicon.yaml"
        lexicon.unlink()
        lexicon.mkdir()  # reading it raises IsADirectoryError, no AdvisorError: still a plain 500
        response = httpx.post(post, json=ASK, timeout=30)
        err = assert_openai_error(response, 500, "internal_error")
        assert "IsADirectory" not in response.text and "lexicon" not in response.text


def test_the_backends_key_is_in_no_response(scripted_llm: ScriptedLLMServer, tmp_path: Path, indexed_home: Path,
                                            knowledge: Knowledge) -> None:
    settings = api_settings(tmp_path / "home", indexed_home, OPENAI_API_KEY=SECRET,
                            OPENAI_BASE_URL=scripted_llm.base_url, ADVISOR_LLM_RETRIES="0", ADVISOR_LLM_TIMEOUT="10")
    scripted_llm.enqueue(
        error(401, f"Incorrect API key provided: {SECRET}."),  # the endpoint echoes the key: the turn falls back
        text(f"Your key is {SECRET}. Scalable oversight is first in the essay."),  # the model repeats the key
        error(401, f"Incorrect API key provided: {SECRET}."),
    )
    app = offline_app(settings, knowledge, model="openai-compatible:scripted")
    with serving(app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0, timeout=30)
        model = "advisor-openai-compatible:scripted"
        assert [m.id for m in client.models.list()] == [model, "advisor-offline"]
        raw = []
        fallback = client.chat.completions.with_raw_response.create(model=model, messages=ASK["messages"])
        raw.append(fallback.text)
        extra = (fallback.parse().model_extra or {})["advisor"]
        assert extra["backend"] == "offline (fallback)" and any("[redacted]" in f for f in extra["flags"])
        echoed = client.chat.completions.with_raw_response.create(model=model, messages=ASK["messages"])
        raw.append(echoed.text)
        assert "Your key is [redacted]" in (echoed.parse().choices[0].message.content or "")
        with httpx.stream("POST", f"{url}/v1/chat/completions", json={**ASK, "model": model, "stream": True},
                          timeout=30) as streamed:
            raw.append(streamed.read().decode())
        raw += [httpx.get(f"{url}/v1/models").text, httpx.get(f"{url}/v1/models/{model}").text]
    assert scripted_llm.request_headers[0]["authorization"] == f"Bearer {SECRET}"  # the key was in use
    assert "[redacted]" in raw[2]
    for body in raw:
        assert SECRET not in body and SECRET[:20] not in body
