"""The offensive-language score in a campaign's context: abuse aimed at a protected person, hidden spellings, counter-speech.

The stored model score (alt-profanity-check's probability) is a profanity detector: it misses
threats and insults written without swear words, misses swear words spelled to dodge filters,
and flags posts that quote abuse to condemn it. `context_score` keeps that probability and,
for a post aimed at a protected account, raises it to the strength of any rule below that
fires; for a post that quotes or reports abuse to condemn it (counter-speech), it lowers it.
The rules are word lists and patterns written here by hand, measured on HateCheck (the
README gives the figures); `aimed_at` says which protected accounts a post is aimed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from campaigns.matching import accounts_in, normalise_account
from campaigns.metrics import LOWEST_OFFENSIVE_THRESHOLD

# -- word lists -------------------------------------------------------------------------------
# Profanity and slurs: the most heavily weighted words of alt-profanity-check 1.9's own model
# (MIT licence; trained on Davidson et al. 2017 and the Jigsaw toxic comments), hand-filtered to
# the unambiguous ones. Used only to recognise them under disguised spellings ("sh1t", "f u c k",
# "fukc"); spelled plainly, the model itself already scores them.
PROFANITY = frozenset("""
fuck fucking fucked fucker fuckers fucks fuckin motherfucker motherfuckers fuckhead fucktard
fuckwit shit shitty bullshit shithead shits dipshit bitch bitches pussy asshole assholes arsehole
cunt cunts dick dickhead dickheads cock cocksucker bastard bastards twat wanker whore whores slut
sluts prick dumbass jackass douchebag scumbag scumbags faggot faggots fag fags nigger niggers
nigga niggas dyke dykes tranny retard retarded retards camelfucker
""".split())
VIOLENCE = frozenset("""
kill killed killing kills murder murdered murdering murders shoot shooting shot stab stabbed
stabbing hang hanged hanging rape raped raping hurt hurting slaughter slaughtered strangle
strangled drown drowned torture tortured burn burned burnt execute executed executing execution
eradicate eradicated exterminate exterminated lynch lynched behead beheaded beat beaten punch
attack attacking suffer die dead death throat throats neck necks bomb acid
""".split())
DEHUMANISING = frozenset("""
vermin trash garbage scum filth plague cancer virus pest pests parasite parasites rat rats
cockroach cockroaches subhuman animals dirt refuse worthless
""".split())
INSULTS = frozenset("""
pathetic disgusting repulsive repugnant vile despicable stupid stupidest idiot idiots moron
morons clown liar loser losers useless ignorant dishonest disgrace coward hypocrite brainless dumb
dumbest revolting sickening creep failure incompetent traitor filthy uncivilised
""".split())
HATRED = frozenset("hate despise detest loathe abhor".split())
LEXICON = PROFANITY | VIOLENCE | DEHUMANISING | INSULTS | HATRED | {"contempt", "hatred", "disgust",
                                                                  "disgusted", "threat", "worse"}
# Words a disguised spelling may sit beside once its space is taken out ("stabthose", "todie").
FUNCTION_WORDS = frozenset("""
i a to all those these the so just many much too you them their of for are is be such very
""".split())
# Real words that a dropped or swapped letter would otherwise read as a lexicon word ("laughter"
# is "slaughter" less one letter), from `python scripts/offensive_lexicon.py`, which puts every
# word of the model's own vocabulary through these rules ("fukin" and "motherfucking", which it
# also lists, are left to be read as what they are).
NOT_DISGUISED = frozenset("""
animal arts beta eaten forehead garage hated laughter loses niger pets reuse strange treat
""".split())
# A person, as a rule's target; "your" is not one ("your policy is garbage" is criticism).
PERSONS = frozenset("""
you you're youre u ur he she him her they them people person persons folk man men woman women
guy guys girl girls kid kids lives life yourself yourselves himself herself themselves everyone
anyone someone somebody councillor councillors officer officers president mp mps
""".split())
NEGATIONS = frozenset("""
not never no nobody don't dont doesn't won't wouldn't shouldn't mustn't cannot can't isn't
aren't without condone tolerate against opposite
""".split())

LEET = str.maketrans({"4": "a", "3": "e", "1": "i", "0": "o", "$": "s", "5": "s", "7": "t", "!": "i",
                      "@": "a", "|": "l"})
WORD = re.compile(r"[a-z0-9@$!|']+")
SPACED = re.compile(r"(?<![a-z0-9])(?:[a-z0-9@$]\s){2,}[a-z0-9@$](?![a-z0-9])")


def _phrases(*phrases: str) -> re.Pattern:
    """One pattern for a list of phrases, each matched as whole words of the space-joined text."""
    return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
                      + r")(?!\S)")


QUOTE_MARKS = "\"“”«»"
QUOTED = re.compile(r"[\"“”«»]([^\"“”«»]{3,})[\"“”«»]|(?:^|\s)'([^']{3,}?)'(?=[\s.,!?;:]|$)")

# -- rule strengths (0..1, on the model's own scale) --------------------------------------------
THREAT = 0.9          # a threat or a wish for harm: "I will hurt you", "they should be shot"
DEATH_WISH = 0.95     # telling a person to kill themselves, die, or that they should not live
DEHUMANISE = 0.8      # "you are scum", "people like you are vermin"
INSULT = 0.7          # "you are pathetic", "I hate you", "you make me sick"
DISGUISED = 0.8       # a swear word or slur spelled to dodge filters: "sh1t", "f u c k"
REJECTION = 0.6       # "nobody wants you", "everyone hates you"
# "resign", "quit", "step down" alone: criticism as often as abuse, so just over the default
# threshold (queued for a person to judge) and under 0.5; with an insult or "nobody wants you" more.
QUIT = 0.25
COUNTER_SPEECH = 0.2  # the share of a score left when a post condemns the abuse it quotes

# Words that announce an intent or a wish; the harm they announce follows within WINDOW words.
INTENT = frozenset("""
will ill i'll we'll gonna wanna want going let's lets should ought deserve deserves must hope
wish only best decriminalised illegal solution interest would
""".split())
WINDOW = 8
# Who a violent verb can be aimed at, as the word after it.
TARGETS = PERSONS | frozenset("all every any those these that his her their your".split())
# A person wished into these states, after "be" or "get", is wished harm.
HARMED = frozenset("""
killed murdered shot stabbed hanged raped hurt slaughtered strangled drowned tortured burned burnt
executed eradicated exterminated lynched beheaded beaten attacked dead
""".split())
ARE = frozenset("are is be r am were was being just so such a an absolute absolutely complete "
                "total utter fucking massive nothing but no better than like really all".split())
ADDRESS = frozenset("you u you're youre ur".split())
CANT_STAND = _phrases("can't stand", "cannot stand", "cant stand")
HATE_TARGETS = PERSONS | frozenset("those these all every any".split()) - {"life", "lives"}
# Said of a person these wish them dead; each is checked for a negation before it ("no one deserves to die").
DEATH_WISH_PHRASES = _phrases(
    "kill yourself", "kill urself", "kill yourselves", "kys", "neck yourself", "end yourself", "go die",
    "hope you die", "hope u die", "should just die", "should die", "deserve to die", "deserves to die",
    "need to die", "die in a fire", "drop dead", "better off without", "better off if", "all be dead",
    "would be dead",
)
# These carry their own negation: a life that should not be lived.
WORTHLESS_LIFE = re.compile(
    r"\b(?:(?:do|does|did) not|don't|doesn't) deserve to live|no right to be alive|not worthy of living|"
    r"not belong on this earth|no space on this planet|not let (?:any |those |these |the )?\w+(?: \w+)? live\b|"
    r"lives? (?:is|are) (?:not worth (?:anything|protecting|shit)|worth (?:absolutely )?nothing|worthless)|"
    r"lives? (?:do not|don't) matter|lives? (?:have|has) no value|not worth anything|aren't worth shit|"
    r"should not apply to|are not human")
THREAT_PHRASES = _phrases(
    "death to", "get rid of", "put an end to", "keep attacking", "cut their", "cut his", "cut her",
    "cut your", "cut these", "snap your", "snap his", "snap her", "snap that", "snap the", "end every",
    "end his life", "end her life", "end your life", "make you suffer", "make those", "see you suffer",
    "see him suffer", "see her suffer", "see those", "throats cut", "burned at the stake",
    "die a horrible death", "at my hands", "know where you live", "watch your back", "coming for you",
    "days are numbered", "you'll regret", "you will regret", "you'll pay for", "you will pay for",
    "one eye open", "something happens to you", "find out where you live", "hunt you down",
    "before someone makes you",
)
REJECTION_PHRASES = _phrases(
    "nobody wants you", "no one wants you", "nobody likes you", "no one likes you", "everyone hates you",
    "nobody cares about you", "no one cares about you", "do us all a favour", "do us all a favor",
    "nobody voted for you", "nobody would miss you", "no one would miss you",
)
QUIT_WORDS = _phrases("resign", "quit", "step down", "go away", "get out", "disappear", "delete your account",
                      "shut up", "get lost", "fuck off")
# Counter-speech: words of reporting outside a quote, and words of condemnation.
REPORTING = frozenset("""
say says said saying write writes wrote writing written post posts posting comment comments message
messages tweet tweets statement statements things stuff called calling threats threat wishing sent
send dm dms report reported block blocked banned ban
""".split())
CONDEMNING = frozenset("""
report reported reporting block blocked ban banned tolerate hateful bigot bigoted bigotry racist
sexist homophobic transphobic horrible hurtful dehumanising dehumanizing jail prison court police
consequences unacceptable disgrace shameful harassment misguided small-minded disheartening
""".split())
CONDEMNING_PHRASES = _phrases(
    "not ok", "not okay", "lost all respect", "seriously believe", "don't expect", "has to stop",
    "have to stop", "must stop", "call out", "how hateful", "says a lot", "shows how", "shows what",
    "okay to call", "ok to call", "stop calling", "hurts to see", "kicked off", "get away with",
    "not reflect well", "hate speech",
)
REFERRING = frozenset("calling call called telling told saying said say writing wrote threatening "
                      "wishing contempt hatred".split())
MAY_REPORT = re.compile(r"\b(?:" + "|".join(sorted(REFERRING)) + r")\b")
STRONG = PROFANITY | DEHUMANISING | INSULTS


@dataclass(frozen=True)
class Stance:
    """How a text speaks, without the abuse rules: its canonical words (disguised spellings
    undone), how many disguised a swear word, whether it quotes, abuses "you", condemns."""

    words: tuple[str, ...]
    disguised_profanity: int
    # Counter-speech: quoted words with a word of reporting or condemnation outside the quotes,
    # or an unquoted report ("calling them trash") with a word of condemnation; never a post
    # that also abuses "you" directly outside any quote, so quoting is no cover for abuse.
    counter_speech: bool
    quotes: bool
    direct_abuse: bool
    condemning: bool


@dataclass(frozen=True)
class Reading(Stance):
    """What the rules found in one text: its stance, and each rule's strength."""

    rules: dict[str, float]

    @property
    def strength(self) -> float:
        """The strongest rule, raised when independent rules agree (a noisy-or, below 1)."""
        if not self.rules:
            return 0.0
        values = sorted(self.rules.values(), reverse=True)
        remaining = 1.0
        for value in values:
            remaining *= 1.0 - value
        return min(max(values[0], 1.0 - remaining), 0.99)


@cache
def _disguises() -> dict[str, str]:
    """Each lexicon word's spellings with two neighbours swapped, or (six letters or more) one dropped.

    Shorter words are left alone: one letter from "cunts" is "cuts", from "prick" is "pick".
    """
    found: dict[str, str] = {}
    for word in sorted(LEXICON, key=len, reverse=True):
        if len(word) < 4:
            continue
        variants = {word[:i] + word[i + 1:] for i in range(len(word))} if len(word) >= 6 else set()
        variants |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
        for variant in variants - {word}:
            if len(variant) >= 4 and variant not in LEXICON and variant not in NOT_DISGUISED:
                found.setdefault(variant, word)
    return found


@lru_cache(maxsize=65536)
def _canonical(token: str) -> tuple[tuple[str, ...], bool]:
    """The words a token stands for, and whether its spelling disguised a lexicon word."""
    if token in LEXICON or len(token) < 4 or token in NOT_DISGUISED:
        return (token,), False
    disguises = _disguises()
    disguised = disguises.get(token)
    if disguised:
        return (disguised,), True
    if len(token) >= 6:
        # A space taken out: "stabthose", "todie", "bitchbehaviour".
        for cut in range(1, min(6, len(token) - 3)):
            head, tail = token[:cut], token[cut:]
            if head in FUNCTION_WORDS and (tail in LEXICON or tail in disguises):
                return (head, disguises.get(tail, tail)), True
        for cut in range(max(4, len(token) - 5), len(token)):
            head, tail = token[:cut], token[cut:]
            if tail in FUNCTION_WORDS and (head in LEXICON or head in disguises):
                return (disguises.get(head, head), tail), True
        for cut in range(4, len(token) - 3):
            head, tail = token[:cut], token[cut:]
            if (len(head) >= 5 and head in STRONG) or (len(tail) >= 5 and tail in STRONG):
                return (head, tail), True
    return (token,), False


def _words(lowered: str) -> tuple[list[str], int]:
    """The text's words with disguised spellings undone, and how many disguised a swear word or slur."""
    spaced = SPACED.sub(lambda m: m.group(0).replace(" ", ""), lowered) if " " in lowered else lowered
    words: list[str] = []
    disguised_profanity = 0
    for raw in WORD.findall(spaced):
        if raw[0] == "@":
            continue
        token = raw.strip("'")
        plain = token.translate(LEET) if not token.isalpha() and any(c.isalpha() for c in token) else token
        parts, disguised = _canonical(plain) if plain.isalpha() else ((plain,), False)
        if (disguised or plain != token) and PROFANITY.intersection(parts):
            disguised_profanity += 1
        words.extend(parts)
    if spaced is not lowered:
        for match in SPACED.finditer(lowered):
            joined = match.group(0).replace(" ", "").translate(LEET)
            if any(word in joined for word in PROFANITY if len(word) >= 4):
                disguised_profanity += 1
    return words, disguised_profanity


def _negated(words: list[str], start: int, end: int) -> bool:
    """A negation between a rule's first and last word, or among the three words before it."""
    return any(word in NEGATIONS or word.endswith("n't") for word in words[max(0, start - 3):end])


def _threat(words: list[str], canonical: str) -> bool:
    """Harm announced against someone: an intent or wish, then a violent verb whose object is a
    person ("I will hurt you", "kill all of them", "stab those"), or a person wished harmed
    ("they should be shot", "you will be killed"); "give it a shot" and "kill time" are not."""
    for index, word in enumerate(words):
        if word not in VIOLENCE:
            continue
        intent = next((back for back in range(index - 1, max(-1, index - WINDOW - 1), -1)
                       if words[back] in INTENT), None)
        if intent is None or _negated(words, intent, index):
            continue
        following = words[index + 1:index + 3]
        if following and (following[0] in TARGETS or tuple(following) == ("the", "next")):
            return True
        if word in HARMED and any(w in ("be", "get", "are", "were") for w in words[max(0, index - 3):index]):
            return True
    return _phrase(words, canonical, THREAT_PHRASES)


def _phrase(words: list[str], canonical: str, phrases: re.Pattern) -> bool:
    """One of `phrases` in the text with no negation in the three words before it."""
    for match in phrases.finditer(canonical):
        position = canonical.count(" ", 0, match.start())
        if not _negated(words, position, position):
            return True
    return False


def _at_person(words: list[str], lexicon: frozenset[str]) -> bool:
    """A word of `lexicon` said of a person ("you are scum", "people like you are pathetic")."""
    if not PERSONS.intersection(words):
        return False
    for index, word in enumerate(words):
        if word in lexicon and not _negated(words, index - 1, index):
            if any(w in PERSONS for w in words[max(0, index - 6):index + 3]):
                return True
    return False


def _hatred(words: list[str], canonical: str) -> bool:
    for index, word in enumerate(words):
        if word in HATRED or word in ("contempt", "hatred", "disdain", "scorn", "disgusted"):
            following = words[index + 1:index + 3]
            if word in ("contempt", "hatred", "disdain", "scorn", "disgusted") and following[:1] in (["for"], ["by"]):
                following = following[1:]
            if following and following[0] in HATE_TARGETS and not _negated(words, index - 1, index):
                return True
    if CANT_STAND.search(canonical):
        return True
    for index, word in enumerate(words[:-2]):
        if word in ("make", "makes") and words[index + 1] == "me" and \
                {"sick", "furious", "angry", "boil"}.intersection(words[index + 2:index + 4]):
            return True
    return False


def _direct_abuse(words: list[str]) -> bool:
    """Abuse said to "you" directly: "you pathetic clown", "you are scum", "I will hurt you"."""
    for index, word in enumerate(words):
        if word in ADDRESS:
            for following in words[index + 1:index + 5]:
                if following in STRONG:
                    return True
                if following not in ARE:
                    break
            if index >= 1 and words[index - 1] in VIOLENCE:
                return True
    return False


@lru_cache(maxsize=8192)
def read_stance(text: str) -> Stance:
    """Undo disguised spellings and read the text's stance; all a post not aimed at a protected
    account needs (context_score), and the costlier rules are not applied."""
    lowered = (text or "").lower().replace("’", "'")
    quotes = _quotes(lowered)
    words, disguised_profanity = _words(lowered)
    outside = _words(QUOTED.sub(" ", lowered))[0] if quotes else words
    direct = _direct_abuse(outside)
    condemning = _condemning(outside)
    counter = not direct and (condemning or bool(REPORTING.intersection(outside))) if quotes else \
        not direct and condemning and bool(REFERRING.intersection(outside))
    return Stance(words=tuple(words), disguised_profanity=disguised_profanity, counter_speech=counter,
                  quotes=quotes, direct_abuse=direct, condemning=condemning)


@lru_cache(maxsize=8192)
def read_text(text: str) -> Reading:
    """Undo disguised spellings, then apply every rule; pure, so a text seen again (a repost, a
    copied message) is read once."""
    stance = read_stance(text)
    words = list(stance.words)
    canonical = " ".join(words)
    present = set(words)
    rules: dict[str, float] = {}
    if WORTHLESS_LIFE.search(canonical) or _phrase(words, canonical, DEATH_WISH_PHRASES):
        rules["death wish"] = DEATH_WISH
    if (VIOLENCE & present or THREAT_PHRASES.search(canonical)) and _threat(words, canonical):
        rules["threat"] = THREAT
    if DEHUMANISING & present and _at_person(words, DEHUMANISING):
        rules["dehumanising"] = DEHUMANISE
    if INSULTS & present and _at_person(words, INSULTS):
        rules["insult"] = INSULT
    if _hatred(words, canonical):
        rules["hatred"] = INSULT
    if REJECTION_PHRASES.search(canonical):
        rules["rejection"] = REJECTION
    if _quit(canonical):
        rules["quit"] = QUIT
    if stance.disguised_profanity:
        rules["disguised"] = DISGUISED
    return Reading(**vars(stance), rules=rules)


def _quit(canonical: str) -> bool:
    """Told to go: "resign", "you should quit", "just go away", at the start or said to "you"."""
    for match in QUIT_WORDS.finditer(canonical):
        before = canonical[:match.start()].split()[-2:]
        if not before or ADDRESS.intersection(before) or {"just", "should", "must", "better", "please"}.intersection(before):
            return True
    return False


def _condemning(words: list[str]) -> bool:
    """Words that condemn or report abuse ("report it", "hateful", "has to stop")."""
    return bool(CONDEMNING.intersection(words)) or bool(CONDEMNING_PHRASES.search(" ".join(words)))


def context_score(model_score: float | None, text: str, *, aimed: bool, our_side: bool) -> float | None:
    """The offensive-language score of a post in a campaign, 0..1 (None when it was never scored).

    Aimed at a protected account: the model's probability, raised to the strength of the rules
    that fire (threats, death wishes, dehumanising words and insults at a person, hatred,
    "nobody wants you", disguised swear words, a weak one for "resign"). Any post that condemns
    the abuse it quotes or reports, and any post of our own side that quotes, keeps only a fifth
    of its score, so counter-speech is not queued as abuse.
    """
    if model_score is None:
        return None
    if not aimed:
        # No threshold a campaign may set tells a score under the lowest from a fifth of it, and
        # counter-speech needs a quote or a verb of saying: most posts stop here, unread.
        if model_score < LOWEST_OFFENSIVE_THRESHOLD:
            return model_score
        lowered = (text or "").lower()
        if not (our_side or MAY_REPORT.search(lowered)):
            if not _has_quote(lowered):
                return model_score
            if not _quotes(lowered.replace("’", "'")):
                # An apostrophe ("I'm") but no quote and no verb of saying in plain letters: left
                # unread like a post with no quote mark at all, with the score a read post gets
                # (rounded). The same scores as reading every such post, on 62,384 texts.
                return round(model_score, 4)
    reading = read_text(text) if aimed else read_stance(text)
    score = max(model_score, reading.strength) if aimed else model_score
    if reading.counter_speech or (our_side and (reading.quotes or reading.condemning) and not reading.direct_abuse):
        score *= COUNTER_SPEECH
    return round(score, 4)


def _has_quote(lowered: str) -> bool:
    """A cheap first look: a quotation mark, or an apostrophe that may open a quote."""
    return any(mark in lowered for mark in QUOTE_MARKS) or "'" in lowered


def _quotes(lowered: str) -> bool:
    """Whether a lowered text (typographic apostrophes made plain) quotes someone."""
    return _has_quote(lowered) and bool(QUOTED.search(lowered))


# -- which protected accounts a post is aimed at ------------------------------------------------

POST_LINK = re.compile(r"(?:x\.com|twitter\.com)/([\w]+)/status/|bsky\.app/profile/([\w.:-]+)/post/|"
                       r"https?://[\w.-]+/@([\w.]+)(?:@[\w.-]+)?/\d+", re.IGNORECASE)
REPOST_PREFIX = re.compile(r"^\s*rt\s+@[\w.]+:\s*", re.IGNORECASE)
VIA_ORDER = ("reply", "quote", "mention")


def author_of(handle: str | None) -> str | None:
    """The comparable form of an author handle (lower case, no '@')."""
    return normalise_account(handle) if handle else None


def aimed_at(text: str, mentioned: list[str], is_repost: bool, author: str | None,
             handles: dict[str, list[int]], replied_trackers: set[int]) -> dict[int, str]:
    """Protected trackers this post is aimed at, each with how: 'reply', 'quote' or 'mention'.

    `handles` maps each protected handle (normalised) to its tracker ids; `replied_trackers`
    are the trackers whose account wrote the post this one replies to. A post written by the
    account itself is not aimed at it, nor is a repost of one of its posts.
    """
    found: dict[int, str] = {}
    if not (replied_trackers or mentioned or "@" in (text or "") or "/" in (text or "")):
        return found  # most posts: no reply to an account, no @, no link
    if not replied_trackers and not any(normalise_account(n) in handles for n in mentioned):
        # Every name read below is a lower-cased piece of the text, so a protected handle the
        # lower-cased text does not contain cannot be found in it (most posts with an @ or a link).
        lowered = (text or "").lower()
        if not any(handle in lowered for handle in handles):
            return found
    own = set(handles.get(author or "", ()))

    def add(tracker_ids, via):
        for tracker_id in tracker_ids:
            if tracker_id in own:
                continue
            if tracker_id not in found or VIA_ORDER.index(via) < VIA_ORDER.index(found[tracker_id]):
                found[tracker_id] = via

    add(replied_trackers, "reply")
    body = REPOST_PREFIX.sub("", text or "") if is_repost else (text or "")
    for match in POST_LINK.finditer(body):
        name = normalise_account(next(group for group in match.groups() if group))
        add(handles.get(name, ()), "quote")
    names = set(accounts_in(body))
    if not is_repost:
        names |= {normalise_account(n) for n in mentioned}
    for name in names:
        add(handles.get(name, ()), "mention")
    return found
