"""What stands in front of the server, as ASGI middleware, so a request is refused before its body is parsed:

- on `/v1`: bearer tokens (401; a client that keeps sending wrong ones waits longer each time, 429), a
  per-client rate limit on chat completions (429), a request-body size limit (413), and at most
  ADVISOR_API_CLIENT_TURNS turns running at once per client (more wait their turn), so one client cannot take
  every worker thread;
- on the web app's login (`POST /login`): the same slow-down after failed logins (`LoginThrottle`, which
  `advisor ui` can use on its own);
- everywhere: a request body that does not arrive in time is answered 408 and its connection closed (on
  `/v1` the whole body within ADVISOR_API_BODY_TIMEOUT seconds; elsewhere no pause longer than that).

A client is its API token when it sent a valid one, else its address (`scope["client"]`, which `advisor serve`
takes from X-Forwarded-For only for the proxies in ADVISOR_TRUSTED_PROXIES). `/healthz` is not behind tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from advisor.interfaces.api.errors import Redactor, error_response
from advisor.interfaces.api.limits import LimitStore, MemoryLimits

GUARDED_PREFIX = "/v1"
LIMITED_PATHS = ("/v1/chat/completions",)
LOGIN_PATHS = ("/login", "/login/")
MAX_WAITING_TURNS = 8  # per client, beyond those running: more are refused (429)
T = TypeVar("T")


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "?"


async def _call(store: LimitStore, fn: Callable[..., T], *args: Any) -> T:
    """Call a method of `store`: in a worker thread when it does I/O, so the event loop never waits on it."""
    if store.blocking:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(fn, *args)
    return fn(*args)


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


class LoginThrottle:
    """ASGI middleware for a Gradio app's login: a client (by address) whose logins failed more than a few times
    in a row waits 1, 2, 4, ... seconds (up to 15 minutes) before the next try, answered 429 meanwhile. Use it
    around `advisor ui`'s app too: `demo.launch(..., app_kwargs={"middleware": [Middleware(LoginThrottle)]})`."""

    def __init__(self, app: ASGIApp, limits: LimitStore | None = None, paths: Sequence[str] = LOGIN_PATHS) -> None:
        self.app = app
        self.limits = limits or MemoryLimits()
        self.paths = tuple(paths)

    def applies(self, scope: Scope) -> bool:
        return scope["type"] == "http" and scope.get("method") == "POST" and scope.get("path") in self.paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.applies(scope):
            await self.app(scope, receive, send)
            return
        client = "login:" + client_address(scope)
        blocked = await _call(self.limits, self.limits.login_blocked, client)
        if blocked:
            seconds = _seconds(blocked)
            response = error_response(Redactor([]), 429, f"Too many failed logins from this address: try again in "
                                                         f"{seconds} s.", "too_many_failed_logins",
                                      headers={"retry-after": str(seconds)})
            await response(scope, receive, send)
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] in (400, 401, 403):
            await _call(self.limits, self.limits.login_failed, client)
        elif status and status[0] == 200 and blocked is not None:
            await _call(self.limits, self.limits.login_succeeded, client)


@dataclass
class _Turns:
    semaphore: asyncio.Semaphore
    users: int = 0


class ClientTurns:
    """At most `per_client` requests of one client inside at once; up to MAX_WAITING_TURNS more wait (a waiting
    request whose client goes away leaves the queue)."""

    def __init__(self, per_client: int) -> None:
        self.per_client = per_client
        self._clients: dict[str, _Turns] = {}

    @contextlib.asynccontextmanager
    async def slot(self, client: str, receive: Receive) -> AsyncIterator[str]:
        """Yields "in" once the request may run, "busy" (at once) when the client already has too many
        waiting, or "gone" when its client disconnected while it waited."""
        turns = self._clients.get(client)
        if turns is None:
            turns = self._clients[client] = _Turns(asyncio.Semaphore(self.per_client))
        if turns.users >= self.per_client + MAX_WAITING_TURNS:
            yield "busy"
            return
        turns.users += 1
        try:
            acquired = await _unless_disconnected(turns.semaphore.acquire(), receive)
            if not acquired:
                yield "gone"
                return
            try:
                yield "in"
            finally:
                turns.semaphore.release()
        finally:
            turns.users -= 1
            if turns.users == 0:
                self._clients.pop(client, None)


async def _unless_disconnected(waiting: Awaitable[Any], receive: Receive) -> bool:
    """Await `waiting` unless the client disconnects first (then False, and `waiting` is cancelled)."""
    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    wait = asyncio.ensure_future(waiting)
    gone = asyncio.ensure_future(disconnected())
    done, _ = await asyncio.wait({wait, gone}, return_when=asyncio.FIRST_COMPLETED)
    if wait in done:
        gone.cancel()
        return True
    wait.cancel()
    return False


class _TimedBody:
    """`receive` and `send` of one request, with the body's arrival timed: past the time allowed, the client is
    answered 408 (unless a response has started), the connection is closed, and the app sees a disconnect."""

    def __init__(self, receive: Receive, send: Send, scope: Scope, redact: Redactor, timeout: float,
                 total: bool) -> None:
        self._receive, self._send, self.scope, self.redact = receive, send, scope, redact
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout if total else None
        self.complete = False
        self.timed_out = False
        self.started = False

    async def receive(self) -> Message:
        if self.timed_out:
            return {"type": "http.disconnect"}
        if self.complete:
            return await self._receive()
        wait = self.timeout if self.deadline is None else max(0.0, self.deadline - time.monotonic())
        try:
            message = await asyncio.wait_for(self._receive(), wait)
        except TimeoutError:
            self.timed_out = True
            if not self.started:
                self.started = True
                response = error_response(self.redact, 408, f"The request body did not arrive within "
                                          f"{self.timeout:g} s (ADVISOR_API_BODY_TIMEOUT).", "request_timeout",
                                          headers={"connection": "close"})
                await response(self.scope, self._receive, self._send)
            return {"type": "http.disconnect"}
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            self.complete = True
        return message

    async def send(self, message: Message) -> None:
        if self.timed_out:
            return  # the client has had its 408
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class Guard:
    """ASGI middleware in front of the whole server: see the module's docstring."""

    def __init__(self, app: ASGIApp, *, tokens: Sequence[str], max_body: int, rate_limit: int,
                 redact: Redactor, limits: LimitStore | None = None, body_timeout: float = 30.0,
                 client_turns: int = 1) -> None:
        self.app = app
        self.tokens = [t.encode("utf-8") for t in tokens]
        self.max_body = max_body
        self.rate_limit = rate_limit
        self.redact = redact
        self.limits = limits or MemoryLimits()
        self.body_timeout = body_timeout
        self.turns = ClientTurns(client_turns)
        self.login = LoginThrottle(app, self.limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guarded = _under(scope.get("path", ""), GUARDED_PREFIX)
        body = _TimedBody(receive, send, scope, self.redact, self.body_timeout, total=guarded)
        if not guarded:
            await (self.login if self.login.applies(scope) else self.app)(scope, body.receive, body.send)
            return
        await self._guarded(scope, body.receive, body.send)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        token = _bearer(headers.get("authorization", b""))
        address = "login:" + client_address(scope)

        def refuse(status: int, message: str, code: str, extra: dict[str, str] | None = None) -> Awaitable[None]:
            return error_response(self.redact, status, message, code, headers=extra)(scope, receive, send)

        if self.tokens:
            blocked = await _call(self.limits, self.limits.login_blocked, address)
            if blocked:
                seconds = _seconds(blocked)
                await refuse(429, f"Too many wrong bearer tokens from this address: try again in {seconds} s.",
                             "too_many_failed_logins", {"retry-after": str(seconds)})
                return
            if not any(hmac.compare_digest(token, t) for t in self.tokens):
                if token:
                    await _call(self.limits, self.limits.login_failed, address)
                message = ("This server needs a bearer token in the Authorization header (the openai client's "
                           "api_key); ask its operator for one." if not token else
                           "The bearer token is not valid for this server.")
                await refuse(401, message, "invalid_api_key", {"www-authenticate": "Bearer"})
                return
            if blocked is not None:
                await _call(self.limits, self.limits.login_succeeded, address)
        client = ("token:" + hashlib.sha256(token).hexdigest()[:16] if self.tokens and token
                  else "host:" + client_address(scope))
        limited = scope.get("method") == "POST" and scope["path"].rstrip("/") in LIMITED_PATHS
        if limited and self.rate_limit > 0:
            wait = await _call(self.limits, self.limits.take, client, self.rate_limit)
            if wait:
                seconds = _seconds(wait)
                await refuse(429, f"Too many requests from this client: try again in {seconds} s.",
                             "rate_limit_exceeded", {"retry-after": str(seconds)})
                return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await self._too_large(scope, receive, send)
            return
        body, complete = await self._read_body(receive)
        if body is None:
            return  # the client went away, or its body did not arrive in time (answered 408)
        if not complete:
            await self._too_large(scope, receive, send)
            return
        if not limited:
            await self.app(scope, _replay(body, receive), send)
            return
        async with self.turns.slot(client, receive) as admitted:
            if admitted == "busy":
                await refuse(429, f"This client already has {self.turns.per_client + MAX_WAITING_TURNS} requests "
                                  "running or waiting: wait for their answers.", "rate_limit_exceeded",
                             {"retry-after": "1"})
            elif admitted == "in":
                await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> tuple[bytes | None, bool]:
        """The whole body, or (what was read, False) once it is larger than the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None, False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return b"", False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), True

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(self.redact, 413, f"The request body is larger than this server's limit of "
                                  f"{self.max_body} bytes (ADVISOR_API_MAX_BODY). Send a shorter history, or use a "
                                  "session id.", "request_too_large")
        await response(scope, receive, send)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _bearer(value: bytes) -> bytes:
    scheme, _, token = value.strip().partition(b" ")
    return token.strip() if scheme.lower() == b"bearer" else b""


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
