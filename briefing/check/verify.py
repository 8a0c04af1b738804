"""Verify: re-check a finished brief, statement by statement, against the source articles.

A brief is only worth sending if every statement a reader sees can be traced to the
articles it cites. This check is mechanical and independent of how the brief was
made (model, extractive backend, or a hand edit of the JSON): for each shown
statement, every cited article must be given and must contain the statement's
evidence; every figure must appear in cited evidence; every quotation must appear
verbatim in a cited article; every multi-word name must appear (in some spelling the
merge recorded) in a cited article. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from briefing.check.grounding import (
    figure_in_text,
    find_evidence,
    name_words,
    names_in,
    quote_is_verbatim,
    quoted_spans,
)
from briefing.contracts import Article, Brief, Edition, Evidence
from briefing.ingest.language import DEFAULT_LANGUAGE, is_foreign
from briefing.merge.numbers import find_figures, numbers_in, unstated_numbers

__all__ = ["Finding", "Shown", "VerifyReport", "check_shown", "shown_statements", "verify", "verify_edition"]


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    where: str
    statement: str
    reason: str

    def line(self) -> str:
        return f"{self.where}: {self.reason}: {self.statement}"


class VerifyReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checked: int
    unsupported: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.unsupported


@dataclass(frozen=True)
class Shown:
    """One statement a reader of the brief sees, with what it cites and rests on."""

    where: str
    text: str
    article_ids: list[str]
    evidence: list[Evidence]
    claim_ids: list[str]


def _placed(brief: Brief) -> list[tuple[str, str]]:
    """(where, claim id) for the lede and every section item, in reading order."""
    return [("lede", i) for i in brief.lede_claim_ids] + [
        (s.title, i) for s in brief.sections for i in s.claim_ids
    ]


def shown_statements(brief: Brief) -> list[Shown]:
    """The lede, the section items and the interpretation points, in reading order.

    An interpretation point is checked against the evidence of every claim it rests on
    together. Claim ids the brief does not hold are left out here; `verify` reports them.
    """
    claims = {c.id: c for c in brief.claims}
    placed = _placed(brief)
    out = [
        Shown(where, claims[i].statement, claims[i].article_ids, claims[i].evidence, [i])
        for where, i in placed
        if i in claims
    ]
    for n, point in enumerate(brief.interpretation, start=1):
        evidence = [e for i in point.claim_ids if i in claims for e in claims[i].evidence]
        out.append(Shown(f"interpretation {n}", point.text, point.article_ids, evidence, point.claim_ids))
    return out


def verify(brief: Brief, articles: Iterable[Article]) -> VerifyReport:
    """Check every statement the brief shows; return what is not supported and why."""
    by_id = {a.id: a for a in articles}
    known = {c.id for c in brief.claims}
    numbers = {s.article_id: s.number for s in brief.sources}
    variants = _variants(brief)
    findings: list[Finding] = []
    placed = _placed(brief)
    for where, claim_id in placed:
        if claim_id not in known:
            findings.append(
                Finding(
                    where=where, statement=f"(claim {claim_id} is not in the brief)", reason="cites no source"
                )
            )
    shown = shown_statements(brief)
    for item in shown:
        reasons = [] if item.claim_ids else ["rests on no claim"]
        reasons += [f"rests on unknown claim {i}" for i in sorted(set(item.claim_ids) - known)]
        if known.intersection(item.claim_ids):
            reasons += _check(item, by_id, numbers, variants, brief.language)
        findings += [Finding(where=item.where, statement=item.text, reason=r) for r in reasons]
    missing = sum(1 for _, i in placed if i not in known)
    return VerifyReport(checked=len(shown) + missing, unsupported=findings)


def check_shown(item: Shown, brief: Brief, articles: Iterable[Article]) -> list[str]:
    """Why one statement (an edited text, say) is not supported, by the rules of `verify`; [] when it is.

    `item` need not be in the brief: the brief gives the citation numbers, the names'
    spellings and the language the statement is read with.
    """
    numbers = {s.article_id: s.number for s in brief.sources}
    return _check(item, {a.id: a for a in articles}, numbers, _variants(brief), brief.language)


def _variants(brief: Brief) -> dict[str, set[str]]:
    """Each word of an entity's spellings -> the words of all its spellings.

    The merge writes one canonical spelling into statements ("Bessent") while a cited
    source may spell it another way ("Besant"); both are the source's name.
    """
    out: dict[str, set[str]] = {}
    for entity in brief.entities:
        words = set().union(*(name_words(v) for v in entity.variants))
        for word in words:
            out.setdefault(word, set()).update(words)
    return out


def _check(
    item: Shown,
    articles: dict[str, Article],
    numbers: dict[str, int],
    variants: dict[str, set[str]],
    language: str = DEFAULT_LANGUAGE,
) -> list[str]:
    if not item.article_ids:
        return ["cites no source"]
    reasons: list[str] = []
    cited: list[Article] = []
    for article_id in item.article_ids:
        label = f"[{numbers[article_id]}]" if article_id in numbers else article_id
        article = articles.get(article_id)
        if article is None:
            reasons.append(f"cites {label}, which is not among the given sources")
            continue
        cited.append(article)
        evidence = [e.text for e in item.evidence if e.article_id == article_id]
        if not any(find_evidence(e, article.text) for e in evidence):
            reasons.append(f"{label} does not contain the statement's evidence")
    if not cited:
        return reasons
    languages = {a.id: a.language for a in cited}
    evidence_texts = [(e.text, languages[e.article_id]) for e in item.evidence if e.article_id in languages]
    for figure in find_figures(item.text):
        if not any(figure_in_text(figure.value, t, lang) for t, lang in evidence_texts):
            reasons.append(f"figure {figure.value} is in no cited source's evidence")
    for quoted in quoted_spans(item.text):
        if not any(quote_is_verbatim(quoted, a.text) for a in cited):
            reasons.append(f'quote "{quoted}" is not verbatim in any cited source')
    words = set().union(*(name_words(a.text) for a in cited))
    # A statement translated from its sources keeps only the names' own words ("Northbay"
    # of "the Northbay Port Authority"), so one word of each name must be found.
    translated = all(is_foreign(a.language, language) for a in cited)
    for name in names_in(item.text):
        found = [bool(({word} | variants.get(word, set())) & words) for word in name_words(name)]
        if not (any(found) if translated else all(found)):
            reasons.append(f"name {name!r} is in no cited source")
    return reasons


def verify_edition(edition: Edition, articles: Iterable[Article]) -> VerifyReport:
    """Check every story of an edition as `verify` checks a brief, and each "Also reported" line.

    A story's findings are marked with its place in the edition ("Story 2: The numbers"). An
    "Also reported" line keeps no evidence of its own, so it is held to what can be checked
    without: each source it cites is among `articles`, and each number it states is in one of them.
    """
    by_id = {a.id: a for a in articles}
    checked = 0
    findings: list[Finding] = []
    for number, story in enumerate(edition.stories, start=1):
        report = verify(story.brief, by_id.values())
        checked += report.checked
        findings += [f.model_copy(update={"where": f"Story {number}: {f.where}"}) for f in report.unsupported]
    for line in edition.also_reported:
        if line.statement is None:
            continue
        checked += 1
        where = f"Also reported: {line.headline}"
        cited = [by_id.get(s.article_id) for s in line.sources]
        missing = [s.source for s, a in zip(line.sources, cited, strict=True) if a is None]
        texts = [(a.text, a.language) for a in cited if a is not None]
        reasons = [f"cites {name}, which is not among the given sources" for name in missing]
        if texts:
            present = [n for text, language in texts for n in numbers_in(text, language)]
            unstated = unstated_numbers(line.statement, present, texts[0][1])
            reasons += [f"number {n.literal} is in no cited source" for n in unstated]
        findings += [Finding(where=where, statement=line.statement, reason=r) for r in reasons]
    return VerifyReport(checked=checked, unsupported=findings)
