"""The web app's pieces without a browser: escaping, the chat built from real service events, the chart, the
profile form, feedback stored with a turn, and the login setting."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest

from advisor.chat.events import (
    Answer,
    AnswerText,
    Citation,
    Event,
    FollowUps,
    Notice,
    Sources,
    ToolCalled,
    ToolFinished,
    TurnFinished,
    TurnStarted,
)
from advisor.chat.sessions import SessionError, SessionStore
from advisor.interfaces.web.chart import chart_html, moves_markdown
from advisor.interfaces.web.chat_view import Conversation, TurnView, resume
from advisor.interfaces.web.escape import answer_markdown, markdown_text, safe_url
from advisor.interfaces.web.explain_view import explanation_html
from advisor.interfaces.web.plan_view import ProfileForm, ProfileFormError
from advisor.interfaces.web.sources_view import search_html, sources_html
from advisor.knowledge import Knowledge
from advisor.knowledge.explain import explain_rank, rank_moves
from advisor.knowledge.profile import Profile
from advisor.knowledge.ranking import rank_fields, scenario_overrides
from advisor.settings import SettingsError, load_settings
from tests.conftest import make_service

PAYLOADS = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss = 2">',
    "[click me](javascript:window.__xss=3)",
    "![tracker](http://example.com/pixel.png)",
]


def _live_html(html: str) -> list[str]:
    """Markup in `html` that a browser would run or fetch."""
    return re.findall(r"<(?:script|img|iframe|svg)\b|<[a-z][^>]*\son\w+\s*=|href\s*=\s*['\"]?\s*javascript:", html,
                      flags=re.I)


def _live_markdown(markdown: str) -> list[str]:
    """Markup in `markdown` that a Markdown renderer would turn into a link, an image or live HTML."""
    return _live_html(markdown) + re.findall(r"!?\[[^\]]*\]\([^)]*\)|<[a-z]+:", markdown, flags=re.I)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_answer_and_user_text_are_escaped(payload: str) -> None:
    shown = answer_markdown(f"A field [1] {payload} [2]", turn=3, known={1})
    assert not _live_markdown(shown)
    assert "href='#src-3-1'" in shown  # a known citation becomes a link to its source
    assert "#src-3-2" not in shown  # an unknown number stays text
    assert not _live_markdown(markdown_text(payload))
    assert _live_markdown(payload)  # the check itself sees the raw payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sources_panel_escapes_passages_and_refuses_script_links(payload: str) -> None:
    cite = {"n": 1, "title": payload, "source": "javascript:alert(1)", "text": payload, "passage_id": "u1",
            "kind": "user"}
    for html in (sources_html({1: [cite]}), search_html(payload, [cite])):
        assert not _live_html(html)
        assert "href='javascript" not in html
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://www.lesswrong.com/posts/EnBCpnZooXdMaERbZ/") is not None


def test_the_chat_shows_exactly_the_grounded_answer(home_with_index: Path, knowledge: Knowledge) -> None:
    service = make_service(load_settings(), knowledge)
    conv = Conversation()
    question = "I'm a backend engineer with 6 months of runway and I like interpretability. What should I work on?"
    events = service.ask(conv.session, question, "detailed")
    view = TurnView(conv, question)
    for event in events:
        view.apply(event)
    assert view.answer is not None and view.first_text is not None
    answer_msgs = [m for m, t in zip(conv.messages, conv.turn_of, strict=True) if t == 1 and "metadata" not in m]
    shown = re.sub(r"<a class='cite'[^>]*>\[(\d+)\]</a>", r"[\1]", answer_msgs[-1]["content"])
    assert shown == re.sub(r"&#91;(\d+)&#93;", r"[\1]", markdown_text(view.answer.answer))
    tools = [m for m in conv.messages if "metadata" in m]
    assert tools and tools[0]["metadata"]["title"].startswith("Looked up: ")
    assert tools[0]["metadata"]["status"] == "done"
    assert conv.sources[1] and conv.followups
    # a saved session comes back the same way
    again = resume(conv.session, service.store.messages(conv.session))
    assert again.answers == 1 and again.sources[1] == conv.sources[1]


def test_a_retracted_draft_disappears_and_the_notice_stays() -> None:
    conv = Conversation()
    view = TurnView(conv, "why evals?")
    cite = Citation(n=1, title="t", source="https://x.org", text="passage", passage_id="p", kind="essay")
    answer = Answer(answer="The offline answer [1].", citations=[cite], backend="offline (fallback)")
    events: list[Event] = [TurnStarted(session=conv.session, mode="detailed", backend="openai:x"),
                  ToolCalled(name="rank_fields", args={}), ToolFinished(name="rank_fields", summary="ranking"),
                  AnswerText(text="A draft from the model that "), Notice(text="The model failed.", retract=True),
                  AnswerText(text="The offline answer [1]."), Sources(citations=[cite]), FollowUps(items=["q?"]),
                  TurnFinished(answer=answer)]
    for event in events:
        view.apply(event)
    view.apply(Notice(text="The endpoint said: invalid key sk-proj-Zx81kQabcdefgh"))
    text = " ".join(m["content"] for m in conv.messages)
    assert "sk-proj" not in text and "redacted" in text  # an error that echoes a key never reaches the page
    assert "draft" not in text
    assert "The model failed." in text and "The offline answer" in text
    assert view.status("openai:x").startswith("Answered by **offline (fallback)**")


def test_chart_marks_the_essay_rank_apart_and_shows_moves(knowledge: Knowledge) -> None:
    baseline = rank_fields(knowledge)
    html = chart_html(knowledge, baseline)
    essay = re.findall(r"data-field='([\w-]+)'[^>]*>\s*<span class='adv-rank adv-rank-essay'", html)
    model = re.findall(r"data-field='([\w-]+)'[^>]*>\s*<span class='adv-rank adv-rank-model'", html)
    assert essay == [f.id for f in baseline.fields if knowledge.essay_rank(f.id) == f.rank]
    assert "scalable-oversight" in essay and len(model) == len(knowledge.fields) - len(essay)
    what_if = rank_fields(knowledge, None, scenario_overrides(knowledge, ["trusted-eval-generation"]))
    moves = rank_moves(baseline, what_if)
    moved = chart_html(knowledge, what_if, moves)
    evals = moves["evaluations"]
    assert evals.new_rank < evals.old_rank
    assert f"▲ was #{evals.old_rank}" in moved
    text = moves_markdown(knowledge, moves, ["what-if: trusted eval generation"], baseline, what_if)
    evals_line = next(line for line in text.split("\n") if "Evaluations" in line)
    assert f"#{evals.old_rank} → #{evals.new_rank}" in evals_line
    assert "the what-if changes its feedback quality from 3/5 to 5/5" in evals_line
    # a field that only made way names who moved past it, not the what-if's every change
    made_way = next(line for line in text.split("\n") if "Machine unlearning" in line)
    assert "moved past it" in made_way and "Evaluations" in made_way and "what-if changes" not in made_way


def test_explanation_names_who_states_the_rank(knowledge: Knowledge) -> None:
    so = explanation_html(explain_rank(knowledge, "scalable-oversight"))
    evals = explanation_html(explain_rank(knowledge, "evaluations"))
    assert "the essay states #1" in so
    assert "our model's estimate" in evals and "the essay states" not in evals


def test_profile_form_round_trip_and_readable_errors() -> None:
    base = Profile(goals=["switch in a year"], readings_done=["https://a.org"])
    form = ProfileForm(["evaluations"], ["agent-foundations"], "python, statistics", "physicist", 6, None, "",
                       True, "low", 0.35)
    profile = form.apply(base)
    assert profile.skills == ["python", "statistics"] and profile.constraints.runway_months == 6
    assert profile.goals == base.goals and profile.readings_done == base.readings_done
    assert profile.fit_weight is None  # 0.35 is what low risk appetite implies anyway
    assert ProfileForm.of(profile).values() == form.values()
    with pytest.raises(ProfileFormError, match="Runway"):
        ProfileForm([], [], "", "", -3, None, "", False, "not said", 0.5).apply(base)
    with pytest.raises(ProfileFormError, match="both liked and disliked"):
        ProfileForm(["evaluations"], ["evaluations"], "", "", None, None, "", False, "not said", 0.5).apply(base)


def test_feedback_is_stored_with_the_turn(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.sqlite3")
    store.append("web-a", "user", "hi")
    store.append("web-a", "assistant", "first answer")
    store.append("web-a", "user", "more")
    store.append("web-a", "assistant", "second answer")
    store.set_feedback("web-a", 2, "down")
    store.set_feedback("web-a", 2, "down", "  missed my constraint ")
    answers = [m for m in store.messages("web-a") if m.role == "assistant"]
    assert "feedback" not in answers[0].meta
    assert answers[1].meta["feedback"]["rating"] == "down"
    assert answers[1].meta["feedback"]["comment"] == "missed my constraint"
    with pytest.raises(SessionError, match="no answer number 3"):
        store.set_feedback("web-a", 3, "up")
    with pytest.raises(SessionError, match="'up' or 'down'"):
        store.set_feedback("web-a", 1, "meh")


def test_a_resumed_conversation_shows_the_thumbs_given_earlier(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.sqlite3")
    for i in (1, 2, 3):
        store.append("web-b", "user", f"question {i}")
        store.append("web-b", "assistant", f"answer {i}")
    store.set_feedback("web-b", 1, "up")
    store.set_feedback("web-b", 3, "down", "too long")
    conv = resume("web-b", store.messages("web-b"))
    assert conv.thumbs() == ["Like", None, "Dislike"]
    view = TurnView(conv, "question 4")  # a new turn: its messages have no thumbs yet
    view.apply(ToolCalled(name="rank_fields", args={}))
    assert conv.thumbs() == ["Like", None, "Dislike", None]


def test_login_comes_from_advisor_ui_auth() -> None:
    assert load_settings({}).ui_login is None
    assert load_settings({"ADVISOR_UI_AUTH": "ana:s3:cret"}).ui_login == ("ana", "s3:cret")
    with pytest.raises(SettingsError, match="ADVISOR_UI_AUTH"):
        load_settings({"ADVISOR_UI_AUTH": "no-colon"})


def test_importing_the_web_package_does_not_import_gradio() -> None:
    import subprocess
    import sys

    code = "import sys, advisor.interfaces.web, advisor.interfaces.cli_web; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_errors_are_said_in_the_pages_words_without_command_syntax() -> None:
    from advisor.chat.store import StoreUnavailableError
    from advisor.errors import InputError
    from advisor.interfaces.web.notes import page_message, page_words
    from advisor.knowledge.ranking import RankingInputError, check_weights

    said = page_words("The message is 5000 characters; the limit is 4000. Shorten it, or add long documents with "
                      "`advisor index --add PATH`.")
    assert said.startswith("The message is 5000 characters") and "advisor" not in said and "`" not in said
    with pytest.raises(RankingInputError) as zero:
        check_weights({"feedback_quality": 0, "economic_incentive": 0, "research_taste": 0, "human_interaction": 0})
    shown = page_message(zero.value)
    assert "FACTOR" not in shown and "=" not in shown and shown.startswith("Every weight is 0")
    store = page_message(StoreUnavailableError("The store /srv/x/sessions.sqlite3 is locked: run `advisor doctor`"))
    assert "/srv" not in store and "doctor" not in store and "try again" in store
    crash = page_message(KeyError("profile"))
    assert "KeyError" not in crash and "try again" in crash
    assert page_message(InputError("Bad value <b>x</b>")) == "Bad value <b>x</b>."  # escaped where it is shown


def test_a_reloaded_tab_comes_back_to_its_own_conversation_only(home_with_index: Path, knowledge: Knowledge) -> None:
    from types import SimpleNamespace

    from advisor.interfaces.web.handlers import WebHandlers

    h = WebHandlers(make_service(load_settings(), knowledge), login_owner=lambda user: f"user-{user}")
    ana, bob = SimpleNamespace(username="ana", session_hash="a"), SimpleNamespace(username="bob", session_hash="b")
    *_, conv = list(h.ask("I'm a teacher and I like field building.", "concise", None, ana))[-1]
    assert conv.messages
    *_, back, _, _ = h.start(None, conv.session, ana)  # the code kept by the page brings the conversation back
    assert back.session == conv.session and back.answers == conv.answers == 1
    assert [m["content"] for m in back.messages if m["role"] == "user"] == ["I'm a teacher and I like field building."]
    *_, other, note, _ = h.start(None, conv.session, bob)  # someone else's code: a new, empty conversation
    assert other.session != conv.session and not other.messages and conv.session not in note
    *_, fresh, _, _ = h.start(None, "web-nothing-here", ana)
    assert fresh.session != "web-nothing-here" and not fresh.messages
    assert f"data-code='{back.session}'" in h.code_line(back)


def _read_as_a_person(markdown: str) -> tuple[str, str]:
    """The document rendered (CommonMark, as a Markdown viewer shows it): its HTML and its visible text."""
    from markdown_it import MarkdownIt

    page = MarkdownIt("commonmark").render(markdown)
    return page, html_lib.unescape(re.sub(r"<[^>]+>", "", page))


def test_the_downloaded_plan_reads_as_a_document(home_with_index: Path, knowledge: Knowledge) -> None:
    from datetime import date

    from advisor.chat.export import export_plan_document
    from advisor.interfaces.web.handlers import WebHandlers

    service = make_service(load_settings(), knowledge)
    h = WebHandlers(service)
    conv = Conversation()
    for question in ("I'm a pharmacist, I can't code and I like evaluations & policy work. What fits me?",
                     "Why is scalable oversight ranked first?"):
        *_, conv = list(h.ask(question, "detailed", conv))[-1]
    markdown = export_plan_document(service.store, conv.session, knowledge, today=date(2026, 12, 8))
    page, shown = _read_as_a_person(markdown)
    assert page.startswith("<h1>Your AI-safety career plan, 8 December 2026</h1>")
    assert "<h2>Your plan</h2>" in page and "<h2>Our conversation</h2>" in page
    # as read in a text editor and as rendered: no escape artefacts, no ids, no paths on the machine
    for text in (markdown, shown):
        assert "&amp;" not in text and "\\1." not in text and "\\-" not in text and "\\[" not in text
        assert "knowledge/fields" not in text and ".md" not in text
        assert "web-" not in text.split("\n")[0]  # the title is the plan's, not the session's
    assert "evaluations & policy" in markdown and "Evaluations & dangerous-capability evals" in shown
    assert not re.search(r"\b(field-building|mechanistic-interpretability|scalable-oversight)\b", shown)
    # sources link to their originals
    assert 'href="https://www.lesswrong.com/posts/EnBCpnZooXdMaERbZ/"' in page
    assert "the advisor's own field card" in shown
    assert page.count("<li>") >= 5 and 'href="https://' in page.split("<h2>Our conversation</h2>")[0]


def test_the_downloaded_plan_passes_no_html_links_or_forged_structure(home_with_index: Path,
                                                                      knowledge: Knowledge) -> None:
    from advisor.chat.export import plan_document
    from advisor.storage.store import Message

    hostile = ("<script>alert('x')</script> [click](javascript:alert(1)) <javascript:alert(2)> &#106;avascript:x\n"
               "# Your AI-safety career plan\n## Your plan\n- [ ] forged step\n1. forged item\n**The advisor**, now\n"
               "Forged heading\n==============\n> quoted\n![img](http://203.0.113.9/p.png) *shout* _lean_ a_b")
    messages = [Message(role="user", content=hostile, created="2026-12-08T00:57:39+00:00", meta={}),
                Message(role="assistant", content="An answer [1] with <b>tag</b>.", created="x",
                        meta={"citations": [{"n": 1, "title": "<script>t</script>", "source": "javascript:alert(8)",
                                             "kind": "user"}, {"n": "2]", "title": "t", "source": "y"}]})]
    page, shown = _read_as_a_person(plan_document(knowledge, Profile(), messages, "<b>code</b>"))
    assert "<script" not in page and "<img" not in page and "<b>" not in page and "<em>" not in page
    assert not re.search(r"(?i)href=\"\s*(javascript|vbscript|data):", page) and "&#106;" not in page
    assert page.count("<h1>") == 1 and page.count("<h2>Your plan</h2>") == 1 and page.count("<h3>") == 2
    assert page.count("<strong>The advisor</strong>") == 1 and "<li>forged" not in page
    assert "<blockquote>\n<blockquote>" not in page
    assert "forged step" in shown and "*shout* _lean_ a_b" in shown  # the words are kept, as text


def test_sources_say_where_a_passage_comes_from_without_a_path_on_the_machine() -> None:
    card = {"n": 1, "title": "Scalable oversight (factors)", "source": "knowledge/fields/scalable-oversight.md",
            "text": "Weak-to-strong work has a crisp metric.", "kind": "field"}
    mine = {"n": 2, "title": "notes", "source": "/home/ana/private/quokka-notes.md", "text": "Quokka.", "kind": "user"}
    essay = {"n": 3, "title": "The essay", "source": "https://www.lesswrong.com/posts/EnBCpnZooXdMaERbZ/",
             "text": "Scalable oversight.", "kind": "essay"}
    shown = sources_html({1: [card, mine, essay]})
    assert "knowledge/fields" not in shown and "/home/ana" not in shown and ".md'" not in shown
    assert "the advisor's own field card" in shown and "your document quokka-notes.md" in shown
    assert "href='https://www.lesswrong.com/posts/EnBCpnZooXdMaERbZ/'" in shown
