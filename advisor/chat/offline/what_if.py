"""What a what-if means: the scenario it names, the weights it gives exactly ("feedback_quality=10"), or the
factor it is about and whether that factor should decide more or less, by the convention in evals/FORMAT.md.
The factor is read from plain cues, or by meaning against the labelled sentences in
`knowledge/what_if_factors.yaml`; the direction from what each part of the sentence says (a denial flips the
part it stands in)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from advisor.chat.offline.data import read_data
from advisor.knowledge.ranking import DEFAULT_WEIGHTS

WEIGHT_TALK = re.compile(r"\b(?:should(?: not)? count|counts? (?:much|less|more|for)|matters? (?:less|more|much)|"
                         r"ignore the|main (?:driver|bottleneck)|overrates?|underrates?|protects? (?:\w+ ){0,3}(?:less|"
                         r"more)|re-?rank|what does the (?:list|ranking) look like|show me the (?:list|ranking)|the "
                         r"factor|full stop|how would (?:that|this|it) rank|(?:the )?deciding (?:thing|factor)|"
                         r"decides? everything|key factor|biggest factor|decides? (?:what|which)|dominat\w*|"
                         r"nothing else comes close|"
                         r"trumps|outweigh\w*|counting for|underweight\w*|overweight\w*|(?:more|less) "
                         r"heavily|weight (?:\w+ ){1,3}(?:more|less|up|down)|(?:down|up)-?weight\w*|"
                         r"minor (?:consideration|factor|thing)|"
                         r"(?:lower|raise|reduce|increase|bump|drop|cut) (?:that|this|the) (?:factor|weight)|"
                         r"(?:less|more) weight)\b|= safe|^ignore\b|\bignore (?:how|what|"
                         r"whether|the)\b")
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
                    r"start(?:s|ed)? producing|produc\w+ (?:genuinely )?novel|"
                    r"(?:already )?(?:have|has|possess\w*) (?:the |that |this |real |genuine )?"
                    r"(?:[\w-]+ ){0,3}(?:abilit\w*|skills?|capabilit\w*|capacity))\b|"
                    r"\bby (?:an? )?(?:ai|ais|bots?|models?|machines?)\b|\b(?:ai|llm) (?:tutors?|teachers?|mentors?|"
                    r"lobbyists?|diplomats?|negotiators?|graders?|reviewers?)\b|\b(?:easy|trivial|simple|no problem) "
                    r"for (?:ai|ais|models?|llms?|machines?)\b|\b(?:ai|ais|models?|llms?)\b.{0,60}\bbetter \w+"
                    r"(?: \w+)? than "
                    r"(?:most|us|people|humans|experts|senior)|reliabl\w* (?:propos|produc|generat|invent|com)\w*|\bas "
                    r"\w+(?: and \w+)? as (?:a )?(?:human|humans|people|person)\b|ai-written|ai representatives?|"
                    r"(?:verifier|grader|checker)s?\b.{0,40}\b(?:reliabl\w*|can|could) (?:grade|check|verify|judge)|"
                    r"just as easy for (?:ai|models?|llms?)")
# "if every result were easy to check": the factor stops separating the fields
CHECK_EASY = (r"(?:easy[- ]to[- ](?:check|verify|grade|evaluate|tell)|(?:check\w*|verif\w*|grad\w*|evaluat\w*)"
              r"(?: \w+){0,3} (?:becomes?|became|gets?|got|is|are|were) (?:\w+ )?(?:easy|trivial)|(?:checked|verified|"
              r"graded|evaluated) (?:as )?(?:quickly|easily|cheaply|instantly|automatically|reliably|mechanically|in "
              r"seconds)|"
              r"(?:automatically|mechanically) (?:checked|verified|graded)|(?:script|program|unit test|test suite|"
              r"grader|checker)s? (?:can )?(?:check|verif|grad)\w*)")
UNIVERSAL = r"(?:\b(?:any|every|all|everything|anything)\b|across the board|everywhere|universally)"
EASY_EVERYWHERE = re.compile(rf"{UNIVERSAL}.{{0,40}}{CHECK_EASY}|{CHECK_EASY}.{{0,40}}{UNIVERSAL}|(?:no|not (?:\w+ )"
                             r"{0,3}any) (?:harder|more difficult|tougher)\b|(?:just )?as easy to automate|"
                             r"(?:just )?as automatable as|"
                             r"no (?:\w+ ){0,3}(?:is |are )?any (?:harder|more difficult|tougher)|"
                             r"no harder to automate")
MATTERS_MORE = re.compile(r"\b(?:matters?|mattered|counts?|counted|weighs?|weighed) (?:\w+ ){0,2}more\b|\bmore "
                          r"important\b|main (?:driver|thing|factor)|(?:the )?deciding (?:thing|factor)|decides? "
                          r"everything|(?:key|biggest) factor|dominat\w*|nothing else comes close|trumps|outweigh\w*|"
                          r"(?:really|truly) "
                          r"decides?|underweighted|more heavily|more than anything|"
                          r"only thing that matters|"
                          r"double (?:the )?weight|(?:give|put) (?:it |\w+ )?(?:double|more|extra) weight|main "
                          r"bottleneck|(?:=|means|equals) safe|full stop")
ONLY_EASY = re.compile(rf"\bonly\b.{{0,30}}\b(?:easy|easier)[- ]to[- ](?:check|verify|grade|evaluate|tell)|\bonly\b"
                       r".{0,40}\b(?:where|when|if)\b.{0,20}\b(?:clear|automatic|crisp|easy|objective)\b|"
                       rf"\bonly\b.{{0,60}}{CHECK_EASY}")  # it matters more
FUZZY = re.compile(r"\b(?:fuzzy|messy|open-ended|hard[- ]to[- ](?:supervise|grade|check|verify)|conceptual|"
                   r"any research output|every field|across the board)\b")  # work whose results are hard to check
DENIED = re.compile(r"\b(?:(?:it )?(?:is )?not true|untrue|false|wrong|mistaken|not the case) (?:that|about|in "
                    r"thinking)\b|\bdisagree (?:with [\w' ]{0,30})?"
                    r"that\b|assumption dropped")  # "not true that labs have no…"
DENIED_AFTER = re.compile(r"\b(?:the )?(?:idea|claim|notion|assumption|view|premise|thesis|theory|story) (?:that )?"
                          r"(.+?) (?:is|was|turns out(?: to be)?|proves?(?: to be)?) (?:just |simply |plain |totally |"
                          r"completely |actually |all )?(?:wrong|false|mistaken|backwards|nonsense|a myth|untrue|"
                          r"bogus)\b")
UP = re.compile(r"\b(?:even more|way more|a lot more|much more|desperate\w*|eager\w*|crank\w* up|turn\w* up|dial\w* "
                r"up|double\w*|boost\w*|matters? more|count(?:s|ed)? (?:for )?more|up-?weight\w*)\b")
AI_CANNOT = re.compile(r"(?:hard(?:est)?|impossible) (?:thing )?for (?:ai|ais|models?|machines?)|(?:ai|ais|models?|"
                       r"machines?) (?:can not|could not|will never|never|are unable to) \w+|the (?:real )?bottleneck|"
                       r"only humans|(?:the )?(?:very )?last thing (?:ai|ais|models?) (?:learns?|can do|masters?|"
                       r"gets?)|"
                       r"ultimate safe|safe zone|out of reach for (?:ai|models)|keeps? failing|fail(?:s|ing)? at|but "
                       r"(?:they |it )?(?:still )?(?:can not|could not|never)|stays? human|remains? human|human "
                       r"forever|harder to automate|hard for llms|beyond (?:the reach of )?(?:ai|ais|llms?|models?|"
                       r"machines?)\b|"
                       r"stays? (?:a |an )?(?:purely |strictly |entirely |exclusively )?human|"
                       r"(?:purely|strictly|entirely|exclusively) human")
DOWN = re.compile(r"\b(?:stop(?:s|ped)? (?:protecting|mattering|counting|helping|caring|being)|no (?:protection|effect|"
                  r"difference)|no (?:\w+ )?(?:reason|incentive|money|interest)|dr(?:y|ies|ied) up|nobody|no one|"
                  r"for nothing|should not|need not|shouldn'?t|no protection|"
                  r"gives? no|not protect\w*|less|lower|barely|hardly|doesn'?t|does not|do not|did not|isn'?t|is not|"
                  r"are not|aren'?t|not "
                  r"really|not much|not nearly|zero|no reason|no incentive|little|weaker|weaken|smaller|don'?t buy|"
                  r"will not|would not|bother\w*|lack\w*|"
                  r"doubt|overrated|matter(?:s)? less|counted for less|down|ignor\w*|irrelevant|no longer|lose|lost|"
                  r"cost cent(?:re|er)|never pay|never makes?|a dime|unprofitable|whether or not|regardless of|"
                  r"overrates?|count\w* (?:for )?(?:\w+ )?(?:nothing|zero|little)|down-?weight\w*|"
                  r"minor (?:consideration|factor|thing)|de-?emphasi[sz]\w*|"
                  r"play\w* (?:\w+ )?down)\b")
# Whoever does the work in a what-if about AI: the machines, or people
AI_SUBJECT = re.compile(r"\b(?:ai|ais|agents?|models?|llms?|chatbots?|bots?|machines?|computers?|assistants?|gpt\w*|"
                        r"verifiers?|graders?)\b")
# an AI that falls short: whatever it falls short at keeps protecting (or keeps separating the fields)
FAILS = re.compile(r"\b(?:flounder\w*|struggl\w*|stuck|stumbl\w*|fail\w*|fumbl\w*|botch\w*|bungl\w*|flop\w*|"
                   r"fall\w* flat|miss\w* the mark|mess\w* up|come\w* up short|falter\w*|chok\w*|plateau\w*|stall\w*|"
                   r"hit\w* a wall|fall\w* short|falls? over|trip\w* up|(?:bad|terrible|hopeless|useless|no good|not "
                   r"good) at|can not|could not|never|unable|incapable|out of (?:[\w']+ ){0,2}reach|beyond "
                   r"(?:[\w']+ ){0,2}"
                   r"(?:reach|abilit\w*|capabilit\w*)|nowhere near|still need\w* (?:a )?(?:human|people|us)|only "
                   r"humans|stays? human|remains? human|limited to|confined to|lack\w*|last thing|"
                   r"hold\w* (?:\w+ )?back|"
                   r"stump\w*|no (?:ai|ais|bots?|models?|machines?)\b|ban\w*|refus\w*|forbid\w*|prohibit\w*|"
                   r"not allowed|disallow\w*)\b")
NO_PEOPLE_NEEDED = re.compile(r"\bno (?:human|people|person)\b.{0,25}\b(?:needed|required|necessary|involved)\b|"
                              r"\bwithout (?:any |a )?(?:human|people|person)|\bstraight from (?:the )?(?:ai|models?|"
                              r"machines?)|\bcut (?:out )?the (?:humans?|people|middlem[ae]n)")
VERIFIERS = re.compile(r"\b(?:ai|automated|model|llm)\b.{0,20}\b(?:verifiers?|graders?|checkers?)\b")
SET_ASIDE = re.compile(r"\b(?:set|put|leave|leaving|leaves|setting|putting) (?:\w+ ){0,3}aside|\baside from\b|"
                       r"\bto (?:one|the) side\b|\bon hold\b|\bdisregard\w*|\bout of the (?:picture|equation)|"
                       r"\bnothing to do with\b|\b(?:leave|leaving|take|taking|drop|dropping|remove|removing|zero) "
                       r"(?:\w+ ){0,3}out\b|\bno (?:lab|labs|company|companies|firm|firms|funder|funders|investor|"
                       r"investors|one|body)\b|\bnot (?:a|one) (?:lab|company|firm|funder)\b")
SCENARIO_CUES = {
    "trusted-eval-generation": re.compile(r"(?:tests?|test suites?|test cases|evals?|benchmarks?) (?:that )?(?:models?|"
                                          r"ais?|llms?|agents?) (?:write|writes|wrote|generate|generated|make|build)|"
                                          r"(?:ai|ais|models?|llms?|agents?)\b.{0,30}\b(?:write|generate|build|make|"
                                          r"design)s? (?:the |our |its own |their own )?(?:[\w-]+ ){0,2}(?:benchmarks?|"
                                          r"tests?|test "
                                          r"suites?|evals?|eval suites?|evaluations?)|"
                                          r"(?:eval\w*|benchmark\w*|test\w*)\b.{0,40}\b(?:generat\w*|written|"
                                          r"trust\w*|reliable|automat\w*|auto)|(?:generat\w*|model-written|"
                                          r"auto-?generated|automated|automatic|ai-written|llm-written|machine-made|"
                                          r"ai-made|model-made|llm-made|(?:ai|model|llm|machine|"
                                          r"bot)-\w+ed)\b.{0,20}\b(?:eval|test|benchmark)"),
    "interp-breakthrough": re.compile(r"(?:breakthrough|leap)s?\b.{0,60}\b(?:interp\w*|internals|understanding (?:how "
                                      r")?(?:models|networks)|reverse-engineer\w*|circuits?)|(?:interp\w*|mech\w*|"
                                      r"internals)\b.{0,40}\b(?:breakthrough|leap)|(?:the|that|this|his|author'?s?) "
                                      r"(?:[\w-]+ ){0,2}(?:breakthrough|leap)\b(?! at)|"
                                      r"reverse-?engineer\w* (?:neural )?(?:nets?|networks|models)|"
                                      r"cracks? (?:interp|mech|reverse-engineering|model internals)|"
                                      r"(?:crack\w*|solve\w*|figure\w* out) (?:reading |understanding |interpreting )?"
                                      r"(?:neural (?:nets?|networks)|model internals|how (?:models|networks) work)|"
                                      r"look inside .{0,40}\b(?:verify|check|see what)|(?:interp\w*|internals)\b.{0,60}"
                                      r"\b(?:(?:can|could) be verified|verified automatic\w*|easy|easier|trivial|"
                                      r"straightforward|big win|major win|the kind of win|solved|advance|legible|"
                                      r"checkable|stop being fuzzy|no longer fuzzy|(?:is|are) not fuzzy)\b|"
                                      r"(?:interp\w*|internals|reverse-engineer\w*|circuits?)\b.{0,60}\b(?:easy to "
                                      r"(?:check|verify|tell|confirm)|simple to (?:check|confirm|verify)|solved|"
                                      r"verifiable)|(?:solve[sd]?|solving|crack\w*) (?:mech\w* )?interp"),
}
EXACT_WEIGHT = re.compile(r"\b(feedback_quality|economic_incentive|research_taste|human_interaction)\s*=\s*"
                          r"(\d{1,4}(?:\.\d+)?)")  # "feedback_quality=10", as the web page's sliders write it
# "feedback quality counted 10 instead of 3", as the web page's "ask about this change" says it
COUNTED_AS = re.compile(r"\b(feedback quality|economic incentives?|research taste|human interaction) counted "
                        r"(\d{1,4}(?:\.\d+)?) instead of \d")


class FactorExamples(BaseModel):
    floor: float = Field(ge=0, le=1)  # how close the nearest sentences must be for the factor to count
    factors: dict[str, list[str]]

    @field_validator("factors")
    @classmethod
    def _known(cls, factors: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = set(factors) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown factor(s) {sorted(unknown)}; use {', '.join(DEFAULT_WEIGHTS)}")
        return factors


class FactorModel:
    def __init__(self, examples: FactorExamples) -> None:
        from advisor.search.semantic import LabelledSet

        self.floor = examples.floor
        self.examples = LabelledSet([(f, t) for f, texts in examples.factors.items() for t in texts], k=3)

    def nearest(self, message: str) -> str | None:
        """The factor whose example sentences are closest to the message, if close enough."""
        scores = self.examples.scores(message)
        best = max(scores, key=lambda f: scores[f], default=None)
        return best if best is not None and scores[best] >= self.floor else None


@lru_cache(maxsize=4)
def load_factor_model(directory: Path) -> FactorModel:
    return FactorModel(read_data(directory / "what_if_factors.yaml", FactorExamples))


def factor_named(low: str, message: str, directory: Path | None) -> bool:
    """Whether the message is about one of the ranking's factors, in plain words or by meaning."""
    if any(cue.search(low) for cue in FACTOR_CUES.values()):
        return True
    return directory is not None and load_factor_model(directory).nearest(message) is not None


def plainly_named(low: str) -> bool:
    """Whether the message names a factor in plain words, or gives weights outright (not only by meaning)."""
    return any(cue.search(low) for cue in FACTOR_CUES.values()) or bool(EXACT_WEIGHT.search(low) or
                                                                         COUNTED_AS.search(low))


def named_scenario(low: str) -> str | None:
    """The scenario a (normalised) message is about, if it names one by what it is."""
    return next((sid for sid, cue in SCENARIO_CUES.items() if cue.search(low)), None)


def what_if(low: str, message: str, directory: Path | None) -> tuple[str | None, dict[str, float] | None]:
    """The named scenario, or the factor weights, that a what-if means. Weights given exactly
    ("feedback_quality=10") are taken as they are, with any scenario named beside them. `directory` is the
    knowledge folder, where what_if_factors.yaml sits (without it, only plainly named factors are read)."""
    scenario = named_scenario(low)
    exact = {name: float(value) for name, value in EXACT_WEIGHT.findall(low)}
    exact |= {name.replace(" ", "_").replace("incentives", "incentive"): float(value)
              for name, value in COUNTED_AS.findall(low)}
    if exact:
        return scenario, exact  # the ranking tool checks them and says what is wrong
    if scenario:
        return scenario, None
    factors = [name for name, cue in FACTOR_CUES.items() if cue.search(low)]
    if len(factors) != 1 and directory is not None:  # none named plainly, or several: the one meant, by meaning
        nearest = load_factor_model(directory).nearest(message)
        factors = [nearest] if nearest else []
    if len(factors) != 1:
        return None, None
    down = direction(low, factors) == "down"
    return None, {f: DEFAULT_WEIGHTS[f] / 3 if down else DEFAULT_WEIGHTS[f] * 2 for f in factors}


SEGMENT_BREAK = re.compile(r"[.;!?]+\s+|\s+-+\s+|\s+(?:but|so)\s+|,\s*(?:say|and)\s+")


def direction(low: str, factors: list[str]) -> str:
    """Whether a what-if about these factors makes them decide more ("up") or less ("down"), by the convention
    in evals/FORMAT.md. Each part of the sentence is read on its own and the part that says most decides; a
    denial ("what if the author is wrong that…") flips the part it stands in, and its own "not" is not read as
    a second one."""
    about_ai = bool(AI_SUBJECT.search(low))
    readings = [_read_direction(part, factors, about_ai) for part in SEGMENT_BREAK.split(low) if part.strip()]
    # the part that says most; on a tie the later one ("…, but it can't invent new frames")
    _, _, down = max(((strength, i, down) for i, (down, strength) in enumerate(readings)), default=(0, 0, False))
    return "down" if down else "up"


def _read_direction(part: str, factors: list[str], about_ai: bool) -> tuple[bool, int]:
    """(down, how clearly the part says it: 2 a pattern that settles it, 1 a word that leans, 0 nothing)."""
    protective = set(factors) <= {"research_taste", "human_interaction"}
    denied = bool(DENIED.search(part))
    claim = DENIED.sub(" ", part)  # what is being denied, or the whole part
    after = DENIED_AFTER.search(part)
    if after:
        denied, claim = True, after.group(1)
    strength = 2
    if MATTERS_MORE.search(claim):
        down, denied = False, False  # "matters way more than you assumed"
    elif protective and AI_CANNOT.search(claim):
        down = _negated(AI_CANNOT, claim)  # "the hardest thing for AI to copy": it protects more ("isn't", less)
    elif protective and AI_CAN.search(claim):
        down = True  # "AI gets as good as people at new ideas": it protects less
    elif "feedback_quality" in factors and ONLY_EASY.search(claim):
        down = False  # "only work that's easy to grade gets automated"
    elif "feedback_quality" in factors and EASY_EVERYWHERE.search(claim):
        down = True  # "if every result were easy to check": checking no longer separates the fields
    elif "feedback_quality" in factors and AI_CANNOT.search(claim):
        # "fuzzy, hard-to-supervise work stays impossible for AI": checkability decides more
        down = _negated(AI_CANNOT, claim)
    elif "feedback_quality" in factors and FUZZY.search(claim) and AI_CAN.search(claim):
        down = True  # "AI gets as good at fuzzy work as at crisp work": checkability decides less
    elif "human_interaction" in factors and NO_PEOPLE_NEEDED.search(claim):
        down = True  # "governments take advice straight from AI": people stop protecting
    elif about_ai and "economic_incentive" not in factors and FAILS.search(claim):
        down = False  # what AI keeps failing at protects more, or separates the fields more
    elif about_ai and protective and not WEIGHT_TALK.search(claim) and AI_SUBJECT.search(claim):
        down = True  # what AI gains stops protecting
    elif "feedback_quality" in factors and VERIFIERS.search(claim):
        down = True  # AI verifiers make checking easy: checkability separates the fields less
    elif SET_ASIDE.search(claim):
        down = True  # "set the money angle aside", "no lab ever bothers"
    else:
        down = bool(DOWN.search(claim)) and not UP.search(claim)
        strength = 1 if DOWN.search(claim) or UP.search(claim) else 0
        if UP.search(claim):
            denied = False  # "not true that labs have no reason to automate - they are desperate to"
    if denied:
        down, strength = not down, max(strength, 1)
    return down, strength


def _negated(pattern: re.Pattern[str], claim: str) -> bool:
    """Whether the pattern's first match is negated ("X isn't actually hard for AI")."""
    m = pattern.search(claim)
    return m is not None and bool(re.search(r"\b(?:not|never|no longer)\s+(?:\w+\s+){0,2}$", claim[: m.start()]))
