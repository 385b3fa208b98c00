"""The offline planner: from the conversation so far, what the user asks for (intent, by meaning), which fields
they mean (named, or "the second one", "that field"), what changed about them, and the tool calls an LLM with
tools would make. Deterministic; no neural network beyond the sentence embedder."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from advisor.chat.offline.intents import CUES, RUN_SCENARIO, IntentGuess, IntentModel
from advisor.chat.offline.requests import (
    Shape,
    aspects_asked,
    horizon_weeks,
    hours_per_week,
    minutes_budget,
    shape_asked,
    term_asked,
    year_asked,
)
from advisor.chat.offline.text import FIRST_PERSON, WHAT_IF_START, negated_at, normalise
from advisor.chat.offline.understanding import (
    HYPOTHETICAL,
    INJECTION,
    Lexicon,
    read_profile,
    supposed_profile,
    topic_by_meaning,
    topics,
    work_texts,
)
from advisor.chat.offline.what_if import WEIGHT_TALK, factor_named, named_scenario, plainly_named, what_if
from advisor.knowledge import Knowledge
from advisor.knowledge.profile import Profile

READING_TOPIC_SIMILARITY = 0.4
ORDINALS = {"first": 0, "1st": 0, "top": 0, "number one": 0, "#1": 0, "1": 0, "second": 1, "2nd": 1, "number two": 1,
            "#2": 1, "2": 1, "middle": 1, "third": 2, "3rd": 2, "number three": 2, "#3": 2, "3": 2, "last": -1}
ORDINAL_REF = re.compile(r"\b(first|1st|top|second|2nd|middle|third|3rd|last|number one|number two|number three)"
                         r"(?: one| field| option| pick| recommendation| choice| area| suggestion)?\b|(#[123])\b|"
                         r"\b(?:option|pick|number|choice|suggestion|no\.?) ?#?([123])\b")
WHY_PICKED = re.compile(r"^\W*(?:but |and |so |ok,? )?why (?:the|that|this|did you (?:pick|choose|suggest)|pick|choose|"
                        r"is (?:the|that|this))\b(?!.*\b(?:rank|ranked|exposed|automat\w*)\b)")
DEFINE = re.compile(r"^\W*(?:and |so |ok |okay |hmm,? )?(?:what is|what are|what does|define|explain|describe)\b|in a "
                    r"nutshell|in plain (?:words|english)|in simple terms|\beli5\b|like i am (?:five|5|new)")
ESSAY_SAYS = re.compile(r"\b(?:say|says|said|write|writes|wrote|mention\w*|think|thinks|claim\w*|argue\w*|conclude\w*|"
                        r"predict\w*|reckon\w*)\b")
CHOICE = re.compile(r"\b(?:which|or|vs\.?|versus|between|than)\b")
ESSAY_WORDS = re.compile(r"\b(?:essay|author|post|article|blog|comments?|commenters?|writer)\b")
LISTED_NOUN = re.compile(r"#[123]\b|\bthe (?:first|second|third|last|1st|2nd|3rd)\b\s*(?:[?.!,]|$)|"
                         r"\b(?:ones?|fields?|options?|picks?|recommendations?|choices?|areas?|suggestions?|"
                         r"number (?:one|two|three|[123])|no\.? ?[123]|"
                         r"of (?:the|those|these) (?:three|two|3|2)|of them|of those|on (?:the|your) list|"
                         r"(?:first|original|earlier|initial) list)\b")
PRONOUN_REF = re.compile(r"\b(?:it|that|this|them|those)\b(?! (?:weekend|week|time|day|year|month|morning|evening|"
                         r"afternoon|night|summer|winter|semester|term)\b)")
LEVELS = [
    ("advanced", re.compile(r"\b(?:advanced|deep[- ]dive|anything deep|in[- ]depth|more technical|hardcore|deep end|"
                            r"the hard stuff|hardest|heavy(?:weight)?|"
                            r"cutting[- ]edge|research[- ]level|most advanced|"
                            r"technical(?:ly)? (?:deep|heavy)|not the overview|recent (?:research|papers)|expert|"
                            r"deep and technical|(?:really|very|properly|seriously|most) technical|the technical "
                            r"(?:paper|one|stuff))\b")),
    ("intermediate", re.compile(r"\b(?:intermediate|not the (?:very )?basics|beyond the basics|next step|"
                                r"(?:done|past|know|covered|finished|through) the (?:basics|intro\w*|beginner\w*|basic)"
                                r"(?:[- ]level)?|what is next|meaty|meatier|more depth|deeper|"
                                r"comfortable with|mid-level|some background)\b")),
    ("intro", re.compile(r"\b(?:intro|introduction|introductory|beginner|beginners|newbie|starter|start(?:ing)? "
                         r"(?:out|with)|first thing|easy|basics|overview|get into|gentle|primer|101|new to)\b")),
]
ESSAY_ASPECTS = {
    "author": re.compile(r"\bwho (?:\w+ )?(?:wrote|is the author|authored|is behind)|author'?s name|their name|"
                         r"name of the author|"
                         r"who'?s the (?:author|writer)"),
    "source": re.compile(r"\bjanuary\b|\b(?:name|title|link) of (?:the |that )?(?:\w+ )?(?:post|article|paper) (?:it|"
                         r"the author|they|he|she) recommends"),
    "when": re.compile(r"\bwhen (?:does|do|will|would)|what year|timeline|how soon|by when|\bwhen\b.{0,50}\b(?:"
                       r"automat\w*|happen\w*|replaced|go)\b|\b20[2-9]\d\b|what date"),
    "numbers": re.compile(r"\bprobabilit\w*|\bpercent\w*|\bodds\b|\bchances? (?:of|that)\b|\blikelihoods?\b|"
                          r"\b\d+ ?%|\bnumbers? (?:on|for) (?:each|every|the)\b"),
    "count": re.compile(r"\bhow many (?:fields|areas|items)"),
    "factors": re.compile(r"\b(?:two|2|the) factors?\b|criteria|how (?:does|did) (?:the essay|the author|it) rank"),
    "position": re.compile(r"#\s?[2-9]|\b(?:second|third|fourth|fifth|2nd|3rd|last|bottom|number "
                           r"(?:two|three|four))\b|full (?:ranked )?list|whole list|entire list|top to bottom|"
                           r"(?:end(?:ed)? up|sit|place[ds]?|"
                           r"land(?:s|ed)?) (?:in|on) the (?:final )?(?:list|ranking)|where (?:did|does) .{0,30}"
                           r"(?:end up|rank|land|sit)|above or below|higher or lower|ranked? .{0,20} (?:above|below)"),
    "first": re.compile(r"(?:number one|#1|\bfirst\b|\btop\b)(?! one)(?:.{0,30}(?:list|rank))?|most likely to be "
                        r"automated"),
}


@dataclass
class Plan:
    intent: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    profile_update: Profile = field(default_factory=Profile)
    scenario: str | None = None
    weights: dict[str, float] | None = None
    level: str | None = None
    essay_aspect: str | None = None
    confidence: float = 1.0
    alternatives: list[str] = field(default_factory=list)  # when unsure: the intents it might be
    shape: Shape = field(default_factory=Shape)  # "in three bullets", "one sentence", "top two"
    picks: list[str] = field(default_factory=list)  # the person's current recommendations, for "what it means for you"
    insisted: str | None = None  # a field the person insists on though it is not among the picks
    supposed: Profile | None = None  # "what if I had 20 hours a week?": the supposed profile, never stored
    tells: bool = False  # the message tells something about its writer ("I did a stats module at uni")


@dataclass
class Context:
    """What the conversation already knows: the profile, the fields in focus (recommendations first, in
    order), the intent of the last answer, the last recommendations and the last what-if."""

    profile: Profile
    focus: list[str]
    last_intent: str = ""
    recommendations: list[str] = field(default_factory=list)  # the last ones, in order: "the second one"
    what_if: dict[str, Any] | None = None  # the what-if the last answer was under
    turns: list[dict[str, Any]] = field(default_factory=list)  # what each earlier answer contained, oldest first


def plan_turn(message: str, knowledge: Knowledge, lexicon: Lexicon, intents: IntentModel, context: Context) -> Plan:
    low = normalise(message)
    update = read_profile(message, knowledge, lexicon)
    named = topics(low, knowledge, lexicon)
    listed = first_picks(context) if FIRST_ANSWER.search(low) else latest_list(low, context)
    referred = _reference(low, context.focus, listed)
    guess = intents.guess(message, low)
    weight_talk = (bool(WEIGHT_TALK.search(low) or DIAL.search(low)) and not INJECTION.search(low)
                   and factor_named(low, message, lexicon.directory)
                   and (plainly_named(low) or not ABOUT_ME.search(low)))  # not "would my infra background count?"
    intent = _decide(guess, low, update, named, referred, context, intents.floor, weight_talk)
    plan = Plan(intent, profile_update=update, confidence=round(guess.confidence, 3), shape=shape_asked(low),
                picks=context.recommendations or first_picks(context),
                tells=bool(TELLS.match(low)) and "?" not in message)
    if not update.is_empty():
        plan.calls.append(("update_profile", update.model_dump(exclude_defaults=True)))
    if intent == "career" and plan.picks and WHICH_OF.search(low) and update.is_empty():
        # "which of those is closest to teaching?": the pick whose work is closest to what they name, and why
        scores = work_texts(knowledge).scores(WHICH_OF.sub(" ", low))
        best = next((f for f in named if f in plan.picks[:3]), None) or max(plan.picks[:3],
                                                                             key=lambda f: scores.get(f, 0.0))
        plan.intent, plan.fields = "why_fit", [best]
        plan.calls += [("recommend_fields", {"top": 1, "only": [best]}), ("explain_field", {"field": best})]
        return plan
    supposed = supposed_profile(message, knowledge, lexicon) if not weight_talk else Profile()
    if not supposed.is_empty() and intent in ("career", "what_if", "why_fit", "clarify", "compare") and (
            not named or PICKS_ASKED.search(low)):  # "what if I had 20 hours a week, which would you pick then?"
        plan.intent, plan.supposed = "what_if", supposed
        plan.calls.append(("recommend_fields", {"top": 3, "assume": supposed.model_dump(exclude_defaults=True)}))
        return plan
    target = named or ([referred] if referred else []) or context.focus[:1]
    loved = (named or update.interests or context.profile.interests or context.focus)[:1]
    if INSIST.search(low) and loved and intent in ("career", "why_fit", "why_rank", "compare", "clarify", "plan",
                                                   "decision"):
        plan.intent, plan.insisted, plan.fields = "career", loved[0], loved[:1]
        plan.calls += [("explain_field", {"field": loved[0]}), ("recommend_fields", {"top": 3})]
        return plan
    if intent == "career":
        # a field the person asks about beside asking for picks ("…is red teaming a good idea for me?") is answered
        # too, even when it is not among the picks
        plan.fields = [f for f in named if f not in update.dislikes and f not in context.profile.dislikes][:2]
        for fid in plan.fields:
            plan.calls.append(("recommend_fields", {"top": 1, "only": [fid]}))
        under = context.what_if if context.last_intent == "what_if" and CHANGE_PICKS.search(low) else None
        plan.scenario, plan.weights = (under or {}).get("scenario"), (under or {}).get("weights")
        plan.calls.append(("recommend_fields", {"top": 3, **(under or {})}))
        plan.calls.append(("recommend_readings", {"fields": [], "level": "intro"}))
        plan.calls.append(("search_knowledge", {"query": message, "k": 2, "kind": "user"}))
    elif intent == "why_fit":
        plan.fields = target[:1]
        if plan.fields:
            plan.calls.append(("recommend_fields", {"top": 1, "only": plan.fields}))
            plan.calls.append(("explain_field", {"field": plan.fields[0]}))
        else:
            plan.intent = "career"
            plan.calls.append(("recommend_fields", {"top": 3}))
    elif intent == "why_rank" and THAN.search(low) and (
            len(named) >= 2 or (referred and named and referred not in named)):
        # "why is it less exposed than, say, evals?": about "it", beside evals; "why would A be safer than B?"
        plan.fields = named[:2] if len(named) >= 2 else [str(referred), named[0]]
        plan.calls += [("explain_field", {"field": f}) for f in plan.fields]
    elif intent == "why_rank":
        plan.fields = target[:1]
        plan.calls.append(("explain_field", {"field": plan.fields[0]}) if plan.fields else ("rank_fields", {}))
        plan.calls.append(("search_knowledge", {"query": message, "k": 1, "kind": "user"}))
    elif intent == "compare" and context.last_intent == "compare" and len(named) < 2 and EXPOSURE.search(low) and (
            len(context.focus) >= 2 or len(last_shown(context)) >= 2):
        # "of those two, which one is more exposed, and why?" right after comparing them: why each sits where it
        # does, not the comparison again
        plan.intent = "why_rank"
        plan.fields = (last_shown(context) or context.focus)[:2]
        plan.calls += [("explain_field", {"field": f}) for f in plan.fields]
    elif intent == "compare":
        those = THOSE_N.search(low)
        group = (listed or context.focus)[: 3 if those and those.group(1) in ("three", "3") else 2] if those else []
        pointed = [referred] if referred and referred not in named and PRONOUN_REF.search(low) else []
        fields = list(dict.fromkeys([*pointed, *named, *group, *_all_references(low, listed or context.focus),
                                     *([referred] if referred else [])]))  # "how does it stack up against X?"
        fields = [f for f in fields if f not in update.dislikes]  # "…and leave out X, I'm not doing that one"
        if len(fields) < 2:
            fields = [f for f in dict.fromkeys([*fields, *context.focus, *plan.picks]) if f not in update.dislikes][:2]
        plan.fields = fields[:4]
        if len(plan.fields) >= 2:
            plan.calls.append(("compare_fields", {"fields": plan.fields}))
        else:
            plan.intent = "why_rank" if plan.fields else "clarify"
            if plan.fields:
                plan.calls.append(("explain_field", {"field": plan.fields[0]}))
    elif intent == "readings":
        if not named and not referred:  # a topic in its own words: "stuff on models hiding their goals"
            named = topic_by_meaning(message, knowledge, READING_TOPIC_SIMILARITY)
            target = named or target
            if (not named and not AI_WORDS.search(low) and _subject_words(low) and not minutes_budget(low)
                    and not context.focus):  # "any good sci-fi books?"
                plan.intent = "off_topic"
                return plan
        plan.fields = target[:3] if named else target[:1]
        plan.level = reading_level(low)
        budget = minutes_budget(low)
        if budget and not hours_per_week(low):  # "something I can finish in two hours"
            plan.calls.append(("make_plan", {"fields": plan.fields or plan.picks, "minutes_total": budget}))
        else:
            plan.calls.append(("recommend_readings", {"fields": plan.fields, "level": plan.level}))
    elif (intent == "what_if" and named and HYPOTHETICAL.match(low) and not PICKS_ASKED.search(low)
          and not (plainly_named(low) or named_scenario(low))):
        # "what if I went for mech interp instead - is that realistic for me?": that field, for this person (no
        # factor is named, so none is guessed)
        plan.intent, plan.fields = ("why_fit" if not (context.profile.is_empty() and update.is_empty())
                                    else "why_rank"), named[:1]
        if plan.intent == "why_fit":
            plan.calls.append(("recommend_fields", {"top": 1, "only": plan.fields}))
        plan.calls.append(("explain_field", {"field": plan.fields[0]}))
    elif intent == "what_if":
        plan.scenario, plan.weights = what_if(low, message, lexicon.directory)
        if plan.scenario and not (named or referred):
            plan.fields = [c.field for c in knowledge.scenario(plan.scenario).changes][:1]
        else:
            # "what happens to the second one?"; with a scenario, a field it names is part of the scenario
            ordinal = referred and (ORDINAL_REF.search(low) or plan.scenario)
            plan.fields = [referred] if ordinal and referred else named[:1] or ([referred] if referred else [])
        args: dict[str, Any] = {"scenario": plan.scenario, "weights": plan.weights}
        plan.calls.append(("rank_fields", args))
        if plan.fields:
            plan.calls.append(("explain_field", {"field": plan.fields[0], **args}))
    elif intent == "essay":
        plan.essay_aspect = next((a for a, cue in ESSAY_ASPECTS.items() if cue.search(low)), None)
        plan.fields = target[:1] if (named or referred) else []
        query = message if not plan.fields or named else f"{message} {knowledge.field(plan.fields[0]).name}"
        plan.calls.append(("search_knowledge", {"query": query, "k": 4, "kind": "essay"}))
        plan.calls.append(("search_knowledge", {"query": query, "k": 1, "kind": "user"}))
    elif intent in CONVERSATION_INTENTS:
        _plan_conversation(plan, message, low, named, referred, context)
    elif intent == "clarify":
        plan.alternatives = [guess.intent, guess.runner_up]
    return plan


INSIST = re.compile(r"\bnot giving (?:it|that|this) up\b|\bi'?m not (?:giving|letting) (?:it|that|this)\b|\bstill want "
                    r"(?:it|that|to do it)\b|\b(?:do|pursue|want) it anyway\b|\bi insist\b|\bhow to go after it\b|"
                    r"\bhow (?:do|can|would|could) i (?:still )?(?:go after|pursue|get into|do) it\b|"
                    r"\b(?:don'?t|do not) "
                    r"talk me out\b|\btalk me out of it\b|\bmy heart is set\b|\bwhatever you say\b")
THAN = re.compile(r"\bthan\b")
DIAL = re.compile(r"\b(?:crank|turn|dial|bump|ramp|boost)\b.{0,30}\b(?:up|down)\b")  # "crank the incentives factor up"
WHICH_OF = re.compile(r"\bwhich (?:of (?:those|these|them|the (?:three|two|3|2|fields|picks))|one)\b")
PICKS_ASKED = re.compile(r"\b(?:picks?|pick for me|recommend\w*|suggest\w*|answer|advice|change|still say|still "
                         r"think|would you (?:say|go with|choose))\b")
CAREER_RUNNER_UP = 0.2  # a self-description whose picks the router also finds this likely is weighed, not taken
ABOUT_A_FIELD = ("why_rank", "details", "define", "timing", "other_views", "readings", "essay")
CONVERSATION_INTENTS = ("details", "list_fields", "define", "other_views", "timing", "decision", "plan", "recap")
THOSE_N = re.compile(r"\b(?:those|these|the|all|both of the|your|the other) (two|three|2|3)\b(?! (?:hours?|weeks?|"
                     r"months?|years?))")
FIRST_ANSWER = re.compile(r"\b(?:at|from) the (?:very )?(?:start|beginning)|\b(?:first|original|earlier|initial) "
                          r"(?:answer|list|picks?|suggestions?|recommendations?)|\byou (?:first|originally) "
                          r"(?:said|suggested|recommended)|\boriginally\b")


TELLS = re.compile(r"^\W*(?:(?:actually|also|oh|btw|well|and|but|ok|okay|so),?\s+)*(?:i|i'm|i've|my)\b")
ABOUT_ME = re.compile(r"\b(?:i|me|my|myself|i'm|i am|i have|someone like me|(?:\w+ )?background|experience|cv)\b")
EXPOSURE = re.compile(r"\b(?:exposed|automat\w*|safer|safest|riskier|at risk|replaced|go(?:es)? first)\b")
# "the second one I asked about", "the third one I listed": the fields the person named, in their order
PERSON_LISTED = re.compile(r"\bi (?:just )?(?:asked about|listed|mentioned|named|said|brought up|gave)\b")
THOSE_GROUP = re.compile(r"\b(?:of|from|among) (?:those|these|them|the (?:two|three|2|3))\b|\b(?:those|these) "
                         r"(?:two|three|2|3)\b")


def latest_list(low: str, context: Context) -> list[str]:
    """The list "the first one" points at: the fields of the last answer that set several side by side (or the
    ones the person just listed) when the message points at a group or at what the person named, else the last
    recommendations."""
    shown = last_shown(context)
    if len(shown) >= 2 and (PERSON_LISTED.search(low) or THOSE_GROUP.search(low)):
        return shown
    return context.recommendations


def last_shown(context: Context) -> list[str]:
    """The fields the last answer talked about, in its order."""
    return list(context.turns[-1].get("fields") or []) if context.turns else []


def first_picks(context: Context) -> list[str]:
    """The recommendations of the earliest answer that gave any."""
    return next((list(t["recommendations"]) for t in context.turns if t.get("recommendations")), [])


def _plan_conversation(plan: Plan, message: str, low: str, named: list[str], referred: str | None,
                       context: Context) -> None:
    """The tool calls for the answer types beyond picks, rankings and readings."""
    target = named or ([referred] if referred else []) or context.focus[:1]
    if plan.intent == "details":
        those = THOSE_N.search(low) or BOTH.search(low)
        plan.fields = (context.focus[:2] if those and not named else target[:1]) or plan.picks[:1]
        if named and referred and referred not in named and PRONOUN_REF.search(low):
            plan.fields = [referred, named[0]]  # "do I need a PhD for that, or for technical governance?"
        for fid in plan.fields:
            plan.calls.append(("field_details", {"field": fid, "aspects": aspects_asked(message)}))
        if not plan.fields:
            plan.intent = "list_fields"
    if plan.intent == "list_fields":
        plan.calls.append(("list_fields", {}))
    elif plan.intent == "define":
        term = term_asked(message)
        plan.fields = named[:1]
        if named and (not term or named == topics_in(term, named)):
            term = named[0]
        elif not named and referred and ORDINAL_REF.search(low):  # "the third one I listed, what even is it?"
            plan.fields, term = [referred], referred
        plan.calls.append(("define_term", {"term": term or message}))
    elif plan.intent == "other_views":
        plan.fields = named[:1]  # "why trust any of this?" asks about the ranking, not the field in focus
        plan.calls.append(("other_views", {"field": plan.fields[0] if plan.fields else None}))
    elif plan.intent == "timing":
        plan.fields = target[:1]
        plan.calls.append(("timing", {"field": plan.fields[0] if plan.fields else None, "year": year_asked(low)}))
    elif plan.intent == "decision":
        plan.fields = (named or plan.picks)[:1]
        plan.calls.append(("decide_job", {"field": plan.fields[0] if plan.fields else None}))
    elif plan.intent == "plan":
        plan.fields = list(dict.fromkeys([*named, *([referred] if referred else []), *plan.picks]))[:2]
        # the hours they give themselves ("I work 50-hour weeks … realistically 4 hours a week"), else as asked
        hours = plan.profile_update.constraints.hours_per_week or hours_per_week(message)
        weeks = horizon_weeks(message)
        plan.calls.append(("make_plan", {"fields": plan.fields, "hours_per_week": hours, "weeks": weeks}))
    elif plan.intent == "recap":
        plan.calls.append(("recap", {}))


def topics_in(term: str, named: list[str]) -> list[str]:
    """The named fields that the term itself names (so "what is mech interp?" defines the field)."""
    low = term.lower()
    return [f for f in named if f.replace("-", " ") in low or low in f.replace("-", " ")] or named


GENERIC = re.compile(r"\b(?:i|me|my|you|your|we|a|an|the|any|some|good|great|best|first|next|what|which|should|"
                     r"could|would|can|do|does|know|recommend\w*|suggest\w*|read|reading|readings|reads|books?|papers?|"
                     r"articles?|stuff|things?|something|anything|start|to|on|about|for|with|of|is|are|btw|so|ok|"
                     r"okay|and|or|please|pls|thanks|also|then|now|just|really|level|intro|beginner|advanced|"
                     r"intermediate|easy|short|long|list|more|other|else|there|where|begin|after|that|this|it|"
                     r"them|those|these|links?|resources?|material|got|have|has|give|get|want|need|like|would|be)\b")


def _subject_words(low: str) -> list[str]:
    """The words of a reading request that name its subject ("sci-fi" in "any good sci-fi books?")."""
    return re.findall(r"[a-z][a-z-]+", GENERIC.sub(" ", low))


def reading_level(low: str) -> str | None:
    """The level a reading request asks for; a negated one ("not beginner level") means the next one up."""
    for name, cue in LEVELS:
        m = cue.search(low)
        if m:
            if name != "advanced" and negated_at(low, m.start()):
                return "intermediate" if name == "intro" else "advanced"
            return name
    return None


def _decide(guess: IntentGuess, low: str, update: Profile, named: list[str], referred: str | None,
            context: Context, floor: float, weight_talk: bool) -> str:
    if weight_talk:  # "taste shouldn't count for much", "crank the incentives factor up": a what-if, always
        return "what_if"
    if named and context.last_intent in CARRIED and CARRY.match(low) and len(low.split()) <= 7:
        return context.last_intent  # "and about mech interp?" asks the last question again, of another field
    tells = bool(update.background or update.lacks or update.skills)
    if guess.intent in CONVERSATION_INTENTS and guess.confidence >= floor and not (
            tells and guess.scores.get("career", 0) >= CAREER_RUNNER_UP):  # a self-description that may ask for picks
        if guess.intent == "recap" and referred and ORDINAL_REF.search(low) and not shape_asked(low).top:
            return "why_fit"  # "why was the top one on the first list?" points at one field, it asks no summary
        return guess.intent  # the answer types after the first answer are the classifier's alone
    scores = dict(guess.scores)
    describes_self = bool(update.background or update.skills or update.lacks or update.about or
                          update.constraints != Profile().constraints or update.interests or update.dislikes)
    if describes_self:
        scores["career"] = scores.get("career", 0) + (0.3 if update.background or update.lacks else 0.15)
        scores["off_topic"] = scores.get("off_topic", 0) - 0.2
    if named or referred:
        scores["off_topic"] = scores.get("off_topic", 0) - 0.25
        scores["help"] = scores.get("help", 0) - 0.1
    if named and DEFINE.search(low) and not ESSAY_WORDS.search(low) and not CUES["readings"][0].search(low):
        # "what is CoT monitoring, in plain words?" (but not "what is a good first read on…")
        scores["why_rank"] = scores.get("why_rank", 0) + 0.2
    if WHAT_IF_START.match(low):
        if re.match(r"^\W*what if i\b", low):  # "what if I can't code, can I still do evals?" is about them
            scores["what_if"] = scores.get("what_if", 0) - 0.3
            scores["career"] = scores.get("career", 0) + 0.15
        else:
            scores["essay"] = scores.get("essay", 0) - 0.15
    if ESSAY_WORDS.search(low) and ESSAY_SAYS.search(low) and not (WHAT_IF_START.match(low) or
                                                                    re.search(RUN_SCENARIO, low)):
        # "does the author say anything about X?" (not "X protects less than the author thinks")
        scores["essay"] = scores.get("essay", 0) + 0.2
    if len(named) >= 2 and CHOICE.search(low):  # "which is least likely to go first: A, B or C?"
        scores["compare"] = scores.get("compare", 0) + 0.15
    if len(set(named) | set(_all_references(low, context.recommendations or context.focus)) |
           ({referred} if referred else set())) >= 2 or (BOTH.search(low) and len(context.focus) >= 2):
        scores["compare"] = scores.get("compare", 0) + 0.1
    else:
        scores["compare"] = scores.get("compare", 0) - 0.15
    if not context.focus and not named:
        scores["why_fit"] = scores.get("why_fit", 0) - 0.2
    elif context.last_intent in ("career", "why_fit") and re.fullmatch(r"\s*(?:why|but why|why\?|how so)\W*", low):
        scores["why_fit"] = scores.get("why_fit", 0) + 0.4
    elif context.last_intent in ("career", "why_fit") and referred and WHY_PICKED.match(low):
        scores["why_fit"] = scores.get("why_fit", 0) + 0.3  # "why the second one?" right after the picks
    if WHY_ME.search(low):  # "why would cooperative AI suit someone like me, specifically?"
        scores["why_fit"] = scores.get("why_fit", 0) + 0.3
    if CHANGE_PICKS.search(low):
        scores["career"] = scores.get("career", 0) + 0.35
    if named_scenario(low) and re.search(r"\b(?:assume|suppose|imagine|what if|say) (?:it|that|this)?\b|"
                                         r"\bhappens\b", low):
        scores["what_if"] = scores.get("what_if", 0) + 0.2  # "the breakthrough the author mentions - assume it happens"
    intent = max(scores, key=lambda k: scores[k])
    if (intent == "career" and not AI_ONLY.search(low) and not named and LIKES_NON_AI.search(low)
            and not FIRST_PERSON.search(low) and not (update.background or update.skills or update.interests)):
        return "off_topic"  # "a good career for someone who likes baking?" asks about another trade, not theirs
    if intent == "why_rank" and not (named or referred or context.focus):
        intent = "essay" if "essay" in low or "author" in low else "why_rank"
    if scores[intent] < floor and not describes_self:
        if named and intent in ABOUT_A_FIELD:  # "and where does evals sit and why": answer the likeliest reading
            return intent
        if named:  # "what about red teaming? breaking stuff sounds fun": that field, for this person
            return "why_fit" if not context.profile.is_empty() else "why_rank"
        if FIRST_ANSWER.search(low) and context.turns:  # "what did you say at the start was the safest bet?"
            return "recap"
        if shape_asked(low) and (context.turns or context.recommendations):  # "top two for me, a reason each"
            return "recap"
        return "clarify" if named or referred or ON_TOPIC.search(low) else "off_topic"
    return intent


CARRY = re.compile(r"^\W*(?:(?:and|ok|okay|so|but|also)\W+)?(?:(?:what|how) )?about\b|^\W*(?:and|same for|"
                   r"same (?:question|thing) for|what of)\b")
CARRIED = ("other_views", "timing", "details", "why_rank", "define", "readings", "essay")
WHY_ME = re.compile(r"\bwhy\b.{0,60}\b(?:suits?|fits?|match(?:es)?|right for|good for|a good fit for) (?:me|someone "
                    r"like me|my (?:background|profile|skills))\b|\bwhy me\b|\bhow does .{0,40} fit (?:with )?my\b|"
                    r"\bwhat about my \w+ made you\b|link to what i (?:told|said)")
TOP_N = re.compile(r"\btop (two|2|three|3)\b")  # "compare the top two"
AI_TERMS = (r"ai|agi|safety|alignment|aligned|ml|machine learning|models?|llms?|neural|automat\w*|interp\w*|evals?|"
            r"governance|chatbots?|essay|author")
AI_ONLY = re.compile(rf"\b(?:{AI_TERMS})\b")  # about AI itself
LIKES_NON_AI = re.compile(r"\b(?:likes?|loves?|enjoys?|into|passionate about)\b")
BOTH = re.compile(r"\b(?:(?:those|these|the) two|both of (?:them|those|these)|(?:which|either) of (?:them|those|"
                  r"these))\b")  # "which of those two goes first?" after two fields were talked about
AI_WORDS = re.compile(rf"\b(?:{AI_TERMS}|research|field|fields|career|post)\b")  # or about this advisor's subject
CHANGE_PICKS = re.compile(r"\b(?:redo|re-do|rerun|re-run|try again|run (?:it|that) again|start over)\b|"
                          r"\b(?:change|affect|update|alter|shift)\b.{0,25}\b(?:picks?|recommendations?|"
                          r"suggestions?|advice|list for me|what you(?:'d| would) recommend)\b|"
                          r"\b(?:does|would|will) (?:that|this|it) change anything\b")
ON_TOPIC = re.compile(r"\b(?:ai|safety|alignment|field|fields|research|career|automat\w*|essay|author|post|read|"
                      r"papers?|rank\w*|interp\w*|evals?|governance|oversight)\b")


def _reference(low: str, focus: list[str], recommendations: list[str]) -> str | None:
    """The field a follow-up points at: "the second one" is the second of the last recommendations, "it" or
    "that field" the one talked about last."""
    listed = recommendations or focus
    m = ORDINAL_REF.search(low)
    if listed and m and LISTED_NOUN.search(low):
        index = ORDINALS[(m.group(1) or m.group(2) or m.group(3)).lower()]
        return listed[index] if -len(listed) <= index < len(listed) else None
    if not focus:
        return None
    if PRONOUN_REF.search(low):
        return focus[0]
    return None


def _all_references(low: str, listed: list[str]) -> list[str]:
    """Every field an ordinal points at ("the second against the third"), or the top few ("the top two")."""
    top = TOP_N.search(low)
    if top and listed:
        return listed[: 2 if top.group(1) in ("two", "2") else 3]
    if not LISTED_NOUN.search(low):
        return []
    out = []
    for m in ORDINAL_REF.finditer(low):
        index = ORDINALS[(m.group(1) or m.group(2) or m.group(3)).lower()]
        if -len(listed) <= index < len(listed):
            out.append(listed[index])
    return out
