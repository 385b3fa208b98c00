"""What each control of the page does, on the shared conversation service. Handlers take and return plain
values (and the tab's `Conversation`); `app.py` wires them to components. Errors a person can fix become
`gr.Error` with the advisor's own message, HTML-escaped; a fault of the store or anything else is logged and
shown as a short apology, never a trace or a path.

Every conversation belongs to an owner (`advisor.storage.owners`): the logged-in user, or "local" without a
login. A tab's `Conversation` carries its owner; handlers that may start one read the owner from the request.
Nothing here names another owner's conversation: a wrong code is "not found", nothing more. The plan is
downloaded as text made on request from the store; no file is written anywhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import gradio as gr

from advisor.chat.export import export_plan_document, one_line, plan_document, with_names
from advisor.chat.service import MAX_MESSAGE_CHARS, MessageError
from advisor.chat.store import LOCAL, SessionError
from advisor.interfaces.web.chart import chart_html, moves_markdown
from advisor.interfaces.web.chat_view import Conversation, TurnView, resume
from advisor.interfaces.web.escape import markdown_text, text
from advisor.interfaces.web.explain_view import explanation_html
from advisor.interfaces.web.notes import note_html, readable_errors, readable_stream
from advisor.interfaces.web.plan_view import (
    ProfileForm,
    planned_readings,
    reading_label,
    readings_html,
    recommendations_for,
    recommendations_html,
)
from advisor.interfaces.web.sources_view import search_html, sources_html
from advisor.knowledge.explain import explain_rank, rank_moves
from advisor.knowledge.profile import Profile
from advisor.knowledge.ranking import DEFAULT_WEIGHTS, FACTORS, Ranking, check_weights, rank_fields, scenario_overrides

if TYPE_CHECKING:
    from advisor.chat.service import ConversationService

log = logging.getLogger("advisor.web")
__all__ = ["STARTERS", "WebHandlers", "check_message", "readable_errors", "readable_stream"]
STARTERS = [
    "I'm a backend engineer with 6 months of runway and I like interpretability. What should I work on?",
    "Why is scalable oversight ranked first?",
    "What if automated eval generation works?",
]
MAX_QUERY_CHARS = 500
STREAM_EVERY = 0.04  # seconds between screen updates while an answer streams


def check_message(message: str) -> None:
    """The service's limits, said as the page says them (the service checks again)."""
    length = len(message.strip())
    if not length:
        raise MessageError("Type a message first: tell me about yourself, or ask about a field or a reading.")
    if length > MAX_MESSAGE_CHARS:
        raise MessageError(f"Your message is {length:,} characters; I read up to {MAX_MESSAGE_CHARS:,} at a time. "
                           f"Please shorten it by {length - MAX_MESSAGE_CHARS:,}, or send it in two parts.")


ZERO_WEIGHTS = ("Every factor is at 0, so nothing would set the fields apart. The chart keeps your last ranking: "
                "raise any factor above 0.")


class WebHandlers:
    """The page's behaviour over one shared `ConversationService` (one per process, many tabs)."""

    def __init__(self, service: ConversationService, login_owner: Callable[[str], str] | None = None) -> None:
        self.service = service
        self.knowledge = service.knowledge
        self.store = service.store
        if login_owner is None:
            from advisor.storage.owners import Owners

            login_owner = Owners(service.settings.home).web_user
        self.login_owner = login_owner

    # --- whose conversation --------------------------------------------------------------------------------

    def owner(self, request: gr.Request | None) -> str:
        """The owner of what this request does: the logged-in user's, or the local owner without a login."""
        user = getattr(request, "username", None) if request is not None else None
        return self.login_owner(user) if user else LOCAL

    def conversation(self, conv: Conversation | None, request: gr.Request | None) -> Conversation:
        """The tab's conversation, or a new one of the request's owner (also when the login changed)."""
        owner = self.owner(request)
        if conv is None or conv.owner != owner:
            return self.fresh(owner)
        return conv

    # --- the chat ------------------------------------------------------------------------------------------

    def chat_outputs(self, conv: Conversation, status: str) -> tuple[Any, ...]:
        import gradio as gr

        # an empty conversation shows its example starts inside the chat (the welcome), not below it
        items = (conv.followups or STARTERS)[:3] if conv.messages else []
        buttons = [gr.update(value=items[i], visible=True) if i < len(items) else gr.update(visible=False)
                   for i in range(3)]
        return (conv.messages, sources_html(conv.sources), *buttons, self.understood(conv), status, conv)

    def thumbs(self, conv: Conversation | None) -> Any:
        """The thumbs given earlier, shown again on a resumed (or cleared on a new) conversation; the page keeps
        them itself as they are clicked."""
        import gradio as gr

        return gr.update(feedback_value=conv.thumbs() if conv else [])

    def understood(self, conv: Conversation) -> str:
        return f"**What I understood about you:** {markdown_text(with_names(conv.understood, self.knowledge))}"

    def ask(self, message: str, mode: str, conv: Conversation | None,
            request: gr.Request | None = None) -> Iterator[tuple[Any, ...]]:
        """One turn, streamed: yields (message box, *chat outputs) as grounded text arrives."""
        check_message(message)
        conv = self.conversation(conv, request)
        events = self.service.ask(conv.session, message, mode, owner=conv.owner)
        first = next(events)  # validates the message and the mode before anything is shown
        view = TurnView(conv, message.strip())
        view.apply(first)
        backend = self.service.backend.label
        yield ("", *self.chat_outputs(conv, "Thinking…"))
        last = time.perf_counter()
        for event in events:
            if view.apply(event) and time.perf_counter() - last >= STREAM_EVERY:
                last = time.perf_counter()
                yield ("", *self.chat_outputs(conv, "Writing…"))
        yield ("", *self.chat_outputs(conv, view.status(backend)))

    def fresh(self, owner: str = LOCAL) -> Conversation:
        return Conversation(owner=owner)

    def start(self, conv: Conversation | None, saved: str | None = None,
              request: gr.Request | None = None) -> tuple[Any, ...]:
        """A tab opened: the conversation whose code the page kept (in its address or the browser's storage) if it
        is one of this owner's, else a new one."""
        conv = self.conversation(conv, request)
        code = (saved or "").strip()
        if code and not conv.messages:
            with suppress(SessionError):  # gone, or someone else's: a new one, and nothing said about that code
                conv = self._resumed(self.store.require(code, owner=conv.owner), conv.owner)
        status = f"Welcome back: your conversation is below ({len(conv.messages)} messages)." if conv.messages else ""
        return (*self.chat_outputs(conv, status), self.session_note(conv), gr.update(interactive=True))

    def new_conversation(self, request: gr.Request | None = None) -> tuple[Any, ...]:
        conv = self.fresh(self.owner(request))
        return (*self.chat_outputs(conv, "New conversation started."), self.session_note(conv), "")

    def resume(self, code: str, request: gr.Request | None = None) -> tuple[Any, ...]:
        """One of the request owner's conversations, by its code; any other code is "not found"."""
        owner = self.owner(request)
        if not code.strip():
            raise SessionError("Enter the code of the conversation to resume (shown under the chat).")
        try:
            name = self.store.require(code, owner=owner)
        except SessionError:
            raise SessionError("No conversation with that code was found.") from None
        conv = self._resumed(name, owner)
        return (*self.chat_outputs(conv, f"Resumed {len(conv.messages)} messages."), self.session_note(conv), "")

    def _resumed(self, name: str, owner: str) -> Conversation:
        conv = resume(name, self.store.messages(name, owner=owner), owner)
        conv.understood = self.store.profile(name, owner=owner).describe()
        return conv

    def code_line(self, conv: Conversation) -> str:
        """The conversation's code, always in sight, with a copy button; the page also keeps it in its address."""
        code = text(conv.session)
        return (f"<div class='adv-code-line'>Your conversation code: <code id='adv-code' data-code='{code}'>{code}"
                f"</code> <button type='button' class='adv-copy' data-copy='{code}'>"
                "Copy</button> <span class='muted'>Keep it to come back to this conversation; this page's address "
                "holds it too.</span></div>")

    def my_conversations(self, request: gr.Request | None = None) -> str:
        """The logged-in user's own conversations (never anyone else's); without a login there is no list."""
        if getattr(request, "username", None) is None:
            return ("Without a login, a conversation is reached only by its code: keep the code shown under the "
                    "chat. (With a login, ADVISOR_UI_AUTH or an API token, your conversations are listed here.)")
        rows = self.store.list(owner=self.owner(request))
        if not rows:
            return "You have no saved conversations yet."
        lines = ["| code | messages | last changed |", "|---|---|---|"]
        lines += [f"| `{one_line(r.name)}` | {r.messages} | {one_line(r.updated)[:16].replace('T', ' ')} |"
                  for r in rows[:50]]
        return "\n".join(lines)

    def session_note(self, conv: Conversation) -> str:
        return (f"This conversation is saved as `{conv.session}`. To come back to it later, enter that code "
                "under *Resume a conversation*.")

    def search(self, query: str, kind: str) -> str:
        """The sources (essay, field cards, readings, assessments, the user's own documents) searched as
        `advisor search` does."""
        query = query.strip()
        if not query:
            raise SessionError("Type what to search for.")
        if len(query) > MAX_QUERY_CHARS:
            raise SessionError(f"The search is {len(query)} characters; the limit is {MAX_QUERY_CHARS}.")
        kinds = None if kind == "everything" else [kind]
        hits = self.service.retriever().search(query, k=6, kinds=kinds)
        return search_html(query, [asdict(h) for h in hits])

    # --- feedback ------------------------------------------------------------------------------------------

    def feedback(self, conv: Conversation | None, index: int | list[int] | tuple[int, ...],
                 liked: bool | str) -> tuple[Any, ...]:
        """A thumbs up or down on an answer: stored with that turn at once; a comment may follow."""
        import gradio as gr

        if conv is None:
            raise SessionError("There is no answer to rate yet.")
        at = index[0] if isinstance(index, list | tuple) else index
        turn = conv.turn_at(int(at))
        if turn is None or liked not in (True, False):
            return gr.update(visible=False), "", conv
        rating = "up" if liked is True else "down"
        self.store.set_feedback(conv.session, turn, rating, owner=conv.owner)
        conv.rate(turn, rating)
        note = (f"Thanks: {'👍' if rating == 'up' else '👎'} saved with answer {turn}. "
                "Add a comment if you like (optional).")
        return gr.update(visible=True), note, conv

    def feedback_comment(self, conv: Conversation | None, comment: str) -> tuple[Any, ...]:
        import gradio as gr

        rating = conv.ratings.get(conv.feedback_turn) if conv and conv.feedback_turn is not None else None
        if conv is None or conv.feedback_turn is None or rating is None:
            raise SessionError("Rate an answer with 👍 or 👎 first, then add your comment.")
        self.store.set_feedback(conv.session, conv.feedback_turn, rating, comment, owner=conv.owner)
        return gr.update(visible=False), f"Comment saved with answer {conv.feedback_turn}. Thank you.", "", conv

    def rate(self, conv: Conversation | None, turn: float, rating: str, comment: str | None) -> tuple[Any, ...]:
        """Feedback without the thumbs (the API): "up" or "down", and an optional comment, for answer `turn`."""
        if conv is None:
            raise SessionError("There is no answer to rate yet.")
        self.store.set_feedback(conv.session, int(turn), rating, comment or "", owner=conv.owner)
        conv.rate(int(turn), rating)
        return f"Feedback saved with answer {int(turn)}.", conv

    # --- the ranking ---------------------------------------------------------------------------------------

    def ranking(self, weights: list[float], scenarios: list[str]) -> tuple[Ranking, list[str]]:
        table = check_weights({f.name: float(w) for f, w in zip(FACTORS, weights, strict=True)})
        changes = [f"{f.label} weighs {table[f.name]:g} (default {f.default_weight:g})" for f in FACTORS
                   if table[f.name] != DEFAULT_WEIGHTS[f.name]]
        changes += [f"what-if: {self.knowledge.scenario(s).name}" for s in scenarios]
        return rank_fields(self.knowledge, table, scenario_overrides(self.knowledge, scenarios)), changes

    def redraw(self, fq: float, ei: float, rt: float, hi: float, scenarios: list[str] | None,
               selected: str | None) -> tuple[Any, ...]:
        """The chart, what moved and why, the selected field's explanation, the "ask about this change" button and
        the tab's note, under these weights. With every weight at 0 the chart stays as it was and the note says
        why."""
        import gradio as gr

        if not any(float(w or 0) > 0 for w in (fq, ei, rt, hi)):
            return gr.skip(), gr.skip(), gr.skip(), gr.update(interactive=False), note_html(ZERO_WEIGHTS)
        ranking, changes = self.ranking([fq, ei, rt, hi], scenarios or [])
        baseline = rank_fields(self.knowledge)
        moves = rank_moves(baseline, ranking, self.service.prompts)
        chart = chart_html(self.knowledge, ranking, moves if changes else None, selected)
        explanation = self._explain(selected, ranking) if selected else ""
        return (chart, moves_markdown(self.knowledge, moves, changes, baseline, ranking), explanation,
                gr.update(interactive=bool(changes)), "")

    def select_field(self, field: str | None, fq: float, ei: float, rt: float, hi: float,
                     scenarios: list[str] | None) -> tuple[Any, ...]:
        chart, _, explanation, _, _ = self.redraw(fq, ei, rt, hi, scenarios, field)
        return field, chart, explanation

    def _explain(self, field: str, ranking: Ranking) -> str:
        return explanation_html(explain_rank(self.knowledge, field, ranking, self.service.prompts))

    def change_question(self, fq: float, ei: float, rt: float, hi: float, scenarios: list[str] | None,
                        selected: str | None) -> str:
        """A question for the chat about the current what-if, in plain words: what it would mean for the person
        and, for the field picked (or the one that moved most), why it moves."""
        if not any(float(w or 0) > 0 for w in (fq, ei, rt, hi)):
            raise SessionError(ZERO_WEIGHTS)
        ranking, changes = self.ranking([fq, ei, rt, hi], scenarios or [])
        if not changes:
            raise SessionError("Move a weight or pick a what-if first; then ask about the change.")
        moves = rank_moves(rank_fields(self.knowledge), ranking, self.service.prompts)
        weights = dict(zip((f.name for f in FACTORS), (fq, ei, rt, hi), strict=True))
        parts = [f"{f.label} counted {weights[f.name]:g} instead of {f.default_weight:g}" for f in FACTORS
                 if weights[f.name] != f.default_weight]
        parts += [self.knowledge.scenario(s).name.removeprefix("If ").removeprefix("if ") for s in scenarios or []]
        question = "What if " + ", and ".join(parts) + "? What would that change for me?"
        focus = selected or next((m.field_id for m in sorted(moves.values(), key=lambda m: abs(m.new_rank - m.old_rank),
                                                             reverse=True) if m.old_rank != m.new_rank), None)
        if focus:
            m = moves[focus]
            name = self.knowledge.field(focus).name
            question += (f" And why does {name} move from #{m.old_rank} to #{m.new_rank}?" if m.old_rank != m.new_rank
                         else f" And what happens to {name}?")
        return question

    # --- profile and plan ----------------------------------------------------------------------------------

    def plan_outputs(self, conv: Conversation, profile: Profile) -> tuple[Any, ...]:
        """Recommendations, the reading list (ticked where read), its progress, the summary."""
        import gradio as gr

        recs = recommendations_for(self.knowledge, profile)
        plan = planned_readings(self.knowledge, profile, recs)
        done = [p.url for p in plan if p.url in profile.readings_done]
        ticks = gr.update(choices=[(reading_label(p), p.url) for p in plan], value=done)
        return (recommendations_html(self.knowledge, profile, recs), ticks, readings_html(self.knowledge, plan, done),
                self.understood(conv), conv)

    def load_profile(self, conv: Conversation | None, request: gr.Request | None = None) -> tuple[Any, ...]:
        """The profile form filled from the session, and the plan beside it."""
        conv = self.conversation(conv, request)
        profile = self.store.profile(conv.session, owner=conv.owner)
        return (*ProfileForm.of(profile).values(), *self.plan_outputs(conv, profile), self.code_line(conv))

    def save_profile(self, conv: Conversation | None, interests: list[str] | None, dislikes: list[str] | None,
                     skills: str | None, background: str | None, runway_months: float | None,
                     hours_per_week: float | None, location: str | None, needs_salary: bool | None,
                     risk_appetite: str | None, fit_weight: float | None, lacks: str | None = None,
                     request: gr.Request | None = None) -> tuple[Any, ...]:
        """The form, saved as the session's profile; the recommendations beside it follow."""
        conv = self.conversation(conv, request)
        form = ProfileForm(list(interests or []), list(dislikes or []), skills or "", background or "", runway_months,
                           hours_per_week, location or "", bool(needs_salary), risk_appetite or "not said",
                           0.5 if fit_weight is None else float(fit_weight), lacks or "")
        profile = form.apply(self.store.profile(conv.session, owner=conv.owner))
        self._save(conv, profile)
        return self.plan_outputs(conv, profile)

    def tick_readings(self, conv: Conversation | None, ticked: list[str] | None,
                      request: gr.Request | None = None) -> tuple[Any, ...]:
        """Readings ticked as read (or unticked): the plan's progress and next reading follow."""
        conv = self.conversation(conv, request)
        profile = self.store.profile(conv.session, owner=conv.owner)
        recs = recommendations_for(self.knowledge, profile)
        shown = {p.url for p in planned_readings(self.knowledge, profile, recs)}
        done = [u for u in profile.readings_done if u not in shown] + [u for u in ticked or [] if u in shown]
        profile = profile.model_copy(update={"readings_done": done})
        self._save(conv, profile)
        return self.plan_outputs(conv, profile)

    def _save(self, conv: Conversation, profile: Profile) -> None:
        self.store.save_state(conv.session, profile, self.store.focus(conv.session, owner=conv.owner),
                              owner=conv.owner)
        conv.understood = profile.describe()

    def plan_markdown(self, conv: Conversation | None, request: gr.Request | None = None) -> str:
        """The Markdown export (the conversation and the personal plan) for "download my plan": made from the
        store when asked, and handed to the page as text (the page saves it; nothing is written on the server)."""
        conv = self.conversation(conv, request)
        if self.store.exists(conv.session, owner=conv.owner):
            return export_plan_document(self.store, conv.session, self.knowledge, owner=conv.owner)
        # nothing said yet: the plan alone, without creating a session
        return plan_document(self.knowledge, self.store.profile(conv.session, owner=conv.owner), [])
