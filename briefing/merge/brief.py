"""Merge: many `ExtractedArticle`s -> one `Brief`. Deterministic, no model, no I/O.

Sources are compared, not blended. Claims that say the same thing become one item
that cites every article behind it; the same quantity reported with different
values stays visible as a discrepancy; names spelled differently become one entity
(see `entities.py`), written canonically only where the brief, not one source, speaks
(`names.py`). Everything is sorted by content before it is compared, so the
same extractions in any order give byte-identical output.

This module assembles the brief: sources, headline, lede, sections and interpretation.
Merging claims is `claims.py`'s; the run report and its cost are `report.py`'s.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from unidecode import unidecode

from briefing.contracts import (
    SCHEMA_VERSION,
    Brief,
    BriefInterpretation,
    ClaimCategory,
    Discrepancy,
    ExtractedArticle,
    InputProblem,
    MergedClaim,
    Section,
    SourceRef,
)
from briefing.extract.extractive.attribution import reported_speaker, speaker_surname
from briefing.extract.extractive.leads import lead, reads_as_english
from briefing.extract.extractive.names import is_role_word, strip_possessive
from briefing.ingest.language import DEFAULT_LANGUAGE, is_foreign
from briefing.merge.claims import Thresholds, claim_items, merge_claims
from briefing.merge.collector import without_cycle_collection
from briefing.merge.days import day_of_report, in_time_order
from briefing.merge.entities import EntityInput, merge_entities, role_discrepancies, with_support
from briefing.merge.meaning import Meaning
from briefing.merge.names import apply_names, spelling_support
from briefing.merge.quantities import readings
from briefing.merge.report import run_report
from briefing.merge.similarity import TokenIndex, content_tokens
from briefing.merge.units import WORD_NUMBER_PATTERN, word_number
from briefing.stories.embeddings import Embedder, default_embedder
from briefing.text import comparable, split_sentences

__all__ = ["MergeOptions", "merge"]

# Section titles for the Highlights part, in reading order. They are part of the brief
# (`Section.title`, in its JSON), not only of its rendering, so the merge chooses them.
SECTION_TITLES: tuple[tuple[str, tuple[ClaimCategory, ...]], ...] = (
    ("What happened", (ClaimCategory.event,)),
    ("The numbers", (ClaimCategory.figure,)),
    ("What was said", (ClaimCategory.quote, ClaimCategory.reaction)),
    ("Background", (ClaimCategory.background,)),
    ("What comes next", (ClaimCategory.outlook,)),
)
LEDE_ISSUE_WORDS = 2
"""Issue words a claim must name to enter the lede for them; one shared word is chance."""
LEDE_TITLE_BAND = 0.8
"""How near the likest claim to the titles another must come to be preferred for more sources."""
FIGURE_WEIGHT = 3.0
"""How many words a number counts for when judging what a claim adds: a new count is news."""
RETELLING_MEANING = 0.4
"""How alike in meaning two statements sharing a rare word must be to tell one fact (see `_Retellings`)."""
VOICE_WEIGHT = 0.3
"""A quotation's rank bonus for each further outlet that names its speaker (see `_voices`)."""
RARE_WORD_CLAIMS = 3
"""A word, number or length of time is rare in a brief when at most this many of its claims use it."""
_DAYS_IN = {"day": 1, "week": 7, "month": 30, "year": 365}
_DURATION = re.compile(
    r"(?:\b(?P<n>\d+)|(?P<word>" + WORD_NUMBER_PATTERN + r"))[- ](?P<unit>day|week|month|year)s?\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“”]")
_BRACKETED_SPEAKER = re.compile(r"\[(?P<name>[^\]:]+):?\]")
_LEANS_BACK = re.compile(
    r"\b(?:them|those|these|that (?:date|day)|(?:until|by) then)\b"
    # A sentence opening on what the sentence before counted or named: "The rest of the
    # evacuees ...", "Most were ...", "The figure for the burned area ...", "That dispute lasted ...";
    # not "This round is ...", which points at the story itself.
    r"|^(?:The rest|Others|The (?:figures?|estimates?|tally)\b(?! of)"
    r"|(?:Most|Many|Some|Several|All|Both) (?:were|are|was|had|have|has|will|would|could|said|remain)"
    r"|That (?!(?:year|week|month|morning|afternoon|evening|weekend|time|season)\b)[a-z]+ "
    r"(?:was|had|lasted|ended|began|came))\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d(?:[\d,.]*\d)?")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Analysis is the sources' reading of events: it goes to Interpretation, never to Highlights.
INTERPRETATION_CATEGORIES = (ClaimCategory.analysis,)


@dataclass(frozen=True)
class MergeOptions:
    """Knobs of the merge; the defaults are tuned on the labelled examples in tests/."""

    same_claim: float = 0.42
    same_quantity: float = 0.22
    same_figures: float = 0.1
    same_meaning: float = 0.68
    same_meaning_words: float = 0.3
    same_meaning_alone: float = 0.75
    max_highlights: int = 12
    max_per_section: int = 7
    min_novelty: float = 0.5
    max_interpretation: int = 4
    lede_claims: int = 2


@without_cycle_collection
def merge(
    extracted: Sequence[ExtractedArticle],
    *,
    date: str | None = None,
    problems: Sequence[InputProblem] = (),
    options: MergeOptions | None = None,
    language: str = DEFAULT_LANGUAGE,
    embedder: Embedder | None = None,
) -> Brief:
    """Build the brief from every article's extraction; order of `extracted` does not matter.

    `embedder` reads how alike English statements mean (default: the bundled offline model).
    """
    options = options or MergeOptions()
    articles = sorted(extracted, key=lambda e: (e.article.source.casefold(), e.article.title, e.article.id))
    sources = [
        SourceRef(
            number=n,
            article_id=e.article.id,
            source=e.article.source,
            title=e.article.title,
            published=e.article.published,
            url=e.article.url,
            language=e.article.language,
            translated=e.meta.translated_to is not None,
            copies=e.article.copies,
            backend=e.meta.backend,
            model=e.meta.model,
            fallback_reason=e.meta.fallback_reason,
        )
        for n, e in enumerate(articles, start=1)
    ]
    entities = merge_entities(
        [
            EntityInput(name=ent.name, kind=ent.kind, role=ent.role, article_id=e.article.id)
            for e in articles
            for ent in e.extraction.entities
            if ent.name.strip()
        ]
    )
    thresholds = Thresholds(
        options.same_claim,
        options.same_quantity,
        options.same_figures,
        options.same_meaning,
        options.same_meaning_words,
        options.same_meaning_alone,
    )
    items = claim_items(articles, date)
    meaning = Meaning(
        [i.claim.statement for i in items],
        [i.article_id for i in items],
        [i.english for i in items],
        embedder,
    )
    claims, figure_discrepancies = merge_claims(items, entities, thresholds, meaning)
    entities = with_support(entities, spelling_support(claims, entities))
    claims, figure_discrepancies, roles = apply_names(
        claims, entities, figure_discrepancies, role_discrepancies(entities)
    )
    discrepancies = figure_discrepancies + roles
    ranked = sorted(claims, key=lambda c: (-c.score, c.id))
    foreign = frozenset(e.article.id for e in articles if not _in_language(e, language))
    interpretation = _interpretation(ranked, articles, options)
    counts = _counts_over_time(figure_discrepancies)
    headline = _headline(articles, language, counts)
    story = _story_terms([e for e in articles if e.article.id not in foreign] or articles, headline)
    retellings = _Retellings(ranked, articles, foreign, embedder)
    superseded = _superseded(figure_discrepancies, ranked)
    lede_ids, sections = _sections(
        [c for c in ranked if c.id not in superseded],
        {i for p in interpretation for i in p.claim_ids},
        options,
        foreign,
        story,
        retellings,
        _summed(_voices(ranked, articles), _disputed_support(figure_discrepancies, ranked, len(articles))),
        _timeline_counts(figure_discrepancies),
        counts[0],
        _newest(articles),
    )
    backends = sorted({e.meta.backend.value for e in articles})
    # Models tried, including those whose articles fell back: the header must say a model was used.
    models = sorted({e.meta.model for e in articles if e.meta.model})
    prompt_versions = sorted({e.meta.prompt_version for e in articles if e.meta.prompt_version})
    return Brief(
        headline=headline,
        date=date,
        language=language,
        lede_claim_ids=lede_ids,
        backend="+".join(sorted(backends, key=lambda b: b != "model")) if backends else "none",
        models=models,
        prompt_version=prompt_versions[0] if len(prompt_versions) == 1 else None,
        schema_version=SCHEMA_VERSION,
        sources=sources,
        entities=entities,
        claims=ranked,
        sections=sections,
        interpretation=interpretation,
        discrepancies=discrepancies,
        report=run_report(articles, problems),
    )


def _sections(
    ranked: list[MergedClaim],
    interpreted: set[str],
    options: MergeOptions,
    foreign: frozenset[str] = frozenset(),
    story: _StoryTerms | None = None,
    retellings: _Retellings | None = None,
    bonus: dict[str, float] | None = None,
    counted: frozenset[str] = frozenset(),
    current: frozenset[str] = frozenset(),
    newest: frozenset[str] = frozenset(),
) -> tuple[list[str], list[Section]]:
    """The lede and the sections under it.

    The lede opens the brief, so it comes from claims a reader of the brief's language
    can read when there are any: not only from untranslated sources in another language
    (those still rank as usual in the sections, marked with their language). It says
    what happened (see `_lede`): an event, a background fact, or a figure, since a
    truce's "tariffs fall from 145% to 30% for 90 days" is the event itself.
    """
    highlights = [
        c for c in ranked if c.category not in INTERPRETATION_CATEGORIES and c.id not in interpreted
    ]
    readable = [c for c in highlights if not set(c.article_ids) <= foreign] or highlights
    # A claim leaning on a sentence the brief does not show ("until then") cannot open it.
    lede_pool = [
        c
        for c in readable
        if c.category in (ClaimCategory.event, ClaimCategory.background, ClaimCategory.figure)
        and not _LEANS_BACK.search(c.statement)
    ]
    lede = _lede(lede_pool or readable, story, options.lede_claims, current, newest)
    chosen = _highlights(
        [c for c in highlights if c not in lede],
        lede,
        ranked,
        options,
        foreign,
        retellings,
        bonus or {},
        counted,
        # The interpretation gives its speakers their voice too: Leavitt's view of what the
        # talks are for is not also a quotation under the highlights.
        frozenset(s for c in ranked if c.id in interpreted if (s := _speaker(c.statement))),
    )
    sections: list[Section] = []
    for title, categories in SECTION_TITLES:
        ids = [c.id for c in chosen if c.category in categories]
        if ids:
            sections.append(Section(title=title, claim_ids=ids))
    return [c.id for c in lede], sections


def _highlights(
    pool: list[MergedClaim],
    lede: list[MergedClaim],
    ranked: list[MergedClaim],
    options: MergeOptions,
    foreign: frozenset[str] = frozenset(),
    retellings: _Retellings | None = None,
    bonus: dict[str, float] | None = None,
    counted: frozenset[str] = frozenset(),
    interpreters: frozenset[str] = frozenset(),
) -> list[MergedClaim]:
    """The claims shown under the lede, in rank order: the best-ranked that add something new.

    One at a time, the claim with the highest score times the square of its novelty is
    taken: novelty is the share of its words (weighted by how rare they are among the
    brief's claims, numbers weighing `FIGURE_WEIGHT` words) that neither the lede nor a
    claim already taken says. A claim adding less than `min_novelty` is a restatement in
    other words and is left out, however well ranked: a fact told by four outlets in four
    wordings is shown once, and the room goes to the facts only one outlet reports. The
    whole brief keeps `max_highlights`; one section may fill up to `max_per_section` of
    them, so a story that is mostly events shows its events, not padding from thinner
    sections. A claim only untranslated sources in another language give cannot be
    compared word for word with the rest, only by its names and numbers: it counts as
    barely new (`min_novelty`), so it is shown when it ranks well, not because its words
    differ, and not at all when every name and number it gives is already shown. So does
    a claim that leans on a sentence the brief does not show ("getting them back", "those
    minerals", "within 30 days of that date", "until then").

    A claim that retells a fact already shown in other words (see `_Retellings`) adds
    nothing unless it gives a number or a length of time not yet shown (a change shown as
    two levels counts as shown, see `_changes`); one that gives more numbers than the
    claim it retells replaces it. A claim whose value for a quantity other outlets give differently ranks
    as reported by them too (see `_disputed_support`), and a quotation ranks higher the
    more outlets name its speaker (see `_voices`): both come as `bonus`. The values of the
    counts shown over time (`counted`) are already said, by that section. A speaker the
    brief has already given a voice (see `_voice`) is not heard again, unless in a report
    giving a number or a length of time not yet shown ("Trump said the US would collect
    55%"); the lede's reports give no voice, being chosen for the event: a minister's
    stance there leaves room for her words on the mediator she has asked for. Whoever the
    interpretation quotes (`interpreters`) has been heard. A quotation
    adds its words, not the speaker's name and role (see `_quoted_words`). A claim that
    several outlets report takes its novelty once, not squared: the words it shares with
    what is shown do not crowd a corroborated fact out. Room the section caps leave unused once no section
    under its cap has a claim to add goes to the best claims left in the brief's language,
    whatever their section: a brief of many events and few figures shows its events rather
    than stopping short. Rank order, then the statement's text, breaks every tie.
    """
    bonus = bonus or {}
    words = {c.id: _quoted_words(c) for c in ranked}
    weight = _rarity(words.values())

    def told(c: MergedClaim) -> frozenset[str]:
        """What showing the claim says: its words, and the changes and lengths of time it gives."""
        return words[c.id] | _changes(c.statement) | _durations(c.statement)

    def numbers(c: MergedClaim) -> set[str]:
        return {w for w in words[c.id] if w.startswith("#")} | _durations(c.statement)

    said: set[str] = set(counted).union(*(told(c) for c in lede))
    shown: list[MergedClaim] = list(lede)
    voice = {c.id: _voice(c) for c in [*lede, *pool]}
    # Whose voice the brief has given: quotations in the lede too, reports only among the highlights.
    heard = {voice[c.id] for c in lede if c.category == ClaimCategory.quote} - {None} | interpreters

    def novelty(c: MergedClaim) -> float:
        if retellings is not None and numbers(c) <= said and retellings.retold(c, shown):
            return 0.0
        if voice[c.id] in heard and (c.category == ClaimCategory.quote or numbers(c) <= said):
            return 0.0
        if foreign and set(c.article_ids) <= foreign:
            names = _names_and_numbers(c.statement)
            return 0.0 if names and names <= said else options.min_novelty
        total = math.fsum(weight[w] for w in words[c.id])
        new = math.fsum(weight[w] for w in words[c.id] - said) / total if total else 0.0
        return min(new, options.min_novelty) if _LEANS_BACK.search(c.statement) else new

    # Equal scores are ordered by what the claims say: claim ids hash the articles' whole text.
    order = sorted(pool, key=lambda c: (-c.score, comparable(c.statement), c.id))
    position = {c.id: i for i, c in enumerate(order)}
    per_section: dict[str, int] = {}
    left = list(pool)
    chosen: list[MergedClaim] = []

    while left and len(chosen) < options.max_highlights:
        adding = [
            (round((c.score + bonus.get(c.id, 0.0)) * new ** (1 if len(c.article_ids) > 1 else 2), 9), c)
            for c in left
            if (new := novelty(c)) >= options.min_novelty
        ]
        scored = [(v, c) for v, c in adding if per_section.get(_section_of(c), 0) < options.max_per_section]
        if not scored:
            # The caps keep room for the other sections; room they leave unused is not kept empty.
            scored = [(v, c) for v, c in adding if not (foreign and set(c.article_ids) <= foreign)]
        if not scored:
            break
        best = min(scored, key=lambda pair: (-pair[0], position[pair[1].id]))[1]
        left.remove(best)
        if retellings is not None:
            # A retelling that also gives the figures is the better item: it replaces the one it retells.
            for older in [c for c in chosen if numbers(c) < numbers(best) and retellings.retold(c, [best])]:
                chosen.remove(older)
                shown.remove(older)
                per_section[_section_of(older)] -= 1
        chosen.append(best)
        shown.append(best)
        said |= told(best)
        if voice[best.id] is not None:
            heard.add(voice[best.id])
        per_section[_section_of(best)] = per_section.get(_section_of(best), 0) + 1
    return sorted(chosen, key=lambda c: position[c.id])


def _changes(statement: str) -> set[str]:
    """The size of each change a statement gives as two levels, as a number `_claim_words` would write it.

    "From 145% to 30%" is also a cut of 115 points: a report of the cut "by 115 percentage
    points" gives no number the first has not.
    """
    out: set[str] = set()
    for r in readings(statement, None):
        if r.role == "to" and r.partner is not None:
            size = round(abs(r.partner - r.amount.low), 6)
            out.add("#" + (str(int(size)) if size == int(size) else str(size)))
    return out


def _voice(claim: MergedClaim) -> str | None:
    """Whom a claim quotes, or reports in its own words, spelled for comparing; None if no one.

    A short brief gives each speaker's voice once: Erdoğan's admission of shortcomings,
    not also his hope, tweeted the day before, that the country would come through. A
    voice is a quotation or a report of what someone said in its own words ("Albrecht said
    the company could not match the demand"); a report giving a number ("Varenhorst said
    600 soldiers would be deployed") is a fact and its source, and her own words may
    still follow.
    """
    if claim.category == ClaimCategory.quote:
        return _speaker(claim.statement)
    return _reported(claim.statement)


@functools.lru_cache(maxsize=1 << 12)
def _reported(statement: str) -> str | None:
    """The family name of whom a statement reports in its own words ("albrecht"), as `_speaker` spells it.

    Not when what it reports gives a number (see `_voice`); a number in who is speaking
    ("Berg, one of the two dissenting judges, wrote that ...") is not what was said.
    """
    report = reported_speaker(statement)
    if report is None or _counts_in(report[1]):
        return None
    return unidecode(report[0]).casefold()


@functools.lru_cache(maxsize=1 << 12)
def _speaker(statement: str) -> str | None:
    """The family name of whom a statement quotes, spelled for comparing ("erdogan"), if it names them."""
    name = _speaker_surname(statement)
    return unidecode(name).casefold() if name else None


def _speaker_surname(statement: str) -> str | None:
    """The family name of whom a statement quotes, as written, if it names them.

    The extractive backend writes a speaker it took from the sentence before in brackets
    ('"…," [Erdoğan] wrote'); otherwise the speaker is the person before the speech verb.
    """
    bracketed = _BRACKETED_SPEAKER.search(statement)
    return bracketed["name"].split()[-1] if bracketed else speaker_surname(statement)


def _summed(*bonuses: dict[str, float]) -> dict[str, float]:
    """Each claim's bonuses added up."""
    return {k: round(math.fsum(b.get(k, 0.0) for b in bonuses), 6) for k in sorted(set().union(*bonuses))}


def _voices(claims: Sequence[MergedClaim], articles: Sequence[ExtractedArticle]) -> dict[str, float]:
    """A quotation's bonus for how many outlets name its speaker: whom the story turns to.

    A fire chief named by three of four reports speaks for the story more than a
    forecaster one outlet called; her words rank that much higher than his, by
    `VOICE_WEIGHT` for each outlet past the first, over the number of articles.
    """
    speakers = {c.id: _speaker(c.statement) for c in claims if c.category == ClaimCategory.quote}
    wanted = {s for s in speakers.values() if s}
    if not wanted:
        return {}  # no quotation names its speaker: the articles need not be read
    named: dict[str, int] = {}
    for e in articles:
        words = {strip_possessive(w) for w in _WORD.findall(unidecode(e.article.text).casefold())}
        for speaker in wanted & words:
            named[speaker] = named.get(speaker, 0) + 1
    return {
        cid: round(VOICE_WEIGHT * (named[s] - 1) / len(articles), 6)
        for cid, s in speakers.items()
        if s and named.get(s, 0) > 1
    }


def _superseded(discrepancies: Sequence[Discrepancy], claims: Sequence[MergedClaim]) -> frozenset[str]:
    """Claims that give only earlier values of a count shown over time: neither lede nor highlight.

    "More than 1,600 deaths in Syria" on Tuesday is not news beside Wednesday's 2,500:
    the Counts over time line shows both, with their days. A claim that also gives a
    number no timeline holds as an earlier value still says something else, and stays.
    """
    earlier: dict[str, set[str]] = {}
    for d in discrepancies:
        replaced = _counts_over_time([d])[1]
        for claim_id in d.claim_ids:
            earlier.setdefault(claim_id, set()).update(replaced)
    return frozenset(
        c.id for c in claims if (given := _counts_in(c.statement)) and given <= earlier.get(c.id, set())
    )


def _counts_over_time(discrepancies: Sequence[Discrepancy]) -> tuple[frozenset[str], frozenset[str]]:
    """The latest values of the counts shown over time, and the values a later one replaced.

    Both as `_counts_in` writes them ("#2500", "#9" for "nine people").
    """
    timelines = [d for d in discrepancies if d.kind == "timeline" and len(d.values) > 1]
    latest = frozenset().union(*(_counts_in(d.values[-1].value) for d in timelines))
    earlier = frozenset().union(*(_counts_in(v.value) for d in timelines for v in d.values[:-1]))
    return latest, earlier - latest


def _counts_in(text: str) -> frozenset[str]:
    """The numbers a text gives, in digits or spelled out, as `_numbers` writes them: "nine" is "#9"."""
    spelled = re.finditer(WORD_NUMBER_PATTERN, text, flags=re.IGNORECASE)
    return _numbers(text) | frozenset(f"#{word_number(m.group())}" for m in spelled)


def _timeline_counts(discrepancies: Sequence[Discrepancy]) -> frozenset[str]:
    """Every value of the counts shown over time, as `_numbers` writes them: the brief says them there."""
    timelines = [d for d in discrepancies if d.kind == "timeline"]
    return frozenset().union(*(_numbers(v.value) for d in timelines for v in d.values))


def _disputed_support(
    discrepancies: Sequence[Discrepancy], claims: Sequence[MergedClaim], n_articles: int
) -> dict[str, float]:
    """The share of sources a claim gains from outlets reporting its quantity with another value.

    "A second quake of magnitude 7.5" from one outlet and "a second shock of 7.6" from
    another are two outlets reporting a second quake: the fact is corroborated, its figure
    disputed (and shown as such). A claim gets the share of the outlets giving the quantity
    that it does not cite itself, unless its value is the minority's: a value most sources
    contradict is shown under the disagreement, not pushed into the highlights.
    """
    by_id = {c.id: c for c in claims}
    out: dict[str, float] = {}
    for d in discrepancies:
        if d.kind != "figure" or not n_articles:
            continue
        reporting = {a for v in d.values for a in v.article_ids}
        largest = max((len(v.article_ids) for v in d.values), default=0)
        for claim_id in d.claim_ids:
            claim = by_id.get(claim_id)
            if claim is None:
                continue
            own = [v for v in d.values if set(v.article_ids) & set(claim.article_ids)]
            if not own or max(len(v.article_ids) for v in own) < largest:
                continue
            gain = len(reporting - set(claim.article_ids)) / n_articles
            out[claim_id] = max(out.get(claim_id, 0.0), gain)
    return out


class _Retellings:
    """Which claims tell a fact another claim already tells, in other words and with other details.

    Two outlets' sentences about one fact often share only its one telling word ("a
    consultation mechanism", "a mechanism for further talks"; "completed his hat-trick",
    "to score a hat-trick"), too little for the merge to call them one claim. Here two
    claims retell one fact when they share something rare and their meanings are at least
    `RETELLING_MEANING` alike. Rare is what at most `RARE_WORD_CLAIMS` of the brief's claims
    use: a lower-case word (not a name, which many facts share) that no article uses in two
    of its statements (that is what the article is about, "nuclear" in a report on Iran's
    programme), a number, or a length of time however it is written ("three months" is
    "90 days"). A report of what someone said also retells the quotation it leads
    into, when their meanings are as alike (see `_introduces`). Two quotations are two
    things said, whatever words they share. Only
    English statements are compared, those the bundled embedder reads; vectors are
    computed for the claims that share something rare only, and similarities rounded, as
    in `Meaning`.
    """

    def __init__(
        self,
        ranked: Sequence[MergedClaim],
        articles: Sequence[ExtractedArticle],
        foreign: frozenset[str],
        embedder: Embedder | None,
    ) -> None:
        self._embedder = embedder
        readable = [c for c in ranked if not (foreign and set(c.article_ids) <= foreign)]
        lower = {c.id: _telling(c.statement) for c in readable}
        counts: dict[str, int] = {}
        for ws in lower.values():
            for w in ws:
                counts[w] = counts.get(w, 0) + 1
        # What one article says in several of its statements is its topic, not one fact's word.
        topics: set[str] = set()
        for e in articles:
            seen: set[str] = set()
            for claim in e.extraction.claims:
                told = _telling(claim.statement)
                topics |= seen & told
                seen |= told
        self._rare = {
            cid: frozenset(
                w for w in ws if counts[w] <= RARE_WORD_CLAIMS and (w not in topics or w[0] in "#~")
            )
            for cid, ws in lower.items()
        }
        self._statements = {c.id: c.statement for c in readable}
        self._evidence = {c.id: c.evidence for c in readable}
        self._texts = {e.article.id: e.article.text for e in articles}
        self._vectors: dict[str, Any] = {}

    def retold(self, claim: MergedClaim, shown: Sequence[MergedClaim]) -> bool:
        """Whether one of the `shown` claims already tells the fact `claim` tells."""
        if claim.id not in self._statements:
            return False
        rare = self._rare[claim.id]
        quoted = _QUOTED.search(claim.statement) is not None
        others = [
            s
            for s in shown
            if (rare & self._rare.get(s.id, frozenset()) and not (quoted and _QUOTED.search(s.statement)))
            or self._introduces(claim, s)
            or self._introduces(s, claim)
        ]
        return any(self._alike(claim.id, s.id) >= RETELLING_MEANING for s in others)

    def _introduces(self, claim: MergedClaim, quotation: MergedClaim) -> bool:
        """Whether `claim` is the sentence that leads into the quotation: one speaker, one article.

        "He admitted there had been problems with the response. 'Of course there are
        shortcomings,' he said": the report of what was said, then the words, in the
        next sentence of the article. Whether the report says what the words say is for
        the meaning to tell (`retold`).
        Whichever of the two ranks first is shown.
        """
        if quotation.category != ClaimCategory.quote or claim.category == ClaimCategory.quote:
            return False
        if claim.id not in self._evidence:
            return False
        speaker = _speaker(claim.statement)
        if speaker is None or speaker != _speaker(quotation.statement):
            return False
        return any(
            mine.article_id == theirs.article_id
            and self._next_sentence(mine.article_id, mine.text, theirs.text)
            for mine in self._evidence[claim.id]
            for theirs in self._evidence.get(quotation.id, ())
        )

    def _next_sentence(self, article_id: str, first: str, second: str) -> bool:
        """Whether the last sentence of `second` comes right after `first` in the article.

        `second` may begin with `first` (the quotation's evidence took the sentence before
        for its speaker) or be the quoted sentence alone.
        """
        text = self._texts.get(article_id, "")
        quoted = split_sentences(second)[-1:]
        start = text.find(first)
        if start < 0 or not quoted:
            return False
        end = start + len(first)
        return text[end:].lstrip().startswith(quoted[0])

    def _alike(self, a: str, b: str) -> float:
        missing = [cid for cid in (a, b) if cid not in self._vectors]
        if missing:
            model = self._embedder or default_embedder()
            for cid, vector in zip(missing, model.embed([self._statements[c] for c in missing]), strict=True):
                self._vectors[cid] = vector
        return round(float(self._vectors[a] @ self._vectors[b]), 4)


@functools.lru_cache(maxsize=1 << 14)
def _telling(statement: str) -> frozenset[str]:
    """What may tell one fact in two wordings: lower-case words, numbers, lengths of time in days.

    Not the words of a role ("fire chief Marta Velik said"): they tell who spoke, not what was said.
    """
    words = content_tokens(
        " ".join(w for w in _WORD.findall(statement) if not w[:1].isupper() and not is_role_word(w))
    )
    return words | _numbers(statement) | _durations(statement)


@functools.lru_cache(maxsize=1 << 14)
def _durations(statement: str) -> frozenset[str]:
    """Each length of time the statement gives, in days however written: "three months" is "~90d".

    Cached: choosing highlights asks again for every claim in every round.
    """
    return frozenset(
        f"~{(int(m['n']) if m['n'] else word_number(m['word'])) * _DAYS_IN[m['unit'].casefold()]}d"
        for m in _DURATION.finditer(statement)
    )


def _claim_words(statement: str) -> frozenset[str]:
    """What a statement says, for novelty: its content words and its numbers as written."""
    return content_tokens(statement) | _numbers(statement)


def _quoted_words(claim: MergedClaim) -> frozenset[str]:
    """What a claim says, for novelty; a quotation's words without who says them.

    "Fire chief Marta Velik said" names the speaker of each thing she is quoted saying:
    her words are as new as they are, whoever else the brief has quoted her on.
    """
    words = _claim_words(claim.statement)
    return words - _attribution(claim.statement) if claim.category == ClaimCategory.quote else words


@functools.lru_cache(maxsize=1 << 14)
def _attribution(statement: str) -> frozenset[str]:
    """The words naming the statement's speaker, as `content_tokens` writes them: name and role."""
    surname = _speaker_surname(statement)
    words = [w for w in _WORD.findall(statement) if is_role_word(w)]
    if surname:
        name = re.search(rf"(?:[^\W\d_][\w'’-]*\s+){{0,2}}{re.escape(surname)}\b", statement)
        words += [w for w in (name.group() if name else surname).split() if w[:1].isupper()]
    return content_tokens(" ".join(words)) if words else frozenset()


def _numbers(statement: str) -> frozenset[str]:
    """The statement's numbers as written, without thousands separators: "#1200"."""
    return frozenset("#" + n.replace(",", "") for n in _NUMBER.findall(statement))


def _names_and_numbers(statement: str) -> frozenset[str]:
    """What reads the same in any language: the numbers, and the capitalised words after the first."""
    rest = statement.split(maxsplit=1)[1] if " " in statement.strip() else ""
    names = content_tokens(" ".join(w for w in _WORD.findall(rest) if w[:1].isupper()))
    return names | {w for w in _claim_words(statement) if w.startswith("#")}


def _rarity(claims: Iterable[frozenset[str]]) -> dict[str, float]:
    """Each word's weight: rare among the claims weighs more; a number weighs `FIGURE_WEIGHT` words."""
    sets = list(claims)
    counts: dict[str, int] = {}
    for ws in sets:
        for w in ws:
            counts[w] = counts.get(w, 0) + 1
    return {
        w: math.log(1 + len(sets) / n) * (FIGURE_WEIGHT if w.startswith("#") else 1.0)
        for w, n in counts.items()
    }


def _section_of(claim: MergedClaim) -> str:
    return next((title for title, categories in SECTION_TITLES if claim.category in categories), "")


@dataclass(frozen=True)
class _StoryTerms:
    """What the sources' titles say, for choosing the lede: each article's title words, and the issues.

    The issues are title words that every source's text uses and the headline does not
    ("rare earths" when every report of the talks names them): what the story is about
    beyond the event the headline names.
    """

    titles: dict[str, tuple[frozenset[str], ...]]
    issues: frozenset[str]


def _story_terms(articles: Sequence[ExtractedArticle], headline: str) -> _StoryTerms:
    """Each article's title words (its outlet's title, and its headline) and the story's issues.

    Issues are taken from outlets' own titles only: a headline cut from a lead sentence
    names the event, not what the story is about.
    """
    titles = {
        e.article.id: tuple(
            w for w in (content_tokens(e.article.title), content_tokens(e.extraction.headline)) if w
        )
        for e in articles
    }
    named = frozenset(w for e in articles for w in content_tokens(e.article.title))
    # Only title words can be issues, so each text is read for those, until none is left.
    issues = named - _words(headline) if len(articles) > 1 else frozenset()
    for e in articles:
        if not issues:
            break
        issues &= content_tokens(e.article.text)
    return _StoryTerms(titles=titles, issues=issues)


def _words(text: str) -> frozenset[str]:
    """Content words, with the parts of hyphenated ones ("US-China" names "us" and "china")."""
    words = content_tokens(text)
    return words | {part for w in words if "-" in w for part in w.split("-") if part}


def _lede(
    pool: list[MergedClaim],
    story: _StoryTerms | None,
    size: int,
    current: frozenset[str] = frozenset(),
    newest: frozenset[str] = frozenset(),
) -> list[MergedClaim]:
    """What happened: the event the sources' titles tell, then the issue every source names.

    The first claim is the most corroborated of the event and figure claims nearly as like the
    sources' titles as the likest (within `LEDE_TITLE_BAND`); the
    next covers most of the story's issues that the first leaves out (at least
    `LEDE_ISSUE_WORDS` of them), else it is the best-ranked claim left. When counts are
    shown over time and the first gives none of their `current` values, the next is the
    best-ranked claim that does: a developing story's news is its latest toll. A story of
    one article keeps its own ranking. Reports of several days open on a claim the newest
    day's reports (`newest`) give, when one does. `pool` is in rank order, which breaks every tie.
    """
    if story is None or len(story.titles) < 2 or not pool:
        return pool[:size]
    position = {c.id: i for i, c in enumerate(pool)}

    events = [c for c in pool if c.category in (ClaimCategory.event, ClaimCategory.figure)] or pool
    # Reports of several days open on the newest day's news, as the headline does.
    events = [c for c in events if not newest or set(c.article_ids) & newest] or events
    support = _title_support(events, story)
    # Claims telling the titles' event about as well as the best one are alike here: of
    # those, the one most sources report comes first.
    near = LEDE_TITLE_BAND * max(support.values())
    first = min(
        events,
        key=lambda c: (support[c.id] < near, -len(c.article_ids), -support[c.id], position[c.id]),
    )
    chosen = [first]
    left = set(story.issues) - _words(first.statement)
    latest = [c for c in pool if c is not first and _counts_in(c.statement) & current]
    if latest and size > 1 and not _counts_in(first.statement) & current:
        chosen.append(latest[0])
        left -= _words(latest[0].statement)
    while len(chosen) < size and len(chosen) < len(pool):
        rest = [c for c in pool if c not in chosen]
        covers = {c.id: len(_words(c.statement) & left) for c in rest}
        issue = [c for c in rest if covers[c.id] >= LEDE_ISSUE_WORDS]
        best = min(issue, key=lambda c: (-covers[c.id], position[c.id])) if issue else rest[0]
        left -= _words(best.statement)
        chosen.append(best)
    return chosen


def _title_support(claims: list[MergedClaim], story: _StoryTerms) -> dict[str, float]:
    """How like the sources' titles each claim is, by claim id (rounded, so that ties are ties).

    Over the articles, the mean of the largest share of one of its titles' words the claim
    uses. A claim is compared only with the titles it shares a word with, once per distinct set of
    titles, and the shares are summed in article order (a cumulative sum is the same float as
    adding them one by one): a day of thousands of articles costs little more than their words.
    """
    import numpy as np

    distinct: dict[tuple[frozenset[str], ...], int] = {}
    kinds = np.array([distinct.setdefault(titles, len(distinct)) for titles in story.titles.values()])
    titled: dict[str, list[tuple[int, int, int]]] = {}
    for titles, k in distinct.items():
        for t, title in enumerate(titles):
            for word in title:
                titled.setdefault(word, []).append((k, t, len(title)))
    support: dict[str, float] = {}
    for c in claims:
        shared: dict[tuple[int, int, int], int] = {}
        for word in content_tokens(c.statement):
            for key in titled.get(word, ()):
                shared[key] = shared.get(key, 0) + 1
        best = [0.0] * len(distinct)
        for (k, _, size), n in shared.items():
            best[k] = max(best[k], n / size)
        total = float(np.cumsum(np.array(best)[kinds])[-1])
        support[c.id] = round(total / len(kinds), 9)
    return support


def _interpretation(
    ranked: list[MergedClaim], articles: Sequence[ExtractedArticle], options: MergeOptions
) -> list[BriefInterpretation]:
    """Interpretation points: the sources' own analysis, each resting on the claims that carry it."""
    leads: dict[str, str] = {}
    points: set[str] = set()
    for e in articles:
        for point in e.extraction.interpretation:
            leads.setdefault(comparable(point.evidence), point.lead.strip())
            points.add(comparable(point.evidence))
    out: list[BriefInterpretation] = []
    used_leads: set[str] = set()
    for claim in ranked:
        keys = [comparable(e.text) for e in claim.evidence]
        if claim.category not in INTERPRETATION_CATEGORIES and not points.intersection(keys):
            continue
        lead = next((leads[k] for k in keys if k in leads and leads[k].casefold() not in used_leads), None)
        lead = lead or _lead_from(claim.statement)
        if lead.casefold() in used_leads:
            continue  # the same speaker or point again, in other words: one line is enough
        used_leads.add(lead.casefold())
        out.append(
            BriefInterpretation(
                lead=lead, text=claim.statement, claim_ids=[claim.id], article_ids=claim.article_ids
            )
        )
        if len(out) >= options.max_interpretation:
            break
    return out


def _lead_from(statement: str) -> str:
    """A lead phrase when no source gave one: cut from the statement, or whose view it is.

    Never the statement's opening words with an ellipsis: a torn-off fragment is not a lead.
    """
    cut = lead(statement)
    if reads_as_english(cut):
        return cut
    match = re.match(r"^(.{3,60}?)\s(?:said|says|warned|noted|argued|expects?|believes?)\b", statement)
    return f"{match.group(1).rstrip(',')}'s view" if match else cut


def _in_language(extracted: ExtractedArticle, language: str) -> bool:
    """Whether an extraction reads in `language`: written in it, translated to it, or of unknown language."""
    return not is_foreign(extracted.meta.translated_to or extracted.article.language, language)


def _headline(
    articles: Sequence[ExtractedArticle],
    language: str,
    counts: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> str:
    """The headline most like the others: the story all sources tell, not one outlet's angle.

    An outlet's own title is preferred to a headline made from a lead sentence: an editor
    wrote it as a headline. An extraction without a headline (the evidence check empties
    one it cannot support) stands for its article's own title. Headlines in another
    language than the brief's (an untranslated source) are only used when there is no other.
    When the reports are of different days, the headline is one of the newest day's: a
    toll of 57 on Wednesday is not headed by Tuesday's "toll reaches 44". A report's day is
    its date, else the day its dateline or first lines give, when every report gives one
    and the days can be put in order. Undated reports
    are told apart by their counts (`counts`, see `_counts_over_time`): a title giving the
    latest value of a count shown over time is preferred, and one giving only values a
    later one replaced is not chosen while another is left.
    """
    current_counts, replaced_counts = counts
    readable = [e for e in articles if _in_language(e, language)]
    chosen = readable or articles
    candidates = {(e.extraction.headline.strip() or e.article.title.strip()): e for e in chosen}
    titles = {h for h, e in candidates.items() if h and _is_title(h, e.article.title)}
    headlines = sorted(titles or set(candidates) - {""})
    if not headlines:
        return "News brief"
    tokens = [content_tokens(h) for h in headlines]
    index = TokenIndex(tokens, max_df_share=1.0)
    everyone = range(len(headlines))
    days = _report_days(chosen)
    dates = [days[candidates[h].article.id] for h in headlines]
    newest = max(dates, default="")
    latest = [i for i in everyone if dates[i] == newest]
    given = [_counts_in(h) for h in headlines]
    with_current = [i for i in latest if given[i] & current_counts]
    not_replaced = [i for i in latest if not given[i] or not given[i] <= replaced_counts]
    best = min(
        with_current or not_replaced or latest,
        key=lambda i: (-round(index.support(i, everyone), 9), len(headlines[i]), headlines[i]),
    )
    return headlines[best]


def _report_days(articles: Sequence[ExtractedArticle]) -> dict[str, str]:
    """Each article's day, as a string that sorts in time: its date, else the day its dateline gives.

    Undated pages are given the days their datelines or first lines name ("KORVEL, Sept. 23")
    when every one gives a day and the days can be put in order; else all are "".
    """
    dates = {e.article.id: e.article.published or "" for e in articles}
    if all(dates.values()):
        return dates
    days = {e.article.id: day_of_report(e.article.text, e.article.published) or "" for e in articles}
    order = in_time_order(list(days.values())) if all(days.values()) else None
    return {aid: f"{order[d]:09d}" for aid, d in days.items()} if order else dates


def _newest(articles: Sequence[ExtractedArticle]) -> frozenset[str]:
    """The articles of the newest day when the reports are of several days; else none."""
    days = _report_days(articles)
    if len(set(days.values())) < 2:
        return frozenset()
    newest = max(days.values())
    return frozenset(aid for aid, day in days.items() if day == newest)


def _is_title(headline: str, title: str) -> bool:
    """Whether the headline is the article's title (or its opening, cut to headline length)."""
    cut = comparable(headline)
    return len(headline.split()) >= 3 and bool(cut) and comparable(title).startswith(cut)
