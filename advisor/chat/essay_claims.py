"""Finds text that credits the essay with a rank position it does not give. The essay's ranked list was lost in
the scrape and only its #1 (scalable oversight) is known, so any other position said to be the essay's (post's,
author's, list's) is invented. Text is normalised first (NFKC, look-alike letters, invisible characters), then
read for positions ("#2", "2 of 16", "No 2", "second", "just below X", "last", a numbered list) and for whom
each position is credited to: the essay, someone else (our model, Wehner, the user's picks) or, when the
sentence does not say, its context (`Frame`), which the Grounder carries from sentence to sentence.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

from advisor.knowledge import Knowledge

# ------------------------------------------------------------------------------------------- normalising

# Letters of other scripts that look like Latin ones (Cyrillic, Greek, Armenian, IPA and small capitals).
CONFUSABLES = str.maketrans({
    **dict(zip("авеёкмнорстухѕіїјԁԛԝһӏɡүԍѵ", "abeekmhopctyxsiijdqwhlgygv", strict=True)),
    **dict(zip("АВЕЁКМНОРСТХУЅІЇЈԚԜӀҮѴ", "ABEEKMHOPCTXYSIIJQWIYV", strict=True)),
    **dict(zip("αβεικνορτυχγωϲϳς", "abeiknoptuxywcjc", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
    **dict(zip("օսհոցզ", "ouhnqq", strict=True)),
    **dict(zip("ıȷɑɩʏ", "ijaiy", strict=True)),
    **dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnoprstuvwyz", strict=True)),
    **dict.fromkeys("‘’‛′ʼʹ`´", "'"), **dict.fromkeys("“”„‟″", '"'), **dict.fromkeys("‐‑‒−", "-"),
})
# Characters that show as nothing but are not format characters (Hangul fillers, the blank Braille pattern).
BLANK_LETTERS = dict.fromkeys(map(ord, "\u115f\u1160\u3164\uffa0\u2800"), None)
ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
ESSAY_TITLE = re.compile(r"[\"'«]?which technical ai safety fields are going to be automated first\??[\"'»]?",
                         re.IGNORECASE)


def normalise(text: str) -> str:
    """The text as it reads to a person: compatibility forms folded (NFKC: full-width, mathematical letters,
    "№"), invisible characters removed (zero-width, joiners, soft hyphens, direction marks), look-alike letters
    mapped to Latin, accents dropped, digits of any script made ASCII, and the essay's title read as "the
    essay" (its words "automated first" are not a claim)."""
    if text.isascii():  # nothing to fold but control characters
        return ESSAY_TITLE.sub("the essay", ASCII_CONTROL.sub("", text))
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc") or c in "\n\t")
    text = text.translate(BLANK_LETTERS).translate(CONFUSABLES)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = "".join(str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() and unicodedata.category(c) == "Nd"
                   else c for c in unicodedata.normalize("NFKC", text))
    return ESSAY_TITLE.sub("the essay", text)


# ------------------------------------------------------------------------------------- who says it

# Who a position is credited to.
ESSAY = "essay"
SILENT_ESSAY = "essay-silent"  # the essay, named only to say what it does not give ("its list was lost")
OTHER = "other"  # our model, Wehner, the advisor's own picks, the user's options

ESSAY_SOURCE = re.compile(
    r"\b(?:essay|post|blog|article|author|writer|lesswrong|piece|write-?up|original list|scraped list)(?:'s)?\b",
    re.IGNORECASE)
# A mention of "post" or "essay" that is someone else's ("Wehner's post", "the post from January").
NOT_THE_ESSAY_BEFORE = re.compile(
    r"\b(?:wehner(?:'s)?|jan|january|another|other|different|earlier|previous)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
NOT_THE_ESSAY_AFTER = re.compile(r"^\s+(?:from|of|in|by)\s+(?:the\s+)?(?:january|jan\b|wehner|2026)", re.IGNORECASE)
# A mention that denies the essay as the source ("our model (not the essay)", "rather than the post's").
DISCLAIMED = re.compile(
    r"\b(?:not|n't|nor|rather than|instead of|unlike|never)\s+(?:(?:from|in|by|according to|per|what|that)\s+)*"
    r"(?:the\s+|this\s+|that\s+|its\s+)?$", re.IGNORECASE)
OTHER_SOURCE = re.compile(
    r"\b(?:our|my|the advisor's|the model's)\s+(?:own\s+)?(?:[\w-]+\s+)?(?:model|estimates?|ranking|order|exposure"
    r"|scores?|weights|guess|picks?|recommendations?|view|list|top|choices?|bets?)\b"
    r"|\b(?:model|we)\s+(?:estimates?|ranks?|puts?|places?|orders?|scores?)\b|\b(?:by|on) exposure\b"
    r"|\bexposure (?:model|ranking|scores?)\b|\b(?:wehner|aisi|pfau|irving|anthropic|another assessment"
    r"|other assessments?|january post|post from january)\b"
    r"|\bI(?:'d| would| will|'ll)?\s+(?:recommend|suggest|pick|put|rank|bet|choose|place|weigh|go with|would)\b"
    r"|\b(?:my|your|mine|we|us)\b|\bfor you\b|\bour team\b|\bwhat-?if\b|\bmoves? (?:up |down )?from\b|\bstays? at\b",
    re.IGNORECASE)
PRONOUN = re.compile(r"\b(?:its|their|his|her)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    at: int
    source: str  # ESSAY or OTHER


def mentions(text: str) -> list[Mention]:
    """Who the text names as a source, in reading order; disclaimed mentions of the essay are left out."""
    found = [Mention(m.start(), OTHER) for m in OTHER_SOURCE.finditer(text)]
    for m in ESSAY_SOURCE.finditer(text):
        before, after = text[:m.start()], text[m.end():]
        if DISCLAIMED.search(before):
            continue
        if NOT_THE_ESSAY_BEFORE.search(before) or NOT_THE_ESSAY_AFTER.match(after):
            found.append(Mention(m.start(), OTHER))
        else:
            found.append(Mention(m.start(), ESSAY))
    # "our model, not the essay" / "not our model": a disclaimed other source does not count either
    return sorted((f for f in found if not (f.source == OTHER and DISCLAIMED.search(text[:f.at]))),
                  key=lambda f: f.at)


# ---------------------------------------------------------------------------------------- positions

LAST = 10_000  # "last", "at the bottom": a position the essay never states
NOT_FIRST = 10_001  # "just below X", "runner-up", "then X": some position after #1, never stated
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
                "sixteen": 16}
ORDINALS = {"first": 1, "top": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
            "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
            "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "last": LAST, "bottom": LAST}
_NUM = r"\d{1,3}|" + "|".join(NUMBER_WORDS)
_ORD = "|".join(ORDINALS)

POSITION = re.compile(
    rf"(?P<hash>#\s?(?P<h>\d{{1,3}}))(?!\d)"
    rf"|\b(?:number|no|nr|num)(?:\b|(?=\d))\.?[\s-]*(?P<num>{_NUM})\b"
    rf"|\b(?:rank(?:ed|s|ing)?|position|place|spot|slot)\s+(?:of\s+|at\s+|as\s+)?(?P<r>\d{{1,3}})\b"
    rf"(?!\s*(?:/|out of|of \d))"
    rf"|\b(?P<of>\d{{1,3}})\s*(?:/|out of|of)\s*(?:the\s+)?(?P<total>\d{{1,3}})\b"
    rf"|\btop[\s-]+(?P<top>{_NUM})\b"
    rf"|\b(?P<nth>\d{{1,3}})(?:st|nd|rd|th)\b"
    rf"|\b(?P<word>{_ORD})\b"
    rf"|\bat\s+(?P<at>\d{{1,2}})\b(?!\s*(?:[%:.,]\d|%|percent|months?|years?|weeks?|days?|hours?|h\b|min|am\b|pm\b))",
    re.IGNORECASE,
)
# "the most likely to be automated" (not "among the most", not "the second most")
_SUPERLATIVE = r"(?<!among )(?<!one of )\bthe\s+(?:(?:single|very)\s+)?(?:(?!\d|" + _ORD + r")[\w-]+\s+)?"
_LATER = "|".join(w for w in ORDINALS if ORDINALS[w] > 1)
# Positions said another way: (regex, position; 0: the ordinal it names, "automated third", or NOT_FIRST,
# "automated next"). Checked before POSITION, whose overlapping matches they replace.
PHRASES: list[tuple[re.Pattern[str], int]] = [(re.compile(p, re.IGNORECASE), n) for p, n in [
    (r"\b(?:second|2nd|next)[\s-]+(?:to|from)[\s-]+(?:the\s+)?(?:last|bottom)\b|\bpenultimate\b"
     r"|\bnext[\s-]to[\s-]last\b|\bsecond[\s-]+last\b", LAST),
    (r"\b(?:dead|very|in)\s+last\b|\blast\s+(?:place|spot|position|of all|on|in)\b|\bbottom\s+of\b"
     r"|\b(?:at|to)\s+the\s+(?:very\s+)?bottom\b|\b(?:ends|ended|closes|closed|finishes|rounds? out)\s+(?:with)?"
     r"|\bbrings? up the rear\b|\b(?:rank\w*|list\w*|put\w*|plac\w*|comes?|sits?|is|are)\s+(?:[\w&-]+\s+){0,5}?"
     r"at\s+the\s+(?:very\s+)?(?:end|tail)\b(?!\s+of)", LAST),
    (_SUPERLATIVE + r"least\s+(?:likely\b|automatable\b|exposed\b)", LAST),
    (r"\b(?:just|right|immediately|directly|closely|only|one\s+(?:spot|place|position|rank|slot|step|notch))\s+"
     r"(?:behind|after|below|under|beneath|down from|following)\b|\brunner[\s-]?up\b|\bsecond\s+only\s+to\b"
     r"|\b(?:comes?|came|is|are|was|sits?|ranks?|ranked|placed|listed|automated|follows?|goes)\s+next\b"
     r"|\bnext\s+(?:comes?|is|up|on\s+(?:the\s+|its\s+|their\s+|[\w]+'s\s+)?list|in\s+line)\b", NOT_FIRST),
    (r"\b(?:automated|automate|automating)\s+(?:(?P<ord>" + _LATER + r")|next)\b", 0),
    (r"\b(?:tops|topped|heads|headed|leads|led|tops? out|is at the head of)\s+(?:the\s+|its\s+|their\s+|his\s+"
     r"|her\s+|this\s+|that\s+)?(?:[\w'-]+\s+){0,2}(?:list|ranking|order|table)\b"
     r"|\b(?:most likely|will be|is going to be|are going to be|gets?|the first (?:field |area |one )?to be)\s+"
     r"(?:to\s+be\s+)?automated(?:\s+first)?\b(?<=first)|\bthe first (?:field |area |one )?to be automated\b"
     r"|" + _SUPERLATIVE + r"most\s+(?:likely\s+(?:[\w-]+\s+){0,2}?to\s+be\s+automated|automatable|exposed)\b", 1),
]]
# A field named after one of these words is placed relative to it ("below mech interp", "followed by evals").
RELATION = re.compile(
    r"\b(?P<down>below|behind|under|beneath|lower than)\s+(?:the\s+)?$"
    r"|\b(?P<next>after|follows?|following|followed by|trails?|trailing|then|>|->|→|=>)\s*(?:the\s+)?$"
    r"|\b(?P<up>above|ahead of|before|higher than|over|precedes?|preceding|in front of)\s+(?:the\s+)?$",
    re.IGNORECASE)
ORDER_WORD = re.compile(r"\b(?:order(?:s|ed|ing)?|rank(?:s|ed|ing)?|in that order|as follows)\b", re.IGNORECASE)
# A numbered item: "1. X" at a line start or after a colon, "(2) X", "2) X", anywhere in a list.
LIST_MARKER = re.compile(r"(?:^|(?<=[\s:;,(]))\(?(?P<item>\d{1,2})[.)](?=\s+\S)", re.MULTILINE)

NUMBER_AFTER_NOT_A_POSITION = re.compile(
    r"^\s*(?:months?|years?|weeks?|days?|hours?|h\b|min|%|percent|lines?|factors?|fields?|areas?|readings?"
    r"|papers?|people|replies|comments?|paragraphs?|pages?)\b", re.IGNORECASE)
SCORE_BEFORE = re.compile(r"\b(?:scores?|scored|scoring|rates?|rated|rating|quality|incentive|taste|interaction"
                          r"|weights?|weighted)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
RANK_VERB = re.compile(
    r"\b(?:rank(?:s|ed|ing)?|put(?:s|ting)?|plac(?:e|es|ed|ing)|list(?:s|ed|ing)?|comes?|came|coming|sits?|sat"
    r"|lands?|landed|appears?|stands?|order(?:s|ed)?|rates?|rated|is|are|was|were|be|been|being|as|names?|named"
    r"|has|had|have|gives?|gave)\b",
    re.IGNORECASE,
)
RANK_WORD = re.compile(r"\b(?:rank(?:s|ed|ing)?|position|place[sd]?|list(?:s|ed)?|spot)\b", re.IGNORECASE)
SLOT_AFTER = re.compile(
    r"^[\s-]*(?:place|spot|position|slot|pick|choice|entry|item|field|area|one|rank(?:ed|ing)?|most\b|highest"
    r"|likeliest|in line|(?:[\w-]+[\s-]+){0,3}?(?:on|in|of)\s+(?:[\w-]+(?:'s)?\s+){0,3}?(?:list|ranking|order))",
    re.IGNORECASE,
)
NOT_A_POSITION_AFTER = re.compile(
    r"^(?:-(?!most|least|highest|ranked|likeliest|place|placed|spot|rank)|\s+(?:factors?|drafts?|repl(?:y|ies)"
    r"|comments?|commenters?|paragraphs?|lines?|points?|reasons?|half|step|time|versions?|sentences?|sections?"
    r"|parts?|look|glance|of all|and foremost|edition|author|post|essay|hand|year|month|week|day|opinion|attempt"
    r"|try|thing|things|pass|factor|read|reading|reviewed|updated|edited|checked|revised|changed|but not least"
    r"|night|minute|resort)\b)",
    re.IGNORECASE,
)
# "automated first" is read by PHRASES ("evals will be automated first"); elsewhere it is the essay's question.
NOT_A_POSITION_BEFORE = re.compile(r"(?:\b(?:a|an|another|at|automated|automate|automatable|your|my|our)\s*)$",
                                   re.IGNORECASE)
# Negation that comes before the position in its clause ("the essay does not rank evals #2"), but not the
# emphatic kind ("no doubt", "not only").
NEGATION = re.compile(
    r"\b(?:not|never|no(?![.\s]*(?:\d|#|one\b|two\b|three\b|four\b|five\b))|nor|neither|without|whether|nobody"
    r"|no one|none|cannot|instead of|no longer)\b(?!\s+(?:a\s+)?(?:doubt|question|wonder|only|surprisingly"
    r"|surprise|just|merely|coincidence|accident)\b)|n't\b(?!\s+(?:only|just|merely)\b)",
    re.IGNORECASE,
)
# Uncertainty said of the position, after it in its clause ("the essay's #2 is unknown").
UNKNOWN = re.compile(
    r"\b(?:unknown|unclear|unstated|lost|missing|silent|not (?:known|stated|given|recoverable)|unrecoverable"
    r"|cannot be (?:known|recovered)|can't be (?:known|recovered)|isn't known|is not known)\b", re.IGNORECASE)
CLAUSE_BREAK = re.compile(r"[;:,()\[\]—–]|\s-\s|\b(?:but|while|whereas|although|though|however|yet|only)\b",
                          re.IGNORECASE)
DRAFT = re.compile(r"\b(?:draft|earlier version)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    """A rank position the text states: where (start, end), which position, and the field it is bound to
    (None: the field its sentence ties it to, see `_bound_field`)."""

    start: int
    end: int
    position: int
    is_range: bool = False
    field: str | None = None


@functools.lru_cache(maxsize=8)
def _field_names(names: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every (name, field id), longest name first so "ai control evals" wins over "ai control",
    and what each name (spaces and hyphens as one space) stands for."""
    ids = {" ".join(re.split(r"[\s-]+", name)): field for name, field in names}
    alternatives = sorted(ids, key=len, reverse=True)
    pattern = "|".join(r"[\s-]+".join(re.escape(w) for w in name.split()) for name in alternatives)
    return re.compile(rf"(?<![\w-])(?:{pattern})(?!\w)"), ids


_NAMES: dict[int, tuple[object, tuple[tuple[str, str], ...]]] = {}  # id(knowledge) -> (its fields, their names)


def field_spans(text: str, knowledge: Knowledge) -> list[tuple[int, int, str]]:
    """(start, end, field id) of every mention of a field by id, name or alias, in reading order."""
    known = _NAMES.get(id(knowledge))
    if known is None or known[0] is not knowledge.fields:
        known = (knowledge.fields, tuple((name, card.id) for card in knowledge.fields
                                         for name in sorted({card.id.replace("-", " "), card.id, card.name.lower(),
                                                             *(a.lower() for a in card.aliases)})))
        if len(_NAMES) > 32:
            _NAMES.clear()
        _NAMES[id(knowledge)] = known
    pattern, ids = _field_names(known[1])
    return [(m.start(), m.end(), ids[" ".join(re.split(r"[\s-]+", m.group(0)))])
            for m in pattern.finditer(text.lower())]


def _clause(text: str, at: int) -> tuple[int, int]:
    """The bounds of the clause around offset `at` (cut at punctuation and contrasting conjunctions)."""
    start, end = 0, len(text)
    for m in CLAUSE_BREAK.finditer(text):
        if m.end() <= at:
            start = m.end()
        elif m.start() > at:
            end = m.start()
            break
    return start, end


def _value(word: str) -> int:
    word = word.lower()
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word) or ORDINALS[word]


def _ordinal(m: re.Match[str], text: str) -> int | None:
    """The position an ordinal word or "2nd" names, or None when it is an adverb or not about a list."""
    before, after = text[: m.start()], text[m.end():]
    word = (m.group("nth") or m.group("word")).lower()
    if NOT_A_POSITION_AFTER.match(after) or NOT_A_POSITION_BEFORE.search(before):
        return None
    if re.search(r"(?:^|[.:;!?\n]\s*)$", before) and re.match(r"\s*,", after):
        return None  # "First, ..." / "second, ...": an adverb that starts a clause
    if word in ("top", "bottom"):
        if re.search(r"\b(?:at|to|on)\s+the\s+$", before) or re.match(r"\s+(?:pick|spot|place|position|slot|of)\b",
                                                                         after):
            return ORDINALS[word]
        return None
    if DRAFT.search(after[:40]) or re.match(r"\s+(?:in|at)\s+(?:an?\s+)?(?:earlier|first|previous)", after):
        return None  # "first at an earlier draft": the essay's own history, not its list
    value = _value(word)
    if SLOT_AFTER.match(after):
        return value
    if re.search(r"\bthe\s*$", before):  # "the second ..." names a position only when a slot word follows
        return None
    preceding = " ".join(re.findall(r"[\w'#-]+", before)[-10:])
    return value if RANK_VERB.search(preceding) else None


def claims(text: str, knowledge: Knowledge, fields: list[tuple[int, int, str]] | None = None) -> list[Claim]:
    """Every rank position `text` states, credited to anyone or no one (`text` is normalised)."""
    fields = field_spans(text, knowledge) if fields is None else fields
    found: list[Claim] = []
    taken: list[tuple[int, int]] = []

    def add(claim: Claim) -> None:
        if not any(s < claim.end and claim.start < e for s, e in taken):
            found.append(claim)
            taken.append((claim.start, claim.end))

    for pattern, position in PHRASES:
        for m in pattern.finditer(text):
            said = position or (ORDINALS[m.group("ord").lower()] if m.group("ord") else NOT_FIRST)
            add(Claim(m.start(), m.end(), said))
    for s, e, field in fields:  # "below mech interp", "then evals", "followed by evals"
        rel = RELATION.search(text[max(0, s - 30):s])
        if not rel:
            continue
        first = {r.field for r in knowledge.essay.essay_ranks if r.rank == 1}
        if rel.group("next"):
            if rel.group("next") in ("then", ">", "->", "→", "=>") and not ORDER_WORD.search(text):
                continue  # "read the essay, then evals papers": a sequence of steps, not of ranks
            add(Claim(s - len(rel.group(0)), e, NOT_FIRST))
        elif rel.group("down") and field not in first:
            add(Claim(s - len(rel.group(0)), e, NOT_FIRST))
        elif rel.group("up"):
            subject = [f for f in fields if f[1] <= s - len(rel.group(0))]
            if not subject or subject[-1][2] not in first:
                add(Claim(s - len(rel.group(0)), e, 1 if field in first else NOT_FIRST,
                          field=subject[-1][2] if subject else None))
    numbered = [m for m in LIST_MARKER.finditer(text) if not re.search(r"(?:\bof|#|/)\s*$", text[:m.start()])]
    items = {int(m.group("item")) for m in numbered}
    for m in numbered:
        before = text[:m.start()]
        if (m.group(0).startswith("(") or re.search(r"(?:^|\n)[ \t]*(?:[-*•][ \t]*)?$", before)
                or before.rstrip().endswith(":") or {1, 2} <= items):
            bound = next((f[2] for f in fields if f[0] >= m.end() and not text[m.end():f[0]].strip()), None)
            add(Claim(m.start(), m.end(), int(m.group("item")), field=bound))
    for m in POSITION.finditer(text):
        groups = m.groupdict()
        value: int | None
        is_range = False
        if groups["h"]:
            value = int(groups["h"])
        elif groups["num"]:
            value = _value(groups["num"])
        elif groups["r"]:
            value = int(groups["r"])
        elif groups["of"]:
            value = int(groups["of"])
            total = int(groups["total"])
            if (not 1 <= value <= total or NUMBER_AFTER_NOT_A_POSITION.match(text[m.end():])
                    or (total <= 10 and ("/" in m.group(0) or SCORE_BEFORE.search(text[:m.start()])))):
                value = None  # "feedback quality 3/5", "scored 4 out of 5": a score, not a position
        elif groups["top"]:
            value, is_range = _value(groups["top"]), True
        elif groups["at"]:
            value = int(groups["at"]) if RANK_WORD.search(text) else None
        else:
            value = _ordinal(m, text)
        if value is not None:
            add(Claim(m.start(), m.end(), value, is_range))
    return sorted(found, key=lambda c: c.start)


def _bound_field(text: str, fields: list[tuple[int, int, str]], claim: Claim) -> str | None:
    """The field a position is about: the nearest one named before it in its clause (the subject: "the essay
    ranks evals #3"), else the first after it in its clause ("the essay's #2 is mech interp"), else the
    nearest in the text."""
    lo, hi = _clause(text, claim.start)
    before = [f for f in fields if lo <= f[0] and f[1] <= claim.start]
    if before:
        return before[-1][2]
    after = [f for f in fields if claim.end <= f[0] < hi]
    if after:
        return after[0][2]
    lo = text.rfind(";", 0, claim.start) + 1
    semicolon = text.find(";", claim.end)
    hi = semicolon if semicolon >= 0 else len(text)
    near = [f for f in fields if lo <= f[0] < hi]
    if not near:
        return None  # "...; the essay only gives its #1": about no field
    return min(near, key=lambda f: min(abs(f[0] - claim.start), abs(f[1] - claim.end)))[2]


def _credit(text: str, found: list[Mention], start: int, end: int, frame: str | None) -> str | None:
    """Who the position at [start, end) is credited to: the nearest source named before it in its clause,
    else the nearest after it in its clause, else the first after it before a semicolon ("comes 2nd in the
    post", "(#9 of 16) is our model's estimate"), else the nearest before it in the text, else the context."""
    clause_start, clause_end = _clause(text, start)
    before = [f for f in found if clause_start <= f.at < start]
    if before:
        return before[-1].source
    after = [f for f in found if start <= f.at < clause_end]
    if after:
        return after[0].source
    semicolon = text.find(";", end)
    after = [f for f in found if start <= f.at < (semicolon if semicolon >= 0 else len(text))]
    if after:
        return after[0].source
    before = [f for f in found if f.at < start]
    if before:
        return before[-1].source
    if frame == ESSAY or (frame == SILENT_ESSAY and PRONOUN.search(text, clause_start, start + 1)):
        return ESSAY
    return None if frame == SILENT_ESSAY else frame


def _negated(text: str, claim: Claim, fields: list[tuple[int, int, str]]) -> bool:
    """Whether the position is denied ("the essay does not rank evals #2") or said to be unknown ("the
    essay's #2 is unknown"; not "the essay's #2 is evals, despite the missing list")."""
    clause_start, clause_end = _clause(text, claim.start)
    if NEGATION.search(text, clause_start, claim.start):
        return True
    unknown = UNKNOWN.search(text, claim.end, clause_end)
    return bool(unknown and not any(claim.end <= f[0] < unknown.start() for f in fields))


@dataclass(frozen=True)
class Reading:
    """What one sentence (or list line) says about rank positions.

    `invented`: it credits the essay with a position the essay does not give. `unattributed`: it states a
    position nobody is named for (a later sentence may credit it to the essay). `source`: the last source it
    names (ESSAY, SILENT_ESSAY when the essay is named only in a denial or to say what is unknown, OTHER,
    or None). `back_reference`: it credits the essay with an order stated before it ("That is the essay's
    ranking")."""

    invented: bool
    unattributed: bool = False
    source: str | None = None
    back_reference: bool = False


def read(sentence: str, knowledge: Knowledge, frame: str | None = None,
         item_position: int | None = None) -> Reading:
    """Read `sentence` (raw text: it is normalised here) in the context `frame` (who the preceding text
    credits positions to). `item_position` is the position a bullet line implies in a ranked list."""
    text = normalise(sentence)
    fields = field_spans(text, knowledge)
    found = mentions(text)
    stated = {(r.field, r.rank) for r in knowledge.essay.essay_ranks}
    stated_ranks = {rank for _, rank in stated}
    found_claims = claims(text, knowledge, fields)
    if item_position is not None and fields:  # "* Evals" as the second bullet of the essay's ranking
        found_claims.append(Claim(fields[0][0], fields[0][1], item_position, field=fields[0][2]))
    invented = unattributed = False
    for claim in found_claims:
        if DRAFT.search(text, *_clause(text, claim.start)):
            continue  # "mech interp was first at an earlier draft": the essay's own history, not its list
        field = claim.field or _bound_field(text, fields, claim)
        if field is None:
            true = claim.position in stated_ranks or claim.is_range
        elif claim.is_range:  # "the essay's top two are scalable oversight and evals": every field named
            lo, hi = _clause(text, claim.start)
            named = {f[2] for f in fields if lo <= f[0] < hi} or {field}
            true = all(any(f == n and rank <= claim.position for f, rank in stated) for n in named)
        else:
            true = (field, claim.position) in stated
        if true or _negated(text, claim, fields):
            continue
        credit = _credit(text, found, claim.start, claim.end, frame)
        if credit == ESSAY:
            invented = True
        elif credit is None:
            unattributed = True
    invented = invented or _order_claim(text, found, fields, frame)
    source = None
    if found:
        last = found[-1]
        source = last.source
        clause = slice(*_clause(text, last.at))
        if source == ESSAY and (NEGATION.search(text[clause]) or UNKNOWN.search(text[clause])):
            source = SILENT_ESSAY
    back = bool(found and found[-1].source == ESSAY and not NEGATION.search(text) and not UNKNOWN.search(text)
                and re.match(r"\s*(?:that|this|these|those|such|so|thus|above|here)\b", text, re.IGNORECASE)
                and (ORDER_WORD.search(text) or re.search(r"\bhow\b.{0,40}\brank", text, re.IGNORECASE)))
    return Reading(invented, unattributed and not invented, source, back)


# Between two fields of a stated order: "X, Y", "X > Y", "X → Y", "X, then Y" (not "X and Y" alone).
FIELD_RUN_GAP = re.compile(
    r"^\s*(?:(?:,|>|->|→|=>)\s*(?:and\s+|then\s+)?|(?:,\s*)?(?:then|followed by)\s+)(?:the\s+)?$", re.IGNORECASE)
# Words that present an order ("the essay's order", "ranks them", "its list:"; not "its list of safer bets").
ORDER_NOUN = re.compile(r"\b(?:order(?:ing|ed)?|ranking|ranked list|list(?!\s+of\b)|as follows"
                        r"|(?:ranks?|ranked|orders?|ordered|lists?|listed)\s+(?:them|these|those|the fields))\b",
                        re.IGNORECASE)


def _order_claim(text: str, found: list[Mention], fields: list[tuple[int, int, str]], frame: str | None) -> bool:
    """An order of several fields credited to the essay ("scalable oversight, mech interp, evals: that is the
    order the post gives")."""
    if not any(FIELD_RUN_GAP.match(text[a[1]:b[0]]) and a[2] != b[2] for a, b in itertools.pairwise(fields)):
        return False
    for m in ORDER_NOUN.finditer(text):
        lo, hi = _clause(text, m.start())
        if NEGATION.search(text, lo, m.start()) or UNKNOWN.search(text, lo, hi):
            continue  # "the essay does not give the order of ...", "the order of ... in the essay is unknown"
        if _credit(text, found, m.start(), m.end(), frame) == ESSAY:
            return True
    return False


def essay_rank_violation(sentence: str, knowledge: Knowledge, frame: str | None = None) -> bool:
    """True when `sentence` credits the essay with a rank position it does not give, however it is put and
    whatever letters it is written in: "the essay ranks evals #3", "mech interp is 2 of 16 in the post",
    "ranks mech interp as No 2", "evals will be automated second, says the author", "just below scalable
    oversight", "The essay's ranked list is: 1. Scalable oversight 2. ...". Positions credited to our model or
    another assessment, the essay's #1, and negated or "unknown" positions are allowed. `frame` is who the
    context credits positions to when the sentence names no one (ESSAY, SILENT_ESSAY, OTHER or None)."""
    return read(sentence, knowledge, frame).invented
