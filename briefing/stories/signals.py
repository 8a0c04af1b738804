"""What an article says about its event, in a form that matches across languages and scripts.

Names (people, places, organisations) are reduced to a consonant skeleton of their
transliteration, so that 'Ahmedabad', Telugu 'అహ్మదాబాద్' (ahmdabad) and Gujarati 'અમદાવાદ'
(amdavad) all become 'ndbd'. In scripts with capital letters a name is a capitalised word
that does not open a sentence; scripts without them (Telugu, Gujarati, ...) give every word,
and `Signals.restrict` later keeps only those that some other article uses as a name. German
capitalises every noun, so there a lone capitalised word ('Fähre', 'Hafenbehörde') is only a
candidate too, kept when another article names it; a run of them ('Elena Ruiz') is a name.
Figures are read with `briefing.merge.numbers`, so '1,200' and Italian '1.200' meet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from briefing.contracts import Article
from briefing.extract.extractive.names import is_role_word

__all__ = ["NOUN_CAPITALISING", "Signals", "name_key", "signals_of"]

# A word: letters with the combining marks of Indic and other scripts (vowel signs are not letters);
# apostrophes and hyphens split, so "dell'Air" gives "Air" and "London-bound" gives "London".
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|[\u0300-\u036f\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f])*")
_HYPHENATED = re.compile(_WORD.pattern + r"(?:-" + _WORD.pattern + r")*")
_POSSESSIVE = re.compile(r"['’]s$")
_ISO_DATE = re.compile(r"\b(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]\b")
_SPLIT = {
    separator: re.compile(rf"[0-9]\{separator}(?:[0-9]{{1,2}}|[0-9]{{4,}})(?![0-9])") for separator in ".,"
}
"""A thousands separator that groups no thousands ('2.5' in German, '2,5' in English): the
language's reading takes it for two numbers."""
_DATELINE_CHARS = 300
"""How far into the text a written date ('Published 2025-06-11') is taken as the publication date."""
_SENTENCE_END = re.compile(r"[.!?。।॥:;\"“”«»()\n]+")
_SKELETON_MAP = str.maketrans(
    {"v": "b", "w": "b", "j": "g", "c": "k", "q": "k", "z": "s", "x": "k", "m": "n"}
)
_DROPPED = re.compile(r"[aeiouhy]")
_REPEATS = re.compile(r"(.)\1+")

# Capitalised words that name no one: dates and words that are capitalised in titles or by custom.
_NOT_NAMES = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december lunedi martedi mercoledi giovedi venerdi sabato domenica
    gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre
    segunda terca quarta quinta sexta sabado domingo janeiro fevereiro marco abril maio junho julho
    agosto setembro outubro novembro dezembro e-hene e-marte e-merkure e-enjte e-premte e-shtune e-diele
    janar shkurt mars prill maj qershor korrik gusht shtator tetor nentor dhjetor
    the a an in on at of for and but or to by with from as this that these those it its he she they we
    his her their our after before when while during mr mrs ms dr prof sir
    il lo la le gli un una uno del della dei per con nel nella secondo dopo
    o os as um uma do da dos das no na em segundo apos
    ne te per nga dhe me
    united national international world new north south east west central government ministry
    department council organization organisation agency state states republic union news times daily
    post breaking live update updated published
    millionen milliarden million milliarde prozent euro dollar uhr
    """.split()  # noqa: SIM905 - a word list reads better as text
)


NOUN_CAPITALISING = frozenset({"de", "lb"})
"""Languages that capitalise every noun: a capitalised word alone there says little."""


@dataclass
class Signals:
    """An article's event signals: keys that match across languages, and how each is written."""

    names: set[str] = field(default_factory=set)
    """Name keys: a skeleton per name word, and one per run of name words ('r nd' for Air India)."""
    tentative: set[str] = field(default_factory=set)
    """Keys of words that may be names (from a script without capitals, or a lone German noun):
    names only if another article names them too."""
    figures: set[str] = field(default_factory=set)
    """Figure keys: the value with its scale applied ('#242', '#1200')."""
    dated: str | None = None
    """The publication date: the article's, else a date written at its top ('Published 2025-06-11')."""
    title: set[str] = field(default_factory=set)
    """The name keys of the title: two titles naming different things need a stronger tie."""
    written: dict[str, str] = field(default_factory=dict)
    """Key -> the spelling this article uses, for the explanation."""

    def restrict(self, vocabulary: set[str]) -> None:
        """Keep the tentative words that the day's articles use as names."""
        self.names |= self.tentative & vocabulary
        self.title = {k for k in self.title if k in self.names}
        self.tentative = set()

    @property
    def keys(self) -> set[str]:
        return self.names | self.figures


def name_key(word: str) -> str:
    """The consonant skeleton of a word's transliteration: spelling variants across scripts meet."""
    from anyascii import anyascii

    ascii_word = re.sub(r"[^a-z]", "", anyascii(word).lower())
    ascii_word = ascii_word.replace("ph", "f").replace("sh", "s").replace("ch", "k")
    skeleton = _DROPPED.sub("", ascii_word[1:]).translate(_SKELETON_MAP)
    head = ascii_word[:1]
    head = "" if head in "aeiouhy" else head.translate(_SKELETON_MAP)
    return _REPEATS.sub(r"\1", head + skeleton)


def _is_uncased(word: str) -> bool:
    return word.lower() == word.upper()


def _name_runs(text: str) -> Iterable[tuple[list[str], bool]]:
    """Runs of name words, each with whether it comes from an uncased script."""
    for sentence in _SENTENCE_END.split(text):
        # A comma ends a run ('the United Nations, London' is two names); `None` marks it.
        words: list[str | None] = []
        for clause in sentence.split(","):
            for token in _HYPHENATED.findall(clause):
                parts = [_POSSESSIVE.sub("", w) for w in _WORD.findall(token)]
                # 'Saint-Germain' and 'US-China' are names; 'London-bound' is London.
                words.extend(["-".join(parts)] if all(p[:1].isupper() for p in parts) else parts)
            words.append(None)
        run: list[str] = []
        uncased: list[str] = []
        for i, word in enumerate(words):
            if word is None:
                if run:
                    yield run, False
                    run = []
                continue
            if _is_uncased(word):
                if run:
                    yield run, False
                    run = []
                uncased.append(word)
                continue
            if uncased:
                yield uncased, True
                uncased = []
            folded = word.casefold()
            capital = (
                word[:1].isupper()
                and folded not in _NOT_NAMES
                and not is_role_word(word)
                and (i > 0 or word.isupper())
            )
            if capital:
                run.append(word)
            elif run:
                yield run, False
                run = []
        if run:
            yield run, False
        if uncased:
            yield uncased, True


def _figures(text: str, language: str | None) -> dict[str, str]:
    """Figure key -> the figure as written, for the figures that can tell events apart.

    Each number is read the way the article's language writes numbers ('1.200' is 1200 in
    Italian). Where that reading splits what the figure reader (`find_figures`) reads as one
    figure ('2.5 Mrd.' in a German report: '2' and '5 Mrd.'), the figure reader's value wins.
    """
    from anyascii import anyascii

    from briefing.merge.numbers import DECIMAL_COMMA_LANGUAGES, numbers_in

    text = anyascii(text)
    read: list[tuple[Decimal, bool, str]] = []
    split = _SPLIT["." if language in DECIMAL_COMMA_LANGUAGES else ","]
    if split.search(text):
        text, read = _whole_figures(text, language, split)
    read.extend((n.absolute, bool(n.scale), n.literal.strip()) for n in numbers_in(text, language))
    found: dict[str, str] = {}
    for value, scaled, literal in read:
        whole = value == value.to_integral_value() and not scaled
        if value < 10 or (whole and (value <= 31 or 1900 <= value <= 2100)):
            continue  # small counts, days of the month and years say little about which event
        found.setdefault("#" + format(value.normalize(), "f"), literal)
    return found


def _whole_figures(
    text: str, language: str | None, split: re.Pattern[str]
) -> tuple[str, list[tuple[Decimal, bool, str]]]:
    """The figures the language's reading would split, read whole; and the text without them."""
    from briefing.merge.numbers import find_figures, numbers_in, parse_value

    read: list[tuple[Decimal, bool, str]] = []
    start = 0
    for figure in find_figures(text):
        if not split.search(figure.value):
            continue
        parsed = parse_value(figure.value, figure.unit)
        if parsed is None or parsed.is_range or len(numbers_in(figure.value, language)) < 2:
            continue
        at = text.find(figure.value, start)
        if at < 0:
            continue
        read.append((Decimal(repr(parsed.low)), True, figure.value.strip()))
        text = text[:at] + " " * len(figure.value) + text[at + len(figure.value) :]
        start = at + len(figure.value)
    return text, read


def signals_of(article: Article, *, text_words: int = 400) -> Signals:
    """The article's signals, from its title and its first `text_words` words (the lead carries the event)."""
    body = " ".join(article.text.split()[:text_words])
    text = _ISO_DATE.sub(" ", f"{article.title}\n{body}")
    written_date = _ISO_DATE.search(article.text[:_DATELINE_CHARS])
    signals = Signals(dated=article.published or (written_date.group(0) if written_date else None))
    for run, _uncased in _name_runs(article.title):
        signals.title.update(name_key(w) for w in run)
    nouns = (article.language or "") in NOUN_CAPITALISING
    for run, uncased in _name_runs(text):
        tentative = uncased or (nouns and len(run) == 1 and not run[0].isupper())
        into = signals.tentative if tentative else signals.names
        keys = [name_key(word) for word in run]
        for word, key in zip(run, keys, strict=True):
            if len(key) < 3 and not uncased and word.isupper() and len(word) >= 2:
                key = "=" + word.lower()  # an acronym: US, EU, UN
            if len(key) >= 3:
                into.add(key)
                signals.written.setdefault(key, word)
        # Pairs of words: 'Air India' is 'r nd', which neither word's key says alone.
        for start, end in [(i, i + 2) for i in range(len(run) - 1)]:
            joined = " ".join(k for k in keys[start:end] if k)
            if len(joined.replace(" ", "")) >= 3 and " " in joined:
                into.add(joined)
                signals.written.setdefault(joined, " ".join(run[start:end]))
    for key, literal in _figures(text, article.language).items():
        signals.figures.add(key)
        signals.written.setdefault(key, literal)
    return signals
