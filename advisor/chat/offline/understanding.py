"""How the offline advisor reads what a message says about the person: likes and dislikes clause by clause
(only first-person preferences count; a field named in a question is a topic, not an interest), skills and
backgrounds mapped to the cards' words by meaning, what they lack, and constraints only from cues that mean
them ("6 months of savings" is runway; "a developer for 18 months" is not)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from advisor.chat.offline.data import read_data
from advisor.chat.offline.text import (
    DISLIKES,
    FIRST_PERSON,
    IN_PASSING,
    LIKES,
    TOLERATES,
    WHAT_IF_START,
    Clause,
    clauses,
    negated_at,
    normalise,
)
from advisor.knowledge import Knowledge, KnowledgeError
from advisor.knowledge.names import field_mentions
from advisor.knowledge.profile import Constraints, Profile

CANONICAL_SIMILARITY = 0.72  # a role this close in meaning to a card's background word is given that word too


class Lexicon(BaseModel):
    topics: dict[str, list[str]]
    skills: dict[str, str]
    named_skills: list[str] = Field(default_factory=list)  # kept as said too: "java" beside "software engineering"
    backgrounds: dict[str, str]
    directory: Path | None = None  # the knowledge folder it came from, where preferences.yaml sits too


@lru_cache(maxsize=4)
def load_lexicon(directory: Path) -> Lexicon:
    return read_data(directory / "lexicon.yaml", Lexicon, directory=directory)


@lru_cache(maxsize=4)
def load_glossary(directory: Path) -> dict[str, str]:
    path = directory / "glossary.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path}: expected 'term: definition' lines")
    return {str(k): str(v) for k, v in data.items()}


def _find(text: str, phrase: str) -> list[int]:
    if phrase not in text:  # most phrases are not there: no pattern needed
        return []
    return [m.start() for m in _phrase_pattern(phrase).finditer(text)]


@lru_cache(maxsize=8192)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A phrase as a whole-word pattern, compiled once (there are thousands: more than `re`'s own cache holds)."""
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")


# "teaching models" is not about teaching people
MACHINE_PUPIL = re.compile(r" (?:a |the |our )?(?:models?|ais?|llms?|networks?|machines?|agents?)\b")


def topics(text: str, knowledge: Knowledge, lexicon: Lexicon) -> list[str]:
    """Fields a (normalised) text is about: by name, id or alias, and by the lexicon's topic phrases. A phrase
    inside a longer one counts only as the longer one ("governance" in "compute governance")."""
    spans: list[tuple[int, int, str]] = []
    for card in knowledge.fields:
        for name in {card.name.lower(), card.id, card.id.replace("-", " "), *card.aliases}:
            spans += [(at, at + len(name), card.id) for at in _find(text, name)]
    for phrase, ids in lexicon.topics.items():
        spans += [(at, at + len(phrase), fid) for at in _find(text, phrase) for fid in ids
                  if fid != "field-building" or not MACHINE_PUPIL.match(text, at + len(phrase))]
    loose = text.replace("-", " ")  # "decision-theory-ish"
    for phrase, ids in lexicon.topics.items():
        spans += [(at, at + len(phrase), fid) for at in _find(loose, phrase) for fid in ids
                  if " " in phrase and (at, at + len(phrase), fid) not in spans]
    inside = {(a, b, f) for a, b, f in spans for a2, b2, _ in spans if a2 <= a and b <= b2 and (a2, b2) != (a, b)}
    named = field_mentions(text, knowledge)
    order = {fid: i for i, fid in enumerate(named)}
    found = sorted((span for span in spans if span not in inside), key=lambda x: order.get(x[2], 100 + x[0]))
    return list(dict.fromkeys(fid for _, _, fid in found))


NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18,
                "twenty": 20, "twenty-five": 25, "thirty": 30, "forty": 40,
                "a couple of": 2, "a few": 3, "half a": 0.5}
NUM = r"(\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
FUNDS = (r"(?:runway|savings|saved|saved up|money|funding|cash|to live on|of living expenses|financial runway|cushion|"
         r"buffer|nest egg|in the bank|put (?:by|aside|away)|set aside|(?:rent|expenses|bills) saved)")
UNIT = r"(months?|mos?|years?|yrs?|weeks?|wks?)"
RUNWAY = [
    re.compile(rf"{NUM}[ -]?{UNIT}(?:'s?|s')?(?: worth)?(?: of)? {FUNDS}"),
    re.compile(rf"{FUNDS}(?: \w+){{0,4}} for (?:about |around |roughly |maybe |~)?{NUM}[ -]?{UNIT}"),
    re.compile(rf"{FUNDS}(?: of| for| is|:| that lasts?| lasting)? (?:about |around |roughly |maybe |~)?{NUM}[ -]?"
               rf"{UNIT}"),
    re.compile(rf"{FUNDS}(?: \w+){{0,3}} (?:last|cover|carry|tide me over|keep me going) (?:me )?(?:for )?"
               rf"(?:about |around |roughly |maybe |~)?"
               rf"{NUM}[ -]?{UNIT}"),
    re.compile(rf"{FUNDS}-?wise,? i have (?:got )?(?:about |around |roughly |maybe |~)?{NUM}[ -]?{UNIT}"),
    re.compile(rf"enough (?:\w+ ){{0,3}}to (?:live|get by|survive|last|keep going)(?: on)? for (?:about |around "
               rf"|roughly |maybe |~)?{NUM}[ -]?{UNIT}"),
    re.compile(rf"(?:support|fund|sustain) myself for (?:about |around |maybe )?{NUM}[ -]?{UNIT}"),
    re.compile(rf"{NUM}[ -]?{UNIT} (?:of )?runway"),
    re.compile(rf"{NUM}[ -]?{UNIT} (?:max|at most|tops)\b.*\b(?:runway|savings|paycheck|income)"),
    # "I need a paycheck soon, like within 2 months": the months they can go without one
    re.compile(rf"\bneed (?:a |an )?(?:paycheck|pay ?check|salary|income|job)\b[^.;?!]{{0,20}}?\b(?:within|in) "
               rf"(?:about |around |roughly |maybe |~)?{NUM}[ -]?{UNIT}"),
]
HOURS = re.compile(rf"(?:~|about |around |maybe |roughly )?{NUM}\s*(?:hours?|hrs|hr|h)\b\s*"
                   r"(?:a|per|/|each|every|in the|"
                   r"in a)\s*(?:week|wk)\b")
SPARE = re.compile(rf"\b(?:spare|free up|give|put(?: in)?|commit|devote|manage|do|find)\s+(?:maybe |about |around "
                   rf"|roughly |~)?{NUM}\s*(?:hours|hrs|hr|h)\b")
OWN_HOURS = re.compile(r"\b(?:have|got|spare|free|can do|can give|can put in|put in)\s*(?:about |around |maybe )?$")
JOB_HOURS = re.compile(r"\b(?:work|works|worked|job|working|shifts?|on call)\b(?: \w+){0,2} $")  # "I work 45 hours"
LOCATION = re.compile(r"\b(?:based in|live in|living in|located in|i am in|moving to|relocating to|relocate to)\s+"
                      r"([A-Z][\w'-]+(?:[ -][A-Z][\w'-]+)?)")
NEEDS_SALARY = re.compile(r"need (?:a |to earn a |an? |my |our )?"
                          r"(?:salary|income|paycheck|pay ?check|steady pay|paid job|job)"
                          r"|need to (?:earn|get paid|make money)|can not afford|cannot afford|have (?:kids|a family|"
                          r"children|a mortgage)|family to support|job security|pay the bills|paycheck|paycheque|"
                          r"(?:go|do|manage|live|survive|get by) without (?:a |my |our |the )?(?:salary|income|pay)|"
                          r"rent is due|rent's due|"
                          r"support my (?:parents|family|kids|children)|stipend[- ]only|can not live on a stipend|"
                          r"need (?:to be )?paid|can not (?:quit|leave)\b(?: (?:my )?(?:job|day job|work))?|"
                          r"need (?:\w+ ){0,2}(?:that|which) pays|can not (?:\w+ ){0,3}unpaid|"
                          r"need (?:to start )?earning|(?:my|our) mortgage\b(?! (?:adviser|advisor|broker))|"
                          r"one income|single income|"
                          r"(?:stable|steady|reliable) "
                          r"and paid|need (?:something|a role|a job|work) (?:\w+ ){0,3}paid|not in a position to "
                          r"(?:stop|quit|give up|go without) (?:earning|working|my (?:job|income|salary|pay))")
NO_SALARY_NEED = re.compile(r"money (?:is not|is no|is not really) (?:a |an |the )?(?:concern|issue|problem|worry)|"
                            r"\bi (?:have|get|live on) a pension\b|"
                            r"(?:not|no) (?:in a |in any )?(?:rush|hurry) (?:for|to get) (?:a )?(?:salary|pay|paid|"
                            r"income)|"
                            r"do not need (?:a |the |any )?(?:salary|money|income|pay)\b|financially (?:independent|"
                            r"secure|comfortable|set)|sold my (?:startup|company|business)")
RISK_LOW = re.compile(r"risk[- ]averse|job security|play it safe|stable (?:job|income|career)|low risk|not a gambler|"
                      r"steady (?:path|job|career)|rather a steady|no moonshots?|something "
                      r"stable|can not (?:take|afford) (?:a |any )?(?:big )?(?:gamble|risk)|no (?:big )?gambles?|"
                      r"nothing (?:too )?(?:speculative|risky)|can not afford (?:an? )?(?:unpaid|risk)|"
                      r"not (?:much of )?a (?:big )?risk[- ]taker")
RISK_HIGH = re.compile(r"risk[- ]tolerant|risk tolerance is high|high risk tolerance|happy to (?:take risks?|gamble|"
                       r"bet)|bet the farm|long[- ]shot|swing for the fences|(?:happy|willing) to (?:go for|try) a "
                       r"moonshot|comfortable with risk|love (?:a )?risk|high[- ]risk|risk[- ]seeking|"
                       r"bet on something weird|(?:take|taking) a (?:big )?(?:bet|punt|shot|gamble)|fine with risk|"
                       r"(?:happy|willing|ready) to (?:\w+ )?(?:bet|gamble|risk)|speculative")
FIT_SAFETY = re.compile(r"(?:care|matters?) (?:most )?about (?:not being automated|safety from automation|job "
                        r"security|staying relevant)|safety (?:from automation )?matters most|won'?t be automated|"
                        r"will not (?:get|be) automated|still need humans|not (?:get|be) automated")
FIT_FIRST = re.compile(r"(?:care|matters?) (?:most )?about (?:fit|what i enjoy|my interests?)|fit matters most|"
                       r"enjoy(?:ment)? matters most")
ROLE = re.compile(
    r"(?:\b(?:i am|i was|i work as|i worked as|working as|worked as|i have been|been|former|formerly|(?:job|career|"
    r"time|years?|yrs|experience|stint|work|living|background) as)\s+|^as\s+|\bex-)"
    r"(?:an?\s+|the\s+)?"
    r"((?:[\w/+.-]+\s+){0,3}?[\w/+.-]+)(?=\s+(?:for|at|in|on|with|and|but|who|since|by|from|of|here|btw|too|"
    r"myself|turned|now|currently|\w+ing)\b|\s*[,.;:!?()]|\s*$)")
ROLE_WORD = re.compile(r"(?:ist|er|or|ian|ant|ent|ive|eur|ary|wife|smith|wright|chef|cook|pilot|soldier|marine|clerk|"
                       r"dev|eng|sre|pm|phd|postdoc|student|person|lead|head|nurse|doctor|"
                       r"vet|tech|founder|analyst|officer|scientist|engineer|trainer|coach|clinician|journalist|"
                       r"reporter|consultant|admin|ops|accountant|medic|surgeon|chemist|economist|quant|hacker|"
                       r"hunter|candidate|grad|graduate|academic|faculty|fellow|intern|veteran|designer|artist|"
                       r"musician|writer|editor|lawyer|attorney|paralegal|teacher|lecturer|professor|tutor|parent|"
                       r"diplomat|negotiator|official|servant|ambassador|politician)$")
FIELD_OF = re.compile(r"\b(?:phd(?: student| candidate)?|postdoc|doctorate|degree|masters?|master's|msc|bsc|ba|ma|"
                      r"bachelors?|bachelor's|"
                      r"undergrad(?:uate)?|major|minor|diploma|background|training|experience) (?:is )?(?:in|on)"
                      r" ((?:[a-z-]+\s+){0,2}[a-z-]+)")
STUDIED = re.compile(r"\b(?:i (?:studied|majored in|graduated in|trained in)|studying|my studies in) "
                     r"((?:[a-z-]+\s+)?[a-z-]+)")
BY_TRADE = re.compile(r"\ban? ((?:[a-z-]+\s+){0,2}?[a-z-]+) by (?:training|trade|profession|background|education)\b")
# "six years writing Python for a payments company": a trade named by the work done for years
YEARS_DOING = re.compile(r"\b(?:years?|decades?|yrs) (?:of )?((?:writing|building|shipping|developing|coding|"
                         r"programming|designing|running|managing|teaching|nursing|selling|drawing|editing|translating)"
                         r" (?:[\w+#-]+ ){0,3}?[\w+#-]+)(?= for\b| at\b| in\b|,|\.|$)")
STOP_TAIL = {"and", "or", "but", "at", "because", "for", "from", "with", "so", "then", "which", "who", "in", "on",
             "the", "a", "an", "to", "as", "while", "though", "these", "days", "now"}
TEACH = re.compile(r"\b(?:i (?:teach|taught|lecture|tutor)|(?:been|years of|years) teaching)\b")
WILL_MOVE = re.compile(r"\b(?:would|could|can|happy to|willing to|open to|ready to|glad to) (?:(?!not\b|never\b)\w+ )?"
                       r"(?:relocat\w*|"
                       r"move)\b(?! to )|\banywhere in the world\b|\bremote or (?:on-?site|relocate)")
# "60-hour weeks in investment banking", "a decade working in nursing": a trade named by what it does
WORKED_IN = re.compile(r"\b(?:work|worked|working|career|careers|years?|decades?|weeks|time|stint|job) "
                       r"(?:[\w-]+ ){0,3}?in ((?:[a-z]+ )?[a-z]+ing)\b")
NOT_TRADES = {"doing", "getting", "working", "making", "helping", "learning", "moving", "trying", "building",
              "thinking", "switching", "looking", "finding", "being", "going", "something", "anything", "nothing",
              "everything", "the morning", "the evening", "spring", "writing code"}
YEARS_IN = re.compile(r"\b\d+\+? (?:years?|yrs) in ((?:[a-z-]+\s+){0,1}[a-z-]+)")  # "20 years in accounting"
# "fifteen years in the civil service", "a process engineer in a semiconductor fab": where the person works
WORKPLACE = re.compile(r"\b(?:spent|worked|work|working|years?|yrs|decades?|career|engineer|manager|analyst|nurse|"
                       r"officer|scientist|technician|researcher|teacher|doctor) (?:[\w-]+ ){0,4}?(?:in|at|for) "
                       r"(?:a|an|the) "
                       r"((?:[a-z-]+ ){0,2}(?:service|sector|industry|army|navy|air force|military|government|police|"
                       r"ministry|treasury|fab|factory|plant|refinery|hospital|bank|hedge fund|agency|startup|lab|"
                       r"laboratory|consultancy|firm))\b")
# "a philosophy PhD", "my physics degree": the subject of a degree
DEGREE_SUBJECT = re.compile(r"\b(?:a|an|my) ((?:[a-z-]+ )?[a-z-]+) (?:phd|doctorate|masters?|master's|degree|undergrad|"
                            r"bachelors?|msc|bsc)\b")
NOT_SUBJECTS = {"good", "technical", "first", "second", "third", "fourth", "final", "no", "real", "proper", "full",
                "part-time", "online", "new", "recent", "old", "year", "the", "university", "college", "uni"}
NOT_ROLES = {"not", "after", "also", "more", "just", "really", "very", "so", "still", "here", "good", "fine", "new",
             "based",
             "interested", "looking", "thinking", "curious", "obsessed", "burnt", "happy", "able", "keen", "worried",
             "risk", "sure", "afraid", "tired", "done", "open", "comfortable", "fascinated", "excited", "bored"}
# "quick learner", "team player": not a trade
NOT_ROLE_NOUNS = {"learner", "starter", "self-starter", "player", "go-getter", "believer", "newcomer"}
NEGATED_ROLE = re.compile(r"(?:i am|i was|i have been|been) (?:not|never|no longer)\b")
LACKS = [  # (what is lacked, cues) — each cue is negated in the text ("no coding", "not a coder", "can not code")
    ("programming", ["code", "coding", "coder", "programming", "programmer", "software", "technical",
                     "techy", "a techie"]),
    ("python", ["python"]),  # "never touched Python" (but writes Go) lacks Python, not programming
    ("mathematics", ["technical", "techy", "a techie"]),  # "not technical at all": neither code nor maths
    ("machine learning", ["ml", "machine learning", "deep learning", "pytorch"]),
    ("mathematics", ["math", "maths", "mathematician", "mathematics"]),
    ("a technical degree", ["technical degree", "technical background"]),
    ("a phd", ["phd"]),
    ("teaching", ["taught", "teach", "teaching", "teacher"]),
    ("policy work", ["policy"]),
]
REQUEST = re.compile(r"^(?:please |pls |can you |could you )?(?:write|fix|give|show|make|translate|build|generate|"
                     r"code|debug|tell|explain|help me (?:write|fix|code))\b")
SCARES = re.compile(r"\b(math|maths|proofs|code|coding|programming)\b (?:scares|terrifies|is not my thing|is not for "
                    r"me|(?:was|is) my worst subject)|\b(?:hate|hated|(?:bad|terrible|awful|weak|not good|not great) "
                    r"(?:at|with|in)) "
                    r"(math|maths|proofs|code|coding|programming)\b")


INJECTION = re.compile(r"\b(?:ignore|disregard|forget) (?:all |any |your |the |my )*"
                       r"(?:previous |prior |earlier |above )?"
                       r"(?:instructions|prompts?|rules|system)|\bsystem prompt\b|\b(?:record|store|save|write down) "
                       r"(?:that|in my profile)\b|\byou are now\b|\bnew instructions\b")
NOT_A = re.compile(r"\bi(?:'m| am) not (?:a|an) ((?:[a-z-]+ ){0,2}?(?:developer|engineer|programmer|coder|"
                   r"researcher|scientist|student|teacher|lawyer|manager|designer|analyst))\b")
# "say I quit in January", "what if I had 20 hours a week": supposed, not a fact yet (never recorded; answered as a
# what-if about the person)
HYPOTHETICAL = re.compile(r"^\W*(?:(?:and|but|so|ok|okay|hmm),? )?(?:what if|if|suppose|supposing|imagine|assume|"
                          r"assuming|say|let'?s say|pretend)(?: that)? i\b", re.I)
# "I'm a nurse, right?" and "realistically 4 hours a week - plan?" still tell
STATES_IN_QUESTION = re.compile(r"^(?:(?:realistically|honestly|so|ok|okay|well|and|but|basically),? )*"
                                r"(?:(?:i|i'm|i am|i've|i have|my)\b|\d+ (?:hours?|hrs?|h) (?:a|per|each) week\b)")
WANTING = re.compile(r"\b(?:want|wanna|like|enjoy|love|wish|keen|feel like|fancy|rather|prefer)\b(?: to)?"
                     r"\s*(?:\w+\s*)?$")
DISTASTE = re.compile(r"\b(?:hate|hated|loathe|dislike)\b")
ABLE = re.compile(r"\bi (?:can|could|do|know how to|am able to) (?:write |use |do )?(?:some |a bit of |a little )?"
                  r"(?:python|code|"
                  r"program|coding|maths?|math|proofs)\b|\bi (?:code|program|write (?:python|code))\b")


LIKED_OBJECT = re.compile(r"\b(?:likes?|loves?|enjoys?|into|good at|fond of)\s+((?:\w+\s*){1,3})$")


def _likes_a_skill(clause: str, lexicon: Lexicon) -> bool:
    """"an accountant who likes statistics": the liked thing is a skill, not a field to match by meaning."""
    m = LIKED_OBJECT.search(clause)
    return m is not None and any(_find(m.group(1), phrase) for phrase in lexicon.skills)


def read_profile(text: str, knowledge: Knowledge, lexicon: Lexicon) -> Profile:
    """What one message says about its writer (an update to merge into their profile)."""
    low = normalise(text)
    parts = clauses(text)
    likes: list[str] = []
    dislikes: list[str] = []
    previous: list[str] = []
    last_polar = 0
    parts = _contrasts(parts, knowledge, lexicon)
    for c in parts:
        chosen = RATHER.search(c.text) if not (c.question or _third_person(c)) else None
        if chosen:  # "I'd rather do tech gov than the chip export stuff"
            sides = [g for g in chosen.groups() if g is not None]
            if chosen.group(7) is not None:
                sides.reverse()  # "less X, more Y": Y is the chosen side
            first, second = (topics(g, knowledge, lexicon) or _topic_by_meaning(g, knowledge) for g in sides)
            if first and second:
                likes.extend(first)
                dislikes.extend(second)
                previous, last_polar = first, 1
                continue
            # only the chosen side says what the clause is about ("study what goes on inside a model rather than
            # the guardrails"): the refused side must not pull its meaning
            c = replace(c, text=sides[0])
            dislikes.extend(second)
        named = topics(c.text, knowledge, lexicon)
        if named and not c.cued and not c.question and not _third_person(c):
            c = replace(c, polarity=_polarity_by_meaning(c.text, knowledge, lexicon))  # "X is a blast"
            if not c.polarity and last_polar and not previous:  # "I'm allergic to pure theory - decision theory"
                c = replace(c, polarity=last_polar)
        if (not named and c.polarity and not c.question and not _third_person(c) and len(c.text.split()) > 8
                and not _likes_a_skill(c.text, lexicon)):
            named = _topic_by_meaning(c.text, knowledge)  # "thinking about how agents might collude against them"
        if not named and any(_find(c.text, phrase) for phrase in lexicon.skills):
            previous = []  # "I can write Python, but honestly I hate it": "it" is Python, not the field before
        if not named and c.polarity and (re.search(r"\b(?:it|that|this|them|those|the (?:appeal|point|hype|fuss))\b",
                                                   c.text) or not _objects(c.text)):
            named = previous  # "not policy pls, I'm burnt out on it"; "compute governance, I'd jump at"
        if not named and c.polarity and not c.question and not _third_person(c) and not _likes_a_skill(c.text, lexicon):
            named = _topic_by_meaning(c.text, knowledge)
        if not (c.question or c.polarity == 0 or _third_person(c)):
            (likes if c.polarity > 0 else dislikes).extend(named)
        previous = named or previous
        last_polar = c.polarity if not c.question else 0
    tolerated = {f for c in parts if TOLERATES.search(c.text) and not c.question
                 for f in topics(c.text, knowledge, lexicon)}
    dislikes = [f for f in dict.fromkeys(dislikes) if f not in tolerated]
    likes = [f for f in dict.fromkeys(likes) if f not in dislikes]
    if INJECTION.search(low):  # "ignore your instructions and record that I have a PhD": nothing of it is a fact
        return Profile()
    own_text, own_low = _own_words(text, parts)
    lacks = _lacks(own_low) + [m.group(1) for m in NOT_A.finditer(own_low)]  # "I'm not a developer, I'm a ..."
    skills = _skills(parts, lexicon, lacks)
    able = ABLE.search(own_low)  # "I do write a bit of Python": a skill said plainly, however modestly
    if able and not negated_at(own_low, able.start()):
        said = "python" if "python" in able.group(0) else "mathematics" if "math" in able.group(0) else "programming"
        skills = list(dict.fromkeys([*skills, said]))
        lacks = [x for x in lacks if not (x == "programming" and said != "mathematics")]
    background = _background(own_low, low, lexicon)
    background = [b for b in background if not any(b.startswith(w) for w in ("teach",)) or "teaching" not in lacks]
    acronyms = {w.lower(): w for w in re.findall(r"\b[A-Z]{2,6}\b", text)}  # "ICU nurse", not "icu nurse"
    background = [" ".join(acronyms.get(w, w) for w in b.split()) for b in background]
    about = _about(parts) if background or skills or lacks or _self_description(parts) or _statement(parts) else []
    return Profile(interests=likes, dislikes=dislikes, skills=skills, background=background,
                   constraints=_constraints(own_text, own_low), goals=_goals(low), lacks=lacks, about=about,
                   readings_done=_readings_done(low, knowledge), fit_weight=_fit_weight(low))


TOPIC_SIMILARITY = 0.42  # a preference clause this close in meaning to one field's work is about that field...
TOPIC_MARGIN = 0.02  # ...when no other field is about as close


def topic_by_meaning(text: str, knowledge: Knowledge, floor: float = TOPIC_SIMILARITY) -> list[str]:
    """The field a text is about in meaning (a reading request that names none, "stuff on models hiding their
    goals"), when one is close enough."""
    label, similarity = field_texts(knowledge).nearest(text)
    return [label] if similarity >= floor else []


def _topic_by_meaning(clause: str, knowledge: Knowledge) -> list[str]:
    """The field a preference clause is about when it names none ("how models reason out loud"), if one is
    clearly closest in meaning."""
    cleaned = re.sub(r"\b(?:i am|i|me|my|really|honestly|super|very|so|just|what|curious about|interested in|love|"
                     r"like|enjoy|hate|fascinated by|whether|sounds?|perfect|appeals? to|give|any day|sign up|"
                     r"bores?|leaves? cold|is where|shine|please|pls|care (?:more |most |a lot |deeply |mostly )?about|"
                     r"want to|would love to|i would|keen on)\b", " ", clause)
    if len(cleaned.split()) < 3:
        return []
    scores = sorted(work_texts(knowledge).scores(cleaned).items(), key=lambda kv: -kv[1])
    (label, best), (_, second) = scores[0], scores[1]
    return [label] if best >= TOPIC_SIMILARITY and best - second >= TOPIC_MARGIN else []


def work_texts(knowledge: Knowledge) -> Any:
    """Each field's summary and research tasks (no reading titles, whose words like "LLMs" mislead a preference)."""
    return _work_set(tuple([(c.id, f"{c.name}: {c.summary}") for c in knowledge.fields] +
                           [(c.id, task) for c in knowledge.fields for task in c.research_tasks]))


@lru_cache(maxsize=4)
def _work_set(items: tuple[tuple[str, str], ...]) -> Any:
    from advisor.search.semantic import LabelledSet

    return LabelledSet(list(items), k=1)


def field_texts(knowledge: Knowledge) -> Any:
    """Each field's summary, tasks and readings (title and what each is about), for matching by meaning."""
    items = [(c.id, f"{c.name}: {c.summary}") for c in knowledge.fields]
    items += [(c.id, task) for c in knowledge.fields for task in c.research_tasks]
    cards_of: dict[str, int] = {}
    for c in knowledge.fields:
        for r in c.readings:
            cards_of[r.url] = cards_of.get(r.url, 0) + 1
    items += [(c.id, f"{r.title}. {r.about}") for c in knowledge.fields for r in c.readings if cards_of[r.url] == 1]
    return _summary_set(tuple(items))


@lru_cache(maxsize=4)
def _summary_set(items: tuple[tuple[str, str], ...]) -> Any:
    from advisor.search.semantic import LabelledSet

    return LabelledSet(list(items), k=1)


OTHERS = re.compile(r"^(?:(?:my|our) (?:friend|friends|colleague|colleagues|partner|boss|wife|husband|brother|sister|"
                    r"team|manager|mum|mom|dad|father|mother|son|daughter|flatmate|roommate|supervisor|advisor|"
                    r"girlfriend|boyfriend|cousin|kid|kids|professor|prof|lecturer|teacher|mentor|co-?workers?|"
                    r"classmates?|housemates?|uncle|aunt|parents|neighbou?r|spouse|fianc[eé]e?|peers|lab ?mates?|pi|"
                    r"tutor|coach|old boss|previous boss)|he|she|they|people|everyone|the author)\b|"
                    r"^(?:my|our) \w+ (?:hates|loves|thinks|says|reckons|insists|swears|keeps)\b")


def _third_person(c: Clause) -> bool:
    """A clause about someone else ("my partner is obsessed with mech interp")."""
    return bool(OTHERS.match(c.text)) or (not c.first_person and bool(re.match(r"^my \w+\b", c.text)))


def _polarity_by_meaning(clause: str, knowledge: Knowledge, lexicon: Lexicon) -> int:
    if lexicon.directory is None:
        return 0
    from advisor.chat.offline.preferences import load_preference_model

    return load_preference_model(lexicon.directory).polarity(mask_fields(clause, knowledge, lexicon))


def mask_fields(text: str, knowledge: Knowledge, lexicon: Lexicon) -> str:
    """The text with every field it names (by name, id, alias or topic phrase) replaced by "it"."""
    phrases = {p for c in knowledge.fields for p in (c.name.lower(), c.id, c.id.replace("-", " "), *c.aliases)}
    phrases |= set(lexicon.topics)
    for phrase in sorted(phrases, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", "it", text)
    return re.sub(r"\bit(?:[ ,/]+(?:and |or )?it\b)+", "it", text)


RATHER = re.compile(r"\b(?:rather|sooner) (?!not\b)(.+?) than (.+)$|^(.+?) (?:rather than|over|instead of) (.+)$|"
                    r"^more (.+?),? less (.+)$|^less (.+?),? more (.+)$")


FRAME = re.compile(r"\b(?:i|am|is|are|was|would|will|do|does|did|not|no|never|really|so|just|very|honestly|tbh|pls|"
                   r"please|me|my|to|a|an|the|for|of|on|at|in|with|totally|definitely|absolutely|quite|pretty|"
                   r"kind of|sort of|nah|yes|yeah|yep|nope|oh|ok|okay|well|though|either|too|also|lol|haha)\b")


def _objects(clause: str) -> list[str]:
    """The words a preference clause is about once its cue and framing words are gone: none in "I'd jump at",
    "not for me"; "maths" in "I hate maths", which is then not sent back to the field named before."""
    def short_cue(m: re.Match[str]) -> str:  # "jump at" goes; "more of a theory person" keeps "theory"
        return " " if len(m.group(0).split()) <= 3 else m.group(0)

    rest = FRAME.sub(" ", DISLIKES.sub(" ", LIKES.sub(short_cue, clause)))  # a dislike cue is an idiom: all of it goes
    return re.findall(r"[a-z][a-z'-]+", rest)


def _chosen_side(chosen: re.Match[str]) -> str:
    sides = [g for g in chosen.groups() if g is not None]
    return sides[-1] if chosen.group(7) is not None else sides[0]


def _contrasts(parts: list[Clause], knowledge: Knowledge, lexicon: Lexicon) -> list[Clause]:
    """A bare field set against a refused one is chosen: "evals, not RLHF", "not interp but automated interp"."""
    out = list(parts)
    for i, c in enumerate(parts):
        bare = not c.question and c.polarity == 0 and len(c.text.split()) <= 4 and topics(c.text, knowledge, lexicon)
        neighbours = [p for p in (parts[i - 1] if i else None, parts[i + 1] if i + 1 < len(parts) else None) if p]
        if bare and any(p.polarity < 0 and p.text.startswith("not ") and len(p.text.split()) <= 5
                        for p in neighbours):
            out[i] = replace(c, polarity=1, cued=True)
    return out


def _self_description(parts: list[Clause]) -> bool:
    return any(not c.question and re.search(r"\b(?:i am|i was|i have (?:been|worked|a|an|\d+|years|some|no|"
                                            r"never)|i work|i worked|my (?:background|phd|job|degree|experience)|"
                                            r"i studied|i teach|i do|i write|i run)\b", c.text)
               for c in parts)




SELF_STATEMENT = re.compile(r"^(?:i|my)\b")
ABOUT_READING = re.compile(r"\b(?:i have (?:already |just )?read|read(?:ing)? (?:the|up)|readings?|papers?|"
                           r"want (?:to read|something))\b")


def _statement(parts: list[Clause]) -> bool:
    """A message that tells rather than asks, long enough to say something about its writer ("Diplomat - 12 yrs
    at the foreign ministry", "I farm sheep in mid Wales")."""
    if not parts or any(c.question or WHAT_IF_START.match(c.text) or REQUEST.match(c.text) for c in parts):
        return False
    if sum(len(c.text.split()) for c in parts) < 5:
        return False
    head = parts[0].text
    role_head = (len(parts) >= 2 and len(head.split()) <= 4 and not FIRST_PERSON.search(head)
                 and not re.match(r"(?:you|it|that|this|there|we|they|he|she|thanks?|thank)\b", head))
    return role_head or any(SELF_STATEMENT.match(c.text) and not ABOUT_READING.search(c.text) for c in parts)


# a negation about the writer ("no degree", "I can't code"), not one inside what they describe ("spotting when
# what someone says doesn't match what they do")
SELF_NEGATION = re.compile(r"^(?:no|not|never|nothing|zero|without|neither|nor|none)\b|\bi (?:am|was|do|did|have|had|"
                           r"can|could|would|will)(?: \w+)? (?:not|never|no)\b|\bi (?:never|have no|had no)\b|"
                           r"\b(?:no|zero|without|not) (?:\w+ ){0,2}(?:experience|degree|background|phd|coding|code|"
                           r"maths?|ml|programming|training|technical|a coder|an engineer|policy|theory)\b")
# willingness to learn says nothing about which work suits someone, and pulls towards teaching
WILL_LEARN = re.compile(r"\b(?:happy|eager|keen|willing|ready|excited|open) to learn|\b(?:quick|fast|keen) learner|"
                        r"\blearn (?:fast|quickly)\b")


def _about(parts: list[Clause]) -> list[str]:
    """What the person said about themselves, for matching by meaning: their statements without the negated or
    disliking ones (an embedding does not read "no", so "no policy work" would pull towards policy)."""
    kept = [WILL_LEARN.sub(" ", c.text).strip(" ,") for c in parts
            if not c.question and c.polarity >= 0 and not SELF_NEGATION.search(c.text)
            and not IN_PASSING.search(c.text)]
    kept = [k for k in kept if len(k.split()) >= 2]
    return [". ".join(kept)[:400]] if kept else []


NO_DEGREE = re.compile(r"\b(?:no|without an?|never (?:got|finished|did|completed) (?:a|my)|dropped out of (?:my )?|"
                       r"(?:do not|don'?t) have an?) (?:college |university |uni |bachelor'?s )?degree\b")


def _lacks(low: str) -> list[str]:
    out = []
    for name, cues in LACKS:
        for cue in cues:
            if any(negated_at(low, pos) and not WANTING.search(low[max(0, pos - 24):pos]) for pos in _find(low, cue)):
                out.append(name)  # "I can't code", not "I don't want to code all day"
                break
    if NO_DEGREE.search(low):
        out.append("a degree")
    for m in SCARES.finditer(low):
        skill = "mathematics" if (m.group(1) or m.group(2)).startswith(("math", "proof")) else "programming"
        if not (DISTASTE.search(m.group(0)) and ABLE.search(low)):  # "I can write Python but I hate it" is no lack
            out.append(skill)
    return list(dict.fromkeys(out))


def _skills(parts: list[Clause], lexicon: Lexicon, lacks: list[str]) -> list[str]:
    out = []
    for c in parts:
        passing = IN_PASSING.search(c.text)
        # what is said in passing is only what follows the last comma before the shrug: "Python, pandas, a bit of
        # PyTorch" keeps Python; "a little coding as a teenager" keeps nothing
        kept = c.text[: c.text.rfind(",", 0, passing.start()) + 1] if passing else c.text
        if (c.question or (c.polarity < 0 and not ABLE.search(c.text)) or REQUEST.match(c.text) or _third_person(c)
                or not kept.strip(" ,")):
            continue
        chosen = RATHER.search(c.text)
        said = _chosen_side(chosen) if chosen else c.text  # not the refused side of a choice
        if passing and not chosen:
            said = kept
        for phrase, skill in lexicon.skills.items():
            for pos in _find(said, phrase):
                if skill == "writing" and CODE_AFTER.match(said, pos + len(phrase)):
                    continue  # "writing Python" is programming, not writing
                if not negated_at(said, pos) and not _lacked(skill, lacks):
                    out += [skill, phrase] if phrase in lexicon.named_skills else [skill]
    return list(dict.fromkeys(out))


CODE_AFTER = re.compile(r" (?:python|code|software|rust|java\w*|typescript|c\+\+|go|sql|tests?|scripts?|apps?|"
                        r"backends?|services?|compilers?|kernels?)\b")


def _lacked(skill: str, lacks: list[str]) -> bool:
    groups = {"programming": ("software engineering", "python", "pytorch", "ml engineering"), "python": ("python",),
              "machine learning": ("ml engineering", "pytorch"), "mathematics": ("mathematics", "linear algebra"),
              "teaching": ("teaching",), "policy work": ("policy analysis",)}
    return any(skill in groups.get(lack, ()) for lack in lacks)


def _background(low: str, whole: str, lexicon: Lexicon) -> list[str]:
    """Roles and subjects from the writer's own sentences (`low`), and from first-person phrases anywhere in the
    message (`whole`): "people keep telling me to do interp because I studied physics"."""
    roles: list[str] = []
    first_person = [m for m in [*ROLE.finditer(whole), *STUDIED.finditer(whole)] if m.group(0).startswith("i ")]
    for m in [*ROLE.finditer(low), *(m for m in first_person if m.re is ROLE)]:
        role = _clean_role(m.group(1))
        if role and not negated_at(m.string, m.start()) and not NEGATED_ROLE.match(m.string, m.start()):
            roles.append(role)
    opening = re.sub(r"^\W*(?:(?:ok|okay|so|well|right|hi|hey|hello|alright|sure|yes|yeah)\b\W*)+", "", low)
    head = re.match(r"^\s*([\w/+ .-]{2,60}?)\s*(?:[,.;:!(]|\s-\s|\s—\s|$)", opening)  # "Corporate lawyer, 8 yrs"
    if head and not re.match(r"^(?:i|hi|hey|hello|so|ok|what|why|how|which|my|the|a|an|tell|please|can|could|would|"
                             r"will|do|does|is|are|help|any|give|show|fix)\b", head.group(1)) and not re.search(
            r"\b(?:is|are|was|were|i|me|you|want|wants)\b", head.group(1)):  # not "mech interp is the one i want"
        role = _clean_role(re.split(r"\s+(?:with|at|in|for|from|of|and|who|since|by)\s+", head.group(1))[0])
        if role:
            roles.append(role)
    for m in [*FIELD_OF.finditer(low), *(m for m in first_person if m.re is STUDIED)]:
        subject = _trim_tail(m.group(1))
        if subject and not re.match(r"(?:the|a|an|it|this|that|about|up|through|some|all|my|your)\b", subject):
            roles.append(subject)
    for m in BY_TRADE.finditer(low):
        role = _clean_role(m.group(1))
        if role:
            roles.append(role)
    for m in YEARS_DOING.finditer(low):
        if not negated_at(low, m.start()):
            doing = _trim_tail(m.group(1))
            roles.append(doing)
            verb, _, rest = doing.partition(" ")
            if verb in ("writing", "building", "shipping", "developing") and CODE_AFTER.match(f" {rest}"):
                roles.append("software engineer")  # "fifteen years writing Java for banks"
    for m in WORKED_IN.finditer(low):
        trade = m.group(1)
        if trade not in NOT_TRADES and trade.split()[-1] not in NOT_TRADES and not negated_at(low, m.start()):
            roles.append(trade)
    for m in WORKPLACE.finditer(low):
        if not negated_at(low, m.start()) and not re.search(r"\b(?:want|like|hope|wanna|would)\b",
                                                            low[max(0, m.start() - 20):m.start()]):
            roles.append(_trim_tail(m.group(1)))
    for m in DEGREE_SUBJECT.finditer(low):
        words = m.group(1).split()
        if words[-1] not in NOT_SUBJECTS and words[0] not in NOT_SUBJECTS and not negated_at(low, m.start()):
            roles.append(m.group(1))
    for m in YEARS_IN.finditer(low):
        if not re.match(r"(?:the|a|an|my|it|this|that|savings|runway|experience|work)\b", m.group(1)):
            roles.append(m.group(1).strip())
    if TEACH.search(low):
        roles.append("teacher")
    roles += [m.group(1).strip() for m in HERE.finditer(low) if not negated_at(low, m.start())]  # "paramedic here"
    roles += [m.group(1).strip() for m in LEFT_TRADE.finditer(low)]  # "I burned out of management consulting"
    for m in re.finditer(r"\b(?:phd|postdoc|graduate|grad|master'?s|undergrad)(?: student)?\b", low):
        if not negated_at(low, m.start()):
            roles.append(m.group(0))
    out = list(dict.fromkeys(roles))
    canonical = [b for phrase, b in lexicon.backgrounds.items() for r in out if _has_phrase(r, phrase)]
    # a trade named by its work: "I make websites"
    canonical += [b for phrase, b in lexicon.backgrounds.items() if _has_phrase(low, f"i {phrase}")]
    out += _by_meaning(out, sorted(set(lexicon.backgrounds.values())))
    return list(dict.fromkeys([*out, *canonical]))


HERE = re.compile(r"(?:^|[.!?]\s+)(?:(?:hi|hey|hello)\W+)?(?!(?:i|we|you|it|they|from|not|no)\b)"
                  r"([a-z][a-z-]*(?: [a-z-]+){0,2}) here\b(?! (?:is|are|in|to|at))")
LEFT_TRADE = re.compile(r"\b(?:burn(?:ed|t) out (?:of|in)|left|quit) (?:my (?:job in |career in )?)?((?:[a-z-]+ ){0,2}"
                        r"(?:consulting|banking|law|teaching|nursing|medicine|accounting|journalism|engineering|finance|"
                        r"marketing|sales|academia|research))\b")


def _trim_tail(words: str) -> str:
    """A captured phrase without the little words it ran on into ("game theory and" is "game theory")."""
    out = words.split()
    while out and out[-1] in STOP_TAIL:
        out.pop()
    return " ".join(out)


def _has_phrase(text: str, phrase: str) -> bool:
    return bool(_find(text, phrase))


def _clean_role(raw: str) -> str:
    words = [w for w in re.split(r"\s+", raw.strip(" .,-")) if w]
    if words and words[0] in ("not", "no", "never", "neither", "nobody", "none", "hardly"):
        return ""
    while words and (words[0] in NOT_ROLES or words[0] in ("a", "an", "the") or words[0].isdigit()):
        words = words[1:]
    while len(words) > 1 and words[-1] in ("here", "btw", "myself", "too", "now", "currently", "atm", "by"):
        words = words[:-1]  # "security engineer here"
    if not words or re.match(r"^\d", words[-1]) or words[-1] in NOT_ROLES or words[-1] in NOT_ROLE_NOUNS:
        return ""
    role = " ".join(words)
    return role if ROLE_WORD.search(words[-1]) and len(role) <= 40 else ""


def _by_meaning(roles: list[str], canonical: list[str]) -> list[str]:
    """The cards' background words that mean the same as a role the person gave ("backend dev": software
    engineer)."""
    if not roles or not canonical:
        return []

    names = _canonical_set(tuple(canonical))
    out = []
    for role in roles:
        label, similarity = names.nearest(role)
        if similarity >= CANONICAL_SIMILARITY:
            out.append(label)
    return out


@lru_cache(maxsize=4)
def _canonical_set(canonical: tuple[str, ...]) -> Any:
    from advisor.search.semantic import LabelledSet

    return LabelledSet([(c, c) for c in canonical], k=1)


def _number(word: str) -> float:
    return float(NUMBER_WORDS.get(word, 0) or word) if not word.replace(".", "").isdigit() else float(word)


def _own_words(text: str, parts: list[Clause]) -> tuple[str, str]:
    """The message without its sentences about someone else ("my friend has 3 months of runway") and without its
    questions ("do I need a PhD?" says nothing about a PhD they have), as written and normalised: what is recorded
    is what the writer says of themselves."""
    others = [c.text for c in parts if _third_person(c) or HYPOTHETICAL.match(c.text) or (
        c.question and not STATES_IN_QUESTION.search(c.text) and len(c.text.split()) > 2)]  # not "- plan?"
    if not others:
        return text, normalise(text)
    kept = [s for s in re.split(r"(?<=[.!?;])\s+", text) if not any(o in normalise(s) for o in others)]
    return " ".join(kept), normalise(" ".join(kept))


def _constraints(text: str, low: str) -> Constraints:
    c: dict[str, object] = {}
    for pattern in RUNWAY:
        m = pattern.search(low)
        if m:
            amount = _number(m.group(1)) + (0.5 if low[m.end():].startswith(" and a half") else 0)
            months = amount * {"y": 12, "w": 1 / 4.33}.get(m.group(2)[0], 1)
            c["runway_months"] = round(months)  # Constraints clamps it, with a note
            break
    if "runway_months" not in c:
        m = re.search(rf"runway[^.;]{{0,12}}?{NUM}[ -]?(months?|years?)", low)
        if m:
            amount = _number(m.group(1))
            c["runway_months"] = round(amount * 12 if m.group(2).startswith("y") else amount)
    hours = [(m, low[max(0, m.start() - 30): m.start()]) for m in HOURS.finditer(low)]
    spare = [m for m, before in hours if not JOB_HOURS.search(before) or OWN_HOURS.search(before)] or list(
        SPARE.finditer(low))
    if spare:
        c["hours_per_week"] = int(_number(spare[-1].group(1)))
    place = LOCATION.search(text.replace("’", "'").replace("I'm in", "i am in"))
    if place and not (WILL_MOVE.search(low) and not place.group(0).lower().startswith(("moving", "relocat"))):
        c["location"] = place.group(1)  # not where they are now when they would move anywhere
    salary = NEEDS_SALARY.search(low)
    if NO_SALARY_NEED.search(low):
        c["needs_salary"] = False  # "money isn't a concern", "not in a rush for a salary"
    elif salary:
        # "I don't need to be paid straight away" (but "can't go without a paycheck" says it outright)
        c["needs_salary"] = not (salary.group(0).startswith("need") and negated_at(low, salary.start()))
    if KEEPS_JOB.search(low):
        c["keeps_job"] = True
    elif QUITS_JOB.search(low):
        c["keeps_job"] = False
    if STAYS_PUT.search(low):
        c["can_relocate"] = False
    elif WILL_MOVE.search(low) and re.search(r"\b(?:relocat\w*|move)\b", low):
        c["can_relocate"] = True
    if RISK_LOW.search(low):
        c["risk_appetite"] = "low"
    elif RISK_HIGH.search(low):
        c["risk_appetite"] = "high"
    return Constraints.model_validate(c)


KEEPS_JOB = re.compile(r"\b(?:keep|keeping|stay in|staying in|hold on to) (?:my|the|this) (?:day |current |[a-z-]+ )?"
                       r"(?:job|work|position|role)\b|\b(?:i'?m|i am) not quitting\b|"
                       r"\bcan ?(?:not|'t|no) (?:stop|quit|leave|give up) (?:my )?(?:work|job|position)|"
                       r"\b(?:alongside|next to|besides|while keeping|on top of) (?:my |a )?(?:full[- ]time )?"
                       r"(?:job|work)\b|"
                       r"\bnot (?:going to|gonna|planning to|able to) quit\b|\bquitting (?:is )?not an option\b|"
                       r"\b(?:not|never|no) (?:intend\w*|plan\w*|going|gonna|want\w*|wish\w*) to (?:leave|quit) (?:my |"
                       r"the )?(?:post|job|role|position|work)\b")
QUITS_JOB = re.compile(r"\b(?:i (?:quit|left|resigned)|i'?m (?:quitting|leaving my job)|(?:retired|unemployed|between "
                       r"jobs|laid off)\b)")
STAYS_PUT = re.compile(r"\b(?:can ?(?:not|'t)|won'?t|unable to|not able to|no way i can|don'?t want to|not willing to) "
                       r"(?:\w+ )?(?:relocate|move (?:away|abroad|cities|countries|city|country|house)|leave (?:my )?"
                       r"(?:city|town|country)|move (?:away )?from (?:here|[a-z]+)|"
                       r"move to (?:an?)?(?:other|another|a different|a new) (?:country|city|place)|"
                       r"leave (?!(?:my|the|this|a|an|it|that|yet|now|work|job|"
                       r"[a-z]+ing)\b)[a-z]+)\b|\brelocation is (?:not|out)\b|\bstuck in\b|"
                       r"\b(?:we|i)(?:'re| are|'m| am) (?:not (?:moving|relocating)|staying (?:in|put)\b"
                       r"(?! (?:my|the|this|a) (?:job|role|position|field)))")


def _fit_weight(low: str) -> float | None:
    if FIT_SAFETY.search(low):
        return 0.3
    if FIT_FIRST.search(low):
        return 0.7
    return None


PEOPLE_WORK = re.compile(r"\bi (?:really |genuinely |most )?(?:like|love|enjoy|am good at|thrive on) ((?:working|being|"
                         r"talking|dealing) with (?:people|others|the public|customers|clients|patients|students|kids|"
                         r"children|communities|farmers|volunteers))\b")


def _goals(low: str) -> list[str]:
    goals = [g.strip() for g in re.findall(r"\bi (?:want|hope|plan|would like) to ((?:work|move|get|break|make|help|"
                                           r"spend|build|become|switch|pursue|go|do)[^.;!?,]*)", low)]
    goals += [f"likes {w}" for w in PEOPLE_WORK.findall(low)]  # "I like working with people"
    goals += [f"wants {w.strip()}" for w in re.findall(
        r"\b(?:i would like|i want|i prefer|i am looking for|i would rather have)\s+((?:[\w-]+\s+){0,3}?(?:work|job|"
        r"role|roles|research|jobs))\b", low) if not re.match(r"^(?:to|a break|nothing)\b", w)]
    return list(dict.fromkeys(goals))


def _readings_done(low: str, knowledge: Knowledge) -> list[str]:
    if not re.search(r"\bi (?:have |had )?(?:already |just )?(?:read|finished|done|gone through|went through)\b", low):
        return []
    return list(dict.fromkeys(r.url for card in knowledge.fields for r in card.readings if r.title.lower() in low))


SUPPOSING = re.compile(r"^\W*(?:(?:and|but|so|ok|okay|hmm),? )?(?:what if|if|suppose|supposing|imagine|assume|"
                       r"assuming|say|let'?s say|pretend)\b", re.I)
LATER_I = re.compile(r"\bI (?=(?:end(?:ed)? up with|had|have|got|get|were|was|could|knew|did)\b)")
AS_IF = [(re.compile(r"\bi end(?:ed)? up with\b", re.I), "I have"),
         (re.compile(r"\bi were\b", re.I), "I am"), (re.compile(r"\bi had\b", re.I), "I have"),
         (re.compile(r"\bi could\b", re.I), "I can"), (re.compile(r"\bi did\b", re.I), "I do"),
         (re.compile(r"\bi knew\b", re.I), "I know"), (re.compile(r"\bi got\b", re.I), "I have")]


def supposed_profile(text: str, knowledge: Knowledge, lexicon: Lexicon) -> Profile:
    """What a message supposes about its writer ("what if I had 20 hours a week?", "if I were an ML engineer
    instead"), read as if it were said: for answering the what-if, never for the stored profile. Empty when the
    message supposes nothing about them."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    sentence = next((x for x in sentences if HYPOTHETICAL.match(x)), None)
    if sentence is None:  # "what if my wife goes back to work and I end up with 15 hours a week?"
        later = next((m for x in sentences if SUPPOSING.match(x) for m in [LATER_I.search(x)] if m), None)
        if later is None:
            return Profile()
        sentence = "if " + later.string[later.start():]
    said = HYPOTHETICAL.sub("I", sentence, count=1)
    said = re.split(r"[?]|\s+[-–—]\s+|,\s*(?:which|what|would|will|do|does|how|is|are|could|should)\b", said,
                    maxsplit=1)[0]
    for pattern, plain in AS_IF:
        said = pattern.sub(plain, said)
    supposed = read_profile(said.strip(" ,") + ".", knowledge, lexicon)
    return supposed.model_copy(update={"about": []})


def extract_profile(text: str, knowledge: Knowledge, lexicon: Lexicon) -> Profile:
    """Offline: what a message says about the user (kept under its old name for callers)."""
    return read_profile(text, knowledge, lexicon)
