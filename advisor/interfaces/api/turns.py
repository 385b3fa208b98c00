"""One chat completion as a turn of the conversation service: the turn runs in a worker thread and its events
reach the event loop through a queue; `Transcript` turns them into the assistant message, the same way for
a streamed and a whole answer (grounded text, a notice when a model failed, then the numbered sources)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor
from typing import Any

from advisor.chat.events import Answer, AnswerText, Citation, Event, Notice, Sources
from advisor.interfaces.api.schemas import AdvisorExtra

SOURCES_HEADING = "\n\nSources:\n"


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


async def run_turn(start: Callable[[], Iterator[Event]], pool: Executor) -> AsyncIterator[Event]:
    """The events of `start()`, produced in one thread of `pool` (a turn's generator never changes threads)
    and yielded on the event loop. A turn whose client went away still runs to its end, so it is saved."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()

    def put(item: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: the server is stopping
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def produce() -> None:
        try:
            for event in start():
                put(event)
        except BaseException as exc:
            put(_Failed(exc))
        finally:
            put(_END)

    loop.run_in_executor(pool, produce)
    while True:
        item = await queue.get()
        if item is _END:
            return
        if isinstance(item, _Failed):
            raise item.exc
        yield item  # type: ignore[misc]


def sources_block(citations: list[Citation]) -> str:
    """The numbered sources under an answer, as Markdown, so a plain chat client can follow each [n]."""
    if not citations:
        return ""
    lines = []
    for c in citations:
        title = c.title.replace("[", "(").replace("]", ")")
        lines.append(f"- [{c.n}] [{title}]({c.source})" if c.source.startswith(("http://", "https://"))
                     else f"- [{c.n}] {title} ({c.source})")
    return SOURCES_HEADING + "\n".join(lines)


def strip_sources(text: str) -> str:
    """An assistant message the client sends back, without the source list this API appended to it."""
    head, found, tail = text.rpartition(SOURCES_HEADING)
    return head if found and tail.startswith("- [") else text


class Transcript:
    """What the assistant message says, piece by piece: `feed` returns the text to stream for an event;
    `content()` is the whole message. A notice that withdraws text already streamed cannot unsay it in a
    stream; in a whole answer the withdrawn text is left out."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.answer: Answer | None = None

    def feed(self, event: Event) -> str:
        piece = ""
        if isinstance(event, AnswerText):
            piece = event.text
        elif isinstance(event, Notice):
            note = f"> {event.text}\n\n"
            piece = ("\n\n" if self.kept else "") + note
            if event.retract:
                self.kept = [note]
                return piece
        elif isinstance(event, Sources):
            piece = sources_block(event.citations)
        if piece:
            self.kept.append(piece)
        return piece

    def content(self) -> str:
        return "".join(self.kept).strip()


def extra(answer: Answer) -> AdvisorExtra:
    return AdvisorExtra(answer=answer.answer, citations=answer.citations, recommendations=answer.recommendations,
                        followups=answer.followups, flags=answer.flags, profile=answer.profile, intent=answer.intent,
                        mode=answer.mode, backend=answer.backend, session=answer.session, views=answer.views)


class Completion:
    """The ids and envelope shared by every chunk of one completion."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def whole(self, content: str, answer: Answer) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": None, "system_fingerprint": None, "advisor": extra(answer).model_dump()}

    def chunk(self, delta: dict[str, Any], finish: str | None = None, answer: Answer | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                                "model": self.model, "system_fingerprint": None,
                                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        if answer is not None:
            body["advisor"] = extra(answer).model_dump()
        return body
