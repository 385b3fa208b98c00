"""A scripted OpenAI-compatible chat server on 127.0.0.1, so tests can drive the real `openai` and
`langchain-openai` clients over real HTTP (tool calls, streaming, errors, timeouts) with no network.

Standard library only. A test scripts the replies, points a client at `server.base_url`, and then reads
what the client sent::

    from tests.scripted_llm import ScriptedLLMServer, delay, error, text, tool_calls

    with ScriptedLLMServer() as server:              # or the `scripted_llm` pytest fixture, below
        server.enqueue(
            tool_calls([("rank_fields", {"top": 3})]),  # 1st POST /v1/chat/completions
            error(503, "overloaded"),                   # 2nd: HTTP 503, OpenAI-style error body
            text("Scalable oversight ranks first."),    # 3rd
        )
        client = openai.OpenAI(base_url=server.base_url, api_key="test")
        ...
        server.requests[0]["tools"]                  # parsed JSON bodies, in arrival order

Replies, one consumed per chat-completion request (streamed or not, same script):

- `text(content, finish_reason="stop")`: an assistant message.
- `tool_calls([(name, args), ...], content=None)`: an assistant message with `tool_calls` and
  `finish_reason: "tool_calls"`. `args` is a dict (sent as JSON) or a string (sent verbatim). Ids are
  `call_1`, `call_2`, ... counted across the server's lifetime, so they stay unique within a conversation.
- `raw_tool_call(name, arguments)`: one tool call whose `arguments` string is sent verbatim (e.g.
  malformed JSON).
- `error(status, message, type=None, code=None, retry_after=None)`: an HTTP error with body
  `{"error": {"message", "type", "code", "param"}}`. A 429 sends `retry-after: 0` unless told otherwise.
  Note that the `openai` client only honours a retry-after greater than 0, so `retry-after: 0` still means
  its own back-off (about 0.5 s); pass e.g. `retry_after=0.01` (also sent as `retry-after-ms`) to retry fast.
- `delay(seconds, then=reply)`: wait, then answer `then` (default: the server's default reply). The reply is
  consumed when the request arrives, so a client that times out and retries gets the *next* reply.
- `disconnect()`: close the connection without answering (the client sees a connection error).

When the script is empty the server answers `server.default` (default: `text("(script exhausted)")`), so a
test never hangs. A request with `"stream": true` gets Server-Sent Events in OpenAI's
`chat.completion.chunk` format (text split by word, tool-call arguments in pieces, `finish_reason` in the
last choice chunk, a usage chunk when `stream_options.include_usage` is set, then `data: [DONE]`).
`GET /v1/models` lists one model, the server's `model` name (default "scripted"); answers echo the model
the request asked for. `server.requests` / `server.request_headers` hold what each chat request sent;
`server.remaining` counts unconsumed replies; `server.reset()` clears script, records and id counters.

The pytest fixture `scripted_llm` (a started server, stopped after the test) is defined here as
`scripted_llm_fixture`: import that name into a test module (`# noqa: F401`) and ask for `scripted_llm`.
The server speaks HTTP/1.1 with keep-alive (streams use chunked encoding); `stop()` wakes pending delays,
closes open connections and joins every handler thread, so it returns at once and leaves no thread behind.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# --------------------------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class ToolCall:
    """One scripted tool call; `arguments` is the exact string the server sends."""

    name: str
    arguments: str
    id: str | None = None  # None: the server numbers it call_1, call_2, ...


@dataclass(frozen=True)
class Text:
    content: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ToolCalls:
    calls: tuple[ToolCall, ...]
    content: str | None = None


@dataclass(frozen=True)
class Error:
    status: int
    message: str
    type: str
    code: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: Reply | None = None  # None: the server's default reply


@dataclass(frozen=True)
class Disconnect:
    pass


@dataclass(frozen=True)
class Drip:
    """A streamed text whose words come `every` seconds apart (a slow or stuck server that keeps the
    connection alive, so no read timeout fires)."""

    content: str
    every: float


@dataclass(frozen=True)
class Cut:
    """A streamed text that stops after `content` with the connection closed mid-answer."""

    content: str


Reply = Text | ToolCalls | Error | Delay | Disconnect | Drip | Cut

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout",
    409: "conflict",
    429: "rate_limit_error",
}


def text(content: str, finish_reason: str = "stop") -> Text:
    return Text(content, finish_reason)


def tool_calls(calls: Iterable[tuple[str, Mapping[str, Any] | str]], content: str | None = None) -> ToolCalls:
    made = tuple(ToolCall(name, args if isinstance(args, str) else json.dumps(dict(args))) for name, args in calls)
    return ToolCalls(made, content)


def raw_tool_call(name: str, arguments: str) -> ToolCalls:
    return ToolCalls((ToolCall(name, arguments),))


def error(
    status: int,
    message: str,
    type: str | None = None,
    code: str | None = None,
    retry_after: float | None = None,
) -> Error:
    if retry_after is None and status == 429:
        retry_after = 0.0
    if code is None and status == 429:
        code = "rate_limit_exceeded"
    kind = type or _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return Error(status, message, kind, code, retry_after)


def delay(seconds: float, then: Reply | None = None) -> Delay:
    return Delay(seconds, then)


def disconnect() -> Disconnect:
    return Disconnect()


def drip(content: str, every: float) -> Drip:
    return Drip(content, every)


def cut(content: str) -> Cut:
    return Cut(content)


# ------------------------------------------------------------------------------------------ the server


@dataclass
class _State:
    script: deque[Reply] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    next_call: int = 1
    next_completion: int = 1


class ScriptedLLMServer:
    """An OpenAI-compatible chat server that answers from a script. Use as a context manager."""

    def __init__(self, replies: Iterable[Reply] = (), *, model: str = "scripted", default: Reply | None = None) -> None:
        self.model = model
        self.default: Reply = default if default is not None else text("(script exhausted)")
        self._lock = threading.Lock()
        self._state = _State(script=deque(replies))
        self._stopping = threading.Event()
        self._connections: dict[socket.socket, threading.Thread] = {}  # open connection -> its handler
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> ScriptedLLMServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="scripted-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in a delay
        httpd.shutdown()  # stops accepting
        with self._lock:
            open_connections = dict(self._connections)
        for conn in open_connections:  # unblocks handlers waiting on idle keep-alive connections
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 5
        for handler in [*open_connections.values(), thread]:
            if handler is not None:
                handler.join(timeout=max(0.0, deadline - time.monotonic()))
        httpd.server_close()
        self._httpd = self._thread = None

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("ScriptedLLMServer is not started: call start() or use it in a `with` block")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script and record
    def enqueue(self, *replies: Reply) -> ScriptedLLMServer:
        with self._lock:
            self._state.script.extend(replies)
        return self

    @property
    def remaining(self) -> int:
        """How many scripted replies have not been consumed yet."""
        with self._lock:
            return len(self._state.script)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the parsed JSON bodies of every chat-completion request, in arrival order."""
        with self._lock:
            return copy.deepcopy(self._state.requests)

    @property
    def request_headers(self) -> list[dict[str, str]]:
        """The headers of each chat-completion request (names lower-cased), parallel to `requests`."""
        with self._lock:
            return copy.deepcopy(self._state.headers)

    def reset(self) -> None:
        with self._lock:
            self._state = _State()

    # -- used by the handler
    def _record_and_pop(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[Reply, str]:
        with self._lock:
            self._state.requests.append(copy.deepcopy(body))
            self._state.headers.append(headers)
            reply = self._state.script.popleft() if self._state.script else self.default
            completion_id = f"chatcmpl-scripted-{self._state.next_completion}"
            self._state.next_completion += 1
            return reply, completion_id

    def _number_calls(self, calls: Sequence[ToolCall]) -> list[ToolCall]:
        with self._lock:
            numbered = []
            for call in calls:
                if call.id is None:
                    call = ToolCall(call.name, call.arguments, f"call_{self._state.next_call}")
                    self._state.next_call += 1
                numbered.append(call)
            return numbered

    def _track(self, conn: socket.socket, handler: threading.Thread | None) -> None:
        with self._lock:
            if handler is not None:
                self._connections[conn] = handler
            else:
                self._connections.pop(conn, None)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], owner: ScriptedLLMServer) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Like ThreadingMixIn's, but the server remembers each handler thread, so stop() can join it:
        # the mixin joins only non-daemon threads, and ours are daemons so that a test never hangs at exit.
        handler = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), name="scripted-llm-request"
        )
        handler.daemon = True
        self.owner._track(request, handler)
        handler.start()

    def shutdown_request(self, request: Any) -> None:
        self.owner._track(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out, or a server that is stopping, drops connections: not worth a traceback.
        if isinstance(sys.exc_info()[1], OSError) or self.owner._stopping.is_set():
            return
        super().handle_error(request, client_address)  # a bug in this module: print its traceback


_WORD_BOUNDARY = re.compile(r"(?<=\s)(?=\S)")


def _words(content: str) -> list[str]:
    return [piece for piece in _WORD_BOUNDARY.split(content) if piece]


def _pieces(arguments: str, size: int = 8) -> list[str]:
    return [arguments[i : i + size] for i in range(0, len(arguments), size)] or [""]


def _usage(body: Mapping[str, Any], reply: Text | ToolCalls) -> dict[str, int]:
    prompt = len(json.dumps(body.get("messages", [])).split())
    if isinstance(reply, Text):
        completion = len(reply.content.split())
    else:
        completion = len((reply.content or "").split()) + sum(len(c.arguments.split()) + 1 for c in reply.calls)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- routes
    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            owner = self.server.owner
            model = {"id": owner.model, "object": "model", "created": 0, "owned_by": "scripted"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_error(error(404, f"no route GET {self.path}"))

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_error(error(404, f"no route POST {self.path}"))
            return
        try:
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("body is not a JSON object")
        except ValueError as exc:
            self._send_error(error(400, f"request body is not a JSON object: {exc}"))
            return
        owner = self.server.owner
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply, completion_id = owner._record_and_pop(body, headers)
        self._answer(reply, body, completion_id)

    # -- answers
    def _answer(self, reply: Reply, body: dict[str, Any], completion_id: str) -> None:
        owner = self.server.owner
        if isinstance(reply, Delay):
            if owner._stopping.wait(reply.seconds):
                self.close_connection = True
                return
            self._answer(reply.then or owner.default, body, completion_id)
        elif isinstance(reply, Disconnect):
            self.close_connection = True
        elif isinstance(reply, Drip | Cut):
            self._stream_badly(reply, body, completion_id)
        elif isinstance(reply, Error):
            self._send_error(reply)
        elif body.get("stream"):
            self._stream(reply, body, completion_id)
        else:
            self._send_json(200, self._completion(reply, body, completion_id))

    def _completion(self, reply: Text | ToolCalls, body: dict[str, Any], completion_id: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
        finish_reason = "tool_calls"
        if isinstance(reply, Text):
            finish_reason = reply.finish_reason
        else:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in self.server.owner._number_calls(reply.calls)
            ]
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.server.owner.model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
            "usage": _usage(body, reply),
        }

    def _chunks(self, reply: Text | ToolCalls, body: dict[str, Any], completion_id: str) -> Iterator[Any]:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        base = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model") or self.server.owner.model,
            "system_fingerprint": None,
        }

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return {**base, "choices": [choice], **({"usage": None} if include_usage else {})}

        content = reply.content
        yield chunk({"role": "assistant", "content": "" if content is not None else None})
        for word in _words(content or ""):
            yield chunk({"content": word})
        finish_reason = "tool_calls"
        if isinstance(reply, Text):
            finish_reason = reply.finish_reason
        else:
            for index, call in enumerate(self.server.owner._number_calls(reply.calls)):
                head = {"index": index, "id": call.id, "type": "function"}
                yield chunk({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
                for piece in _pieces(call.arguments):
                    yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        yield chunk({}, finish_reason)
        if include_usage:
            yield {**base, "choices": [], "usage": _usage(body, reply)}
        yield "[DONE]"

    def _stream(self, reply: Text | ToolCalls, body: dict[str, Any], completion_id: str) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for event in self._chunks(reply, body, completion_id):
            data = event if isinstance(event, str) else json.dumps(event)
            payload = f"data: {data}\n\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _stream_badly(self, reply: Drip | Cut, body: dict[str, Any], completion_id: str) -> None:
        owner = self.server.owner
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        events = list(self._chunks(Text(reply.content), body, completion_id))
        if isinstance(reply, Cut):
            events = events[:-2]  # no finish reason, no [DONE]
        try:
            for event in events:
                data = event if isinstance(event, str) else json.dumps(event)
                payload = f"data: {data}\n\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
                self.wfile.flush()
                if isinstance(reply, Drip) and owner._stopping.wait(reply.every):
                    break
        except OSError:  # the client gave up
            pass
        self.close_connection = True  # a cut stream ends without its last chunk

    def _send_error(self, reply: Error) -> None:
        headers: dict[str, str] = {}
        if reply.retry_after is not None:
            headers["retry-after"] = f"{reply.retry_after:g}"
            headers["retry-after-ms"] = str(round(reply.retry_after * 1000))
        payload = {"error": {"message": reply.message, "type": reply.type, "code": reply.code, "param": None}}
        self._send_json(reply.status, payload, headers)

    def _send_json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


@pytest.fixture(name="scripted_llm")
def scripted_llm_fixture() -> Iterator[ScriptedLLMServer]:
    """The `scripted_llm` fixture: a started `ScriptedLLMServer` with an empty script, stopped after the test.

    Import `scripted_llm_fixture` into a test module (or list this module in `pytest_plugins`) and ask for
    the `scripted_llm` argument; the different names keep ruff's F811 quiet."""
    with ScriptedLLMServer() as server:
        yield server
