"""The offline backend end to end: career chat, why-rank, readings, what-if, over several turns, with the
profile carried across turns, sessions resumed, exported and deleted."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from advisor.chat.events import Answer
from advisor.chat.grounding import essay_rank_violation, ground
from advisor.chat.service import MAX_MESSAGE_CHARS, MessageError
from advisor.chat.sources import SourceBook
from advisor.knowledge import Knowledge
from advisor.settings import Settings, load_settings
from tests.conftest import Chat, make_service

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def settings(home_with_index: Path) -> Settings:
    return load_settings({"ADVISOR_HOME": str(home_with_index)})


@pytest.fixture
def advisor(settings: Settings, knowledge: Knowledge) -> Chat:
    return Chat(make_service(settings, knowledge), "alice")


def cited_numbers(answer: Answer) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}


def assert_grounded(answer: Answer) -> None:
    """Every [n] in the text is a listed citation, numbered 1..m, and each carries its passage text."""
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert cited_numbers(answer) == set(numbers)
    assert all(c.text and c.title and c.source for c in answer.citations)


def test_career_chat_over_several_turns_keeps_the_profile(advisor: Chat, knowledge: Knowledge) -> None:
    first = advisor.ask("I'm a backend engineer with 6 months of runway and I like interpretability. "
                        "Which fields should I bet on?")
    assert first.intent == "career" and first.backend == "offline"
    assert "software engineer" in first.profile["background"]
    assert "mechanistic-interpretability" in first.profile["interests"]
    assert first.profile["constraints"]["runway_months"] == 6
    assert len(first.recommendations) == 3
    assert "automated-interpretability" in first.recommendations or "mechanistic-interpretability" in \
        first.recommendations
    assert_grounded(first)
    assert 2 <= len(first.followups) <= 3

    second = advisor.ask("I'm also risk-averse and I don't want to do policy.")
    assert second.profile["constraints"]["risk_appetite"] == "low"
    assert second.profile["constraints"]["runway_months"] == 6  # carried over
    assert "technical-governance" in second.profile["dislikes"]
    assert "technical-governance" not in second.recommendations


def test_why_rank_cites_the_essay_for_the_one_rank_it_gives(advisor: Chat) -> None:
    answer = advisor.ask("Why is scalable oversight ranked first?")
    assert answer.intent == "why_rank"
    assert f"#1 of {len(advisor.knowledge.fields)}" in answer.answer
    essay = [c for c in answer.citations if c.passage_id == "essay-22"]
    assert essay and "scalable oversight is just as important" in essay[0].text
    assert_grounded(answer)


def test_why_rank_for_a_field_the_essay_does_not_rank_says_it_is_our_model(advisor: Chat) -> None:
    answer = advisor.ask("why is compute governance where it is?")
    assert "our model's estimate" in answer.answer
    assert not any(essay_rank_violation(s, advisor.knowledge) for s in answer.answer.split(". "))


def test_readings_follow_the_conversation_and_skip_what_was_read(advisor: Chat) -> None:
    advisor.ask("Why is mech interp ranked where it is?")
    plan = advisor.ask("What should I read for it?")
    assert plan.intent == "readings"
    urls = [c.source for c in plan.citations]
    assert "https://distill.pub/2020/circuits/zoom-in/" in urls
    levels = re.findall(r"; (intro|intermediate|advanced), about", plan.answer)
    assert levels == sorted(levels, key=["intro", "intermediate", "advanced"].index)
    after = advisor.ask("I've read Zoom In: An Introduction to Circuits. What should I read on mech interp now?")
    assert "https://distill.pub/2020/circuits/zoom-in/" in after.profile["readings_done"]
    assert "https://distill.pub/2020/circuits/zoom-in/" not in [c.source for c in after.citations]


def test_what_if_trusting_eval_generation_moves_evals_and_says_why(advisor: Chat) -> None:
    answer = advisor.ask("What if automated eval generation works?")
    assert answer.intent == "what_if"
    moved = re.search(r"Evaluations & dangerous-capability evals moves from #(\d+) to #(\d+), because results are "
                      r"easy to check", answer.answer)
    assert moved and int(moved.group(2)) < int(moved.group(1))  # more exposed, and why, in words
    assert "instead of" not in answer.answer  # no internal scores in prose
    weights = advisor.ask("what if labs had no reason to automate safety research?")
    assert weights.intent == "what_if" and "economic incentive counts less" in weights.answer
    assert weights.answer.count("economic incentive") == 1  # the shared reason is said once
    assert any(c.passage_id == "essay-21" for c in answer.citations)


def test_compare_and_essay_questions(advisor: Chat) -> None:
    compare = advisor.ask("mech interp vs field building: which is the better bet?")
    assert compare.intent == "compare" and "Field building is the safer bet against automation" in compare.answer
    essay = advisor.ask("What does the essay's author say about ML4Good?")
    assert essay.intent == "essay"
    assert any("ML4Good" in c.text for c in essay.citations)
    second = advisor.ask("What does the essay rank second?")
    assert second.intent == "essay" and second.answer.startswith("The essay does not give that position")
    assert "lost when the post was scraped" in second.answer and "#2" not in second.answer


def test_what_the_essay_gives_no_numbers_or_name_for_is_said_plainly(advisor: Chat) -> None:
    odds = advisor.ask("does the author put a percentage chance on each area being automated?")
    assert odds.intent == "essay" and odds.answer.startswith("The essay does not give probabilities")
    source = advisor.ask("which post from january was the author pointing people to?")
    assert source.answer.startswith("The essay does not name it")
    assert_grounded(source)
    cited = {c.passage_id.split("-")[0] for c in source.citations}
    assert {"essay", "fact"} <= cited, "the essay's own words and the public fact about it, each cited"


def test_follow_ups_in_everyday_words(advisor: Chat) -> None:
    advisor.ask("I'm a school librarian who loves helping people find things. What should I look at?")
    both = advisor.ask("so which of those two at the top is harder to automate?")
    compared = [e.args["fields"] for e in advisor.events if getattr(e, "type", "") == "tool_called"
                and e.name == "compare_fields"]
    assert both.intent == "compare" and compared and len(compared[0]) == 2
    assert advisor.ask("why do you reckon the first one fits me?").intent == "why_fit"
    assert advisor.ask("ok and what else are you able to do?").intent == "help"
    assert advisor.ask("any decent fantasy novels for the train?").intent == "off_topic"


def test_modes_change_the_answer(settings: Settings, knowledge: Knowledge) -> None:
    q = "Why is evals ranked where it is?"
    concise = Chat(make_service(settings, knowledge), "m1", "concise").ask(q)
    detailed = Chat(make_service(settings, knowledge), "m2", "detailed").ask(q)
    newcomer = Chat(make_service(settings, knowledge), "m3", "newcomer").ask(q)
    assert len(concise.answer) < len(detailed.answer)
    assert "Another view: Jan Wehner" in detailed.answer and "Another view" not in concise.answer
    assert "- feedback quality: how easy it is to check" in newcomer.answer  # the terms it used, defined


def test_off_topic_and_bad_messages(advisor: Chat) -> None:
    assert advisor.ask("what's a good pasta recipe?").intent == "off_topic"
    with pytest.raises(MessageError, match="empty"):
        advisor.ask("   ")
    with pytest.raises(MessageError, match="limit"):
        advisor.ask("x" * (MAX_MESSAGE_CHARS + 1))


def test_sessions_resume_list_export_and_delete(settings: Settings, knowledge: Knowledge, run_cli: RunCli,
                                                tmp_path: Path) -> None:
    Chat(make_service(settings, knowledge), "bob").ask(
        "I'm a physicist and I like agent foundations. What do you recommend?")
    resumed = Chat(make_service(settings, knowledge), "bob")
    answer = resumed.ask("What should I read first?")
    assert "physicist" in answer.profile["background"]
    assert any("agent" in c.title.lower() or "embedded" in c.title.lower() for c in answer.citations)

    code, out, _ = run_cli("sessions", "list", "--json")
    assert code == 0 and {"name": "bob"}.items() <= next(r for r in json.loads(out) if r["name"] == "bob").items()
    target = tmp_path / "bob.md"
    code, out, _ = run_cli("sessions", "export", "bob", "-o", str(target))
    text = target.read_text()
    assert code == 0 and "# Advisor session: bob" in text and "## Your plan" in text and "- [ ] " in text
    assert "I'm a physicist" in text
    assert run_cli("sessions", "delete", "bob")[0] == 0
    code, _, err = run_cli("sessions", "show", "bob")
    assert code == 2 and "No conversation named 'bob' was found" in err


def test_ask_json_has_the_promised_keys(run_cli: RunCli, home_with_index: Path) -> None:
    code, out, err = run_cli("ask", "I'm a teacher who likes community building. What fits me?", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {"answer", "citations", "backend", "profile", "recommendations", "followups"} <= set(data)
    assert data["backend"] == "offline" and data["recommendations"][0] == "field-building"
    assert all({"n", "title", "source", "text"} <= set(c) for c in data["citations"])


def test_recommend_cli_and_empty_message(run_cli: RunCli, home_with_index: Path) -> None:
    code, out, _ = run_cli("recommend", "--about", "economist with a year of savings, likes forecasting", "--json")
    data = json.loads(out)
    assert code == 0 and "forecasting" in data["recommendations"]
    assert data["profile"]["constraints"]["runway_months"] == 12
    code, out, _ = run_cli("recommend", "--about", "a teacher who likes community building", "--json")
    assert json.loads(out)["profile"]["constraints"]["runway_months"] is None  # a fresh profile each time
    code, _, err = run_cli("ask", "  ")
    assert code == 2 and "empty" in err


def test_invented_citations_are_removed_and_flagged(knowledge: Knowledge) -> None:
    book = SourceBook()
    n = book.add_passage(knowledge, "essay-22")
    book.add_passage(knowledge, "essay-21")
    m = book.add_passage(knowledge, "essay-24")
    text, grounder = ground(f"Scalable oversight is first [{m}] and evals are last [7]. See also [{n}].", book,
                            knowledge)
    assert text == "Scalable oversight is first [1] and evals are last. See also [2]."  # shown in reading order
    assert grounder.cited() == [m, n] and [c.passage_id for c in grounder.citations()] == ["essay-24", "essay-22"]
    assert grounder.flags == ["Removed citation [7]: no source [7] was given to the model."]


@pytest.mark.parametrize(
    ("sentence", "removed"),
    [
        ("The essay ranks evals #3 on its list.", True),
        ("The author puts mech interp second.", True),
        ("In the essay, field building is placed last.", True),
        ("The essay ranks scalable oversight first.", False),
        ("The essay says evals could be ranked differently; it leans to them as less likely automated first.", False),
        ("Our model puts evals at #9.", False),
    ],
)
def test_claims_of_essay_ranks_the_essay_lacks_are_removed(knowledge: Knowledge, sentence: str,
                                                            removed: bool) -> None:
    text, grounder = ground(f"Intro line.\n{sentence} Next sentence.", SourceBook(), knowledge)
    assert bool(grounder.flags) is removed
    assert (sentence not in text) is removed
    assert text.startswith("Intro line.\n") and text.endswith("Next sentence.")


def test_streamed_text_is_released_only_once_a_sentence_is_checked(knowledge: Knowledge) -> None:
    book = SourceBook()
    n = book.add_passage(knowledge, "essay-22")
    from advisor.chat.grounding import Grounder

    g = Grounder(book, knowledge)
    pieces = ["The essay ra", "nks mech interp #", "2. Scalable ", f"oversight is first [{n}]", ". Done"]
    shown = [g.feed(piece) for piece in pieces]
    shown.append(g.finish())
    assert "".join(shown) == "Scalable oversight is first [1]. Done"
    assert not any("#2" in s or "mech interp" in s for s in shown)  # never released, not even in part


def test_the_profile_is_editable_directly(run_cli: RunCli, home_with_index: Path) -> None:
    code, out, err = run_cli("profile", "--session", "eve", "--set", "skills=python, statistics",
                             "--set", "constraints.runway_months=9", "--set", "interests=evaluations", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["skills"] == ["python", "statistics"] and data["constraints"]["runway_months"] == 9
    code, out, _ = run_cli("ask", "Which fields do you recommend for me?", "--session", "eve", "--json")
    assert json.loads(out)["profile"]["constraints"]["runway_months"] == 9
    assert run_cli("profile", "--session", "eve", "--set", "constraints.runway_months=lots")[0] == 2
    assert run_cli("profile", "--session", "eve", "--set", "height=2")[0] == 2
    code, out, _ = run_cli("profile", "--session", "eve", "--clear", "--json")
    assert json.loads(out)["skills"] == []


def test_interactive_chat_in_a_terminal_session(home_with_index: Path) -> None:
    import os
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("advisor")
    script = "I'm a lawyer and I like governance. What should I do?\n/mode concise\nwhy is evals ranked there?\n/quit\n"
    done = subprocess.run([str(exe), "chat", "--session", "term"], input=script, capture_output=True, text=True,
                          env={**os.environ, "ADVISOR_HOME": str(home_with_index)}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "backend: offline" in done.stdout and "Technical AI governance" in done.stdout
    assert "mode: concise" in done.stdout and "Sources:" in done.stdout and "You could ask:" in done.stdout


def test_a_corrupt_session_store_is_a_clear_error(run_cli: RunCli, home_with_index: Path) -> None:
    (home_with_index / "sessions.sqlite3").write_bytes(b"not a database at all" * 50)
    code, _, err = run_cli("ask", "Why is evals ranked there?")
    assert code == 2 and "cannot be read" in err and "Move it aside" in err


def test_the_users_own_weighting_of_fit_against_safety(run_cli: RunCli, home_with_index: Path) -> None:
    about = "software engineer who loves mech interp"
    fit_first = json.loads(run_cli("recommend", "--about", about, "--fit-weight", "0.9", "--json")[1])
    safety_first = json.loads(run_cli("recommend", "--about", about, "--fit-weight", "0.1", "--json")[1])
    assert fit_first["recommendations"][0] in ("mechanistic-interpretability", "automated-interpretability")
    assert safety_first["recommendations"][0] not in ("mechanistic-interpretability", "automated-interpretability")
    assert fit_first["profile"]["fit_weight"] == 0.9
    said = json.loads(run_cli("ask", "I care most about not being automated. What fits me?", "--json")[1])
    assert said["profile"]["fit_weight"] == 0.3
    assert run_cli("recommend", "--about", about, "--fit-weight", "2")[0] == 2


def test_the_users_own_documents_are_read_and_labelled_as_theirs(advisor: Chat, run_cli: RunCli,
                                                                 tmp_path: Path) -> None:
    note = tmp_path / "my-notes.md"
    note.write_text("# My career notes\n\nI loved the ARENA interpretability chapter: finding circuits with "
                    "activation patching and sparse autoencoders felt like detective work I could do every day.\n")
    assert run_cli("index", "--add", str(note))[0] == 0
    answer = advisor.ask("I'm a software engineer and I like interpretability. Which fields fit me?")
    users = [c for c in answer.citations if c.kind == "user"]
    assert users and "activation patching" in users[0].text
    line = next(line for line in answer.answer.splitlines() if "From your own documents" in line)
    assert "not the essay" in line and f"[{users[0].n}]" in line
    unrelated = advisor.ask("Why is compute governance ranked where it is?")
    assert not any(c.kind == "user" for c in unrelated.citations)  # quoted only when it is about the question


def test_numbers_out_of_range_are_kept_in_range_and_said(advisor: Chat) -> None:
    answer = advisor.ask("I'm a physicist with 60 years of savings and 200 hours per week. What fits me?")
    c = answer.profile["constraints"]
    assert c["runway_months"] == 600 and c["hours_per_week"] == 100
    assert any("720 months" in f for f in answer.flags) and any("200 hours" in f for f in answer.flags)
    assert advisor.ask("and what should I read?").profile["constraints"]["runway_months"] == 600  # still loads


def test_a_what_if_offers_its_opposite_reading_and_taking_it_flips_the_change(advisor: Chat) -> None:
    from advisor.knowledge.ranking import DEFAULT_WEIGHTS

    default = DEFAULT_WEIGHTS["economic_incentive"]
    first = advisor.ask("what if labs have little reason to automate safety research?")
    assert first.what_if and first.what_if["weights"]["economic_incentive"] < default
    opposite = first.followups[0]
    assert opposite == "Or did you mean economic incentive should count more?"
    second = advisor.ask(opposite)
    assert second.intent == "what_if" and second.what_if["weights"]["economic_incentive"] > default
    assert second.followups[0] == "Or did you mean economic incentive should count less?"


def test_exact_weights_from_the_chart_are_ranked_exactly_and_a_bad_one_is_a_clear_error(advisor: Chat) -> None:
    """The web page's "ask about this change" writes the sliders' values; the chat ranks with those values."""
    exact = advisor.ask("What if feedback quality mattered more (feedback_quality=10)?")
    assert exact.what_if == {"scenario": None, "weights": {"feedback_quality": 10.0}}
    both = advisor.ask("what if we trust automated eval generation (feedback_quality=6, research_taste=0)?")
    assert both.what_if == {"scenario": "trusted-eval-generation",
                            "weights": {"feedback_quality": 6.0, "research_taste": 0.0}}
    bad = advisor.ask("what if feedback_quality=5000?")
    assert "can't rank with that weight" in bad.answer and "feedback_quality" in bad.answer


def test_a_what_if_that_moves_more_fields_than_it_lists_says_so(settings: Settings, knowledge: Knowledge) -> None:
    q = "what if labs had no money reason to automate any of this?"
    concise = Chat(make_service(settings, knowledge), "w1", "concise").ask(q)
    moved = re.search(r"(\d+) fields change places(;|:)", concise.answer)
    assert moved, concise.answer
    listed = concise.answer.split(moved.group(0), 1)[1].split("\n")[0].count("(#")
    assert (moved.group(2) == ";") is (listed < int(moved.group(1))), "a partial list is called one"
