"""The conversation service: every interface (CLI, web app, HTTP API) talks to the advisor through it.

`ask(session_id, message, mode)` runs one turn and yields typed events (see `advisor.chat.events`): the
backend plans, calls tools, writes; the answer is grounded sentence by sentence before any of it is yielded,
so a removed claim is never shown; the turn ends with the whole `Answer`, which is exactly what was shown.
Session id and mode are arguments, not state: one instance serves many sessions from many threads, with one
retriever per process. When an LLM fails (timeouts, 429/5xx after retries, a dead endpoint, endless tool
calls), the turn is answered offline and says so; the user's message is saved before anything can fail.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from advisor.chat.budget import TurnBudget
from advisor.chat.conversation_tools import Views
from advisor.chat.events import (
    MODES,
    Answer,
    AnswerText,
    Event,
    Flags,
    FollowUps,
    Mode,
    Notice,
    ProfileUnderstood,
    Sources,
    ToolFinished,
    TurnFinished,
    TurnStarted,
)
from advisor.chat.export import export_session
from advisor.chat.followups import suggest_followups
from advisor.chat.grounding import Grounder
from advisor.chat.models import Backend, TurnAbandoned, TurnScope, offline_backend, turn_scope
from advisor.chat.offline.engine import Recap, TurnState
from advisor.chat.offline.understanding import extract_profile, load_glossary, load_lexicon
from advisor.chat.plan import personal_plan
from advisor.chat.store import LOCAL, Message, SessionStore, StoreUnavailableError, open_store
from advisor.chat.tools import Toolbox
from advisor.errors import AdvisorError, InputError
from advisor.knowledge import Knowledge
from advisor.knowledge.names import field_mentions
from advisor.knowledge.profile import Profile
from advisor.prompts import Prompts
from advisor.redact import redact
from advisor.search.retrieve import Retriever, shared_retriever
from advisor.settings import Settings

MAX_MESSAGE_CHARS = 4000
HISTORY_MESSAGES = 16
RECURSION_LIMIT = 16


class MessageError(InputError, ValueError):
    """A message the advisor cannot take (empty, too long); nothing is lost."""


def validate_message(message: str) -> str:
    text = message.strip()
    if not text:
        raise MessageError("The message is empty. Ask about a field, your career move, or readings.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageError(f"The message is {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}. "
                           "Shorten it, or add long documents with `advisor index --add PATH`.")
    return text


def validate_mode(mode: str) -> Mode:
    if mode not in MODES:
        raise InputError(f"Unknown answer mode {mode!r}: use one of {', '.join(MODES)}")
    return mode


class TurnDeadline(AdvisorError):
    """The model did not finish the turn within ADVISOR_TURN_DEADLINE seconds."""


def within(seconds: float, events: Iterator[Event]) -> Iterator[Event]:
    """`events`, produced in a worker thread, until `seconds` have passed: then `TurnDeadline`. A hung or
    dripping endpoint cannot hold the turn past the deadline. The worker runs in a `TurnScope`: its endpoint
    requests end by the deadline, and once the turn is abandoned (deadline, or the caller stopped reading) no
    request or retry is sent and the worker stops at its next event; its output is dropped."""
    out: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
    scope = TurnScope(time.monotonic() + seconds)

    def work() -> None:
        with turn_scope(scope):
            try:
                for event in events:
                    if scope.cancelled.is_set():
                        close = getattr(events, "close", None)
                        if close is not None:
                            close()
                        return
                    out.put(("event", event))
                out.put(("done", None))
            except BaseException as exc:  # handed to the caller's thread
                out.put(("error", exc))

    threading.Thread(target=work, name="advisor-turn", daemon=True).start()
    try:
        while True:
            try:
                kind, value = out.get(timeout=max(0.0, scope.deadline - time.monotonic()))
            except queue.Empty:
                raise TurnDeadline(f"no complete answer within {seconds:g} s (ADVISOR_TURN_DEADLINE)") from None
            if kind == "done":
                return
            if kind == "error":
                if isinstance(value, TurnAbandoned):  # the deadline passed as the worker noticed it
                    raise TurnDeadline(f"no complete answer within {seconds:g} s (ADVISOR_TURN_DEADLINE)") from None
                raise value
            yield value
    finally:
        scope.cancel()  # a no-op for a finished turn; otherwise the worker stops sending requests


class EmptyAnswer(RuntimeError):
    """The model finished without writing anything."""


class _Turn:
    """The state of one turn while it runs: its tools, its grounder and what the answer became."""

    def __init__(self, service: ConversationService, profile: Profile, history: list[Message] | None = None) -> None:
        self.events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.box = Toolbox(service.knowledge, service.retriever, profile, prompts=service.prompts,
                           listener=self.events.put, glossary=load_glossary(service.settings.knowledge_dir),
                           conversation=answer_contents(history or []))
        self.grounder = Grounder(self.box.book, service.knowledge)
        self.intent = ""

    def drain(self) -> Iterator[Any]:
        while not self.events.empty():
            event = self.events.get()
            if isinstance(event, ToolFinished) and event.name == "update_profile" and not event.error:
                yield event
                yield ProfileUnderstood(profile=self.box.profile.model_dump(), summary=self.box.profile.describe())
            else:
                yield event


class ConversationService:
    def __init__(self, knowledge: Knowledge, settings: Settings, backend: Backend,
                 store: SessionStore | None = None, retriever: Callable[[], Retriever] | None = None) -> None:
        self.knowledge = knowledge
        self.settings = settings
        self.backend = backend
        self.prompts = Prompts(settings.prompts_dir)
        self.store = store or open_store(settings)
        self._retriever = retriever or (lambda: shared_retriever(settings, knowledge))
        self._offline: Backend | None = None
        self._lock = threading.Lock()

    def retriever(self) -> Retriever:
        return self._retriever()

    def offline(self) -> Backend:
        with self._lock:
            if self._offline is None:
                self._offline = self.backend if self.backend.offline else offline_backend(self.knowledge,
                                                                                          self.settings)
        return self._offline

    # --- one turn -------------------------------------------------------------------------------------------

    def ask(self, session_id: str, message: str, mode: str = "detailed", *, owner: str = LOCAL) -> Iterator[Event]:
        """Run one turn of `owner`'s session `session_id` and yield its events; the last is `TurnFinished`."""
        text = validate_message(message)
        mode = validate_mode(mode)
        question = self.store.start_turn(session_id, text, owner=owner)
        profile = self.store.profile(session_id, owner=owner)
        focus = self.store.focus(session_id, owner=owner)
        history = self.store.messages(session_id, before=question, owner=owner)
        answer, discussed = yield from self._turn(session_id, text, mode, profile, focus, history)
        answer = yield from self._save(session_id, question, profile, answer,
                                       answer.recommendations or discussed or focus, owner, fields=discussed)
        yield TurnFinished(answer=answer)

    def _save(self, session_id: str, question: int, before: Profile, answer: Answer,
              focus: list[str], owner: str = LOCAL, fields: list[str] | None = None) -> Generator[Event, None, Answer]:
        """Save the answer with what the turn changed in the profile (merged into the latest stored profile, so
        concurrent turns lose nothing). A store that stays busy does not cost the answer: it is shown, flagged
        as not saved."""
        update = Profile.model_validate(answer.profile).changes_from(before)
        adjusted = update.all_notes()  # e.g. "60 years of savings" kept as 600 months: say so
        if adjusted:
            yield Flags(items=adjusted)
            answer = answer.model_copy(update={"flags": [*answer.flags, *adjusted]})
        meta = {"backend": answer.backend, "citations": [c.model_dump() for c in answer.citations],
                "flags": answer.flags, "intent": answer.intent, "recommendations": answer.recommendations,
                "what_if": answer.what_if, "fields": fields or answer.recommendations}
        try:
            self.store.finish_turn(session_id, question, answer.answer, meta, update, focus, owner=owner)
        except StoreUnavailableError as exc:
            flag = f"This answer could not be saved: {exc}"
            yield Flags(items=[flag])
            return answer.model_copy(update={"flags": [*answer.flags, flag]})
        return answer

    def answer(self, session_id: str, message: str, mode: str = "detailed", *, owner: str = LOCAL) -> Answer:
        """`ask`, settled: the whole answer of the turn."""
        return settle(self.ask(session_id, message, mode, owner=owner))

    def stateless(self, messages: list[tuple[str, str]], mode: str = "detailed") -> Iterator[Event]:
        """One turn over a conversation the caller keeps itself (role, text pairs; the last is the user's).
        What it may cost is bounded: at most ADVISOR_MAX_HISTORY_MESSAGES messages and ADVISOR_MAX_HISTORY_CHARS
        characters, and ADVISOR_TURN_CPU seconds of CPU, giving way to other turns once it is costly (see
        `advisor.chat.budget`; this generator runs in one thread)."""
        if not messages or messages[-1][0] != "user":
            raise MessageError("The last message must be the user's.")
        limits = self.settings
        chars = sum(len(content) for _, content in messages)
        for size, limit, what, var in ((len(messages), limits.max_history_messages, "messages",
                                        "ADVISOR_MAX_HISTORY_MESSAGES"),
                                       (chars, limits.max_history_chars, "characters", "ADVISOR_MAX_HISTORY_CHARS")):
            if size > limit:
                raise MessageError(f"The conversation sent has {size} {what}; this server reads at most {limit} "
                                   f"({var}). Send only the recent messages, or let the advisor keep the "
                                   "conversation under a session id (X-Advisor-Session).")
        text = validate_message(messages[-1][1])
        budget = TurnBudget(limits.turn_cpu)
        history = [Message(role, content, {}, "") for role, content in messages[:-1] if role in ("user", "assistant")]
        lexicon = load_lexicon(self.settings.knowledge_dir)
        profile = Profile()
        for m in history:
            if m.role == "user":
                profile = profile.merge(extract_profile(m.content, self.knowledge, lexicon))
                budget.step()
        turn = self._turn(None, text, validate_mode(mode), profile, [], history)
        try:
            while True:
                try:
                    event = next(turn)
                except StopIteration as stop:
                    answer, _ = stop.value
                    break
                budget.step()
                yield event
        finally:
            turn.close()
        yield TurnFinished(answer=answer)

    def _turn(self, session_id: str | None, text: str, mode: Mode, profile: Profile, focus: list[str],
              history: list[Message]) -> Generator[Event, None, tuple[Answer, list[str]]]:
        """Run one turn; yields its events and returns its answer and the fields it discussed."""
        backend = self.backend
        yield TurnStarted(session=session_id, mode=mode, backend=backend.label)
        turn = _Turn(self, profile, history)
        flags: list[str] = []
        try:
            if backend.offline:
                yield from self._run(backend, turn, text, mode, focus, history)
            else:
                yield from within(self.settings.turn_deadline, self._run(backend, turn, text, mode, focus, history))
            if not turn.grounder.displayed.strip():
                raise EmptyAnswer("the model returned an empty answer")
        except Exception as exc:  # any failure of a remote model: the turn is answered offline, and says so
            if backend.offline or (isinstance(exc, AdvisorError) and not isinstance(exc, TurnDeadline)):
                raise
            shown = bool(turn.grounder.displayed)
            flags.append(self.prompts.render("fallback_notice", backend=backend.label, error=_short(exc)))
            yield Notice(text=flags[-1], retract=shown)
            backend = self.offline()
            turn = _Turn(self, profile, history)
            yield from self._run(backend, turn, text, mode, focus, history)
        flags += turn.grounder.flags
        if not turn.grounder.cited() and not backend.offline and len(turn.box.book):
            flags.append("The model cited no sources; the sources it was given are listed.")
            turn.grounder.cite_all()
        label = backend.label if backend is self.backend else "offline (fallback)"
        answer = yield from self._finish(turn, label, text, mode, session_id, flags)
        return answer, turn.box.fields_discussed

    def _finish(self, turn: _Turn, backend_label: str, text: str, mode: Mode, session_id: str | None,
                flags: list[str]) -> Generator[Event, None, Answer]:
        """The events that close a turn (sources, follow-ups, flags) and its settled answer."""
        citations = turn.grounder.citations()
        recs = list(turn.box.recommended)
        followups = suggest_followups(self.knowledge, self.prompts, turn.intent, recs, turn.box.fields_discussed,
                                      text, turn.box.what_if if turn.intent == "what_if" else None)
        if citations:
            yield Sources(citations=citations)
        yield FollowUps(items=followups)
        if flags:
            yield Flags(items=flags)
        return Answer(answer=turn.grounder.displayed.strip(), citations=citations, backend=backend_label,
                      profile=turn.box.profile.model_dump(), recommendations=recs, followups=followups, flags=flags,
                      intent=turn.intent, what_if=turn.box.what_if, mode=mode, session=session_id,
                      views=next((r.payload.row.to_dict() for r in reversed(turn.box.results)
                                  if isinstance(r.payload, Views) and r.payload.row is not None), None))

    def _run(self, backend: Backend, turn: _Turn, text: str, mode: Mode, focus: list[str],
             history: list[Message]) -> Iterator[Event]:
        if backend.planner is not None:
            yield from self._run_planned(backend, turn, self._turn_state(text, mode, turn, focus, history))
            return
        from langchain.agents import create_agent
        from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

        system = self._system_prompt(turn.box.profile, mode, history)
        agent = create_agent(backend.model, tools=turn.box.langchain_tools(), system_prompt=system)
        recent = history[-HISTORY_MESSAGES:]
        messages: list[Any] = [HumanMessage(m.content) if m.role == "user" else AIMessage(m.content) for m in recent]
        messages.append(HumanMessage(text))
        for _attempt in range(2):
            final: dict[str, Any] = {}
            message_ids: set[str | None] = set()  # the messages of this turn whose text has been streamed
            for stream_mode, payload in agent.stream({"messages": messages}, {"recursion_limit": RECURSION_LIMIT},
                                                     stream_mode=["messages", "values"]):
                yield from turn.drain()
                if stream_mode == "values":
                    final = payload if isinstance(payload, dict) else {}
                    continue
                chunk = payload[0]
                if isinstance(chunk, AIMessageChunk) and isinstance(chunk.content, str) and chunk.content:
                    # Text of a later message (after a tool call) starts a paragraph; a message seen before
                    # goes on where it was.
                    if message_ids and chunk.id not in message_ids and turn.grounder.displayed:
                        chunk_text = "\n\n" + chunk.content
                    else:
                        chunk_text = chunk.content
                    message_ids.add(chunk.id)
                    released = turn.grounder.feed(chunk_text)
                    if released:
                        yield AnswerText(text=released)
            yield from turn.drain()
            messages = list(final.get("messages", []))
            last = messages[-1] if messages else None
            if not isinstance(last, AIMessage) or last.content or not last.invalid_tool_calls:
                break
            # Tool calls whose arguments did not parse: tell the model, once, and let it try again.
            messages += [ToolMessage(self.prompts.render("tool_call_invalid", name=call.get("name") or "?",
                                                         error=call.get("error") or "not valid JSON"),
                                     tool_call_id=call.get("id") or f"invalid_{i}", status="error")
                         for i, call in enumerate(last.invalid_tool_calls)]
        rest = turn.grounder.finish()
        if rest:
            yield AnswerText(text=rest)

    def _run_planned(self, backend: Backend, turn: _Turn, state: TurnState) -> Iterator[Event]:
        """A turn the offline advisor plans: each planned tool runs in the turn's toolbox (the same tools an LLM
        calls), then the offline advisor writes the answer, or a model that only writes (ADVISOR_TOOL_CALLING=no,
        `local`) rewrites its draft from the tool results. The text is shown piece by piece, once."""
        planner = backend.planner
        plan = planner.plan(state)
        turn.intent = plan.intent
        for name, args in plan.calls:
            turn.box.call(name, args)
            yield from turn.drain()
        results = list(turn.box.results)
        draft = planner.write(state, plan, results)
        for piece in self._written(backend, planner.writer_prompt(state, results, draft) if backend.model else draft):
            released = turn.grounder.feed(piece)
            if released:
                yield AnswerText(text=released)
        rest = turn.grounder.finish()
        if rest:
            yield AnswerText(text=rest)

    @staticmethod
    def _written(backend: Backend, text: str) -> Iterator[str]:
        """The answer's text as it is written: the offline draft word by word, or what the writing model streams
        for the prompt `text`."""
        if backend.model is None:
            yield from re.split(r"(?<= )", text)
            return
        from langchain_core.messages import HumanMessage

        for chunk in backend.model.stream([HumanMessage(text)]):
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content

    def _turn_state(self, text: str, mode: Mode, turn: _Turn, focus: list[str], history: list[Message]) -> TurnState:
        """The conversation as the offline advisor reads it: what each earlier answer contained, and its text."""
        answers = [m for m in history if m.role == "assistant"]
        metas = [m.meta for m in answers]
        recap = Recap(last_intent=str(metas[-1].get("intent", "")) if metas else "",
                      last_recommendations=next((list(a["recommendations"]) for a in reversed(metas)
                                                 if a.get("recommendations")), []),
                      last_what_if=metas[-1].get("what_if") if metas else None,
                      turns=turn.box.conversation)
        if not focus and answers and not any(metas):  # a caller that keeps its own history: what it last said
            focus = field_mentions(answers[-1].content, self.knowledge)
        return TurnState(text, turn.box.profile, focus, mode, recap, [m.content for m in answers])

    def _system_prompt(self, profile: Profile, mode: Mode, history: list[Message]) -> str:
        older = history[:-HISTORY_MESSAGES] if len(history) > HISTORY_MESSAGES else []
        summary = "; ".join(m.content[:120] for m in older if m.role == "user")
        return self.prompts.render(
            "system", essay_title=self.knowledge.essay.title, essay_url=self.knowledge.essay.url,
            mode_instructions=self.prompts.render(f"mode_{mode}"), profile=profile.describe(),
            history_summary=self.prompts.render("history_summary", summary=summary) if summary else "")

    # --- recommendations and the plan, as calls of their own -------------------------------------------------

    def recommend(self, session_id: str | None, about: str, fit_weight: float | None = None,
                  mode: str = "detailed", *, owner: str = LOCAL) -> Iterator[Event]:
        """Understand `about` (a description of the user), then recommend fields and readings. With a session,
        the profile is merged into it and the exchange is saved; without one, nothing is stored."""
        text = validate_message(about)
        mode = validate_mode(mode)
        if fit_weight is not None and not 0 <= fit_weight <= 1:
            raise InputError("The fit weight must be between 0 and 1 (0: only safety from automation matters, "
                             "1: only fit).")
        question = self.store.start_turn(session_id, text, owner=owner) if session_id else None
        profile = self.store.profile(session_id, owner=owner) if session_id else Profile()
        update = extract_profile(text, self.knowledge, load_lexicon(self.settings.knowledge_dir))
        if fit_weight is not None:
            update = update.model_copy(update={"fit_weight": fit_weight})
        backend = self.offline()
        yield TurnStarted(session=session_id, mode=mode, backend=backend.label)
        turn = _Turn(self, profile)
        if not update.is_empty():
            turn.box.call("update_profile", update.model_dump(exclude_defaults=True))
        turn.box.call("recommend_fields", {"top": 3})
        turn.box.call("recommend_readings", {"fields": [], "level": "intro"})
        yield from turn.drain()
        from advisor.chat.offline.planner import Plan
        from advisor.chat.offline.writer import TurnResults, write_answer

        results = TurnResults(self.knowledge, self.prompts, turn.box.book, turn.box.results, turn.box.profile,
                              load_glossary(self.settings.knowledge_dir))
        body = write_answer(Plan("career"), results, mode)
        yield AnswerText(text=turn.grounder.feed(body) + turn.grounder.finish())
        turn.intent = "career"
        answer = yield from self._finish(turn, backend.label, text, mode, session_id, turn.grounder.flags)
        if session_id and question is not None:
            answer = yield from self._save(session_id, question, profile, answer, answer.recommendations, owner)
        yield TurnFinished(answer=answer)

    def plan_markdown(self, session_id: str, *, owner: str = LOCAL) -> str:
        """`owner`'s session exported as Markdown: the conversation, then the personal plan."""
        return export_session(self.store, session_id, lambda profile: personal_plan(self.knowledge, profile), owner)


def answer_contents(history: list[Message]) -> list[dict[str, Any]]:
    """What each earlier answer contained (its type, the fields it recommended and talked about), oldest first:
    what later turns point at ("the first one you said", "those three", "at the start")."""
    return [{"intent": m.meta.get("intent", ""), "recommendations": list(m.meta.get("recommendations") or []),
             "fields": list(m.meta.get("fields") or m.meta.get("recommendations") or [])}
            for m in history if m.role == "assistant"]


def settle(events: Iterator[Event]) -> Answer:
    """Run a turn's events to the end and return its `Answer`."""
    for event in events:
        if isinstance(event, TurnFinished):
            return event.answer
    raise RuntimeError("the turn ended without an answer")


def _short(exc: BaseException) -> str:
    text = redact(f"{type(exc).__name__}: {exc}")  # an error body may echo the request's Authorization header
    return text if len(text) <= 160 else text[:157] + "..."
