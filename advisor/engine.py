"""The conversation engine: one turn = plan, call tools, write with citations, check grounding, remember.

Every backend runs the same tools. The offline model and capable LLMs run inside a LangChain agent; a small
model is given the planner's tool results and only writes. When an LLM fails (timeouts, 429/5xx after the
client's retries with backoff, a dead endpoint), the turn is answered offline and says so; the user's
message is saved before anything can fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from advisor.config import Settings
from advisor.grounding import check_citations, check_essay_ranks, renumber
from advisor.knowledge import Knowledge
from advisor.models import Backend
from advisor.planner import Plan, plan_turn
from advisor.profile import load_lexicon
from advisor.prompts import render
from advisor.retrieve import Retriever, open_retriever
from advisor.sessions import SessionStore
from advisor.tools import Toolbox
from advisor.writer import Mode, followups, write_answer

MAX_MESSAGE_CHARS = 4000
HISTORY_MESSAGES = 10
Tokens = Callable[[str], None]


class MessageError(ValueError):
    """A message the advisor cannot take (empty, too long); nothing is lost."""


@dataclass
class Answer:
    answer: str
    citations: list[dict[str, Any]]
    backend: str
    profile: dict[str, Any]
    recommendations: list[str]
    followups: list[str]
    flags: list[str] = field(default_factory=list)
    intent: str = ""
    mode: str = "detailed"
    session: str = "default"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_message(message: str) -> str:
    text = message.strip()
    if not text:
        raise MessageError("The message is empty. Ask about a field, your career move, or readings.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageError(f"The message is {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}. "
                           "Shorten it, or add long documents with `advisor index --add PATH`.")
    return text


def _llm_errors() -> tuple[type[BaseException], ...]:
    import httpx
    import openai

    return (openai.OpenAIError, httpx.HTTPError, TimeoutError, ConnectionError)


class Advisor:
    def __init__(self, knowledge: Knowledge, settings: Settings, backend: Backend, session: str = "default",
                 mode: Mode = "detailed", store: SessionStore | None = None,
                 retriever_factory: Callable[[], Retriever] | None = None) -> None:
        self.knowledge = knowledge
        self.settings = settings
        self.backend = backend
        self.session = session
        self.mode = mode
        self.store = store or SessionStore(settings.sessions_db)
        self._retriever: Retriever | None = None
        self._retriever_factory = retriever_factory or (lambda: open_retriever(settings, knowledge))

    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = self._retriever_factory()
        return self._retriever

    def ask(self, message: str, on_token: Tokens | None = None) -> Answer:
        text = validate_message(message)
        self.store.append(self.session, "user", text)
        profile = self.store.profile(self.session)
        focus = self.store.focus(self.session)
        history = self.store.messages(self.session)[:-1]
        plan = plan_turn(text, self.knowledge, load_lexicon(self.settings.knowledge_dir), profile, focus)
        box = Toolbox(self.knowledge, self.retriever, profile)
        flags: list[str] = []
        backend_used = self.backend.label
        try:
            if self.backend.style == "offline":
                from advisor.offline_model import OfflineChatModel

                body = self._run_agent(OfflineChatModel(plan=plan, toolbox=box, mode=self.mode), box, text,
                                       None, [], None)
            elif self.backend.style == "tools":
                body = self._run_agent(self.backend.model, box, text, self._system_prompt(box, history),
                                       history, on_token)
            else:
                body = self._write(plan, box, text, on_token)
            if not body.strip():
                raise ValueError("the model returned an empty answer")
        except (*_llm_errors(), ValueError) as exc:  # type: ignore[misc]
            if self.backend.style == "offline":
                raise
            flags.append(render("fallback_notice", backend=self.backend.label, error=_short(exc)))
            box = Toolbox(self.knowledge, self.retriever, profile)
            body = self._offline(plan, box)
            backend_used = "offline (fallback)"

        box.profile = box.profile.merge(plan.profile_update)
        body, cited, citation_flags = check_citations(body, box.book)
        body, rank_flags = check_essay_ranks(body, self.knowledge)
        flags += citation_flags + rank_flags
        if not cited and self.backend.style != "offline" and len(box.book):
            flags.append("The model cited no sources; the sources it was given are listed.")
            cited = [s.n for s in box.book.all()]
        offline = self.backend.style == "offline" or backend_used == "offline (fallback)"
        # Offline answers are written whole, so their sources can be numbered 1, 2, 3 in reading order; an
        # LLM's answer was streamed with the numbers its tools gave, so those are kept.
        body, mapping = renumber(body, cited) if offline else (body, {n: n for n in cited})
        citations = [{**s.to_dict(), "n": mapping[n]} for n in cited if (s := box.book.get(n))]
        if offline and on_token:
            for word in re.split(r"(?<= )", body):
                on_token(word)
        recs = list(box.recommended)
        new_focus = recs or plan.fields or focus
        self.store.save_state(self.session, box.profile, new_focus)
        answer = Answer(body, citations, backend_used, box.profile.model_dump(), recs, followups(plan, box),
                        flags, plan.intent, self.mode, self.session)
        self.store.append(self.session, "assistant", body,
                          {"backend": backend_used, "citations": citations, "flags": flags, "intent": plan.intent,
                           "recommendations": recs})
        return answer

    def _offline(self, plan: Plan, box: Toolbox) -> str:
        for name, args in plan.calls:
            box.call(name, args)
        return write_answer(plan, box, self.mode)

    def _system_prompt(self, box: Toolbox, history: list[Any]) -> str:
        older = history[:-HISTORY_MESSAGES] if len(history) > HISTORY_MESSAGES else []
        summary = "; ".join(m.content[:120] for m in older if m.role == "user")
        return render("system", essay_title=self.knowledge.essay.title, essay_url=self.knowledge.essay.url,
                      mode_instructions=render(f"mode_{self.mode}"), profile=box.profile.describe(),
                      history_summary=render("history_summary", summary=summary) if summary else "")

    def _run_agent(self, model: Any, box: Toolbox, text: str, system: str | None, history: list[Any],
                   on_token: Tokens | None) -> str:
        from langchain.agents import create_agent
        from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

        agent = create_agent(model, tools=box.langchain_tools(), system_prompt=system)
        recent = history[-HISTORY_MESSAGES:]
        messages: list[Any] = [HumanMessage(m.content) if m.role == "user" else AIMessage(m.content) for m in recent]
        messages.append(HumanMessage(text))
        for _attempt in range(2):
            final: dict[str, Any] = {}
            for mode, payload in agent.stream({"messages": messages}, {"recursion_limit": 16},
                                              stream_mode=["messages", "values"]):
                if mode == "values":
                    final = payload if isinstance(payload, dict) else {}
                elif on_token:
                    chunk = payload[0]
                    if isinstance(chunk, AIMessageChunk) and isinstance(chunk.content, str) and chunk.content:
                        on_token(chunk.content)
            messages = list(final.get("messages", []))
            last = messages[-1] if messages else None
            if not isinstance(last, AIMessage):
                return ""
            if last.content or not last.invalid_tool_calls:
                return str(last.content)
            # Tool calls whose arguments did not parse: tell the model, once, and let it try again.
            messages += [ToolMessage(render("tool_call_invalid", name=call.get("name") or "?",
                                            error=call.get("error") or "not valid JSON"),
                                     tool_call_id=call.get("id") or f"invalid_{i}", status="error")
                         for i, call in enumerate(last.invalid_tool_calls)]
        return ""

    def _write(self, plan: Plan, box: Toolbox, text: str, on_token: Tokens | None) -> str:
        from langchain_core.messages import HumanMessage

        draft = self._offline(plan, box)
        prompt = render("writer", mode_instructions=render(f"mode_{self.mode}"), profile=box.profile.describe(),
                        tool_results="\n\n".join(r.text for r in box.results) or "(none)", draft=draft,
                        message=text)
        parts = []
        for chunk in self.backend.model.stream([HumanMessage(prompt)]):
            token = str(chunk.content)
            parts.append(token)
            if on_token and token:
                on_token(token)
        return "".join(parts)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 160 else text[:157] + "..."
