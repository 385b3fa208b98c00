"""The numbers and shapes inside a request, read by rules (rules are right for these): hours a week, a
horizon in weeks, a reading budget in minutes, a year, the shape asked for ("three bullets", "one sentence",
"top two"), which aspects of a field's work are asked about, and the term to define."""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                "thirty": 30, "forty": 40, "fifty": 50, "a couple of": 2, "a few": 3, "couple": 2, "few": 3,
                "half a": 0.5, "half an": 0.5}
NUM = r"(\d+(?:[.,]\d+)?|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + r")"
HOURS_WEEK = re.compile(NUM + r"\s*(?:-|to)?\s*(?:\d+\s*)?(?:hours?|hrs?|h)\b\s*"
                        r"(?:a|an|per|each|every|/|in a|in the|of)?\s*"
                        r"(?:week|wk)s?\b|" + NUM + r"\s*h\s*/\s*w(?:ee)?k", re.I)
DURATION = re.compile(r"(?:next|for|over|within|in|about|around|the)?\s*" + NUM +
                      r"\s*(weeks?|wks?|months?|mos?|years?|yrs?)\b", re.I)
MINUTES = re.compile(NUM + r"\s*(minutes?|mins?|hours?|hrs?|h)\b(?!\s*(?:a|an|per|each|every|/)\s*(?:week|wk|day))",
                     re.I)
THIS_WEEK = re.compile(r"\b(?:this|next|the first|first|coming) week\b|\btoday\b|\btomorrow\b|\bthis weekend\b|"
                       r"\bmonday\b", re.I)
SUMMER = re.compile(r"\b(?:summer|holidays?|vacation|break)\b", re.I)
YEAR = re.compile(r"\b(20[2-9]\d)\b")
BULLETS = re.compile(NUM + r"\s*(?:bullets?|bullet points?|points|lines)\b", re.I)
ONE_SENTENCE = re.compile(r"\b(?:one|1|a single|single)\s*(?:sentence|line)\b|\btl;?dr\b|\bin a sentence\b", re.I)
TOP_N = re.compile(r"\btop\s*" + NUM + r"\b|\b(?:just|only) (?:the )?" + NUM + r"\b(?! (?:hours?|weeks?|months?))|"
                   r"\b" + NUM + r" (?:fields?|picks?|options?|areas?) "
                   r"(?:max(?:imum)?|at most|tops|or (?:fewer|less))\b|"
                   r"\b(?:at most|no more than|max(?:imum)?(?: of)?) " + NUM + r" (?:fields?|picks?|options?|areas?)\b",
                   re.I)
ONE_FIELD = re.compile(r"\b(?:one|1|a single|just one|only one) (?:field|area|pick|option|recommendation|thing)\b",
                       re.I)
MAX_WORDS = re.compile(r"\b(?:under|below|fewer than|less than|at most|max(?:imum)?|no more than|within) "
                       + NUM + r"\s*words\b|\b" + NUM + r"\s*words (?:or (?:less|fewer)|max(?:imum)?|tops)\b", re.I)
SHORT = re.compile(r"\b(?:short|brief|briefly|quick(?:ly)?|in a nutshell|keep it short)\b", re.I)
ASPECTS = {
    "degree": re.compile(r"\b(?:phd|ph\.d|doctorate|degree|masters?|msc|bachelor'?s?|diploma|qualifications?|"
                         r"credentials?|go back to (?:uni|school|college)|academic)\b", re.I),
    "maths": re.compile(r"\b(?:maths?|mathematics|mathematical|linear algebra|calculus|probability|statistics|"
                        r"proofs?|equations?)\b", re.I),
    "coding": re.compile(r"\b(?:cod(?:e|ing)|programm\w*|python|software|engineering skills?)\b", re.I),
    "day_to_day": re.compile(r"\b(?:day[- ]to[- ]day|day in|typical (?:day|week)|all day|hour by hour|daily|"
                             r"what (?:do|does|would) (?:they|people|i|you|someone|researchers?)\b.{0,30}\b(?:do|"
                             r"spend)|what is the work|what'?s the work|work (?:is )?(?:actually )?like|"
                             r"actually do|spend (?:their|the|my) (?:time|days?))\b", re.I),
    "organisations": re.compile(r"\b(?:who (?:hires|employs|pays)|employers?|organi[sz]ations?|orgs|companies|"
                                r"labs? (?:hire|hiring)|where (?:could|can|would|do) (?:i|people|you) work)\b", re.I),
    "entry": re.compile(r"\b(?:get in|break in|get into|entry|ways? in|how do (?:i|people) start|get started|"
                        r"first job|hired)\b", re.I),
}
DEFINE_TERM = re.compile(r"(?:what(?:'s| is| are| does)|define|explain|meaning of|mean by)\s+(?:the term\s+|an?\s+|"
                         r"the\s+)?['\"“‘]?(?P<term>[^'\"”’?.,!]{2,60}?)['\"”’]?\s*(?:mean|stand for|refer to)?\s*"
                         r"(?:again|exactly|actually|in plain (?:words|english)|for a beginner|simply)?\s*[?.!]*\s*$",
                         re.I)
QUOTED = re.compile(r"['\"“‘]([^'\"”’]{2,60})['\"”’]")


def _number(text: str) -> float:
    low = text.lower().strip()
    if low in NUMBER_WORDS:
        return float(NUMBER_WORDS[low])
    return float(low.replace(",", "."))


EVENINGS = re.compile(NUM + r"\s*(?:free |spare |quiet )?(?:evenings?|nights?)\b", re.I)
HOURS_PER_EVENING = 2
WEEK_TOTAL = re.compile(NUM + r"\s*(?:hours?|hrs?|h)\b\s*(?:total|in total|in all|all up|tops|max|this week)", re.I)


def hours_per_week(text: str) -> int | None:
    m = HOURS_WEEK.search(text)
    if not m:
        evenings = EVENINGS.search(text)  # "three free evenings": about two hours each
        if evenings:
            return round(_number(evenings.group(1)) * HOURS_PER_EVENING)
        total = WEEK_TOTAL.search(text)  # "this week? I have maybe 4 hours total"
        return max(1, round(_number(total.group(1)))) if total and THIS_WEEK.search(text) else None
    value = _number(m.group(1) or m.group(2))
    return max(1, min(100, round(value)))


def horizon_weeks(text: str) -> int | None:
    """The horizon a plan should cover, in weeks: "for 6 months", "over 12 weeks", "this week" (1)."""
    text = HOURS_WEEK.sub(" ", text)  # "8 hours a week" is a rate, not a horizon
    found = sorted(DURATION.finditer(text), key=lambda m: not m.group(2).lower().startswith("w"))  # "(12 weeks)"
    for m in found:
        value, unit = _number(m.group(1)), m.group(2).lower()
        if unit.startswith(("w",)):
            return max(1, round(value))
        if unit.startswith(("m",)):
            return max(1, round(value * 4.33))
        return max(1, round(value * 52))
    if THIS_WEEK.search(text):
        return 1
    if SUMMER.search(text):
        return 10
    return None


def minutes_budget(text: str) -> int | None:
    """A reading budget: "I only have 2 hours", "something I can finish in 45 minutes"."""
    m = MINUTES.search(text)
    if not m:
        return None
    value, unit = _number(m.group(1)), m.group(2).lower()
    return max(5, round(value * (1 if unit.startswith("m") else 60)))


def year_asked(text: str) -> int | None:
    m = YEAR.search(text)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class Shape:
    bullets: int | None = None
    sentences: int | None = None
    top: int | None = None
    short: bool = False
    max_words: int | None = None  # "in under 80 words"

    def __bool__(self) -> bool:
        return bool(self.bullets or self.sentences or self.top or self.short or self.max_words)


def shape_asked(text: str) -> Shape:
    b = BULLETS.search(text)
    t = TOP_N.search(text)
    top = None
    if t:
        top = round(_number(next(g for g in t.groups() if g)))
        top = top if top >= 2 else None  # "the top one" points at a field; it asks for no list
    if ONE_FIELD.search(text):
        top = 1
    w = MAX_WORDS.search(text)
    return Shape(bullets=round(_number(b.group(1))) if b else None,
                 sentences=1 if ONE_SENTENCE.search(text) else None, top=top, short=bool(SHORT.search(text)),
                 max_words=round(_number(w.group(1) or w.group(2))) if w else None)


def aspects_asked(text: str) -> list[str]:
    return [name for name, cue in ASPECTS.items() if cue.search(text)]


def term_asked(text: str) -> str | None:
    """The term a definition request asks about: "what does 'feedback quality' mean?" → feedback quality."""
    q = QUOTED.search(text)
    if q:
        return q.group(1).strip()
    m = DEFINE_TERM.search(text.strip())
    if m:
        term = re.sub(r"^(?:this|that|it)\s+", "", m.group("term").strip(), flags=re.I)
        return term or None
    return None
