"""What a message asks for, by meaning: the nearest labelled examples in `knowledge/intents.yaml` (MiniLM
embeddings), nudged by a few cues whose meaning is unambiguous ("what if", "compare", "papers"), with a
confidence; below the floor in that file the advisor asks what was meant."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field

from advisor.chat.offline.data import read_data
from advisor.knowledge import KnowledgeError

RUN_SCENARIO = r"(?:run|apply|try|switch on|turn on) (?:the|that|this|a|your) (?:\w+ )?scenario"  # "run the X scenario"
INTENTS = ("career", "why_rank", "why_fit", "compare", "readings", "what_if", "essay", "help", "smalltalk",
           "off_topic")
CUES: dict[str, tuple[re.Pattern[str], float]] = {
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
                0.35),
    "compare": (re.compile(r"\b(?:compare|compared|comparison|vs\.?|versus|better bet|safer bet than|more or less|"
                           r"stack up|difference between|which one is|or the other|than)\b"), 0.12),
    "readings": (re.compile(r"\b(?:to read|should i read|worth reading|what is next on|stuff (?:on|about)|"
                            r"(?:intro|beginner|intermediate|advanced) level|not the overview|the actual (?:papers|"
                            r"experiments|research)|(?:done|read|finished) the (?:\w+ )?intro|"
                            r"(?<!do )(?<!doing )(?<!say )(?:anything|something)(?: [\w-]+){0,4} (?:on|about) "
                            r"(?!me\b|myself\b|my\b|\d)|"
                            r"read(?:ing)? (?:up )?(?:on|about|next|first|for)|"
                            r"(?:first|good|gentle|easy|quick) read|where do i start|stuff on|material on|"
                            r"reading list|readings|papers?|books?|resources?|links?|"
                            r"(?:reading |study |learning )?material (?:on|about|for)|reading material|"
                            r"curriculum|syllabus|literature|textbooks?|deep dive|starter|primer)\b"),
                 0.25),
    "essay": (re.compile(r"\b(?:essay|the author|author's|authors|the post|the blog|blog post|the article|the writer|"
                         r"commenters?|comments?|the list in|on the list|the two factors|wrote the|the piece)\b"),
              0.22),
    "why_fit": (re.compile(r"\bwhy (?:for me|me|would (?:that|it|this)(?: one)? (?:suit|fit)|that one for|did you "
                           r"(?:pick|choose|recommend))|(?:suits?|fits?|match(?:es)?) (?:me|someone like me|my)\b|"
                           r"for someone like me|\bwhy\b.*\bfor me\b|(?:good |great )?(?:match|fit) for me|\bmy "
                           r"(?:background|experience|profile|skills|cv)\b.{0,30}\b(?:makes?|good|right|fit|match)|"
                           r"(?:pick|chose|choose|recommend)\w* .{0,40}\bfor me\b|(?:fits?|match(?:es)?|"
                           r"suits?) with my\b|"
                           r"\bmade you (?:put|pick|choose|recommend|suggest)|link to what i (?:told|said)"), 0.40),
    "why_rank": (re.compile(r"\b(?:why|how come|what makes|what puts|explain|rank(?:ed|s|ing)?|position|exposed|"
                            r"automat\w* (?:first|last|soon|risk)|tell me (?:more )?about|what is it about|"
                            r"what'?s (?:the \w+ one|it) about)\b"), 0.12),
    "smalltalk": (re.compile(r"^\s*(?:thanks?|thank you|thx|ty|cheers|cool|great|awesome|nice|ok(?:ay)?|got it|"
                             r"perfect|brilliant|bye|see you|good ?bye)\b[\w\s,!.'\-:()\U0001F300-\U0001FAFF\u2600-"
                             r"\u27BF]*$"), 0.25),
    "smalltalk_anywhere": (re.compile(r"\b(?:catch you later|see ya|talk (?:to you )?(?:soon|later)|you are a (?:star|"
                                      r"legend|gem|lifesaver)|much appreciated|you rock)\b"), 0.25),
    "help": (re.compile(r"^\s*(?:hi|hello|hey|help|what can you do|how (?:does this|do i use)|who are you)\b"), 0.12),
    "help_anywhere": (re.compile(r"\bwhat (?:else )?(?:can|could) you (?:do|help with)\b|\bwhat else (?:do|can) you\b|"
                                 r"\bwhat are you (?:for|able to do)\b|\bwhat (?:kinds? of |sorts? of )?(?:questions|"
                                 r"things) (?:can|could|should) i "
                                 r"ask\b|\b(?:options|features) (?:do )?you (?:support|have|offer)\b|\bquick tour\b|"
                                 r"\bhow do i use you\b"), 0.3),
}


class IntentExamples(BaseModel):
    confidence_floor: float = Field(ge=0, le=1)
    intents: dict[str, list[str]]


@dataclass(frozen=True)
class IntentGuess:
    intent: str
    confidence: float  # 0..1: how close the message is to the chosen intent's examples, with its cues
    runner_up: str
    scores: dict[str, float]


class IntentModel:
    def __init__(self, examples: IntentExamples) -> None:
        from advisor.search.semantic import LabelledSet

        unknown = set(examples.intents) - set(INTENTS)
        if unknown:
            raise KnowledgeError(f"intents.yaml: unknown intent(s) {sorted(unknown)}; use {', '.join(INTENTS)}")
        self.floor = examples.confidence_floor
        self.examples = LabelledSet([(i, t) for i, texts in examples.intents.items() for t in texts], k=3)

    def guess(self, message: str, normalised: str) -> IntentGuess:
        scores = self.examples.scores(message)
        for name, (cue, boost) in CUES.items():
            intent = name.removesuffix("_anywhere")
            if cue.search(normalised):
                scores[intent] = scores.get(intent, 0.0) + boost
        order = sorted(scores.items(), key=lambda kv: -kv[1])
        (best, top), (second, _) = order[0], order[1]
        return IntentGuess(best, top, second, scores)


@lru_cache(maxsize=4)
def load_intent_model(directory: Path) -> IntentModel:
    return IntentModel(read_data(directory / "intents.yaml", IntentExamples))
