"""The extractive backend: an `ArticleExtraction` from the article's own sentences, no model.

It runs offline, costs nothing and is deterministic, so it is both the fallback when
the model fails and the baseline the model must beat. Every claim is one sentence of
the article, copied verbatim as its evidence, so nothing it produces can fail the
evidence check; what it cannot do is paraphrase, resolve "he" beyond a sentence or
two, or judge what matters beyond a sentence's position and how central it is.

Which sentences are claims and what category each gets are plain English-news rules,
kept as data at the top of this module; quotations and names are read in
`attribution.py`, headlines and lead phrases cut in `leads.py`, word lists kept in
`lexicon.py`. Text in other languages and scripts is carried as it is: split into
sentences and kept as claims, with whatever figures and names the rules recognise.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field

from briefing.check.grounding import reads_as_instructions
from briefing.contracts import (
    Article,
    ArticleExtraction,
    Claim,
    ClaimCategory,
    EntityKind,
    Figure,
    InterpretationPoint,
)
from briefing.extract.extractive.attribution import (
    QuoteSpan,
    find_quotes,
    is_full_quote,
    quotation_spans,
    with_full_names,
)
from briefing.extract.extractive.entities import find_entities
from briefing.extract.extractive.leads import headline, lead
from briefing.extract.extractive.lexicon import EVENT_VERBS, SPEECH_VERBS
from briefing.extract.extractive.pronouns import standalone
from briefing.merge.numbers import find_figures, is_statistic
from briefing.merge.similarity import TokenIndex, content_tokens
from briefing.text import PYSBD_LANGUAGES, comparable, sentence_spans

__all__ = ["ExtractiveBackend", "reject_reason"]

# ---------------------------------------------------------------------------
# Rules. Each cue is a regex over one sentence; the first category whose cue matches wins,
# in the order of `_category`: figure, quote, analysis, market reaction, outlook, reaction,
# background, event.
# ---------------------------------------------------------------------------

# An attributed reading or a verdict: "analysts expect ...", "... is unlikely".
ANALYSIS_CUES = (
    r"\b(?:analysts?|experts?|economists?|observers?|strategists?|commentators?|critics)\b.{0,80}?"
    r"\b(?:expect|say|said|warn|believe|predict|note|caution|argue|speculate|see|saw|suggest|estimate|"
    r"point out|reckon)",
    r"\b(?:unlikely|likely to|is likely|are likely|remains? to be seen|far away|far off|uncertain)\b",
)
# The writer's own colour ("underscoring", "is seen as"): analysis, but the weakest kind.
ANALYSIS_WEAK_CUES = (
    r"\b(?:(?:is|are|was|were) seen as|signals? that|suggests? that|a sign that|raises questions|"
    r"underscor(?:es|ing)|reflecting|could signal|may signal|risks? (?:long-term|further|a)|shows? that)\b",
    r"\bsees?\b.{0,60}?\bas\s+(?:possible|likely|unlikely|inevitable)\b",
)
# A market move told in the sentence's own subject: "Gold prices stabilized", "Markets are watching".
MARKET_MOVE_CUE = (
    r"^(?:\W*[\w’'-]+\W+){0,4}?(?:markets?|prices?|stocks?|shares?|investors?|dollar|gold|oil|bonds?|"
    r"yields?|ind(?:ex|ices|exes)|currenc(?:y|ies)|yuan)\b.{0,60}?\b(?:rose|fell|gained|dropped|"
    r"stabili[sz]ed|rallied|slipped|climbed|jumped|tumbled|surged|plunged|rebounded|edged|recovered|reacted|"
    r"cheered|weakened|strengthened|slid|firmed|(?:under|faces?|to face) pressure|"
    r"(?:are|were|is) (?:closely )?watching|watched)\b"
)
OUTLOOK_CUES = (
    r"\b(?:will|won't|shall|(?:is|are|was|were) (?:expected|set|due|scheduled|poised|slated) to|"
    r"(?:is|are) due\b|plans? to|next (?:week|month|year|round|step)|later (?:today|this|in)|upcoming|"
    r"in the coming|could be|may become|would (?:be|help|lead))\b",
)
REACTION_CUES = (
    r"\b(?:welcomed|criticised|criticized|condemned|praised|hailed|slammed|denounced|applauded|protested)\b",
)
# Background: a sentence that opens in the past, or a pluperfect outside reported speech.
BACKGROUND_START_CUE = (
    r"^(?:In (?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"(?:19|20)\d\d)|Since|Back in|Until|Earlier|Previously|Last (?:week|month|year)|Years? ago)\b"
)
BACKGROUND_CUES = (
    r"\b(?:had (?:been|already|previously|long|\w+ed)|has long|have long|for years|historically|"
    r"dating back|years? ago|earlier this (?:year|month))\b",
)
# An outlook that is a judgement ("could", "expected to"), not a timetable ("scheduled to", "due")
# nor a plan its makers announce ("will roll back most tariffs, the two governments said").
JUDGED_OUTLOOK_CUE = r"\b(?:expected to|expects?|could|may|might|would|likely)\b"
# Lines that are page furniture or credits, not statements.
FURNITURE = (
    r"^(?:by|reporting by|written by|edited by|editing by|additional reporting|photo|photograph|image|"
    r"picture|file photo|caption|source|credit|video|watch|listen|read more|read also|related|"
    r"advertisement|updated|published|posted|follow us|sign up|subscribe|click|copyright|"
    r"all rights reserved)\b[\s:|-]",
    r"https?://|www\.",
    r"\((?:photo|file photo|image|picture)[^)]*\)\s*$",
)
# Datelines and source tags glued to a paragraph's first sentence: "LONDON (Reuters) -", "Watan-A new ...".
_AGENCIES = r"Reuters|AFP|AP|Xinhua|Bloomberg|dpa|ANI|PTI|IANS|UPI|EFE|Kyodo|Yonhap|TASS|Anadolu|VNA"
DATELINES = (
    r"^[A-Z][A-Z .'-]{2,40}?(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?(?:\s*\([^)]{2,40}\))?\s+(?:-{1,2}|–|—)\s+",
    rf"^[A-Z][\w.]+(?: [A-Z][\w.]+)?,?\s*(?:[A-Z][a-z]{{2,8}}\.?\s+\d{{1,2}}\s*)?\((?:{_AGENCIES})\)\s*"
    r"(?:-{1,2}|–|—|:)?\s*",
    rf"^\((?:{_AGENCIES})\)\s*(?:-{{1,2}}|–|—|:)\s*",
    r"^[A-Z][A-Za-z]{2,24}-(?=(?:A|An|The|After|Amid|While|When|Following|Despite|During|This|These|"
    r"Officials|Talks)\b)",
)
# Connectives that open a sentence by pointing back at the one before ("However, ...").
CONNECTIVES = (
    r"^(?:(?:However|Meanwhile|Notably|Furthermore|Moreover|Additionally|Simultaneously|Nevertheless|Indeed|"
    r"Still|Also|In addition|By contrast|In turn|At the same time|That said),\s+|(?:Yet|But|And|So)\s+)"
)
DATELINE_PARAGRAPHS = 5
"""A dateline opens one of the first paragraphs (after a section label, a title, a standfirst)."""
INTERPRETATION_POINTS = 3
NEIGHBOURS = 8
"""Links per sentence in the ranking graph; more adds cost, not accuracy."""

_ANALYSIS_STRONG = tuple(re.compile(p, re.IGNORECASE) for p in ANALYSIS_CUES)
_ANALYSIS_WEAK = tuple(re.compile(p, re.IGNORECASE) for p in ANALYSIS_WEAK_CUES)
_MARKET_MOVE = re.compile(MARKET_MOVE_CUE, re.IGNORECASE)
_OUTLOOK = tuple(re.compile(p, re.IGNORECASE) for p in OUTLOOK_CUES)
_REACTION = tuple(re.compile(p, re.IGNORECASE) for p in REACTION_CUES)
_BACKGROUND_START = re.compile(BACKGROUND_START_CUE)
_BACKGROUND = re.compile("|".join(BACKGROUND_CUES))
_JUDGED_OUTLOOK = re.compile(JUDGED_OUTLOOK_CUE, re.IGNORECASE)
_FURNITURE = tuple(re.compile(p, re.IGNORECASE) for p in FURNITURE)
_DATELINES = tuple(re.compile(p) for p in DATELINES)
_EVENT_BEFORE = re.compile(r"\b(?:" + "|".join(EVENT_VERBS) + r")\b", re.IGNORECASE)
_SPEECH = re.compile(r"\b(?:" + "|".join(SPEECH_VERBS) + r")\b")
_CONNECTIVE = re.compile(CONNECTIVES)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_WORDS = re.compile(r"[^\W_]+(?:[’'-][^\W_]+)*")
_NO_SPACE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
_TERMINALS = ".!?。！？؟।…"
_CLOSERS = "\"'”’»」』)]"


@dataclass
class _Sentence:
    """One sentence of the article: where it is, and what the rules made of it."""

    start: int
    end: int
    text: str
    index: int
    category: ClaimCategory = ClaimCategory.event
    figures: list[Figure] = field(default_factory=list)
    score: float = 0.0
    statement: str = ""
    evidence: str = ""


class ExtractiveBackend:
    """Offline extraction: the claims are the article's informative sentences, quoted verbatim.

    Deterministic: the same article always gives the same extraction. Linear in the
    article's length apart from ranking, which compares only sentences sharing a word.
    """

    name = "extractive"
    needs_key = False
    supports_json_schema = False

    def __init__(self, language: str = "en") -> None:
        self.language = language

    def extract(self, article: Article) -> ArticleExtraction:
        """Fill the same `ArticleExtraction` the model would, from the article's sentences alone.

        Claims keep every informative sentence, most important first (the merge needs
        them all to find what several sources say); each claim's statement and evidence
        are the same verbatim span of `article.text`, and its figures are found in it.
        """
        text = article.text
        # Sentence rules follow the article's own language ("am 10. Juni" does not end a
        # German sentence); the rest of the backend's lexicon is English either way.
        language = (
            article.language if article.language and article.language in PYSBD_LANGUAGES else self.language
        )
        sentences = _sentences(text, language)
        spans = quotation_spans(text)
        opens = [q.open for q in spans]
        offsets = [(s.start, s.end) for s in sentences]
        quotes = find_quotes(text, offsets, spans)
        entities = find_entities(text, offsets, (q.speaker for q in quotes))
        people = [e.name for e in entities if e.kind == EntityKind.person]
        claims = _standalone(_claims(sentences, article.title), sentences, text, people)
        for s in claims:
            s.figures = _main_first(find_figures(s.text))
            s.category = _category(
                s, spans[bisect.bisect_left(opens, s.start) : bisect.bisect_left(opens, s.end)]
            )
        ranked = _rank(claims)
        top = ranked[0].text if ranked else ""
        return ArticleExtraction(
            headline=headline(article.title, top),
            summary=top,
            entities=entities,
            claims=[
                Claim(statement=s.statement, category=s.category, figures=s.figures, evidence=s.evidence)
                for s in ranked
            ],
            quotes=with_full_names(quotes, entities),
            interpretation=_interpretation(ranked),
        )


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------


def _sentences(text: str, language: str) -> list[_Sentence]:
    """Every sentence, datelines cut off its front; offsets always point into `text`."""
    paragraph_starts = [0] + [m.end() for m in _PARAGRAPH_BREAK.finditer(text)]
    out: list[_Sentence] = []
    previous = -1
    for index, (start, end) in enumerate(sentence_spans(text, language)):
        paragraph = bisect.bisect_right(paragraph_starts, start) - 1
        if paragraph != previous and paragraph < DATELINE_PARAGRAPHS:
            start += _dateline_length(text[start:end])
        previous = paragraph
        out.append(_Sentence(start, end, text[start:end], index))
    return out


def _dateline_length(sentence: str) -> int:
    for pattern in _DATELINES:
        m = pattern.match(sentence)
        if m and len(sentence) - m.end() > 20:
            return m.end()
    return 0


def _statement(sentence: str) -> str:
    """The sentence as a statement that stands alone: without a connective that points back.

    "However, analysts expect ..." reads as "Analysts expect ..." once it is no longer
    preceded by what it contradicted. The evidence keeps the sentence as written.
    """
    m = _CONNECTIVE.match(sentence)
    if not m or not sentence[m.end() : m.end() + 1].isalpha():
        return sentence
    rest = sentence[m.end() :]
    return rest[:1].upper() + rest[1:]


def reject_reason(sentence: str) -> str | None:
    """Why a sentence is not a claim an editor would accept, or None if it is one.

    Fragments are refused: headings and captions (no final punctuation), sentences cut
    off mid-quotation or trailing off, questions to the reader, bylines and page
    furniture, shouting, anything under five words, and text planted for a model to
    obey (`briefing.check.grounding.reads_as_instructions`).
    """
    stripped = sentence.rstrip(_CLOSERS + " ")
    if not stripped or stripped[-1] not in _TERMINALS:
        return "no final punctuation (heading, caption or truncated)"
    if stripped.endswith(("...", "…")):
        return "trails off"
    if stripped.endswith(("?", "？", "؟")):
        return "question"
    if _NO_SPACE_SCRIPT.search(sentence):
        if len(sentence) < 8:
            return "too short"
    elif len(_WORDS.findall(sentence)) < 5:
        return "too short"
    if not _balanced(sentence):
        return "unbalanced quotation marks or brackets"
    if any(p.search(sentence) for p in _FURNITURE):
        return "byline, caption or page furniture"
    if reads_as_instructions(sentence):
        return "reads as instructions to a model, not news"
    if sentence.upper() == sentence and sentence.lower() != sentence and len(sentence) > 12:
        return "all capitals"
    return None


def _balanced(sentence: str) -> bool:
    if sentence.count("“") != sentence.count("”") and "„" not in sentence:
        return False
    if sentence.count("«") != sentence.count("»") or sentence.count('"') % 2:
        return False
    return sentence.count("(") == sentence.count(")")


def _claims(sentences: list[_Sentence], title: str) -> list[_Sentence]:
    """The sentences that can be claims: whole statements, each said once, not the title again."""
    seen = {comparable(title)}
    kept: list[_Sentence] = []
    for s in sentences:
        key = comparable(s.text)
        if key in seen or reject_reason(s.text) is not None:
            continue
        seen.add(key)
        kept.append(s)
    return kept


def _standalone(
    claims: list[_Sentence], sentences: list[_Sentence], text: str, people: list[str]
) -> list[_Sentence]:
    """Each claim with a statement that reads alone (see `pronouns.py`); those that cannot are dropped.

    The evidence is the sentence, or the sentence with the one before it when the
    statement names, in brackets, whom a pronoun stands for; `people` are the persons
    the article names, so that a surname alone in the sentence before is one of them.
    When the sentence before was itself resolved ("He admitted ..." after "Recep Tayyib
    Erdogan visited ..."), the passage it needed is the one looked in, and cited.
    """
    kept: list[_Sentence] = []
    passage_start: dict[int, int] = {}
    for s in claims:
        before = sentences[s.index - 1] if s.index > 0 else None
        previous = None
        if before is not None:
            start = passage_start.get(before.index, before.start)
            previous = (start, text[start : before.end])
        resolved = standalone(_statement(s.text), s.start, previous, text, people)
        if resolved is None:
            continue
        s.statement = resolved.statement
        s.evidence = text[resolved.evidence_start : s.end]
        passage_start[s.index] = resolved.evidence_start
        kept.append(s)
    return kept


# ---------------------------------------------------------------------------
# Categories
# ---------------------------------------------------------------------------


def _main_first(figures: list[Figure]) -> list[Figure]:
    """Statistics before durations, reading order otherwise: the merge reads the first as the main one."""
    return sorted(figures, key=lambda f: not is_statistic(f))


def _category(s: _Sentence, spans: list[QuoteSpan]) -> ClaimCategory:
    """What kind of statement the sentence is; `spans` are the quotations that open in it.

    Only those are passed (found by position), not every quotation of the article, so a
    long article full of quoted sentences costs linear time, not sentences times quotations.
    """
    text = s.text
    quotes = [q for q in spans if s.start <= q.open and q.close < s.end and is_full_quote(q.inner)]
    statistics = [f for f in s.figures if is_statistic(f)]
    if statistics and not (quotes and all(_quoted(f, s, quotes) for f in statistics)):
        return ClaimCategory.figure
    if quotes:
        return ClaimCategory.quote
    if _analysis_strength(text):
        return ClaimCategory.analysis
    if _MARKET_MOVE.search(text):
        return ClaimCategory.reaction
    for pattern in _OUTLOOK:
        m = pattern.search(text)
        # "The first day ended ... and will continue on June 10" is news, not outlook.
        if m and not _EVENT_BEFORE.search(text, 0, m.start()):
            return ClaimCategory.outlook
    if any(p.search(text) for p in _REACTION):
        return ClaimCategory.reaction
    if _BACKGROUND_START.search(text):
        return ClaimCategory.background
    if any(not _SPEECH.search(text, 0, m.start()) for m in _BACKGROUND.finditer(text)):
        return ClaimCategory.background
    return ClaimCategory.event


def _quoted(figure: Figure, s: _Sentence, quotes: list[QuoteSpan]) -> bool:
    """Whether the figure stands inside one of the sentence's quotations: the speaker's, said in passing.

    '"Nobody can pay their rent with a 4.5 percent offer," she said' is what she said; a
    figure the sentence gives outside the quotation ("..., she said of the 9% rise") is the
    sentence's own.
    """
    at = s.text.find(figure.value)
    return at >= 0 and any(q.open < s.start + at < q.close for q in quotes)


def _analysis_strength(text: str) -> int:
    """2 for an attributed reading or a verdict, 1 for the writer's colour, 0 for none."""
    if any(p.search(text) for p in _ANALYSIS_STRONG):
        return 2
    return 1 if any(p.search(text) for p in _ANALYSIS_WEAK) else 0


# ---------------------------------------------------------------------------
# Ranking and interpretation
# ---------------------------------------------------------------------------


def _rank(sentences: list[_Sentence]) -> list[_Sentence]:
    """Order by importance within the article: position (news leads with the news) and centrality.

    Centrality is TextRank over IDF-weighted word overlap, each sentence linked to its
    `NEIGHBOURS` most similar ones. Only sentences that share a word are compared, so
    the cost follows the article's vocabulary rather than its length squared.
    """
    if not sentences:
        return []
    tokens = [content_tokens(s.text) for s in sentences]
    index = TokenIndex(tokens, max_df_share=0.5)
    edges: list[list[tuple[int, float]]] = [[] for _ in sentences]
    for i in range(len(sentences)):
        linked: list[tuple[float, int]] = []
        for j in index.candidates(i, min_shared=1):
            weight = index.similarity(i, j)
            if weight > 0:
                linked.append((weight, j))
        edges[i] = [(j, w) for w, j in sorted(linked, key=lambda x: (-x[0], x[1]))[:NEIGHBOURS]]
    rank = _textrank(edges)
    top = max(rank) or 1.0
    for position, (s, r) in enumerate(zip(sentences, rank, strict=True)):
        s.score = round(0.55 / (1.0 + position / 3.0) + 0.45 * r / top, 9)
    return sorted(sentences, key=lambda s: (-s.score, s.index))


def _textrank(edges: list[list[tuple[int, float]]], damping: float = 0.85, rounds: int = 30) -> list[float]:
    n = len(edges)
    out_weight = [math.fsum(w for _, w in e) for e in edges]
    rank = [1.0 / n] * n
    for _ in range(rounds):
        new = [(1.0 - damping) / n] * n
        for i, e in enumerate(edges):
            if out_weight[i]:
                share = damping * rank[i] / out_weight[i]
                for j, w in e:
                    new[j] += share * w
        converged = max(abs(x - y) for x, y in zip(new, rank, strict=True)) < 1e-9
        rank = new
        if converged:
            break
    return rank


def _interpretation(ranked: list[_Sentence]) -> list[InterpretationPoint]:
    """Up to three points: attributed readings and verdicts, then the writer's colour, then judged outlook.

    A timetable ("talks are scheduled to resume at 10:00") is outlook but not a reading
    of events, so it is never a point.
    """

    def strength(s: _Sentence) -> int:
        if s.category == ClaimCategory.analysis:
            return _analysis_strength(s.text)
        return 0 if s.category == ClaimCategory.outlook and _JUDGED_OUTLOOK.search(s.text) else -1

    candidates = [s for s in ranked if strength(s) >= 0]
    chosen = sorted(candidates, key=lambda s: -strength(s))[:INTERPRETATION_POINTS]
    return [
        InterpretationPoint(lead=lead(s.statement), text=s.statement, evidence=s.evidence) for s in chosen
    ]
