"""Plain-text handling for the offline advisor: normalising what people type (curly quotes, contractions,
spacing) and cutting a message into clauses, each with its polarity (does the speaker like, dislike or
just mention what it names?) and whether it is a question."""

from __future__ import annotations

import re
from dataclasses import dataclass

QUOTES = str.maketrans({"’": "'", "‘": "'", "´": "'", "`": "'", "“": '"', "”": '"', "–": "-", "—": " - "})
CONTRACTIONS = [
    (r"\bcan'?t\b", "can not"), (r"\bwon'?t\b", "will not"), (r"\bain'?t\b", "is not"),
    (r"\b(do|does|did|is|are|was|were|has|have|had|would|could|should)n'?t\b", r"\1 not"),
    (r"\bi'?m\b", "i am"), (r"\bi'?ve\b", "i have"), (r"\bi'?d\b", "i would"), (r"\bi'?ll\b", "i will"),
    (r"\b(it|that|there|what|who|he|she)'s\b", r"\1 is"), (r"\b(you|we|they)'re\b", r"\1 are"),
]
# common slips that would hide a cue
TYPOS = [(r"\bw(?:at|ht|ut|hta|aht|hat) ?if\b", "what if"), (r"\bsupp?ose\b", "suppose"), (r"\bimagin\b", "imagine"),
         (r"\bw/\s?", "with "), (r"\bppl\b", "people"), (r"\brealy\b", "really"), (r"\bintr?ested\b", "interested"),
         (r"\binterpretib", "interpretab"), (r"\bgovern[ea]nce\b|\bgoverence\b|\bgoverance\b", "governance"),
         (r"\bdefin[ai]tely\b", "definitely"), (r"\bexperi[ae]nce\b", "experience")]
CLAUSE_BREAK = re.compile(r"[.!?;\n]+|(?<!anything)(?<!everything)\s+(?:but|though|although|however|whereas|yet)\s+|"
                          r"(?<!anything)(?<!everything)"
                          r"\s+except\s+|,\s*(?:but|though)\s+"
                          r"|\s+-\s+|\s*/\s+|\s+(?:and|so)\s+(?=i\b)|,\s*(?=i\b)|,\s*(?=more (?:the|of the|into)\b)"
                          r"|,\s*(?=(?:it is )?just that\b)|,\s*(?=not\s+\w)|,\s*(?=which is (?:\w+ )?why i\b)"
                          r"|:\s*(?=no\b)|,\s*(?=(?:\w+ ){1,3}maybe\W*$|maybe\b)")
# "I used to think X was fluff, now I find Y fascinating": the view held now is a clause of its own
SINCE_THEN = re.compile(r",\s*(?=(?:but )?(?:now|these days|nowadays|today)\b)")
QUESTION_START = re.compile(r"^\s*(?:(?:ok|okay|so|wait|hmm|um|and|but|right|oh|hey|sorry),?\s+)*"
                            r"(?:why|what|which(?! is (?:\w+ )?why)|how|who|where|when|"
                            r"any(?!thing (?:except|but)\b)|got any|tell me|explain)\b")
FILLERS = re.compile(r",?\s*\b(?:on the other hand|in contrast|by contrast|then again)\b,?")  # no clause of their own
# "What I like is figuring out…" tells, it does not ask.
WHAT_IF_START = re.compile(r"^\W*(?:what if|suppose|supposing|imagine|assume|assuming|let us say|let'?s say|say)\b")
TELLING_WHAT = re.compile(r"^\s*(?:(?:ok|okay|so|wait|hmm|um|and|but|right|oh|hey|sorry),?\s+)*"
                          r"what (?:i|really|truly|gets me|excites me|draws me|keeps me)\b.*\b(?:is|are|was)\b")
UPTALK = re.compile(r"^(?:(?:i guess|i think|maybe|honestly|tbh|so|um|hmm),? )*i (?:am|have|guess|think|kind of|sort "
                    r"of|really|love|like|enjoy|find)\b")
# "and do i need a phd for that" asks, even without its question mark
ASKING = re.compile(r"^\s*(?:(?:(?:and|so|but|ok|okay|also|then|hmm|wait|oh|um|right|hey|btw|quick question),? )*"
                    r"(?:do|does|did|can|could|should|would|will|must|am|is|are) (?:i|you|u|ya|we|they|it|that|this|"
                    r"one|people|ppl|someone|anyone|anybody|everyone)\b|"
                    r"(?:and |so |but |also |then )+(?:how|what|which|why|where|when)\b|"
                    r"(?:should i )?(?:quit|leave|jump)(?: now)? or (?:keep|stay|finish)\b|"
                    r"(?:keep|stay)(?: \w+){0,3} or (?:quit|leave|go|jump)\b)")
AUX_START = re.compile(r"^\s*(?:is|are|does|do|did|can|could|should|would|will|was|were|has|have)\b")
# A skill said in passing ("I did some maths at school", "hacked together a bit of code, nothing fancy"): not what
# the person does, so it is neither recorded as a skill nor matched against the fields' work.
IN_PASSING = re.compile(r"\b(?:a (?:bit|little|touch) of|bits of|dabbl\w*|tinker\w*|hack\w* (?:\w+ )?together|"
                        r"nothing fancy|nothing serious|at (?:school|uni|university|college)|in (?:high )?school|"
                        r"a-?levels?|gcses?|as a (?:kid|child|teen|teenager|hobby)|in my (?:spare|free) time|for fun|"
                        r"hobby|like everyone|back in the day|amateur|casual(?:ly)?|the basics|years ago|"
                        r"that is about it|that is all|one (?:\w+ )?(?:module|class|course|unit))\b")
NEGATOR = re.compile(r"\b(?:not|no|never|without|nothing|zero|neither|nor|hardly|none)\b")
LIKES = re.compile(
    r"\b(?:lov(?:e|es|ed|ing)|ador(?:e|es|ed|ing)"
    r"|(?<!sounds )(?<!sound )(?<!looks )(?<!feels )(?<!seems )(?<!just )(?<!got )(?<!have )(?<!had )(?<!is )"
    r"(?<!was )(?<!am )(?<!things )(?<!stuff )(?<!something )(?<!someone )(?<!somebody )(?<!people )(?<!person )"
    r"(?<!folks )(?<!anyone )lik(?:e|es|ed|ing)(?! \d)(?! a (?:\d|few|couple))(?! (?:me|myself|us|mine|in)\b)"
    r"|enjoy(?:s|ed|ing)?|into|interested in|curious (?:about|how|what|why|whether)|fascinat\w*"
    r"|obsessed|excit\w*|drawn to|passionate|keen on|fan of|want to (?:do|work|get into|move into|focus|try|go into"
    r"|learn|break|spend)|would like to|prefer|(?:sounds?|seems?|looks?) (?:\w+ )?(?:fun|great|interesting|cool|good|"
    r"exciting|amazing|appealing|perfect)|yes please|count me in|where my heart is|my (?:thing|jam|passion)|"
    r"right up my (?:street|alley)|appeals? to me|sign me up|now we are talking|gets me out of bed|soft spot for"
    r"|where i shine|love it|excites? me|give me|any day|keen|compelling|draws? me|i am all in|thrilled|can not wait"
    r"|i (?:really )?dig|jump at|keep (?:coming|drifting|going) back to|is a blast|can not get enough|intrigu\w*"
    r"|grabs? me|speaks? to me|resonates? with me"
    r"|captivat\w*|grips me|feels like home|my happy place|my calling|what i live for|in my wheelhouse|in my element"
    r"|where my (?:head is at|head'?s at|interests lie|heart lies)|keep (?:reading|thinking) about|daydream\w*"
    r"|(?:can|could) see myself|what drives me|(?:nerd|geek) out|up for|game for|(?:big|huge) fan|stoked|psyched"
    r"|pumped|happily (?:spend|do|work|give|dive)|would (?:happily|gladly)|favou?rite|^more (?:the|of the|into)"
    r"|^(?:yes|yep|yeah|absolutely|definitely)\W*$|fine with|care (?:a lot |most |more |deeply |mostly )?about|"
    r"dream\w*|hooked|person myself|kind of person"
    r"|more of an? [\w -]+ person|what i am after|where i want to be"
    r"|(?:is|'s) the (?:one|thing|field) i (?:actually |really |truly )?(?:want|love|care about)"
    r"|i would (?:pick|choose|go for|opt for)"
    r"|floats? my boat|wants? to (?:\w+ ){0,3}(?:think about|work on|focus on|study|dig into)"
    r"|my idea of (?:a good time|fun|heaven)|(?:want|wants|wanted) to (?:just )?(?:build|write|poke|explore|research"
    r"|make|be)|take a shot at|(?:most|so much|great|such|really|super|real) fun"
    r"|(?:much |far |would )rather (?:be|do|work|spend)|(?:pretty |dead |really |quite )?(?:set|sold) on|settled on"
    r"|happiest|most at home|best part of my|highlight of my|gripping|riveting|absorbing"
    r"|(?:is|are) (?:what|all) i (?:want|need|am after|love|enjoy)"
    r"|(?:sounds?|seems?|looks?) (?:like )?(?:heaven|bliss|a dream|paradise|ace|brilliant|awesome|lovely|fab|class)"
    r"|(?<!no )(?<!zero )(?<!little )(?:enthusiasm|passion|appetite|love) (?:for|in)|my (?:first|top|number one) "
    r"(?:pick|choice) (?:is|would be)"
    r"|^(?:i am )?looking (?:at|into|towards)|leaning (?:into|towards?)"
    r"|^(?:i am |i have been |been )?(?:seriously )?(?:thinking (?:about|of)|eyeing|considering (?=going into|moving "
    r"into|a career in|a move into|switching to))"
    r"(?! (?:what|your|you|it|that|this|how|the fact|leaving|quitting|dropping|stopping|giving up|getting out|"
    r"moving away)\b)"
    r"|(?:now|these days|nowadays),? it is .{1,60} for me$)\b")
DISLIKES = re.compile(
    r"\b(?:hat(?:e|es|ed|ing)|dislik(?:e|es|ed)|bor(?:ed|ing)|dull|avoid|can not stand|not for me|never again"
    r"|burn(?:t|ed) out|tired of|allergic to|zero interest|no interest|want nothing (?:to do )?with|"
    r"nothing to do with"
    r"|not (?:\w+ )?(?:into|interested|a fan|keen|for me)|do not (?:want|like|enjoy|care)|would not want|rather not"
    r"|do not see myself|can not see myself|neither|not (?:really |quite |exactly |entirely )?my (?:thing|cup of tea)"
    r"|no thanks|too fiddly|way too|not for me|(?:does|do|did) not (?:really )?float my boat|(?:gone|went|going) off"
    r"|lost (?:my |all |any )?interest|fallen out of love|not what i am after|(?:does|do|did) not (?:really )?(?:grab|"
    r"excite|interest|appeal to|thrill|move) me"
    r"|leaves? me cold|not my cup of tea|bores? me|drains? me|anything (?:except|but)|meh|not so much|rather eat"
    r"|hard pass|^nah\b|pass on|nope|no way|not a fan|turns? me off|can not stand"
    r"|not (?:\w+ )?(?:pls|please)|not (?:really |quite )?my (?:scene|bag|area|forte|style|vibe)|glaze over|yawn"
    r"|snooze|(?:sends|puts) me to sleep|bored (?:out of|to)|tedious|mind-numbing|soul-destroying|slog|grind|chore"
    r"|drudgery|non-starter|deal-?breaker|hard no|no-go|ick|cringe|nightmare|dread\w*|would not touch|run a mile"
    r"|over my dead body|not in a million years|does nothing for me|do nothing for me|not sold on|lukewarm|unappealing"
    r"|not appealing|no appeal|(?:do not|can not|fail to) see the appeal|exhausting|miserable|waste of time"
    r"|put off|turned off|not looking to (?:do|get into|work on|go into)|creeps? me out|gives? me the creeps"
    r"|freaks? me out|makes? me (?:uneasy|uncomfortable|queasy)"
    r"|(?:stay|keep|steer) (?:well |far |clear )?(?:away|clear) (?:from|of)"
    r"|sick (?:and tired |to death )?of|last (?:resort|choice|option)|(?:zero|no|little) (?:desire|appetite|wish|urge|"
    r"inclination)|no (?:big |real |great )?fan of|sounds? like (?:hell|torture|a nightmare|misery)|bores? me stiff"
    r"|if i never (?:\w+ ){1,6}(?:again|it will be too soon)|too soon|cured me of|put me off)\b")
THIRD_PERSON = re.compile(r"\b(?:my (?:friend|colleague|partner|boss|wife|husband|brother|sister|team|manager)"
                          r"|he|she|they|the author|people|everyone|someone)\b")
FIRST_PERSON = re.compile(r"\b(?:i|me|my|myself|mine)\b")


# "no PhD, no publications" says what someone lacks, not what they dislike
CREDENTIALS = re.compile(r"\b(?:phd|degree|experience|publications?|papers?|background|qualifications?|savings|money|"
                         r"time|job|income|lab|credentials?|coding|code|maths?|cs)\b")


def normalise(text: str) -> str:
    """Lower case, straight quotes, contractions spelled out, single spaces."""
    low = text.translate(QUOTES).lower()
    for pattern, repl in CONTRACTIONS:
        low = re.sub(pattern, repl, low)
    low = re.sub(r"\bim\b", "i am", low)
    low = re.sub(r"(\w)-ish\b", r"\1 ish", low)  # "policy-ish"
    low = re.sub(r"(?<!\w)'(\w[\w ]{0,30}?)'(?!\w)", r"\1", low)  # scare quotes: how LLMs 'reason'"
    for pattern, repl in TYPOS:
        low = re.sub(pattern, repl, low)
    return re.sub(r"[ \t]+", " ", low).strip()


@dataclass(frozen=True)
class Clause:
    text: str  # normalised
    question: bool
    polarity: int  # +1 likes, -1 dislikes, 0 neither (a mention, a fact, or a double negative)
    first_person: bool
    cued: bool = True  # whether words that mean a like, a dislike or neither decided the polarity


def clauses(text: str) -> list[Clause]:
    """The message cut into clauses, each with its polarity."""
    low = FILLERS.sub(" ", normalise(text))
    out = []
    for sentence in re.split(r"(?<=[.!?\n])", low):
        is_question = sentence.strip().endswith("?")
        parts = [p.strip(" ,") for p in CLAUSE_BREAK.split(sentence) if p.strip(" ,")]
        parts = [q.strip(" ,") for p in parts for q in (SINCE_THEN.split(p) if PAST_VIEW.search(p) else [p])]
        parts = [q for p in parts for q in _split_views(p)]
        for i, part in enumerate(parts):
            question = (bool(QUESTION_START.search(part)) and not (TELLING_WHAT.match(part) and not is_question)) or (
                is_question and (i == len(parts) - 1 or bool(AUX_START.search(part)))) or bool(
                ASKING.search(part))
            value, cued = read_polarity(part)
            if question and value > 0 and UPTALK.match(part) and not QUESTION_START.search(part):
                question = False  # "I guess I'm sort of drawn to forecasting?" tells, with a shrug
            out.append(Clause(part, question, value, bool(FIRST_PERSON.search(part)), cued))
    return out


def _split_views(part: str) -> list[str]:
    """ "I'm dead keen on X, and anything like Y I'd rather avoid": two views joined by ", and" are two clauses
    (a list such as "evals, interp, and control" is not split: its pieces carry no view of their own)."""
    pieces = re.split(r",\s+and\s+", part)
    cued = [bool(LIKES.search(p) or DISLIKES.search(p)) for p in pieces]
    return pieces if len(pieces) == 2 and all(cued) else [part]


def polarity(clause: str) -> int:
    """+1 when the speaker says they like what the clause names, -1 when they do not, 0 otherwise."""
    return read_polarity(clause)[0]


# a view no longer held
PAST_VIEW = re.compile(r"\b(?:i )?used to (?:think|find|hate|dislike|love|like|be into|be (?:\w+ )?(?:obsessed|"
                       r"into|keen|crazy|mad|passionate|excited|a fan))\b|\b(?:back (?:in|when)|years "
                       r"ago|at one point|in the past|as an? (?:student|undergrad))\b.*\bi was\b|\bi was\b.*\b(?:back "
                       r"(?:in|when)|years ago)\b|\b(?:back (?:in|when|at)|as an? (?:student|undergrad|kid|teen\w*)|"
                       r"in my (?:phd|undergrad|degree|twenties|old job|last job|first job)|"
                       r"at (?:uni|university|school|college))\b.*\b(?:hated|loved|liked|disliked|enjoyed|adored|"
                       r"could not stand)\b|"
                       r"\b(?:hated|loved|liked|disliked|enjoyed|adored)\b.*\b(?:as an? (?:student|undergrad|kid|"
                       r"teen\w*)|back (?:then|in|when)|in my (?:phd|undergrad|degree|twenties))\b")


NEUTRAL = re.compile(r"\b(?:neither here nor there|on the fence|no strong (?:feelings|opinions?|views?)|ambivalent|"
                     r"indifferent|(?:do not|would not) mind either way|torn (?:on|about|between)|"
                     r"(?:unsure|not sure|no idea|do not know|can not tell) (?:whether|if) i(?: would| will| could)? "
                     r"(?:like|enjoy|love|hate)|"
                     r"nothing(?:'s| is| has)? (?:\w+ )?(?:grabbed|caught|excited|interested|appealed to|hooked) me|"
                     r"not that i (?:dislike|hate|mind))\b")
# "I wouldn't mind X", "open to it", "I'd not rule it out": tolerated, neither liked nor disliked
TOLERATES = re.compile(r"\b(?:could live with|take it or leave it|do not mind|would not mind|fine either way|"
                       r"not against|open to|(?:would|will|do) not rule (?:\w+ ){0,3}out|not ruling (?:\w+ ){0,3}out|"
                       r"would consider|could take or leave)\b")
# "far from hating evals": a denied dislike
DENIED_DISLIKE = re.compile(r"\b(?:far from|anything but|no longer) (?:hating|disliking|being bored|bored|hate|"
                            r"dislike)")


def read_polarity(clause: str) -> tuple[int, bool]:
    """The clause's polarity, and whether words that mean one decided it (False: no cue either way, so the
    caller may read it by meaning)."""
    if re.search(r"\b(?:do|does|did|would|am|is|are|was) not not\b", clause) or NEUTRAL.search(clause):
        return 0, True  # "I don't not like RLHF": no dislike, and not quite a like
    if re.search(r"\bnot that i (?:do not|did not) (?:like|enjoy|love)|i would not say i am (?:not |un)interested|"
                 r"would not say no to|(?:come|came|coming) (?:a)?round to|(?:warmed|warming) (?:up )?to|grown on me|"
                 r"not like .{0,30}(?:does|do|did) not (?:interest|appeal|excite)",
                 clause) or DENIED_DISLIKE.search(clause):
        return 1, True  # a denied dislike, or a view come round to: "it's not that I don't like governance"
    tolerates = TOLERATES.search(clause)
    if PAST_VIEW.search(clause) or (tolerates and not LIKES.search(clause, tolerates.end())):
        return 0, True  # "I wouldn't mind X" tolerates; "I wouldn't mind X, it sounds cool" likes
    dislike = DISLIKES.search(clause)
    like = LIKES.search(clause)
    if dislike:
        before = clause[: dislike.start()]
        # "I wouldn't say I dislike it", "I don't hate it": a negated dislike is no dislike.
        if NEGATOR.search(before[-30:]) and not dislike.group(0).startswith(("not", "no", "nothing", "zero", "do not",
                                                                             "would not", "rather")):
            return 0, True
        return -1, True
    if like:
        before = clause[: like.start()]
        denied = re.search(r"\b(?:not|never|no longer)\s+(?:\w+\s+){0,2}$|\b(?:can|could|would) not say i\b.{0,30}$|"
                           r"\bno (?:big |real |great )?$", before)
        return (-1 if denied else 1), True
    if (re.match(r"^(?:(?:please|pls),? )?(?:not|no|nothing)\b", clause) and len(clause.split()) <= 8
            and not re.match(r"^(?:no|not) (?:[\d%]+ )?(?:idea|clue|sure|worries|problem|yet|really|at all)\b", clause)
            and not CREDENTIALS.search(clause)):
        return -1, True  # "not policy pls", "no theory"
    return 0, bool(NEGATOR.search(clause))  # a negation without a cue is not read by meaning


def negated_at(text: str, start: int, window: int = 28) -> bool:
    """Whether the words just before `start` negate what follows ("no ml experience", "not a coder")."""
    before = text[max(0, start - window): start]
    return bool(re.search(r"\b(?:no|not|never|without|zero|nothing|can not|do not|does not|have not|cannot|lack|"
                          r"lacking)"
                          r"\b(?:\s+(?:\w+\s+){0,2})?$|\bnot (?:much|really|exactly|quite) (?:of )?an?\s+$|"
                          r"\bnot (?:going to|gonna|about to|planning to) (?:learn|become|"
                          r"be|pick up|start)(?: an?)?\s*$", before))
