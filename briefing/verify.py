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

from pydantic import BaseModel, ConfigDict

from briefing.figures import find_figures
from briefing.grounding import (
    figure_in_text,
    find_evidence,
    name_words,
    names_in,
    quote_is_verbatim,
    quoted_spans,
)
from briefing.models import Article, Brief, ClaimCategory, MergedClaim

__all__ = ["Finding", "VerifyReport", "verify"]


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


def verify(brief: Brief, articles: Iterable[Article]) -> VerifyReport:
    """Check every statement the brief shows; return what is not supported and why."""
    by_id = {a.id: a for a in articles}
    claims = {c.id: c for c in brief.claims}
    numbers = {s.article_id: s.number for s in brief.sources}
    variants = _variants(brief)
    shown: list[tuple[str, MergedClaim]] = []
    for claim_id in brief.lede_claim_ids:
        shown.append(("lede", claims[claim_id]) if claim_id in claims else ("lede", _missing(claim_id)))
    for section in brief.sections:
        for claim_id in section.claim_ids:
            shown.append((section.title, claims.get(claim_id) or _missing(claim_id)))
    findings: list[Finding] = []
    for where, claim in shown:
        findings += [
            Finding(where=where, statement=claim.statement, reason=r)
            for r in _check(claim, by_id, numbers, variants)
        ]
    for n, point in enumerate(brief.interpretation, start=1):
        where = f"interpretation {n}"
        if not point.claim_ids:
            findings.append(Finding(where=where, statement=point.text, reason="rests on no claim"))
        rested = [claims[i] for i in point.claim_ids if i in claims]
        for missing in sorted(set(point.claim_ids) - set(claims)):
            findings.append(
                Finding(where=where, statement=point.text, reason=f"rests on unknown claim {missing}")
            )
        for claim in rested:
            stand_in = claim.model_copy(update={"statement": point.text, "article_ids": point.article_ids})
            findings += [
                Finding(where=where, statement=point.text, reason=r)
                for r in _check(stand_in, by_id, numbers, variants)
            ]
    return VerifyReport(checked=len(shown) + len(brief.interpretation), unsupported=findings)


def _missing(claim_id: str) -> MergedClaim:
    return MergedClaim(
        id=claim_id,
        statement=f"(claim {claim_id} is not in the brief)",
        category=ClaimCategory.event,
        evidence=[],
        article_ids=[],
        source_count=0,
        single_source=False,
        score=0.0,
    )


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
    claim: MergedClaim, articles: dict[str, Article], numbers: dict[str, int], variants: dict[str, set[str]]
) -> list[str]:
    if not claim.article_ids:
        return ["cites no source"]
    reasons: list[str] = []
    cited: list[Article] = []
    for article_id in claim.article_ids:
        label = f"[{numbers[article_id]}]" if article_id in numbers else article_id
        article = articles.get(article_id)
        if article is None:
            reasons.append(f"cites {label}, which is not among the given sources")
            continue
        cited.append(article)
        evidence = [e.text for e in claim.evidence if e.article_id == article_id]
        if not any(find_evidence(e, article.text) for e in evidence):
            reasons.append(f"{label} does not contain the statement's evidence")
    if not cited:
        return reasons
    evidence_texts = [e.text for e in claim.evidence if e.article_id in {a.id for a in cited}]
    for figure in find_figures(claim.statement):
        if not any(figure_in_text(figure.value, t) for t in evidence_texts):
            reasons.append(f"figure {figure.value} is in no cited source's evidence")
    for quoted in quoted_spans(claim.statement):
        if not any(quote_is_verbatim(quoted, a.text) for a in cited):
            reasons.append(f'quote "{quoted}" is not verbatim in any cited source')
    words = set().union(*(name_words(a.text) for a in cited))
    for name in names_in(claim.statement):
        for word in name_words(name):
            if not ({word} | variants.get(word, set())) & words:
                reasons.append(f"name {name!r} is in no cited source")
                break
    return reasons
