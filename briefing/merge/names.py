"""Names in the brief's words: canonical spellings where the brief speaks, sources' own where they do.

A statement that several sources back is the brief's blend, so it uses each person's
canonical spelling. A statement cited to one source alone is that source's, and keeps its
spelling ("Karoline Leavitt" stays "Karoline" even if the canonical spelling were
"Caroline"); a quotation keeps its words everywhere. A statement that gives someone a
role most sources contradict ("former President Donald Trump said") is never shown as
plain fact: the role is marked as disputed where it stands, and the claim points at the
role discrepancy. Pure functions only.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict

from briefing.contracts import Discrepancy, MergedClaim, MergedEntity
from briefing.merge.entities import STATUS_MODIFIERS, role_key

__all__ = ["apply_names", "spelling_support"]

_QUOTATION = re.compile(r"([\"“«„][^\"“”«»„]*[\"”»])")
_WORD = re.compile(r"\S+")
_ROLE_WORDS = 6
"""Words before a name looked at for its role: "White House Press Secretary" and a little more."""


def spelling_support(claims: list[MergedClaim], entities: list[MergedEntity]) -> dict[str, int]:
    """For each spelling of a multi-word name: the most sources behind any claim whose evidence uses it.

    Only names written in more than one full spelling need it, so only those are looked for.
    """
    spellings = sorted(
        {v for e in entities if sum(len(n.split()) > 1 for n in e.variants) > 1 for v in e.variants}
    )
    patterns = {v: _whole_words(v) for v in spellings}
    support: dict[str, int] = defaultdict(int)
    for claim in claims:
        text = "\n".join(e.text for e in claim.evidence)
        for spelling, pattern in patterns.items():
            if claim.source_count > support[spelling] and pattern.search(text):
                support[spelling] = claim.source_count
    return dict(support)


def apply_names(
    claims: list[MergedClaim],
    entities: list[MergedEntity],
    figure_discrepancies: list[Discrepancy],
    role_discrepancies: list[Discrepancy],
) -> tuple[list[MergedClaim], list[Discrepancy], list[Discrepancy]]:
    """Claims and discrepancies with names as the brief shows them (see the module docstring).

    Discrepancy subjects are the brief's own labels, so they take canonical spellings.
    """
    variants = _variant_map(entities)
    roles = _disputed_roles(entities, role_discrepancies)
    marked: dict[str, list[str]] = defaultdict(list)
    named: list[MergedClaim] = []
    for claim in claims:
        statement = claim.statement
        if len(claim.article_ids) > 1:
            statement = _outside_quotes(statement, variants)
        disputes = []
        for discrepancy_id, entity, discrepancy in roles:
            parts = _QUOTATION.split(statement)
            parts[::2] = [_mark_roles(part, entity, discrepancy) for part in parts[::2]]
            if "".join(parts) != statement:
                statement = "".join(parts)
                disputes.append(discrepancy_id)
                marked[discrepancy_id].append(claim.id)
        update: dict[str, object] = {"statement": statement}
        if disputes:
            added = sorted(set(disputes) - set(claim.discrepancy_ids))
            update["discrepancy_ids"] = [*claim.discrepancy_ids, *added]
        named.append(claim.model_copy(update=update))
    figures = [
        d.model_copy(update={"subject": _outside_quotes(d.subject, variants)}) for d in figure_discrepancies
    ]
    role_lines = [
        d.model_copy(update={"claim_ids": sorted({*d.claim_ids, *marked[d.id]})}) if marked[d.id] else d
        for d in role_discrepancies
    ]
    return named, figures, role_lines


def _whole_words(text: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(text)}(?![\w-])", flags)


def _variant_map(entities: list[MergedEntity]) -> list[tuple[re.Pattern[str], str]]:
    """Whole-word patterns that rewrite a variant spelling to the entity's canonical name."""
    out: list[tuple[re.Pattern[str], str]] = []
    for entity in entities:
        canonical_last = entity.name.split()[-1]
        for variant in entity.variants[1:]:
            if len(variant.split()) > 1:
                out.append((_whole_words(variant), entity.name))
            elif variant != canonical_last and variant not in entity.name.split():
                out.append((_whole_words(variant), canonical_last))
    return sorted(out, key=lambda p: (-len(p[0].pattern), p[0].pattern))


def _outside_quotes(text: str, replacements: list[tuple[re.Pattern[str], str]]) -> str:
    """Apply the replacements, never inside quotation marks: a quotation stays verbatim."""
    parts = _QUOTATION.split(text)
    for i in range(0, len(parts), 2):
        for pattern, replacement in replacements:
            parts[i] = pattern.sub(replacement, parts[i])
    return "".join(parts)


def _disputed_roles(
    entities: list[MergedEntity], role_discrepancies: list[Discrepancy]
) -> list[tuple[str, MergedEntity, Discrepancy]]:
    by_name = {e.name: e for e in entities}
    return [
        (d.id, by_name[d.subject], d)
        for d in role_discrepancies
        if d.subject in by_name and len(d.values) >= 2
    ]


def _mark_roles(text: str, entity: MergedEntity, discrepancy: Discrepancy) -> str:
    """`text` with each contradicted role written before the person's name marked as disputed.

    The role before a name is the longest run of words there that is one of the roles the
    sources give this person, so "Vice President X" is not read as "President X"; a
    possessive before it ("Turkey's President X") goes with it. The mark names no other
    source's title: what a statement cites must hold every name in it, and the titles
    other sources give are listed under "Where sources disagree".
    """
    majority = role_key(discrepancy.values[0].value)
    minority = {role_key(v.value) for v in discrepancy.values[1:]} - {majority}
    written = {" ".join(m.role.split()).casefold() for m in entity.mentions if m.role and m.role.strip()}
    names = sorted({v for v in entity.variants if len(v.split()) > 1}, key=lambda v: (-len(v), v))
    for name in names:
        out: list[str] = []
        done = 0
        for match in _whole_words(name).finditer(text):
            words = list(_WORD.finditer(text, max(done, match.start() - 80), match.start()))
            role_start = None
            for k in range(1, min(_ROLE_WORDS, len(words)) + 1):
                run = words[-k:]
                if text[run[-1].end() : match.start()].strip() or any(
                    text[a.end() : b.start()] != " " for a, b in itertools.pairwise(run)
                ):
                    break
                if " ".join(w.group() for w in run).casefold() in written:
                    role_start = run[0].start()
            if role_start is None:
                continue
            role = " ".join(text[role_start : match.start()].split())
            if role_key(role) not in minority:
                continue
            before = [w for w in words if w.end() <= role_start]
            if before and before[-1].end() + 1 == role_start and before[-1].group().endswith(("'s", "’s")):
                role_start = before[-1].start()
                role = f"{before[-1].group()} {role}"
            if role.split()[0].casefold() in STATUS_MODIFIERS:
                role = role[:1].lower() + role[1:]
            out.append(text[done:role_start])
            out.append(f"{name} (called {role} here, a title other sources dispute)")
            done = match.end()
        text = "".join(out) + text[done:]
    return text
