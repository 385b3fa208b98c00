"""What a message asks for: a small trained classifier (`router.py`) over the message's MiniLM embedding and
the strong cues below, with a confidence; below the floor, or when the runner-up is within the ambiguity
margin, the advisor asks what was meant. The labelled examples are in `knowledge/intents.yaml`; `advisor
train` rebuilds the weights from them and the tuning parts of `evals/`. Only the message is embedded at run
time: loading the router reads two small files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from advisor.chat.offline.router import Router, load_router
from advisor.knowledge import KnowledgeError

RUN_SCENARIO = r"(?:run|apply|try|switch on|turn on) (?:the|that|this|a|your) (?:\w+ )?scenario"  # "run the X scenario"
INTENTS = ("career", "why_rank", "why_fit", "compare", "readings", "what_if", "essay", "help", "smalltalk",
           "off_topic", "details", "list_fields", "define", "other_views", "timing", "decision", "plan", "recap")
# Strong cues: each is one binary feature of the router, named here and pointing at the intent it hints at
# (the classifier learns how much each one counts). Changing one means retraining: `advisor train`.
CUES: dict[str, tuple[re.Pattern[str], str]] = {
    "what_if": (re.compile(r"^say\b|\b(?:what if|what happens if|supp?ose|supp?osing|assume|assuming|imagine|"
                           r"in a world (?:where|in which)|hypothetically|pretend|picture (?:a|an|this|that|if|ai|"
                           r"models?|chatbots?|labs?)|in the (?:case|event) that|scenario (?:where|in which)|"
                           r"what would happen|(?:could|might|can) (?:the essay|the author|they|he|she|it) be (?:wrong|"
                           r"mistaken|off)|is the (?:essay|author|post) (?:wrong|mistaken|overrat\w*|underrat\w*|"
                           r"overstat\w*|understat\w*)|try it with|"
                           r"let'?s say|"
                           r"(?:fare|hold up|cope|change|move|look|shift) if|^(?:and |but |so |ok,? )?if\b|redo|"
                           r"(?:list|rank) (?:the fields |them |it )?again|the list then|\bif (?:models?|ais?|agents?|"
                           r"an ai)\b.{0,60}\b(?:could|can|were|got|get|became|become)\b|treat .{0,40} as|as if\b|"
                           r"how would (?:things|the list|the ranking|the order|that|it|this) "
                           r"(?:shift|change|move|look)|"
                           r"(?:crank|turn|dial|bump|ramp) (?:it |that |this |them )?(?:up|down)|show me the (?:list|"
                           r"ranking) again|"
                           r"if (?:we|you|i|labs|it|that|the|how|automated|auto|model)\b.*\b(?:counted|mattered|"
                           r"matters|weighted|were|was|worked|works|turn(?:s|ed)? out|happen(?:s|ed)?|can be trusted|"
                           rf"trusted)|{RUN_SCENARIO}|"
                           r"re-?run|re-?rank|recompute|weighted (?:a lot )?(?:more|less)|how (?:would|does) "
                           r"the (?:list|ranking|order) (?:look|change|move)|how does the ranking move|the order)\b"),
        "what_if"),
    "compare": (re.compile(r"\b(?:compare|compared|comparison|vs\.?|versus|better bet|safer bet than|more or less|"
                           r"stack up|difference between|which one is|or the other|than)\b"), "compare"),
    "readings": (re.compile(r"\b(?:to read|should i read|worth reading|what is next on|stuff (?:on|about)|"
                            r"(?:intro|beginner|intermediate|advanced) level|not the overview|the actual (?:papers|"
                            r"experiments|research)|(?:done|read|finished) the (?:\w+ )?intro|"
                            r"(?<!do )(?<!doing )(?<!say )(?:anything|something)(?: [\w-]+){0,4} (?:on|about) "
                            r"(?!me\b|myself\b|my\b|\d)|"
                            r"read(?:ing)? (?:up )?(?:on|about|next|first|for)|"
                            r"(?:first|good|gentle|easy|quick) read|where do i start|stuff on|material on|"
                            r"reading list|readings|papers?|books?|resources?|links?|"
                            r"(?:reading |study |learning )?material (?:on|about|for)|reading material|"
                            r"curriculum|syllabus|literature|textbooks?|deep dive|starter|primer)\b"), "readings"),
    "essay": (re.compile(r"\b(?:essay|the author|author's|authors|the post|the blog|blog post|the article|the writer|"
                         r"commenters?|comments?|the list in|on the list|the two factors|wrote the|the piece)\b"),
        "essay"),
    "why_fit": (re.compile(r"\bwhy (?:for me|me|would (?:that|it|this)(?: one)? (?:suit|fit)|that one for|did you "
                           r"(?:pick|choose|recommend))|(?:suits?|fits?|match(?:es)?) (?:me|someone like me|my)\b|"
                           r"for someone like me|\bwhy\b.*\bfor me\b|(?:good |great )?(?:match|fit) for me|\bmy "
                           r"(?:background|experience|profile|skills|cv)\b.{0,30}\b(?:makes?|good|right|fit|match)|"
                           r"(?:pick|chose|choose|recommend)\w* .{0,40}\bfor me\b|(?:fits?|match(?:es)?|"
                           r"suits?) with my\b|"
                           r"\bmade you (?:put|pick|choose|recommend|suggest)|link to what i (?:told|said)"),
        "why_fit"),
    "why_rank": (re.compile(r"\b(?:why|how come|what makes|what puts|explain|rank(?:ed|s|ing)?|position|exposed|"
                            r"automat\w* (?:first|last|soon|risk)|tell me (?:more )?about|what is it about|"
                            r"what'?s (?:the \w+ one|it) about)\b"), "why_rank"),
    "smalltalk": (re.compile(r"^\s*(?:thanks?|thank you|thx|ty|cheers|cool|great|awesome|nice|ok(?:ay)?|got it|"
                             r"perfect|brilliant|bye|see you|good ?bye)\b[\w\s,!.'\-:()\U0001F300-\U0001FAFF\u2600-"
                             r"\u27BF]*$"), "smalltalk"),
    "smalltalk_anywhere": (re.compile(r"\b(?:catch you later|see ya|talk (?:to you )?(?:soon|later)|you are a (?:star|"
                                      r"legend|gem|lifesaver)|much appreciated|you rock)\b"), "smalltalk"),
    "help": (re.compile(r"^\s*(?:hi|hello|hey|help|what can you do|how (?:does this|do i use)|who are you)\b"), "help"),
    "help_anywhere": (re.compile(r"\bwhat (?:else )?(?:can|could) you (?:do|help with)\b|\bwhat else (?:do|can) you\b|"
                                 r"\bwhat are you (?:for|able to do)\b|\bwhat (?:kinds? of |sorts? of )?(?:questions|"
                                 r"things) (?:can|could|should) i "
                                 r"ask\b|\b(?:options|features) (?:do )?you (?:support|have|offer)\b|\bquick tour\b|"
                                 r"\bhow do i use you\b"), "help"),
    # strong, unambiguous cues of the newer answer types
    "details": (re.compile(r"\bday[- ]to[- ]day\b|\bday in the life\b|\btypical (?:day|week)\b|\ball day\b|"
                           r"\b(?:need|needs|require[sd]?|requirements?|necessary|enough|qualifications?)\b.{0,40}"
                           r"\b(?:phd|degree|masters|maths?|math|coding|programming|background|cs)\b|"
                           r"\bwho (?:hires|employs|is hiring)\b|\bhow (?:do|did|would|can|could) (?:people|someone|"
                           r"one|i|you) (?:get|break) (?:in|into)\b|\bwhat (?:is|are) the (?:actual )?(?:work|job)\b"),
                "details"),
    "list_fields": (re.compile(r"\blist (?:all|the|them|every|your|of)\b|\ball (?:the |your )?(?:fields|areas|"
                               r"options|research areas)\b|\bevery (?:field|area)\b|\bwhich (?:fields|areas) do you\b|"
                               r"\bwhat (?:other )?(?:fields|areas) (?:are there|exist|do you)\b"), "list_fields"),
    "define": (re.compile(r"\bwhat (?:does|do) .{1,40}\b(?:mean|stand for)\b|\bmeaning of\b|\bdefine\b|"
                          r"\bdefinition\b|\beli5\b|\blike i am (?:five|5)\b|\bin plain (?:words|english)\b|"
                          r"\bin simple terms\b"), "define"),
    "other_views": (re.compile(r"\bother (?:people|sources|views|perspectives|assessments|researchers|opinions?|"
                               r"experts)\b|\bsecond opinion\b|\btrust (?:this|the|your|these) (?:ranking|list|model|"
                               r"scores?|estimates?)\b|\bwho else\b|\bconsensus\b|\bcritics?\b|\bwehner\b"),
                    "other_views"),
    "timing": (re.compile(r"\bwhen (?:will|would|do you think)\b|\bby (?:20[2-9]\d|when)\b|\b20[2-9]\d\b|"
                          r"\bhow (?:long|soon|many years)\b|\btimeline for\b|\byears? (?:away|until|before)\b"),
               "timing"),
    "decision": (re.compile(r"\bquit\b|\bresign\b|\bhand in (?:my|the) notice\b|\bkeep (?:my|the) (?:day )?job\b|"
                            r"\bfull[- ]time or part[- ]time\b|\bpart[- ]time or full[- ]time\b|"
                            r"\bnow or (?:later|wait)\b|"
                            r"\bshould i (?:do|get|apply for|go for|start) (?:a |the )?(?:phd|masters|degree)\b|"
                            r"\bor (?:wait|stay|keep)\b"), "decision"),
    "plan": (re.compile(r"\bplan\b|\broad ?map\b|\bschedule\b|\b(?:next|first) steps?\b|\bthis week\b|"
                        r"\b\d+ ?(?:h|hrs?|hours?)(?: ?/ ?| a | per | each )(?:week|wk)\b|\bstep by step\b|"
                        r"\bmilestones?\b|\bchecklist\b"), "plan"),
    "recap": (re.compile(r"\bsum (?:it|this|that|everything|all (?:of )?(?:it|that|this)) up\b|\bsummar(?:y|ise|ize|"
                         r"ising|izing)\b|\brecap\b|\btl;? ?dr\b|\bin (?:one|a single|1) (?:sentence|line)\b|"
                         r"\b(?:in|as) (?:\d|two|three|four|five) (?:bullets?|points?|sentences?)\b|\bbullet"
                         r"(?:s|ed|[- ]points?)?\b|\bso far\b|\bthe gist\b|\btakeaways?\b"), "recap"),
}


def feature_cues() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The router's cue features, in a fixed order."""
    return tuple((name, cue) for name, (cue, _) in CUES.items())


class IntentExamples(BaseModel):
    """`knowledge/intents.yaml`: the labelled examples and the two thresholds."""

    confidence_floor: float = Field(ge=0, le=1)
    ambiguity_margin: float = Field(0.1, ge=0, le=1)
    intents: dict[str, list[str]]

    def check(self, path: Path) -> None:
        unknown = set(self.intents) - set(INTENTS)
        if unknown:
            raise KnowledgeError(f"{path}: unknown intent(s) {sorted(unknown)}; use {', '.join(INTENTS)}")


@dataclass(frozen=True)
class IntentGuess:
    intent: str
    confidence: float  # 0..1: the classifier's probability of the chosen intent
    runner_up: str
    scores: dict[str, float]  # every intent's probability (they sum to 1)

    @property
    def margin(self) -> float:
        """How far the chosen intent is ahead of the runner-up."""
        return self.confidence - self.scores.get(self.runner_up, 0.0)


@lru_cache(maxsize=256)
def _embedding(message: str) -> np.ndarray:
    from advisor.search.embeddings import get_embedder

    vector: np.ndarray = get_embedder().embed([message])[0]
    return vector


class IntentModel:
    """The trained router with the thresholds that decide when to ask what was meant."""

    def __init__(self, router: Router, floor: float, margin: float) -> None:
        unknown = set(router.labels) - set(INTENTS)
        if unknown or len(router.labels) < 2:
            raise KnowledgeError(f"router: unknown intent(s) {sorted(unknown)}; run `advisor train`")
        self.router = router
        self.floor = floor
        self.margin = margin

    def guess(self, message: str, normalised: str) -> IntentGuess:
        scores = self.router.classify(_embedding(message), normalised)
        order = sorted(scores.items(), key=lambda kv: -kv[1])
        (best, top), (second, _) = order[0], order[1]
        return IntentGuess(best, top, second, scores)

    def unsure(self, guess: IntentGuess) -> bool:
        """Below the confidence floor, or too close to the runner-up: ask what was meant."""
        return guess.confidence < self.floor or guess.margin < self.margin


@lru_cache(maxsize=4)
def load_intent_model(directory: Path) -> IntentModel:
    """The router shipped in `directory` (router.npy, router.json), with the floor and margin of intents.yaml
    stored beside the weights when they were trained (so intents.yaml itself is not parsed at run time)."""
    router = load_router(directory, feature_cues())
    try:
        floor, margin = float(router.training["confidence_floor"]), float(router.training["ambiguity_margin"])
    except (KeyError, TypeError, ValueError) as exc:
        raise KnowledgeError(f"{directory / 'router.json'}: no thresholds ({exc}); run `advisor train`") from exc
    return IntentModel(router, floor, margin)
