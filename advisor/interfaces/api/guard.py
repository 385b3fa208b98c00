"""What stands in front of `/v1`: bearer tokens (401), a per-client rate limit on chat completions (429) and
a request-body size limit (413), as one ASGI middleware, so a request is refused before its body is parsed.
The web app and `/healthz` are not behind it."""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from advisor.interfaces.api.errors import Redactor, error_response

GUARDED_PREFIX = "/v1"
LIMITED_PATHS = ("/v1/chat/completions",)
MAX_TRACKED_CLIENTS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per client: `per_minute` requests in a burst, refilled at `per_minute` a minute."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}

    def take(self, client: str) -> float:
        """Take one request for `client`: 0 if allowed, else the seconds to wait before the next one."""
        now = time.monotonic()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED_CLIENTS:
                self._forget_idle(now)
            bucket = self._buckets[client] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.refill)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.refill

    def _forget_idle(self, now: float) -> None:
        """Drop the clients whose buckets have refilled (they are as if new); at worst, the oldest half."""
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * self.refill >= self.capacity]
        if len(full) < len(self._buckets) // 2:
            full = sorted(self._buckets, key=lambda k: self._buckets[k].updated)[: len(self._buckets) // 2]
        for key in full:
            del self._buckets[key]


class Guard:
    """ASGI middleware for `/v1/*`: tokens, then the rate limit, then the body size."""

    def __init__(self, app: ASGIApp, *, tokens: Sequence[str], max_body: int, rate_limit: int,
                 redact: Redactor) -> None:
        self.app = app
        self.tokens = [t.encode("utf-8") for t in tokens]
        self.max_body = max_body
        self.limiter = RateLimiter(rate_limit) if rate_limit > 0 else None
        self.redact = redact

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _under(scope.get("path", ""), GUARDED_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        token = _bearer(headers.get("authorization", b""))
        if self.tokens and not any(hmac.compare_digest(token, t) for t in self.tokens):
            message = ("This server needs a bearer token in the Authorization header (the openai client's "
                       "api_key); ask its operator for one." if not token else
                       "The bearer token is not valid for this server.")
            await self._refuse(scope, receive, send, 401, message, "invalid_api_key",
                               {"www-authenticate": "Bearer"})
            return
        if self.limiter and scope.get("method") == "POST" and scope["path"].rstrip("/") in LIMITED_PATHS:
            wait = self.limiter.take(self._client(scope, token))
            if wait:
                seconds = max(1, math.ceil(wait))
                await self._refuse(scope, receive, send, 429,
                                   f"Too many requests from this client: try again in {seconds} s.",
                                   "rate_limit_exceeded", {"retry-after": str(seconds)})
                return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await self._too_large(scope, receive, send)
            return
        body, complete = await self._read_body(receive)
        if body is None:
            return  # the client went away
        if not complete:
            await self._too_large(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _client(self, scope: Scope, token: bytes) -> str:
        if self.tokens and token:
            return "token:" + hashlib.sha256(token).hexdigest()[:16]
        client = scope.get("client")
        return f"host:{client[0]}" if client else "host:?"

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
        await self._refuse(scope, receive, send, 413,
                           f"The request body is larger than this server's limit of {self.max_body} bytes "
                           "(ADVISOR_API_MAX_BODY). Send a shorter history, or use a session id.",
                           "request_too_large")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, message: str, code: str,
                      headers: dict[str, str] | None = None) -> None:
        response = error_response(self.redact, status, message, code, headers=headers)
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
