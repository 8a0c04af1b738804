"""Short forms of a sentence: a headline of at most 14 words, a lead phrase of two to six.

The extractive backend cannot write; it can only cut. These functions cut where an
editor would, at a clause or phrase boundary, and reshape a few fixed constructions
into headline English ('Officials are expected to issue statements' -> 'Officials to
issue statements'; 'experts say the prospect of a deal is still far away' ->
'Experts: deal far away'). They never add a word the sentence does not have, except
'uncertain' for 'remains to be seen'.
"""

from __future__ import annotations

import bisect
import itertools
import re

from briefing.extract.extractive.attribution import speaker_surname

__all__ = ["HEADLINE_WORDS", "LEAD_WORDS", "headline", "is_clause", "lead", "reads_as_english", "shorten"]

HEADLINE_WORDS = 14
LEAD_WORDS = 6


def _terms(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words a cut headline or lead must not end on.
_WEAK_ENDINGS = _terms(
    "a an the and or but of in on at by for to from with as that which who while amid after before its their "
    "than is are was were be been will would could may might this these those such"
)
_DETERMINERS = _terms("a an the this these that those its their his her our such")
_PRONOUNS = _terms("he she it they we i you this that these those there")
_GENERIC_HEADS = _terms("prospect prospects outcome chance chances possibility risk pace")
_PREPOSITIONS = _terms(
    "between with for in on over from to of due than after before amid during at by about against compared "
    "like including"
)
# Words that open a phrase a lead can do without, besides prepositions: time phrases ("this summer").
_PHRASE_OPENERS = _terms("this next last")
_CLOSERS = "\"'”’»」』)]"

_WORD = re.compile(r"\S+")

# Where a long sentence can be cut and still read as a headline: clause breaks first, then phrases.
_CLAUSE_BREAKS = re.compile(
    r",\s|;\s|:\s|\s[-–—]\s|—|\s(?:but|as|while|which|who|following|after|amid|with|although|because|"
    r"despite|where|when)\s"
)
# Not "of": cutting "the night of June 9" before "of" leaves a phrase that says nothing.
_PHRASE_BREAKS = re.compile(r"\s(?:and|on|in|at|for|from|to|by|over|between)\s")

_SOURCE_LABELS = (
    ("analysts", "Analysts"),
    ("experts", "Experts"),
    ("economists", "Economists"),
    ("observers", "Observers"),
    ("strategists", "Strategists"),
    ("analyst", "Analyst"),
    ("economist", "Economist"),
)
_REPORTING = re.compile(
    r"\b(?:expect|expects|say|says|said|warn|warns|warned|believe|believes|predict|predicts|predicted|note|"
    r"noted|stated|argue|argued|suggest|suggested|speculate|speculated|point out|pointed out|caution|"
    r"cautioned)\b(?:,\s*however,)?\s*(?:that\s+)?"
    r"|\btold\s+(?:[A-Z][\w'’.-]*\s+){0,3}that\s+",
    re.IGNORECASE,
)
_LEADING_ASIDE = re.compile(
    r"^(?:(?:however|meanwhile|notably|furthermore|moreover|yet|still|but|and)\b,?\s*)*"
    r"(?:(?:while|although|though|if|as|despite|whether|since)\b[^,]*,\s*)?",
    re.IGNORECASE,
)
_FINITE_VERB = re.compile(
    r"\s(?:is|are|was|were|will|would|could|may|might|can|remains?|has|have|had|seems?|appears?|risks?|"
    r"signals?|continues?|takes?|take|face|faces|comes?|shows?|helps?|need|needs|lies|follow|follows|looks?|"
    r"wants?|seeks?|plans?|hopes?|expects?|believes?|says?|said|sees?|must|should|"
    # Verbs a reading is told with: "the split on the bench reflected a wider debate".
    r"reflect(?:s|ed)?|suggest(?:s|ed)?|indicat(?:es|ed)|underline[sd]?|highlight(?:s|ed)?|"
    r"mirror(?:s|ed)?|signall?ed|mark(?:s|ed)|show(?:s|ed|n))\b"
)
_CLAUSE_END = re.compile(
    r"[,;:—]|\s[-–]\s|\s(?:due to|because|as|which|while|but|although|and|after|amid|when|where|reflecting|"
    r"underscoring|despite|that|once|until)\s"
)
_READING_CLAUSE = re.compile(
    r",\s+(?P<verb>underscoring|reflecting|signaling|signalling|highlighting|suggesting)\s+(?P<what>[^,;]+)",
    re.IGNORECASE,
)
_INFERENCE = re.compile(
    r"\b(?:shows?|signals?|suggests?|indicates?|means|underscores?)\s+that\s+", re.IGNORECASE
)
_ASIDE = re.compile(r"\s[-–—]\s.*?\s[-–—]\s|,[^,]*,|\([^)]*\)")
_SEES_AS = re.compile(
    r"\bsees?\s+(?P<what>[^,;]{3,60}?)\s+as\s+(?P<verdict>possible|likely|unlikely|inevitable)\b",
    re.IGNORECASE,
)
_WHETHER = re.compile(r"^whether\s+\S+(?:\s+\S+)?\s+\w+\s+(?P<what>.+?)\s+(?:or|remains?)\b", re.IGNORECASE)
# An opening phrase set off by a comma: "In one of the worst floods in decades, ...".
_OPENING_PHRASE = re.compile(
    r"^(?:In|On|At|After|Before|As|While|Although|Though|When|Despite|Amid|Following|With|During|Since|"
    r"Because|By|According to|Under|Over|Shortly after|Just)\b[^,]{0,120},\s+"
)
_SUBORDINATE_OPENERS = _terms(
    "in on at after before as while although though when if despite amid following with for during since "
    "because by according under over of from to than whether which who that"
)
_HEADLINE_VERB = re.compile(
    r"\s(?:[a-z]+ed|began|met|struck|won|beat|fell|rose|hit|left|took|made|came|went|held|saw|sent|told|"
    r"gave|broke|burst|ran|led|lost|brought|fought|sold|paid|spent|flew|shot|cut|put|set|quit|begin|begins|"
    r"meet|meets|win|wins|"
    r"open|opens|end|ends|resume|resumes|return|returns|agree|agrees|aim|aims|face|faces|hold|holds)\s"
)
_OPEN_QUESTION = re.compile(r"remains? to be seen|unclear|uncertain", re.IGNORECASE)
_EXTRAPOSED = re.compile(
    r"^it\s+(?:is|was|seems|looks)\s+(?:still\s+|now\s+)?(?P<verdict>unlikely|likely|unclear|uncertain|doubtful)\s+"
    r"(?:that|whether)\s+(?P<subject>(?:the\s+|a\s+|an\s+)?[\w’'-]+(?:\s+(?!will|would|can|could|is|are)[\w’'-]+)?)\s+"
    r"(?P<modal>will\s+|would\s+|can\s+|could\s+)?(?P<rest>\w+.*)$",
    re.IGNORECASE,
)
_AUXILIARY = re.compile(r"\s(?:is|are|was|were|will|would|could|may|might|can|has|have|had)\s")
_WHETHER_CLAUSE = re.compile(
    r"^whether\s+(?P<what>[^,;]+?)\s+(?:remains? to be seen|(?:is|was|remains?) (?:unclear|uncertain))",
    re.IGNORECASE,
)
# A pronoun subject, its verbs, then the thing: "they would establish a mechanism ...".
_PRONOUN_CLAUSE = re.compile(
    r"\b(?:they|he|she|it|we)\s+(?:(?:would|will|could|can|may|might|had|have|has|did|must|should)\s+)?"
    r"(?:(?:not|also|now|still|be|been)\s+)*[a-z]+(?:\s+(?:up|out|off|down|back|on))?\s+"
    r"(?P<what>(?:an?|the|their|its|his|her)\s+[^,;]+)",
    re.IGNORECASE,
)
# "Varga: who to become region's first": a relative clause torn from the name it describes.
_RELATIVES = _terms("who whom whose which where")
# Verbs after which what was said is a clause, not an object ("said the gains reflected ...").
_SAYING = _terms("say says said stated noted")
# First words that make a lead a verb phrase with no subject; participles and gerunds are refused by ending.
_VERB_OPENERS = _terms(
    "said says say conveyed told added noted stated warned expects expect believes believe would will could "
    "may might can must should is are was were has have had be been being does do did remains remain holds "
    "hold shows show sees see wants want makes make takes take gives give"
)
# Words a lead must not end on besides the weak ones: a particle or a bare number cut off from its noun.
_DANGLING = _terms(
    "up down out off not no also still just even only facing over under into remains remain one two three "
    "four "
    "five six seven eight nine ten most some all many few several much more less both each any"
)
# A phrase opening on a conjunction was cut from the middle of a sentence ("And China to roll back").
_CONJUNCTIONS = _terms("and or but nor so yet")
_NATIONALITY = re.compile(r"[A-Z][a-z]+(?:ican|ian|ese|ish)")


def headline(title: str, top: str) -> str:
    """The article's title when it reads as a headline, else the lead sentence as a headline.

    A title that is a file name ('001_e6034575'), a single word, a full sentence or a
    sentence cut short ('...extend trade truce as export…', what ingest gives an article
    without a title line) is not a headline; a long one is cut like a sentence. From the
    lead sentence, an opening phrase ('In one of the worst floods in decades, ...') is left
    out and the rest is cut at a clause break only when what is kept is still a clause with
    its verb; otherwise the sentence is given whole. A headline is never a torn-off phrase.
    """
    words = title.split()
    looks_like_file = "_" in title or re.fullmatch(r"[\w.-]*\d[\w.-]*", title) is not None
    if 3 <= len(words) <= 25 and not title.rstrip().endswith((".", "…")) and not looks_like_file:
        return shorten(title)
    if not top:
        return title.strip()
    text = top.strip().rstrip(_CLOSERS).rstrip(".!?。")
    opening = _OPENING_PHRASE.match(text)
    if opening and len(text[opening.end() :].split()) >= 4 and is_clause(text[opening.end() :]):
        rest = text[opening.end() :]
        text = rest[:1].upper() + rest[1:]
    cut = shorten(text)
    return cut if cut == text or is_clause(cut) else text


def is_clause(text: str) -> bool:
    """Whether a headline reads as a clause, not a phrase torn off a sentence.

    It must not open with a preposition or a subordinator, and a verb must follow its
    first word: 'Talks resumed in London', not 'In the worst crash in years'.
    """
    words = text.split()
    if not words or words[0].casefold() in _SUBORDINATE_OPENERS:
        return False
    rest = " " + " ".join(words[1:]) + " "
    return bool(_FINITE_VERB.search(rest) or _HEADLINE_VERB.search(rest))


def shorten(sentence: str, limit: int = HEADLINE_WORDS) -> str:
    """The longest opening of the sentence that ends at a clause or phrase break and fits `limit` words."""
    text = sentence.strip().rstrip(_CLOSERS).rstrip(".!?。")
    if len(text.split()) <= limit:
        return text
    # Words before a position = word starts before it; a break past the start of word
    # `limit + 1` has too many. Counted so, one long sentence costs linear time instead of
    # splitting the text before every break in it (minutes for a page-long sentence).
    starts = [m.start() for m in itertools.islice(_WORD.finditer(text), limit + 1)]
    bound = starts[limit] if len(starts) > limit else len(text)
    for pattern in (_CLAUSE_BREAKS, _PHRASE_BREAKS):
        cuts = []
        for m in pattern.finditer(text):
            if m.start() > bound:
                break
            if bisect.bisect_left(starts, m.start()) >= 4:
                cuts.append(m.start())
        if cuts:
            return _trim_weak(text[: max(cuts)])
    return _trim_weak(" ".join(text.split()[:limit]))


def _trim_weak(text: str) -> str:
    words = text.split()
    while len(words) > 2 and words[-1].casefold().strip(",;:") in _WEAK_ENDINGS:
        words.pop()
    return " ".join(words).rstrip(",;:—–-")


def lead(sentence: str) -> str:
    """A lead phrase of two to six words: who reads it so, about what, and the verdict.

    'economists say a broad settlement is still years off' gives
    'Economists: broad settlement years off'; 'Ministers are expected to publish a joint
    communique' gives 'Ministers to publish a joint communique'. A cut that would not read
    as English (it opens with a pronoun or a verb, or ends on a dangling word) gives way
    to the reported thing as a noun phrase ('both sides said they would set up a
    mechanism for talks' -> 'Mechanism for talks'), else to whose view it is
    ('Marschang’s view').
    """
    text = sentence.strip().rstrip(_CLOSERS).rstrip(".!?")
    label = _source_label(text)
    cut = _cut(text, sentence, label)
    if reads_as_english(cut):
        return cut
    for alternative in _alternatives(text, sentence, label):
        if reads_as_english(alternative):
            return alternative
    if label:
        return f"{label}’ view" if label.endswith("s") else f"{label}’s view"
    opening = shorten(sentence, LEAD_WORDS)
    return opening if reads_as_english(opening) else cut


def reads_as_english(phrase: str) -> bool:
    """Whether a lead phrase reads as a headline's noun phrase, not a torn-off piece of a sentence.

    Refused: one word; a pronoun anywhere ('They would set up a mechanism': who?); a first
    word that is a verb or participle ('Conveyed ...', 'Underscoring ...', 'Said ...') or a
    conjunction ('And China to roll back most'); a last word that leaves the phrase
    hanging ('toll could be up', 'job facing American', 'roll back most').
    A 'Label:' before the phrase is read apart.
    """
    label, _, rest = phrase.rpartition(": ")
    words = rest.split()
    if len(words) < 2 or (label and " " in label.strip() and len(label.split()) > 3):
        return False
    folded = [w.casefold().strip(",;:’'") for w in words]
    if any(w in _PRONOUNS for w in folded):
        return False
    first, last = folded[0], folded[-1]
    verb_form = first.endswith(("ed", "ing")) and len(folded) > 1 and folded[1] in _DETERMINERS | _PRONOUNS
    if (
        first in _VERB_OPENERS
        or first in _CONJUNCTIONS
        or first in _PREPOSITIONS
        or first in _RELATIVES
        or verb_form
    ):
        return False
    if last in _WEAK_ENDINGS or last in _DANGLING:
        return False
    return not _NATIONALITY.fullmatch(words[-1])


def _cut(text: str, sentence: str, label: str | None) -> str:
    """The lead cut from the sentence's own clauses (see `lead`), before any check that it reads well."""
    clause = text
    reporting = _REPORTING.search(text) if label else None
    if reporting and len(text[reporting.end() :].split()) >= 3:
        clause = text[reporting.end() :]
        said = _CLAUSE_END.split(clause)[0]
        reported = reporting.group().split()[0].strip(",").casefold()
        if not _FINITE_VERB.search(said) and not (reported in _SAYING and _FINITE_VERB.search(clause)):
            # "Analysts expect fewer breakthroughs": the object is the point. Not "Analyst said
            # Alliance's gains in capital", cut off before the verb the gains are said to do.
            return _finish(f"{label} {reported} {_compact(said, LEAD_WORDS - 2)}", sentence)
    elif reporting and "," in text[: reporting.start()]:
        # "..., White House spokesperson Karoline Leavitt said": the statement is what comes before.
        clause = text[: text.rfind(",", 0, reporting.start())]
    sees = _SEES_AS.search(text) if label else None
    if sees:
        # "Bremmer sees another truce as possible": "Bremmer: another truce possible".
        return _finish(f"{label}: {_compact(sees.group('what'), 3)} {sees.group('verdict')}", sentence)
    participle = _READING_CLAUSE.search(clause) if label is None else None
    if participle:
        # "..., underscoring the gravity of the talks": the reading is in the participle clause.
        return _finish(_compact(participle.group("what"), LEAD_WORDS), sentence)
    clause = _LEADING_ASIDE.sub("", clause, count=1)
    inference = _INFERENCE.search(clause)
    if inference:
        # "The minister's presence suggests that fishing rights are the crux": the point is the finding.
        clause = clause[inference.end() :]
    whether = _WHETHER.match(clause)
    if whether and _OPEN_QUESTION.search(clause):
        return _finish(f"{_compact(whether.group('what'), 3)} uncertain", sentence)
    verb = _FINITE_VERB.search(clause)
    if verb is None:
        return _finish(_compact(clause, LEAD_WORDS), sentence)
    subject = _subject_words(clause[: verb.start()])
    predicate = _predicate_words(clause[verb.start() :], has_subject=bool(subject))
    return _finish(" ".join(_best_fit(label, subject, predicate)), sentence)


def _alternatives(text: str, sentence: str, label: str | None) -> list[str]:
    """Other leads, in order, when the cut does not read as English."""
    out: list[str] = []
    question = _WHETHER_CLAUSE.match(text)
    if question:
        # "Whether the ceasefire holds remains to be seen": "Whether ceasefire holds".
        out.append(_finish(f"whether {_noun_phrase(question.group('what'), LEAD_WORDS - 1)}", sentence))
    extraposed = _EXTRAPOSED.match(text)
    if extraposed:
        # "It is unlikely that the ban will be lifted": "Ban unlikely to be lifted".
        subject = _compact(extraposed.group("subject"), 3)
        verdict = extraposed.group("verdict").casefold()
        rest = extraposed.group("rest")
        if verdict in ("likely", "unlikely") and extraposed.group("modal"):
            out.append(_finish(f"{subject} {verdict} to {rest}", sentence))
        out.append(_finish(f"{subject} {verdict}", sentence))
    pronoun = _PRONOUN_CLAUSE.search(text)
    if pronoun:
        # "... said they would establish a mechanism to continue talks": the thing established.
        what = pronoun.group("what")
        clause = _cut(what, sentence, None) if _AUXILIARY.search(what) else _noun_phrase(what, LEAD_WORDS)
        out.append(_finish(clause, sentence))
    reported = _REPORTING.search(text)
    if reported and len(text[reported.end() :].split()) >= 3:
        # "They said the deal is likely to hold": the lead of what was said.
        out.append(_cut(text[reported.end() :], sentence, None))
    return out


def _source_label(text: str) -> str | None:
    folded = text.casefold()
    for word, label in _SOURCE_LABELS:
        if re.search(rf"\b{word}\b", folded):
            return label
    return speaker_surname(text)


def _subject_words(phrase: str) -> list[str]:
    """The subject without articles; 'prospect of a deal' is 'deal'; cut before its first preposition.

    A pronoun or a gerund clause ('They', 'Making Beijing keep ...') is no subject for a lead.
    """
    phrase = _ASIDE.sub(" ", phrase)
    words = [w for w in phrase.strip(" ,").split() if w.casefold() not in _DETERMINERS]
    if not words or words[0].casefold() in _PRONOUNS:
        return []
    if words[0].casefold().endswith("ing") and len(words) > 1 and not words[1][:1].islower():
        return []
    if len(words) >= 3 and words[0].casefold() in _GENERIC_HEADS and words[1].casefold() == "of":
        words = [w for w in words[2:] if w.casefold() not in _DETERMINERS]
    for i, w in enumerate(words):
        if i >= 1 and w.casefold() in _PREPOSITIONS:
            words = words[:i]
            break
    return words[-3:]


def _predicate_words(phrase: str, *, has_subject: bool) -> list[str]:
    """Headline-style predicate: 'is still far away' -> 'far away', 'are expected to issue' -> 'to issue'."""
    text = _CLAUSE_END.split(phrase.strip())[0]
    text = re.sub(r"^(?:will|would)\s+be\s", "", text)
    if has_subject:
        text = re.sub(
            r"^(?:is|are|was|were)\s+(?:expected|set|due|scheduled|poised|likely)\s+to\s", "to ", text
        )
        text = re.sub(r"^will\s", "to ", text)
    text = re.sub(r"^remains?\s+to\s+be\s+seen\b.*", "uncertain", text)
    text = re.sub(r"^(?:is|are|was|were|remains?)\s+(?:still\s+|now\s+|also\s+)?(?!\w+ed\b)", "", text)
    if not has_subject:
        text = re.sub(r"^(?:is|are|was|were)\s+", "", text)
    return [w for w in text.split() if w.casefold() != "the"]


def _best_fit(label: str | None, subject: list[str], predicate: list[str]) -> list[str]:
    """Choose the label, the subject's length and the predicate's phrases to fit six words.

    The predicate's head must stay whole; then the attribution is kept if it fits;
    then as much of the predicate as fits in whole phrases; then the longer subject.
    """
    head = _head_length(predicate)
    best: tuple[tuple[int, int, int, int], list[str]] | None = None
    for with_label in (True, False) if label else (False,):
        for size in range(len(subject), 0 if subject else -1, -1):
            fitted = _fit(predicate, LEAD_WORDS - size - int(with_label))
            key = (int(len(fitted) >= head), int(with_label), len(fitted), size)
            words = ([f"{label}:"] if with_label else []) + subject[len(subject) - size :] + fitted
            if best is None or key > best[0]:
                best = (key, words)
    return best[1] if best else subject


def _opens_phrase(word: str) -> bool:
    folded = word.casefold()
    return (folded in _PREPOSITIONS and folded != "to") or folded in _PHRASE_OPENERS


def _head_length(words: list[str]) -> int:
    return next((i for i, w in enumerate(words) if i and _opens_phrase(w)), len(words))


def _fit(words: list[str], budget: int) -> list[str]:
    """The predicate's head, plus the phrases after it that fit whole."""
    if budget <= 0:
        return []
    chunks: list[list[str]] = [[]]
    for w in words:
        if chunks[-1] and _opens_phrase(w):
            chunks.append([])
        chunks[-1].append(w)
    out: list[str] = []
    for chunk in chunks:
        if len(out) + len(chunk) > budget:
            return out or chunk[:budget]
        out.extend(chunk)
    return out


def _compact(phrase: str, limit: int) -> str:
    return " ".join(_fit([w for w in phrase.split() if w.casefold() not in _DETERMINERS], limit))


def _noun_phrase(phrase: str, limit: int) -> str:
    """The phrase without its opening article, cut to whole phrases: 'a standing committee to ...'."""
    words = phrase.split()
    if words and words[0].casefold() in _DETERMINERS:
        words = words[1:]
    return " ".join(_fit(words, limit))


def _finish(text: str, sentence: str) -> str:
    words = text.split()
    if len(words) < 2:
        words = shorten(sentence, LEAD_WORDS).split()
    words = words[:LEAD_WORDS]
    while len(words) > 2 and words[-1].casefold().strip(",;:") in _WEAK_ENDINGS:
        words.pop()
    result = " ".join(words).rstrip(",;:.—–-")
    return result[:1].upper() + result[1:]
