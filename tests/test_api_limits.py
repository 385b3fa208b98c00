"""What guards `advisor serve` against hostile or greedy clients: weak tokens refused at start, failed logins
slowed (API and web login), rate limits by token or real address (X-Forwarded-For only from trusted proxies)
and shared by workers through PostgreSQL, bounded stateless histories and turn CPU, bodies that never finish,
and no docs page that loads a CDN."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from advisor.interfaces.api.guard import LoginThrottle
from advisor.interfaces.api.limits import PostgresLimits, login_wait
from advisor.knowledge import Knowledge
from advisor.settings import Settings, SettingsError, load_settings
from tests.api_server import api_settings, offline_app
from tests.postgres_support import postgres_server, postgres_url  # noqa: F401

TOKEN_A = "tok-A-8f3k2m9q7x1z5w4v"
TOKEN_B = "tok-B-3n6p0r2t8y4u1i7o"
ASK = {"model": "advisor-offline", "messages": [{"role": "user", "content": "Why is evals ranked where it is?"}]}
NOPE = {"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}  # a cheap 404 after the guard


@contextmanager
def serve(app: Any, settings: Settings) -> Iterator[str]:
    """Run `app` the way `advisor serve` runs it (its uvicorn settings), on a free 127.0.0.1 port."""
    import uvicorn

    from advisor.interfaces.cli_serve import uvicorn_config

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn_config(app, settings, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def home(tmp_path: Path, indexed_home: Path) -> Path:
    return tmp_path / "home"


# --- weak tokens -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tokens", ["a,b", "short-token-1", "aaaaaaaaaaaaaaaaaaaaaaaa", f"{TOKEN_A},abab"])
def test_weak_tokens_are_refused_at_start(tokens: str, home: Path, indexed_home: Path, knowledge: Knowledge,
                                          run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = api_settings(home, indexed_home, ADVISOR_API_TOKENS=tokens)
    with pytest.raises(SettingsError) as caught:
        offline_app(settings, knowledge)
    message = str(caught.value)
    assert "ADVISOR_API_TOKENS" in message and "16 characters" in message and "\n" not in message
    assert all(t not in message for t in tokens.split(",") if len(t) > 2)
    monkeypatch.setenv("ADVISOR_API_TOKENS", tokens)
    code, out, err = run_cli("serve", "--port", "1")
    assert code == 2 and "ADVISOR_API_TOKENS" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run_cli("doctor")
    assert code == 1 and "PROBLEM  API tokens" in out


# --- failed logins ------------------------------------------------------------------------------------------------

def test_login_waits_grow_exponentially() -> None:
    waits = [login_wait(n) for n in range(1, 12)]
    assert waits[:2] == [0, 0] and waits[2:6] == [1, 2, 4, 8] and waits[-1] <= 900
    assert sum(login_wait(n) for n in range(1, 63)) > 3600 * 5  # 62 guesses now take hours, not 62 requests


def test_wrong_tokens_are_slowed_per_client(home: Path, indexed_home: Path, knowledge: Knowledge) -> None:
    settings = api_settings(home, indexed_home, ADVISOR_API_TOKENS=f"{TOKEN_A},{TOKEN_B}")
    with serve(offline_app(settings, knowledge), settings) as url:
        def models(token: str) -> httpx.Response:
            return httpx.get(f"{url}/v1/models", headers={"authorization": f"Bearer {token}"}, timeout=10)

        assert [models(guess).status_code for guess in "abc"] == [401, 401, 401]
        blocked = models("d")
        assert blocked.status_code == 429 and blocked.headers["retry-after"] == "1"
        assert blocked.json()["error"]["code"] == "too_many_failed_logins"
        assert models(TOKEN_A).status_code == 429  # while blocked, no guess is even compared
        time.sleep(1.1)
        assert models("e").status_code == 401
        assert models("f").headers["retry-after"] == "2"  # each failure doubles the wait
        time.sleep(2.1)
        assert models(TOKEN_A).status_code == 200  # a right token afterwards clears the count
        assert [models(guess).status_code for guess in "gh"] == [401, 401]


def test_the_web_login_is_slowed_too(home: Path, indexed_home: Path, knowledge: Knowledge) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def login(request: Request) -> JSONResponse:  # what Gradio's /login answers
        form = await request.form()
        ok = form.get("password") == TOKEN_A
        return JSONResponse({"success": True} if ok else {"detail": "Incorrect credentials."}, 200 if ok else 400)

    app = LoginThrottle(Starlette(routes=[Route("/login", login, methods=["POST"])]))
    settings = load_settings({"ADVISOR_HOME": str(home)})
    with serve(app, settings) as url:
        def attempt(password: str) -> int:
            return httpx.post(f"{url}/login", data={"username": "ada", "password": password}).status_code

        assert [attempt(p) for p in "abc"] == [400, 400, 400]
        assert attempt(TOKEN_A) == 429
        time.sleep(1.1)
        assert attempt(TOKEN_A) == 200


@pytest.mark.slow
def test_the_mounted_web_apps_login_is_slowed(home: Path, indexed_home: Path, knowledge: Knowledge) -> None:
    settings = api_settings(home, indexed_home, ADVISOR_API_TOKENS=TOKEN_A)
    with serve(offline_app(settings, knowledge, web=True), settings) as url:
        def attempt(password: str) -> int:
            return httpx.post(f"{url}/login", data={"username": "ada", "password": password}).status_code

        assert [attempt(p) for p in "abc"] == [400, 400, 400]
        assert attempt("d") == 429 and attempt(TOKEN_A) == 429


# --- rate limits: who is a client ---------------------------------------------------------------------------------

def test_x_forwarded_for_counts_only_from_trusted_proxies(home: Path, indexed_home: Path,
                                                          knowledge: Knowledge) -> None:
    settings = api_settings(home, indexed_home, ADVISOR_API_RATE_LIMIT="2")
    with serve(offline_app(settings, knowledge), settings) as url:
        codes = [httpx.post(f"{url}/v1/chat/completions", json=NOPE,
                            headers={"x-forwarded-for": f"203.0.113.{i}"}).status_code for i in range(4)]
        assert codes == [404, 404, 429, 429]  # fake addresses do not buy a fresh allowance
    settings = api_settings(home, indexed_home, ADVISOR_API_RATE_LIMIT="2", ADVISOR_TRUSTED_PROXIES="127.0.0.1")
    with serve(offline_app(settings, knowledge), settings) as url:
        def post(forwarded: str) -> int:
            return httpx.post(f"{url}/v1/chat/completions", json=NOPE,
                              headers={"x-forwarded-for": forwarded}).status_code

        assert [post("198.51.100.7") for _ in range(3)] == [404, 404, 429]
        assert post("198.51.100.8") == 404  # another client behind the proxy has its own allowance
        # a client that writes its own X-Forwarded-For is still known by the address the proxy saw
        assert post("10.9.9.9, 198.51.100.7") == 429


def test_the_rate_limit_is_shared_by_workers_through_postgresql(home: Path, indexed_home: Path, knowledge: Knowledge,
                                                                postgres_url: str) -> None:  # noqa: F811
    settings = api_settings(home, indexed_home, ADVISOR_API_RATE_LIMIT="3", ADVISOR_DATABASE_URL=postgres_url,
                            ADVISOR_API_TOKENS=TOKEN_A)
    headers = {"authorization": f"Bearer {TOKEN_A}"}
    now = time.time()
    if now % 60 > 55:  # a fixed one-minute window: do not straddle its end
        time.sleep(61 - now % 60)
    with serve(offline_app(settings, knowledge), settings) as one, serve(offline_app(settings, knowledge),
                                                                          settings) as two:
        codes = [httpx.post(f"{url}/v1/chat/completions", json=NOPE, headers=headers).status_code
                 for url in (one, two, one, two)]
    assert codes == [404, 404, 404, 429]
    limits = PostgresLimits(postgres_url)
    try:  # failed logins are shared too
        for _ in range(3):
            limits.login_failed("login:192.0.2.1")
        assert PostgresLimits(postgres_url).login_blocked("login:192.0.2.1") == pytest.approx(1, abs=0.2)
    finally:
        limits.close()


# --- what one request may cost ------------------------------------------------------------------------------------

def history(pairs: int, chars: int = 900) -> list[dict[str, str]]:
    about = ("I'm a backend engineer with six years of Go and Python, I like interpretability, I don't want "
             "policy work, and I have about eight months of savings. ") * 20
    messages = []
    for i in range(pairs):
        messages += [{"role": "user", "content": about[:chars - 4] + f" {i:03d}"},
                     {"role": "assistant", "content": "Noted. " * (chars // 7)}]
    return [*messages, {"role": "user", "content": "So what should I do?"}]


def test_stateless_histories_are_bounded_with_a_clear_400(home: Path, indexed_home: Path,
                                                          knowledge: Knowledge) -> None:
    settings = api_settings(home, indexed_home, ADVISOR_MAX_HISTORY_MESSAGES="20", ADVISOR_MAX_HISTORY_CHARS="12000")
    with serve(offline_app(settings, knowledge), settings) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0, timeout=60)
        with pytest.raises(openai.BadRequestError, match=r"21 messages.*at most 20.*ADVISOR_MAX_HISTORY_MESSAGES"):
            client.chat.completions.create(model="advisor-offline", messages=history(10, 100))  # type: ignore[arg-type]
        with pytest.raises(openai.BadRequestError, match=r"at most 12000.*ADVISOR_MAX_HISTORY_CHARS"):
            client.chat.completions.create(model="advisor-offline", messages=history(8))  # type: ignore[arg-type]
        answer = client.chat.completions.create(model="advisor-offline", messages=history(6))  # type: ignore[arg-type]
        assert answer.choices[0].message.content


def test_a_turn_over_its_cpu_budget_is_stopped(home: Path, indexed_home: Path, knowledge: Knowledge) -> None:
    settings = api_settings(home, indexed_home, ADVISOR_TURN_CPU="0.05")
    with serve(offline_app(settings, knowledge), settings) as url:
        response = httpx.post(f"{url}/v1/chat/completions", timeout=60,
                              json={"model": "advisor-offline", "messages": history(8)})
    assert response.status_code == 400 and "ADVISOR_TURN_CPU" in response.json()["error"]["message"]


# --- bodies that never finish, and the docs page ---------------------------------------------------------------------

def test_a_body_that_never_finishes_times_out(home: Path, indexed_home: Path, knowledge: Knowledge) -> None:
    settings = api_settings(home, indexed_home, ADVISOR_API_BODY_TIMEOUT="1")
    with serve(offline_app(settings, knowledge), settings) as url:
        port = int(url.rsplit(":", 1)[1])
        body = json.dumps(ASK).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:20])
            started = time.monotonic()
            received = b""
            while chunk := raw.recv(4096):  # the server answers, then closes the connection
                received += chunk
            took = time.monotonic() - started
        assert received.startswith(b"HTTP/1.1 408") and b"ADVISOR_API_BODY_TIMEOUT" in received
        assert took < 5
        # a body sent in slow pieces within the time allowed is fine
        assert httpx.post(f"{url}/v1/chat/completions", json=ASK, timeout=60).status_code == 200


def test_no_docs_page_loads_a_cdn(home: Path, indexed_home: Path, knowledge: Knowledge) -> None:
    settings = api_settings(home, indexed_home)
    with serve(offline_app(settings, knowledge), settings) as url:
        assert httpx.get(f"{url}/v1/docs").status_code == 404
        schema = httpx.get(f"{url}/v1/openapi.json")
        assert schema.status_code == 200 and "/v1/chat/completions" in schema.json()["paths"]
        assert "cdn" not in httpx.get(f"{url}/v1/docs").text.lower()
