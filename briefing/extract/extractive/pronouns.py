"""A statement that opens with a pronoun, made to stand alone, or refused.

"He had called the conversation very positive" means nothing as a bullet of its own.
When the sentence before it names exactly one candidate of the right kind (one person
for "He"/"She", one plural subject for "They", one organisation or place for "It has
..."), the pronoun is replaced by that name in square brackets, the reader's sign of an
editor's insertion, and the evidence becomes both sentences, verbatim, so the name the
statement adds is in the passage it cites. Otherwise the sentence is no statement.

"Within 30 days of that date" leans on the sentence before the same way: when that
sentence names one day ("The chamber sits for the first time on Oct. 14."), the day
replaces "that date" in brackets ("within 30 days of [Oct. 14]").

For pronouns, only the first word is looked at: a pronoun later in a sentence usually refers to a
name earlier in the same sentence. "It is", "It was" and "It's" are left alone, being
mostly the empty subject of "It is unclear whether ...". One exception: a quotation
that opens the sentence and is given to "he" or "she" ('"Of course there are
shortcomings," he said') names its speaker only by that pronoun, so the pronoun is
resolved the same way ('... ," [Erdoğan] wrote on Twitter').

A surname alone ("According to Erdoğan, ...") is a person when the article names
exactly one person in full with that surname (`people`); the statement then gives the
name as the sentence before writes it, so it is in the passage cited.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from briefing.contracts import EntityKind
from briefing.extract.extractive.entities import mentions_in
from briefing.extract.extractive.lexicon import NOT_NAMES, SPEECH_VERBS, TIME_WORDS
from briefing.extract.extractive.names import HONORIFIC_WORDS, PLACE_WORDS, is_role_word, strip_possessive
from briefing.merge.periods import MONTH

__all__ = ["Standalone", "standalone"]

_PERSON_PRONOUNS = {"he": "", "she": "", "his": "’s", "her": "’s"}
_GROUP_PRONOUNS = {"they": "", "their": "’s"}
_THING_PRONOUNS = {"it": "", "its": "’s"}
_OPENING = re.compile(r"(?P<word>[A-Z][a-z]{1,4})\b(?P<rest>\s+(?P<next>[\w’']+))?")
# "It is unclear", "It was the first": an empty subject, not a reference.
_EMPTY_IT = frozenset(("is", "was", "isn't", "wasn't", "is’nt", "seems", "seemed", "remains", "appears"))
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# The subject of a sentence ends at its first verb; these mark one ("Negotiators from X broke off").
_VERB = re.compile(
    r"\s(?:is|are|was|were|will|would|could|can|may|might|must|should|have|has|had|do|does|did|"
    r"[a-z]+ed|said|say|says|met|began|begin|begins|held|hold|hosted|told|went|came|left|took|made|"
    r"agreed|want|wants|remain|remains|sat|gave|broke|runs|leads|heads|meets|sits|comes|goes|takes|makes|"
    r"holds|plans|hopes|seeks|faces|sees|shows|keeps|gets|lost|won|fell|rose|led|kept|paid|sold|struck|spent|"
    r"sent|built|found|grew|drew|ran|beat|shut)\b"
)
_SUBJECT_WORDS = 8
_CAPITAL_RUN = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*")
_THING_BEFORE = re.compile(r"(?:\bthe|[A-Z][\w’'.-]*\s+(?:of|and|for))\s+$")
_THING_AFTER = re.compile(r"\s+(?:of|and|for)\s+(?:the\s+)?[A-Z]")
_PARTICIPLE_OPENING = re.compile(r"[A-Z][a-z]+ing\s+(?:to|at|in|on|with|from|for|after|before|the|a|an)\b")
_HEAD_WORDS = 4
_GROUP_OPENERS = re.compile(r"^(?:both|the two)\b", re.IGNORECASE)
# "within 30 days of that date": the day the sentence before gives, when it gives one.
_THAT_DAY = re.compile(r"\bthat (?:date|day)\b")
_A_DAY = re.compile(
    rf"\b(?:{MONTH} [0-9]{{1,2}}|[0-9]{{1,2}} {MONTH}|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)\b(?!['’])"
)
# A sentence that is only a quotation, its speaker named in the sentence before: the
# second sentence of what someone said, or a quotation whose marks close a later sentence.
_BARE_QUOTE = re.compile(r"^[“\"«][^“”\"«»]+(?:[”\"»][.!?]?)?$")
# '"We hope ...," he wrote on Twitter': a quotation opening the sentence, given to a pronoun.
_QUOTE_THEN_PRONOUN = re.compile(
    r"^[“\"«][^“”\"«»]+[”\"»][,.!?]?\s+(?P<word>[Hh]e|[Ss]he)(?=\s+(?:(?:"
    + "|".join(TIME_WORDS)
    + r")\s+)?(?:"
    + "|".join(SPEECH_VERBS)
    + r")\b)"
)


@dataclass(frozen=True)
class Standalone:
    """A statement that reads without the sentence before it, and the verbatim passage behind it."""

    statement: str
    evidence_start: int


def standalone(
    statement: str,
    start: int,
    previous: tuple[int, str] | None,
    text: str,
    people: Collection[str] = (),
) -> Standalone | None:
    """`statement` (opening at `start` in `text`) made to stand alone, or None when it cannot.

    `previous` is the start and text of the sentence before, or None when there is none;
    `people` are the persons the article names in full. A statement that is only a
    quotation gets its speaker from the sentence before ('[Grace Wanjiru:] "I held on ..."'),
    or is none. "That date" or "that day" becomes the one day the sentence before names.
    A statement that does not open with a pronoun, or with a quotation its speaker is
    given to by a pronoun, is otherwise returned as it is.
    """
    bare = _BARE_QUOTE.match(statement.strip()) is not None
    quoted = None if bare else _QUOTE_THEN_PRONOUN.match(statement)
    if bare or quoted:
        if previous is None or _PARAGRAPH_BREAK.search(text, previous[0], start):
            return None
        speaker = _one_person(previous[1], people)
        if speaker is None:
            return None
        if quoted is None:
            return Standalone(f"[{speaker}:] {statement}", previous[0])
        return Standalone(
            f"{statement[: quoted.start('word')]}[{speaker}]{statement[quoted.end('word') :]}", previous[0]
        )
    evidence_start = start
    dated = _THAT_DAY.search(statement)
    day = _one_day(previous, text, start) if dated else None
    if dated is not None and day is not None and previous is not None:
        statement = f"{statement[: dated.start()]}[{day}]{statement[dated.end() :]}"
        evidence_start = previous[0]
    m = _OPENING.match(statement)
    word = m.group("word").casefold() if m else ""
    nxt = (m.group("next") or "").casefold() if m else ""
    if word in _THING_PRONOUNS and word == "it" and (not nxt or nxt in _EMPTY_IT or nxt.startswith("'")):
        return Standalone(statement, evidence_start)
    if m is None or word not in {**_PERSON_PRONOUNS, **_GROUP_PRONOUNS, **_THING_PRONOUNS}:
        return Standalone(statement, evidence_start)
    if previous is None or _PARAGRAPH_BREAK.search(text, previous[0], start):
        return None
    before = previous[1]
    if word in _PERSON_PRONOUNS:
        name = _one_person(before, people)
        suffix = _PERSON_PRONOUNS[word]
    elif word in _GROUP_PRONOUNS:
        name = _plural_subject(before)
        suffix = _GROUP_PRONOUNS[word]
    else:
        name = _one_thing(before) or _definite_subject(before)
        suffix = _THING_PRONOUNS[word]
    if name is None:
        return None
    return Standalone(f"[{name}{suffix}]{statement[m.end('word') :]}", previous[0])


def _one_day(previous: tuple[int, str] | None, text: str, start: int) -> str | None:
    """The one day the sentence before names, in the same paragraph ("Oct. 14"); None if not one."""
    if previous is None or _PARAGRAPH_BREAK.search(text, previous[0], start):
        return None
    days = set(_A_DAY.findall(previous[1]))
    return days.pop() if len(days) == 1 else None


def _one_person(sentence: str, people: Collection[str] = ()) -> str | None:
    """The one person the sentence names ("Donald Trump" and "Trump" are one), else None.

    A name the article gives a person elsewhere ("said survivor Grace Wanjiru", found as
    a quotation's speaker) counts, and so does a lone surname when exactly one of `people`
    has it.
    """
    mentions = mentions_in(sentence)
    found = [m.name for m in mentions if m.kind == EntityKind.person]
    found += [p for p in people if " " in p and re.search(rf"\b{re.escape(p)}\b", sentence)]
    found += _known_surnames(sentence, people)
    names: list[str] = []
    for name in found:
        if any(_same_person(name, n) for n in names):
            names = [max((n, name), key=len) if _same_person(name, n) else n for n in names]
            continue
        names.append(name)
    places = [m.name for m in mentions if m.kind != EntityKind.person]
    if len(names) != 1 or _unknown_names(sentence, names + places):
        return None
    return names[0]


def _known_surnames(sentence: str, people: Collection[str]) -> list[str]:
    """The lone capitalised words of the sentence that are the surname of exactly one of `people`."""
    owners: dict[str, set[str]] = {}
    for person in people:
        if " " in person:
            owners.setdefault(person.split()[-1], set()).add(person)
    return [word for word in _lone_capitalised(sentence) if len(owners.get(word, ())) == 1]


def _lone_capitalised(sentence: str) -> list[str]:
    """The capitalised words that stand alone in the sentence, without a possessive or a full stop.

    A run of capitalised words ("Truth Social") is a name of something, seldom a person's
    surname alone, so only single words count.
    """
    out: list[str] = []
    for m in _CAPITAL_RUN.finditer(sentence):
        if " " in m.group() or _names_a_thing(sentence, m.start(), m.end()):
            continue
        bare = strip_possessive(m.group())
        out.append(bare if bare != m.group() else m.group().rstrip("."))
    return out


def _names_a_thing(sentence: str, start: int, end: int) -> bool:
    """Whether the capitalised word at `start:end` is an acronym, a thing's name or an opening verb.

    "NBN"; "the Kessel plant" (a person is not "the Kessel"); "Federation of Metal and
    Vehicle Workers", whose words "of" and "and" join into one name; "Speaking to
    reporters, ..." (a participle opening the sentence, before a preposition or article).
    """
    word = sentence[start:end].rstrip(".")
    if len(word) > 1 and word.isupper():
        return True
    if not sentence[:start].strip() and _PARTICIPLE_OPENING.match(sentence[start:]):
        return True
    return bool(_THING_BEFORE.search(sentence[:start]) or _THING_AFTER.match(sentence[end:]))


def _unknown_names(sentence: str, known: list[str]) -> bool:
    """Whether the sentence has a lone capitalised word that may be another person ("Ortiz thanked ...")."""
    known_words = {w for name in known for w in name.split()}
    for word in _lone_capitalised(sentence):
        folded = word.casefold()
        if word in known_words or folded in NOT_NAMES or folded in PLACE_WORDS or folded in HONORIFIC_WORDS:
            continue
        if not is_role_word(word):
            return True
    return False


def _same_person(a: str, b: str) -> bool:
    return a.split()[-1] == b.split()[-1]


def _one_thing(sentence: str) -> str | None:
    """The one organisation or place the sentence names, when it names no person and no unknown word.

    "The White Helmets ... said streets had collapsed in Jindires and across Idlib
    province" names one place, but "Its head" is the group's, which the sentence does not
    mark as an organisation: a lone capitalised word that is no known name ("Jindires")
    makes the sentence ambiguous, as it does for a person.
    """
    mentions = mentions_in(sentence)
    if any(m.kind == EntityKind.person for m in mentions):
        return None
    names = {m.name for m in mentions}
    if len(names) != 1 or _unknown_names(sentence, list(names)):
        return None
    return next(iter(names))


_DEFINITE = re.compile(r"The(?:(?:\s+[a-z][a-z-]*){1,3}|(?:\s+[A-Z][\w'’-]*){1,4})")


def _definite_subject(sentence: str) -> str | None:
    """The sentence's subject when it is one thing: "The fire", "The Labour-Green Union".

    "The fire has destroyed 112 homes, ... It has burned 9,800 hectares": the subject of
    the sentence before is what "It" goes on about, whatever else that sentence names.
    """
    verb = _VERB.search(sentence)
    if verb is None:
        return None
    subject = sentence[: verb.start()].strip()
    if not _DEFINITE.fullmatch(subject):
        return None
    last = subject.split()[-1]
    plural = last.endswith("s") and not last.endswith(("ss", "us", "is"))
    return None if plural else subject


def _plural_subject(sentence: str) -> str | None:
    """The sentence's subject when it is plural and short: "Negotiators from Washington and Beijing"."""
    verb = _VERB.search(sentence)
    if verb is None:
        return None
    subject = sentence[: verb.start()].strip()
    words = subject.split()
    if (
        not words
        or len(words) > _SUBJECT_WORDS
        or any(c in subject for c in ',;:"“(')
        or not subject[0].isupper()
    ):
        return None
    if words[0].casefold() in {
        "he",
        "she",
        "it",
        "they",
        "we",
        "i",
        "you",
        "this",
        "there",
        "his",
        "her",
        "its",
    }:
        return None
    head = re.split(r"\s(?:from|of|in|at|for|with|on)\s", subject)[0]
    last = head.split()[-1]
    plural_noun = (
        len(last) > 3 and last[1:].islower() and last.endswith("s") and not last.endswith(("ss", "us", "is"))
    )
    plural = plural_noun or " and " in head or _GROUP_OPENERS.match(head) is not None
    return subject if plural and len(head.split()) <= _HEAD_WORDS else None
