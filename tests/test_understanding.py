"""How the offline advisor reads a person: what it keeps of their self-description for matching by meaning,
how a field scores against it, and which clauses tell rather than ask. The case set in evals/ measures this
at scale; these pin the mechanisms."""

from __future__ import annotations

import pytest

from advisor.chat.fit import affinity, card_facets, card_people
from advisor.chat.offline.intents import load_intent_model
from advisor.chat.offline.text import clauses, normalise
from advisor.chat.offline.understanding import load_lexicon, read_profile
from advisor.knowledge import Knowledge
from tests.conftest import KNOWLEDGE_DIR


def profile_of(text: str, knowledge: Knowledge):  # type: ignore[no-untyped-def]
    return read_profile(text, knowledge, load_lexicon(KNOWLEDGE_DIR))


def test_negated_and_disliking_clauses_are_left_out_of_what_is_matched_by_meaning(knowledge: Knowledge) -> None:
    profile = profile_of("I write Python tooling for a security team. I do not want policy work, "
                         "and I hate writing regulation briefs.", knowledge)
    assert profile.about, "a self-description is kept for matching by meaning"
    kept = " ".join(profile.about)
    assert "python tooling" in kept
    assert "policy" not in kept and "regulation" not in kept


def test_a_statement_about_oneself_without_a_question_counts_as_a_self_description(knowledge: Knowledge) -> None:
    assert profile_of("Diplomat - 12 yrs at the foreign ministry, arms-control talks mostly.", knowledge).about
    assert profile_of("I farm sheep and rig up sensors with a Raspberry Pi.", knowledge).about
    assert not profile_of("starter readings for multi-agent safety", knowledge).about
    assert not profile_of("suppose labs stop caring about automating safety research", knowledge).about


def test_a_field_scores_by_its_closest_facet_not_its_average(knowledge: Knowledge) -> None:
    """Each research task of a card, said in the first person, makes that card the closest field."""
    for card in knowledge.fields:
        task = card.research_tasks[0]
        profile = profile_of(f"My job is this: {task[0].lower()}{task[1:]}.", knowledge)
        scores = affinity(knowledge, profile)
        top = sorted(scores, key=lambda f: -scores[f])[:1]
        assert card.id in top, (card.id, task, top)


def test_facets_leave_out_who_a_field_is_not_for_and_people_come_from_the_suits_line(knowledge: Knowledge) -> None:
    card = knowledge.field("forecasting")
    assert not any(f.lower().startswith("not for") for f in card_facets(card))
    assert "statisticians" in card_people(card) and "economists" in card_people(card)


@pytest.mark.parametrize("text", ["What I like is figuring out what structure a network has learned.",
                                  "What really gets me going is red-teaming models."])
def test_what_i_like_is_tells_rather_than_asks(text: str) -> None:
    assert not clauses(text)[0].question
    assert clauses(text.rstrip(".") + "?")[0].question


def test_material_in_a_job_description_is_not_a_reading_request() -> None:
    model = load_intent_model(KNOWLEDGE_DIR)
    text = "I verify that declared nuclear material matches what is actually there: seals and inspections."
    assert model.guess(text, normalise(text)).intent != "readings"
    ask = "any good reading material on compute governance?"
    assert model.guess(ask, normalise(ask)).intent == "readings"


@pytest.mark.parametrize(("text", "liked", "disliked"), [
    ("Compute governance bores me stiff, but tech policy more broadly I'm genuinely into.",
     ["technical-governance"], ["compute-governance"]),
    ("Back in grad school I was super into agent foundations, but these days CoT monitoring is what gets me up.",
     ["cot-monitoring"], []),
    ("My partner is obsessed with mech interp; me, not so much. I'm more of an evals person.", ["evaluations"],
     ["mechanistic-interpretability"]),
    ("I used to think forecasting was dull but I've come round to it.", ["forecasting"], []),
    ("Honestly anything except field building.", [], ["field-building"]),
    # idioms with a word inside them, a view the writer has moved away from, "that" pointing back
    ("Forecasting is not exactly my cup of tea, and I've gone off evals lately.", [],
     ["forecasting", "evaluations"]),
    ("I used to be keen on agent foundations. Unlearning - that's where I want to be.", ["unlearning"], []),
    # a bare field set against a refused one, and a choice between two
    ("Scalable oversight, not forecasting.", ["scalable-oversight"], ["forecasting"]),
    ("I'd sooner spend my days on unlearning than on model organisms.", ["unlearning"], ["model-organisms"]),
    # two negations are neither a like nor a dislike
    ("I don't not like red teaming.", [], []),
    ("I'm not NOT keen on evals.", [], []),
    # a denied dislike, a fence sat on, a shrug with a question mark, a dislike said as a shudder
    ("Far from being bored by forecasting, I find it the most fun part of the job.", ["forecasting"], []),
    ("Agent foundations leaves me neither here nor there, to be honest.", [], []),
    ("I think I'm leaning towards CoT monitoring?", ["cot-monitoring"], []),
    ("The thought of building deliberately deceptive models gives me the creeps.", [], ["model-organisms"]),
    ("Honestly I'd stay well clear of anything regulatory.", [], ["technical-governance"]),
    # what someone lacks is not what they dislike; the chosen side of a choice says what it is about
    ("No degree, no publications, just a lot of passion for evals.", ["evaluations"], []),
    ("I'd like to look at how models work internally rather than the policy side.",
     ["mechanistic-interpretability"], ["technical-governance"]),
    # a reason about someone else that leads to the writer's own view
    ("My mum was a teacher, which is probably why I care about field building.", ["field-building"], []),
    # "more X, less Y"; two views joined by ", and"; a view from a time of life that is over
    ("More evals, less policy please.", ["evaluations"], ["technical-governance"]),
    ("I'm dead keen on evals, and anything to do with governance I'd steer clear of.", ["evaluations"],
     ["technical-governance"]),
    ("Back at uni I hated game theory; these days cooperative AI is what I want.", ["cooperative-ai"], []),
    # someone else's view, a tolerance after a choice, a denied dislike that is not a like
    ("My supervisor adores forecasting. I find it tedious.", [], ["forecasting"]),
    ("I favour evals over RLHF, though I wouldn't rule RLHF out.", ["evaluations"], []),
    ("Not that I mind unlearning, but interp is where my heart is.", ["mechanistic-interpretability"], []),
    # a field asked and answered; a dislike of a subject that is not a field; "no fan"; a doubt
    ("Agent foundations? Nah. Forecasting? Yes.", ["forecasting"], ["agent-foundations"]),
    ("CoT monitoring sounds cool but I hate statistics.", ["cot-monitoring"], []),
    ("I'm no fan of red teaming.", [], ["adversarial-robustness"]),
    ("I'm unsure whether I'd enjoy model organisms.", [], []),
    # misspelt field names, and a hedge after a refusal
    ("i realy like mechanistic interpretibility", ["mechanistic-interpretability"], []),
    ("I don't want to do policy, unlearning maybe.", [], ["technical-governance"]),
])
def test_likes_and_dislikes_keep_their_owner_their_time_and_their_topic(
        knowledge: Knowledge, text: str, liked: list[str], disliked: list[str]) -> None:
    profile = profile_of(text, knowledge)
    assert profile.interests == liked
    assert profile.dislikes == disliked


def test_a_skill_said_in_passing_is_neither_a_skill_nor_matched_on(knowledge: Knowledge) -> None:
    profile = profile_of("I drive buses for the city council. I did a little coding as a teenager, nothing serious.",
                         knowledge)
    assert not {"programming", "python", "software engineering"} & set(profile.skills)
    assert profile.about and "coding" not in " ".join(profile.about)
    hobby = profile_of("I've tinkered with Python in my spare time.", knowledge)
    assert not {"programming", "python"} & set(hobby.skills)
    assert "python" in profile_of("I write Python every day at work.", knowledge).skills


def test_a_job_title_with_no_verb_is_a_background(knowledge: Knowledge) -> None:
    profile = profile_of("Certified actuary at a mid-sized pension fund, pricing longevity risk.", knowledge)
    assert any("actuary" in b for b in profile.background)


def test_an_attitude_without_a_plain_cue_is_read_by_meaning_and_a_fact_is_not(knowledge: Knowledge) -> None:
    from advisor.chat.offline.text import clauses

    idiom = "model organisms work feels like wading through treacle"
    assert not clauses(idiom)[0].cued, "no plain cue: the meaning decides"
    assert profile_of(idiom, knowledge).dislikes == ["model-organisms"]
    fact = profile_of("I worked on red teaming for two years at my last job.", knowledge)
    assert not fact.interests and not fact.dislikes


def test_a_broken_preferences_file_is_a_clear_error(knowledge_copy) -> None:  # type: ignore[no-untyped-def]
    from advisor.chat.offline.preferences import load_preference_model
    from advisor.knowledge import KnowledgeError

    (knowledge_copy / "preferences.yaml").write_text("margin: 2\nlike: []\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"preferences\.yaml"):
        load_preference_model(knowledge_copy)


def test_picks_are_the_fields_that_fit_then_the_next_best_fits_not_the_safest_that_fits_nobody(
        knowledge: Knowledge) -> None:
    from advisor.chat.fit import affinity
    from advisor.knowledge.ranking import rank_fields
    from advisor.knowledge.recommend import recommend

    profile = profile_of("I'm a social worker with families in crisis, good with courts and agencies, bad with "
                         "maths and I don't code.", knowledge)
    assert "mathematics" in profile.lacks and "programming" in profile.lacks
    picks = recommend(knowledge, profile, rank_fields(knowledge), affinity=affinity(knowledge, profile))
    assert picks[0].field_id == "field-building"
    assert "agent-foundations" not in [p.field_id for p in picks]
    fits = [p.fit for p in picks]
    assert fits[1:] == sorted(fits[1:], reverse=True)


@pytest.mark.parametrize(("text", "factor", "up"), [
    ("suppose AI turns out to be great at coming up with new research ideas", "research_taste", False),
    ("what if only work that is easy to grade ever gets automated?", "feedback_quality", True),
    ("what if every result became easy to check?", "feedback_quality", False),
    ("what if it is not true that labs have no reason to automate it - they are desperate to", "economic_incentive",
     True),
    ("what if money for automating safety research dried up completely?", "economic_incentive", False),
    ("what if relationships with policymakers count for nothing?", "human_interaction", False),
    ("wat if fuzzy, hard-to-grade work stays impossible for AIs?", "feedback_quality", True),
    ("rerank assuming models get just as good at fuzzy work as at crisp work", "feedback_quality", False),
    ("research taste shouldn't protect a field much, redo the list", "research_taste", False),
    ("what if commercial incentives are the main driver of what gets automated?", "economic_incentive", True),
    # a factor named in no plain word, read by meaning against knowledge/what_if_factors.yaml
    ("what if whether a lab could save a fortune by automating an area decided everything?", "economic_incentive",
     True),
    # a denial covers its own part only; the part after the dash is said outright
    ("say the author is wrong that taste barely matters - it is the one thing models never manage", "research_taste",
     True),
    # AI that keeps falling short at something leaves that thing protecting more; AI that gains it, less
    ("imagine language models keep fumbling anything to do with winning a regulator's trust", "human_interaction",
     True),
    ("picture chatbots that charm ministers better than any diplomat", "human_interaction", False),
    ("rank them with the commercial angle put to one side", "economic_incentive", False),
    ("suppose winning the trust of officials is not really hard for AI after all", "human_interaction", False),
    # how much a factor counts, said in words of weight
    ("I'd weigh checkability more heavily than the essay does", "feedback_quality", True),
    ("what if labs simply lack any reason to automate this work?", "economic_incentive", False),
    ("checkability is a minor factor really, play it down", "feedback_quality", False),
    ("upweight the money side please", "economic_incentive", True),
    # a denial said after the claim
    ("what if the notion that incentives drive automation is simply false?", "economic_incentive", False),
    # AI that already has what protects, and work that stays human whatever AI becomes
    ("what if models already possess the knack for choosing good research questions?", "research_taste", False),
    ("suppose negotiating with regulators stays an exclusively human job", "human_interaction", True),
    # a breakthrough that is not the interpretability one is no scenario
    ("what if AI gets great at conceptual breakthroughs in general?", "research_taste", False),
    # checking stops separating fields; a factor that dominates; what stays beyond AI; counting for little
    ("what if messy research proves just as automatable as tidy, checkable research?", "feedback_quality", False),
    ("profit should dominate the ranking", "economic_incentive", True),
    ("suppose deep conceptual novelty stays beyond LLMs for good", "research_taste", True),
    ("rank again with dealing with institutions counting for almost nothing", "human_interaction", False),
])
def test_what_if_direction_follows_what_the_sentence_means(knowledge: Knowledge, text: str, factor: str,
                                                          up: bool) -> None:
    from advisor.chat.offline.what_if import what_if
    from advisor.knowledge.ranking import DEFAULT_WEIGHTS

    scenario, weights = what_if(normalise(text), text, KNOWLEDGE_DIR)
    assert scenario is None and weights is not None
    assert (weights[factor] > DEFAULT_WEIGHTS[factor]) is up


@pytest.mark.parametrize(("turns", "expected"), [
    (["I'm a physics PhD student who likes linear algebra. Where should I go?", "what would I read for option 3?"], 2),
    (["I'm an economist who builds market models. Fields for me?", "hmm #2 sounds interesting, tell me more"], 1),
    (["recent CS grad, decent at PyTorch. what fields?", "any beginner-friendly reading for the 2nd?"], 1),
])
def test_list_references_in_their_everyday_forms(turns: list[str], expected: int) -> None:
    from advisor.chat.offline.planner import _reference

    listed = ["a", "b", "c"]
    assert _reference(normalise(turns[1]), ["a"], listed) == listed[expected]


def test_a_time_word_after_this_is_not_a_reference() -> None:
    from advisor.chat.offline.planner import _reference

    assert _reference(normalise("what's the weather like this weekend?"), ["a"], ["a", "b"]) is None
    assert _reference(normalise("why is this ranked so low?"), ["a"], ["a", "b"]) == "a"


def test_hours_at_a_current_job_are_not_time_for_this(knowledge: Knowledge) -> None:
    assert profile_of("At my last job I worked 60 hours a week and it wrecked me.", knowledge
                      ).constraints.hours_per_week is None
    assert profile_of("I'm going half-time at work so I can put roughly 20 hours a week into this.", knowledge
                      ).constraints.hours_per_week == 20


def test_constraints_keep_their_negation_and_a_willingness_to_move(knowledge: Knowledge) -> None:
    relaxed = profile_of("No hurry here, I don't need a salary for a while. Currently in Dublin but would happily "
                         "relocate.", knowledge).constraints
    assert relaxed.needs_salary is False and relaxed.location is None
    tight = profile_of("Three kids, so I can't go without a paycheck. I live in Porto.", knowledge).constraints
    assert tight.needs_salary is True and tight.location == "Porto"
    trade = profile_of("I spent a decade working in retail banking before this.", knowledge)
    assert "retail banking" in trade.background
    assert not profile_of("Nobody would call me an engineer.", knowledge).background
    staying = profile_of("I live in Lisbon and can't relocate for family reasons.", knowledge).constraints
    assert staying.location == "Lisbon"
    sold_up = profile_of("Money isn't a concern, I sold my company last year.", knowledge).constraints
    assert sold_up.needs_salary is False


def test_constraints_and_trades_said_in_everyday_words(knowledge: Knowledge) -> None:
    assert profile_of("I've got about six weeks of savings.", knowledge).constraints.runway_months == 1
    assert profile_of("I have enough saved to get by for eighteen months.", knowledge).constraints.runway_months == 18
    assert profile_of("I can manage fifteen hours a week.", knowledge).constraints.hours_per_week == 15
    assert profile_of("Single income household, so it has to be a paid role.", knowledge).constraints.needs_salary
    assert "chemist" in profile_of("I'm a chemist by training.", knowledge).background
    assert "linguistics" in profile_of("I majored in linguistics.", knowledge).background
    assert "software engineer" in profile_of("Fifteen years writing Java for banks.", knowledge).background
    assert "ICU nurse" in profile_of("I'm an ICU nurse on nights.", knowledge).background  # said back as written
    florist = profile_of("My husband has a PhD in economics. I'm a florist.", knowledge)
    assert florist.background == ["florist"]


@pytest.mark.parametrize("text", ["what if someone makes a massive leap in reading neural network internals?",
                                  "try the breakthrough scenario"])
def test_the_interpretability_breakthrough_is_found_by_what_it_is(knowledge: Knowledge, text: str) -> None:
    from advisor.chat.offline.planner import Context, plan_turn
    from advisor.knowledge.profile import Profile

    plan = plan_turn(text, knowledge, load_lexicon(KNOWLEDGE_DIR), load_intent_model(KNOWLEDGE_DIR),
                     Context(Profile(), []))
    assert plan.intent == "what_if" and plan.scenario == "interp-breakthrough"


def test_what_is_denied_is_not_a_skill_and_a_job_that_cannot_stop_needs_pay(knowledge: Knowledge) -> None:
    assert "writing" not in profile_of("I'm not much of a writer, to be honest.", knowledge).skills
    assert "hardware" not in profile_of("I know nothing about hardware.", knowledge).skills
    assert profile_of("I can't quit, so evenings only.", knowledge).constraints.needs_salary


def test_what_someone_else_has_or_does_is_not_the_writers(knowledge: Knowledge) -> None:
    profile = profile_of("My sister is a Python developer with two months of runway. I'm a midwife.", knowledge)
    assert "python" not in profile.skills
    assert profile.constraints.runway_months is None
    assert "python" in profile_of("I'm a Python developer with two months of runway.", knowledge).skills


@pytest.mark.parametrize("text", ["honestly taste shouldn't count for much here",
                                  "ignore the people-and-institutions factor please",
                                  "I think the essay overrates lab incentives",
                                  "how much a lab could save by automating an area should be the deciding thing, "
                                  "redo it that way"])
def test_talk_about_how_much_a_factor_counts_is_a_what_if(knowledge: Knowledge, text: str) -> None:
    from advisor.chat.offline.planner import Context, plan_turn
    from advisor.knowledge.profile import Profile

    plan = plan_turn(text, knowledge, load_lexicon(KNOWLEDGE_DIR), load_intent_model(KNOWLEDGE_DIR),
                     Context(Profile(), []))
    assert plan.intent == "what_if" and plan.weights


def test_what_is_matched_by_meaning_keeps_a_description_and_drops_what_says_nothing(knowledge: Knowledge) -> None:
    watcher = profile_of("Former air traffic controller, no degree. I'm great at noticing when a plan on paper "
                         "doesn't match what people actually do.", knowledge)
    assert "noticing" in " ".join(watcher.about), "a 'not' inside what they describe is not a negation about them"
    assert "degree" not in " ".join(watcher.about)
    keen = profile_of("Quick learner, eager to learn, I've worked as a land surveyor for ten years.", knowledge)
    assert "learn" not in " ".join(keen.about) and not any("learner" in b for b in keen.background)
    assert "programming" in profile_of("Not technical in the slightest, I run a bakery.", knowledge).lacks
    quiet = profile_of("I want a quiet research job: no travel, no policy.", knowledge)
    assert quiet.dislikes == ["technical-governance"]
    translator = profile_of("Translator (Japanese/English), curious how chatbots 'think' out loud.", knowledge)
    assert translator.interests == ["cot-monitoring"] and "translator" in translator.background
    assert profile_of("We have a mortgage and two kids.", knowledge).constraints.needs_salary
    assert profile_of("Can you recommend a mortgage adviser in Bristol?", knowledge).constraints.needs_salary is None


def test_liking_work_with_people_is_understood_and_said_back(knowledge: Knowledge) -> None:
    from advisor.chat.offline.writer import understood

    profile = profile_of("Sheep farmer here. I really enjoy dealing with the public at our farm shop.", knowledge)
    assert "likes dealing with the public" in profile.goals
    assert "likes dealing with the public" in understood(profile, knowledge)


@pytest.mark.parametrize(("text", "intent"), [
    ("how well does unlearning fit with my experience?", "why_fit"),
    ("what sort of questions can I ask you?", "help"),
    ("thanks a lot, that was useful 👍", "smalltalk"),
    ("What's a good job for someone who loves gardening?", "off_topic"),
    ("I love gardening and hate writing, which area should I go into?", "career"),
    ("crank the incentives factor up", "what_if"),
])
def test_everyday_intents_in_fresh_words(knowledge: Knowledge, text: str, intent: str) -> None:
    from advisor.chat.offline.planner import Context, plan_turn
    from advisor.knowledge.profile import Profile

    plan = plan_turn(text, knowledge, load_lexicon(KNOWLEDGE_DIR), load_intent_model(KNOWLEDGE_DIR),
                     Context(Profile(), []))
    assert plan.intent == intent


def test_the_top_two_are_the_first_two_picks() -> None:
    from advisor.chat.offline.planner import _all_references

    assert _all_references(normalise("compare the top two for me"), ["a", "b", "c"]) == ["a", "b"]


@pytest.mark.parametrize(("text", "constraints"), [
    ("I can do about 10 hours a week, and I'm keeping the nursing job for now.", {"keeps_job": True}),
    ("I work 50-hour weeks and I'm not quitting. Realistically 4 hours a week for the next 12 weeks - plan?",
     {"keeps_job": True, "hours_per_week": 4}),
    ("I can't leave Berlin though, my partner's job is here.", {"can_relocate": False}),
    ("I can not move to other country. Is this a problem for evals work?", {"can_relocate": False}),
    ("Do I have to move to London for this? We're staying in Toulouse, we're not moving.", {"can_relocate": False}),
    ("i got laid off. i need a paycheck soon, like within 2 months.", {"runway_months": 2}),
])
def test_constraints_said_in_passing_or_beside_a_question_are_kept(text: str, constraints: dict[str, object],
                                                                    knowledge: Knowledge) -> None:
    got = profile_of(text, knowledge).constraints.model_dump()
    assert {k: got[k] for k in constraints} == constraints


@pytest.mark.parametrize("text", ["What if I couldn't relocate?", "I can't leave nursing yet, can I?",
                                  "My friend can't leave Berlin."])
def test_a_hypothetical_or_someone_elses_place_is_not_a_constraint(text: str, knowledge: Knowledge) -> None:
    assert profile_of(text, knowledge).constraints.can_relocate is None


def test_named_languages_are_kept_in_the_persons_words_and_a_missing_one_is_not_missing_programming(
        knowledge: Knowledge) -> None:
    java = profile_of("I am software engineer from Brazil, 6 year backend Java.", knowledge)
    assert {"software engineering", "java"} <= set(java.skills)
    pentester = profile_of("Security engineer, 7 years of pentesting. I write bash and go, never touched python.",
                           knowledge)
    assert "python" in pentester.lacks and "programming" not in pentester.lacks
