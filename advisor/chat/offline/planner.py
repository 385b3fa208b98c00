"""The offline planner: from the conversation so far, what the user asks for (intent, by meaning), which fields
they mean (named, or "the second one", "that field"), what changed about them, and the tool calls an LLM with
tools would make. Deterministic; no neural network beyond the sentence embedder."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from advisor.chat.offline.intents import CUES, IntentGuess, IntentModel
from advisor.chat.offline.text import WHAT_IF_START, negated_at, normalise
from advisor.chat.offline.understanding import Lexicon, read_profile, topic_by_meaning, topics
from advisor.knowledge import Knowledge
from advisor.knowledge.profile import Profile
from advisor.knowledge.ranking import DEFAULT_WEIGHTS

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
WEIGHT_TALK = re.compile(r"\b(?:should(?: not)? count|counts? (?:much|less|more|for)|matters? (?:less|more|much)|"
                         r"ignore the|main (?:driver|bottleneck)|overrates?|underrates?|protects? (?:\w+ ){0,3}(?:less|"
                         r"more)|re-?rank|what does the (?:list|ranking) look like|show me the (?:list|ranking)|the "
                         r"factor|full stop|how would (?:that|this|it) rank)\b|= safe")
ESSAY_SAYS = re.compile(r"\b(?:say|says|said|write|writes|wrote|mention\w*|think|thinks|claim\w*|argue\w*|conclude\w*|"
                        r"predict\w*|reckon\w*)\b")
CHOICE = re.compile(r"\b(?:which|or|vs\.?|versus|between|than)\b")
ESSAY_WORDS = re.compile(r"\b(?:essay|author|post|article|blog|comments?|commenters?|writer)\b")
LISTED_NOUN = re.compile(r"#[123]\b|\bthe (?:first|second|third|last|1st|2nd|3rd)\b\s*(?:[?.!,]|$)|"
                         r"\b(?:ones?|fields?|options?|picks?|recommendations?|choices?|areas?|suggestions?|"
                         r"number (?:one|two|three|[123])|no\.? ?[123]|"
                         r"of (?:the|those|these) (?:three|two|3|2)|of them|of those|on (?:the|your) list)\b")
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
FACTOR_CUES = {
    "feedback_quality": re.compile(r"verif\w*|check\w*|feedback|measur\w*|testable|ground truth|evaluat\w+ (?:the )?"
                                   r"(?:results|outputs)|how easy (?:it is )?to (?:tell|judge)|supervis\w*|"
                                   r"grad(?:e|ed|er|ers|ing)\b|fuzzy|crisp|signal of success|success signal|legible|"
                                   r"well-specified|clear grader"),
    "economic_incentive": re.compile(r"incentive\w*|economic\w*|money|commercial\w*|profit\w*|funding|labs? "
                                     r"(?:want|care|invest|pour|spend|have)|reason to automate|market|pressure|"
                                     r"business|pay(?:s|ing)? to automate|cost cent(?:re|er)|invest\w*|billions?|"
                                     r"a dime|"
                                     r"profitable|reason to pay|econ\b"),
    "research_taste": re.compile(r"taste|new concepts?|novel (?:ideas|concepts)|conceptual|creativ\w*|insight\w*|"
                                 r"original (?:ideas|thinking)|coming up with|nose for|(?:which|what|good|right) "
                                 r"questions|new ideas|judg(?:e)?ment|novel\b|original\b|research ideas|research "
                                 r"directions|what to work on|ideas|invent\w*|frames?\b|paradigms?"),
    "human_interaction": re.compile(r"people|human interaction|institution\w*|relationships?|trust between|"
                                    r"people-facing|social|interpersonal|stakeholders?|dealing with|ppl|lobby\w*|"
                                    r"regulators?|policymakers?|officials|tutor\w*|taught|teach\w*|mentor\w*|"
                                    r"negotiat\w*|persuad\w*|schmooz\w*|networking|diplomac\w*|diplomats?|governments?|"
                                    r"communit\w*|human contact|policy briefs|consultations?"),
}
AI_CAN = re.compile(r"\b(?:ai|ais|agents?|models?|machines?|computers?)\b.{0,80}\b(?:as good as|just as well|"
                    r"as well as|(?:great|excellent|brilliant|amazing|superhuman|better) at|"
                    r"by themselves|on their own|handle|handles|can do|take over|takes over|crack|cracks|copy|"
                    r"(?:get|gets|got|become|becomes|are|were) (?:really |very |super |just as |as )?good at|"
                    r"better than (?:us|people|humans)|outperform\w*|match (?:us|people|humans)|"
                    r"pick(?:s|ed)? (?:it )?up|learn(?:s|ed)?|master(?:s|ed)?|acquire[sd]?|develop\w*|gain\w*|"
                    r"(?:reliabl\w*|good) enough to|reliabl\w* (?:grade|judge|check|verify|evaluate)|"
                    r"start(?:s|ed)? producing|produc\w+ (?:genuinely )?novel)\b|"
                    r"\bby (?:an? )?(?:ai|ais|bots?|models?|machines?)\b|\b(?:ai|llm) (?:tutors?|teachers?|mentors?|"
                    r"lobbyists?|diplomats?|negotiators?|graders?|reviewers?)\b|\b(?:easy|trivial|simple|no problem) "
                    r"for (?:ai|ais|models?|llms?|machines?)\b|\b(?:ai|ais|models?|llms?)\b.{0,60}\bbetter \w+"
                    r"(?: \w+)? than "
                    r"(?:most|us|people|humans|experts|senior)|reliabl\w* (?:propos|produc|generat|invent|com)\w*|\bas "
                    r"\w+(?: and \w+)? as (?:a )?(?:human|humans|people|person)\b|ai-written|ai representatives?|"
                    r"(?:verifier|grader|checker)s?\b.{0,40}\b(?:reliabl\w*|can|could) (?:grade|check|verify|judge)|"
                    r"just as easy for (?:ai|models?|llms?)")
# "if every result were easy to check": the factor stops separating the fields
CHECK_EASY = (r"(?:easy to (?:check|verify|grade|evaluate|tell)|(?:check\w*|verif\w*|grad\w*|evaluat\w*)(?: \w+){0,3} "
              r"(?:becomes?|became|gets?|got|is|are|were) (?:\w+ )?(?:easy|trivial))")
UNIVERSAL = r"(?:\b(?:any|every|all|everything|anything)\b|across the board|everywhere|universally)"
EASY_EVERYWHERE = re.compile(rf"{UNIVERSAL}.{{0,40}}{CHECK_EASY}|{CHECK_EASY}.{{0,40}}{UNIVERSAL}|(?:no|not (?:\w+ )"
                             r"{0,3}any) harder to automate|(?:just )?as easy to automate")
MATTERS_MORE = re.compile(r"\b(?:matters?|mattered|counts?|counted|weighs?|weighed) (?:\w+ ){0,2}more\b|\bmore "
                          r"important\b|main (?:driver|thing|factor)|more than anything|only thing that matters|"
                          r"double (?:the )?weight|(?:give|put) (?:it |\w+ )?(?:double|more|extra) weight|main "
                          r"bottleneck|(?:=|means|equals) safe|full stop")
ONLY_EASY = re.compile(r"\bonly\b.{0,30}\b(?:easy|easier) to (?:check|verify|grade|evaluate|tell)|\bonly\b.{0,40}\b"
                       r"(?:where|when|if)\b.{0,20}\b(?:clear|automatic|crisp|easy|objective)\b")  # it matters more
FUZZY = re.compile(r"\b(?:fuzzy|messy|open-ended|hard[- ]to[- ](?:supervise|grade|check|verify)|conceptual|"
                   r"any research output|every field|across the board)\b")  # work whose results are hard to check
DENIED = re.compile(r"\b(?:not true|is not true|untrue|wrong|not the case) that\b|\bdisagree (?:with [\w' ]{0,30})?"
                    r"that\b|assumption dropped")  # "not true that labs have no…"
UP = re.compile(r"\b(?:even more|way more|a lot more|much more|desperate\w*|eager\w*|crank\w* up|turn\w* up|dial\w* "
                r"up|double\w*|boost\w*|matters? more|count(?:s|ed)? (?:for )?more)\b")
AI_CANNOT = re.compile(r"(?:hard(?:est)?|impossible) (?:thing )?for (?:ai|ais|models?|machines?)|(?:ai|ais|models?|"
                       r"machines?) (?:can not|could not|will never|never|are unable to) \w+|the (?:real )?bottleneck|"
                       r"only humans|(?:the )?(?:very )?last thing (?:ai|ais|models?) (?:learns?|can do|masters?|"
                       r"gets?)|"
                       r"ultimate safe|safe zone|out of reach for (?:ai|models)|keeps? failing|fail(?:s|ing)? at|but "
                       r"(?:they |it )?(?:still )?(?:can not|could not|never)|stays? human|remains? human|human "
                       r"forever|harder to automate|hard for llms")
DOWN = re.compile(r"\b(?:stop(?:s|ped)? (?:protecting|mattering|counting|helping|caring|being)|no (?:protection|effect|"
                  r"difference)|no (?:\w+ )?(?:reason|incentive|money|interest)|dr(?:y|ies|ied) up|nobody|no one|"
                  r"for nothing|should not|need not|shouldn'?t|no protection|"
                  r"gives? no|not protect\w*|less|lower|barely|hardly|doesn'?t|does not|do not|did not|isn'?t|is not|"
                  r"are not|aren'?t|not "
                  r"really|not much|not nearly|zero|no reason|no incentive|little|weaker|weaken|smaller|don'?t buy|"
                  r"doubt|overrated|matter(?:s)? less|counted for less|down|ignor\w*|irrelevant|no longer|lose|lost|"
                  r"cost cent(?:re|er)|never pay|never makes?|a dime|unprofitable|whether or not|regardless of|"
                  r"overrates?)\b")
SCENARIO_CUES = {
    "trusted-eval-generation": re.compile(r"(?:tests?|test suites?|test cases|evals?|benchmarks?) (?:that )?(?:models?|"
                                          r"ais?|llms?|agents?) (?:write|writes|wrote|generate|generated|make|build)|"
                                          r"(?:ai|ais|models?|llms?|agents?)\b.{0,30}\b(?:write|generate|build|make|"
                                          r"design)s? (?:the |our |its own |their own )?(?:benchmarks?|tests?|test "
                                          r"suites?|evals?|eval suites?|evaluations?)|"
                                          r"(?:eval\w*|benchmark\w*|test\w*)\b.{0,40}\b(?:generat\w*|written|"
                                          r"trust\w*|reliable|automat\w*|auto)|(?:generat\w*|model-written|"
                                          r"auto-?generated|automated|automatic|ai-written|llm-written|machine-made|"
                                          r"ai-made|model-made|llm-made)\b.{0,20}\b(?:eval|test|benchmark)"),
    "interp-breakthrough": re.compile(r"breakthrough|leap|cracks? (?:interp|mech|reverse-engineering|model internals)|"
                                      r"(?:crack\w*|solve\w*|figure\w* out) (?:reading |understanding |interpreting )?"
                                      r"(?:neural (?:nets?|networks)|model internals|how (?:models|networks) work)|"
                                      r"look inside .{0,40}\b(?:verify|check|see what)|(?:interp\w*|internals)\b.{0,60}"
                                      r"\b(?:(?:can|could) be verified|verified automatic\w*|easy|easier|trivial|"
                                      r"straightforward|big win|major win|the kind of win|solved|advance|legible|"
                                      r"checkable|stop being fuzzy|no longer fuzzy)\b|"
                                      r"(?:interp\w*|internals|reverse-engineer\w*|circuits?)\b.{0,60}\b(?:easy to "
                                      r"(?:check|verify|tell|confirm)|simple to (?:check|confirm|verify)|solved|"
                                      r"verifiable)|(?:solve[sd]?|solving|crack\w*) (?:mech\w* )?interp"),
}
ESSAY_ASPECTS = {
    "author": re.compile(r"\bwho (?:\w+ )?(?:wrote|is the author|authored|is behind)|author'?s name|their name|"
                         r"name of the author|"
                         r"who'?s the (?:author|writer)"),
    "when": re.compile(r"\bwhen (?:does|do|will|would)|what year|timeline|how soon|by when"),
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


@dataclass
class Context:
    """What the conversation already knows: the profile, the fields in focus (recommendations first, in
    order), the intent of the last answer, the last recommendations and the last what-if."""

    profile: Profile
    focus: list[str]
    last_intent: str = ""
    recommendations: list[str] = field(default_factory=list)  # the last ones, in order: "the second one"
    what_if: dict[str, Any] | None = None  # the what-if the last answer was under


def plan_turn(message: str, knowledge: Knowledge, lexicon: Lexicon, intents: IntentModel, context: Context) -> Plan:
    low = normalise(message)
    update = read_profile(message, knowledge, lexicon)
    named = topics(low, knowledge, lexicon)
    referred = _reference(low, context.focus, context.recommendations)
    guess = intents.guess(message, low)
    intent = _decide(guess, low, update, named, referred, context, intents.floor)
    plan = Plan(intent, profile_update=update, confidence=round(guess.confidence, 3))
    if not update.is_empty():
        plan.calls.append(("update_profile", update.model_dump(exclude_defaults=True)))
    target = named or ([referred] if referred else []) or context.focus[:1]
    if intent == "career":
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
    elif intent == "why_rank":
        plan.fields = target[:1]
        plan.calls.append(("explain_field", {"field": plan.fields[0]}) if plan.fields else ("rank_fields", {}))
        plan.calls.append(("search_knowledge", {"query": message, "k": 1, "kind": "user"}))
    elif intent == "compare":
        fields = list(dict.fromkeys([*named, *_all_references(low, context.recommendations or context.focus),
                                     *([referred] if referred else [])]))
        if len(fields) < 2:
            fields = list(dict.fromkeys([*fields, *context.focus]))[:2]
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
        plan.fields = target[:3] if named else target[:1]
        plan.level = reading_level(low)
        plan.calls.append(("recommend_readings", {"fields": plan.fields, "level": plan.level}))
    elif intent == "what_if":
        plan.scenario, plan.weights = what_if(low, message, knowledge)
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
    elif intent == "clarify":
        plan.alternatives = [guess.intent, guess.runner_up]
    return plan


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
            context: Context, floor: float) -> str:
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
    weight_talk = bool(WEIGHT_TALK.search(low)) and any(cue.search(low) for cue in FACTOR_CUES.values())
    if weight_talk:  # "taste shouldn't count much", "ignore the X factor"
        scores["what_if"] = scores.get("what_if", 0) + 0.35
    if WHAT_IF_START.match(low):
        if re.match(r"^\W*what if i\b", low):  # "what if I can't code, can I still do evals?" is about them
            scores["what_if"] = scores.get("what_if", 0) - 0.3
            scores["career"] = scores.get("career", 0) + 0.15
        else:
            scores["essay"] = scores.get("essay", 0) - 0.15
    if ESSAY_WORDS.search(low) and ESSAY_SAYS.search(low) and not (WHAT_IF_START.match(low) or weight_talk):
        # "does the author say anything about X?" (not "X protects less than the author thinks")
        scores["essay"] = scores.get("essay", 0) + 0.2
    if len(named) >= 2 and CHOICE.search(low):  # "which is least likely to go first: A, B or C?"
        scores["compare"] = scores.get("compare", 0) + 0.15
    if len(set(named) | set(_all_references(low, context.recommendations or context.focus)) |
           ({referred} if referred else set())) >= 2:
        scores["compare"] = scores.get("compare", 0) + 0.1
    else:
        scores["compare"] = scores.get("compare", 0) - 0.15
    if not context.focus and not named:
        scores["why_fit"] = scores.get("why_fit", 0) - 0.2
    elif context.last_intent in ("career", "why_fit") and re.fullmatch(r"\s*(?:why|but why|why\?|how so)\W*", low):
        scores["why_fit"] = scores.get("why_fit", 0) + 0.4
    elif context.last_intent in ("career", "why_fit") and referred and WHY_PICKED.match(low):
        scores["why_fit"] = scores.get("why_fit", 0) + 0.3  # "why the second one?" right after the picks
    if CHANGE_PICKS.search(low):
        scores["career"] = scores.get("career", 0) + 0.35
    intent = max(scores, key=lambda k: scores[k])
    if intent == "why_rank" and not (named or referred or context.focus):
        intent = "essay" if "essay" in low or "author" in low else "why_rank"
    if scores[intent] < floor and not describes_self:
        return "clarify" if named or referred or ON_TOPIC.search(low) else "off_topic"
    return intent


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
    """Every field an ordinal points at ("the second against the third")."""
    if not LISTED_NOUN.search(low):
        return []
    out = []
    for m in ORDINAL_REF.finditer(low):
        index = ORDINALS[(m.group(1) or m.group(2) or m.group(3)).lower()]
        if -len(listed) <= index < len(listed):
            out.append(listed[index])
    return out


EXACT_WEIGHT = re.compile(r"\b(feedback_quality|economic_incentive|research_taste|human_interaction)\s*=\s*"
                          r"(\d{1,4}(?:\.\d+)?)")  # "feedback_quality=10", as the web page's sliders write it


def what_if(low: str, message: str, knowledge: Knowledge) -> tuple[str | None, dict[str, float] | None]:
    """The named scenario, or the factor weights, that a what-if means. Weights given exactly
    ("feedback_quality=10") are taken as they are, with any scenario named beside them."""
    scenario = next((sid for sid, cue in SCENARIO_CUES.items() if cue.search(low)), None)
    exact = {name: float(value) for name, value in EXACT_WEIGHT.findall(low)}
    if exact:
        return scenario, exact  # the ranking tool checks them and says what is wrong
    if scenario:
        return scenario, None
    factors = [name for name, cue in FACTOR_CUES.items() if cue.search(low)]
    if not factors:
        from advisor.search.semantic import LabelledSet

        described = LabelledSet([(name, _FACTOR_TEXT[name]) for name in _FACTOR_TEXT], k=1)
        label, similarity = described.nearest(message)
        factors = [label] if similarity >= 0.25 else []
    if not factors:
        return None, None
    protective = set(factors) <= {"research_taste", "human_interaction"}
    denied = bool(DENIED.search(low))  # "what if the author is wrong that…": the opposite of what follows
    if MATTERS_MORE.search(low):
        down, denied = False, False  # "matters way more than you assumed"
    elif protective and AI_CANNOT.search(low):
        down = False  # "the hardest thing for AI to copy": it protects more
    elif protective and AI_CAN.search(low):
        down = True  # "AI gets as good as people at new ideas": it protects less
    elif "feedback_quality" in factors and EASY_EVERYWHERE.search(low):
        down = True  # "if every result were easy to check": checking no longer separates the fields
    elif "feedback_quality" in factors and ONLY_EASY.search(low):
        down = False  # "only work that's easy to grade gets automated"
    elif "feedback_quality" in factors and AI_CANNOT.search(low):
        down = False  # "fuzzy, hard-to-supervise work stays impossible for AI": checkability decides more
    elif "feedback_quality" in factors and FUZZY.search(low) and AI_CAN.search(low):
        down = True  # "AI gets as good at fuzzy work as at crisp work": checkability decides less
    else:
        down = bool(DOWN.search(low)) and not UP.search(low)
        if UP.search(low):
            denied = False  # "not true that labs have no reason to automate - they are desperate to"
    if denied:
        down = not down
    return None, {f: DEFAULT_WEIGHTS[f] / 3 if down else DEFAULT_WEIGHTS[f] * 2 for f in factors}


_FACTOR_TEXT = {
    "feedback_quality": "how easy it is to verify and check the research results",
    "economic_incentive": "how much money and reason frontier labs have to automate the research",
    "research_taste": "how much the work needs research taste, judgement and new concepts",
    "human_interaction": "how much the work depends on people, relationships and institutions",
}
