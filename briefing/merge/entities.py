"""Entity resolution: the same person or body written differently is one entity.

Sources misspell names ("Besant" for "Bessent"), transliterate them through another
language ("He Lap Phong" for "He Lifeng"), and add or drop titles. Names are
compared after transliteration to ASCII and removal of honorifics, with fuzzy
matching for spelling slips and an equivalent-role rule for transliterations that
share the family name. Roles are compared too: a "former President" beside three
"President"s is a disagreement the brief must show, not a detail to smooth over, while
"President", "US President" and "U.S. President" are one role.

The canonical spelling is the one most sources use; on a tie, the one given with a
title or role in more mentions, then the one the best-corroborated claims use, then a
well-known spelling (`known_names`), then the spelling of the source whose other
spellings agree most with the majority. Never the alphabetical one: "Caroline" is not
more right than "Karoline" for coming first.
Pure functions only; the order of the input never changes the result.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz
from unidecode import unidecode

from briefing.contracts import Discrepancy, DiscrepancyValue, EntityKind, EntityMention, MergedEntity
from briefing.merge.known_names import KNOWN_PEOPLE

__all__ = [
    "STATUS_MODIFIERS",
    "EntityInput",
    "merge_entities",
    "normalize_name",
    "role_conflicts",
    "role_discrepancies",
    "role_key",
    "with_support",
]

HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "lord", "lady", "h.e"})
# Role words that change who someone is: "former President" is not "President". An
# "outgoing premier" is still the premier, leaving: no other status (see ROLE_QUALIFIERS).
ROLE_MODIFIERS = frozenset({"former", "ex", "acting", "interim", "late", "incoming", "deputy", "vice"})
# Modifiers that say when or how someone holds an office, not which office: written in lower case.
STATUS_MODIFIERS = frozenset({"former", "ex", "acting", "interim", "late", "outgoing", "incoming"})
# Different words for the same office, as used by different outlets and translations.
ROLE_SYNONYMS = {
    "deputy prime minister": "vice premier",
    "deputy premier": "vice premier",
    "prime minister": "premier",
    "pm": "premier",
    "secretary of the treasury": "treasury secretary",
    "secretary of commerce": "commerce secretary",
    "minister of commerce": "commerce minister",
    "press secretary": "spokesperson",
    "spokesman": "spokesperson",
    "spokeswoman": "spokesperson",
    "chancellor of the exchequer": "chancellor",
    "economic advisor": "economic adviser",
    "chief executive officer": "chief executive",
    "ceo": "chief executive",
}
# Place and institution words that qualify a role without changing it, and "outgoing".
ROLE_QUALIFIERS = frozenset(
    {
        "us",
        "usa",
        "united",
        "states",
        "american",
        "chinese",
        "china",
        "british",
        "uk",
        "white",
        "house",
        "the",
        "of",
        "s",
        "trade",
        "national",
        "federal",
        "then",
        "outgoing",
    }
)


@dataclass(frozen=True)
class EntityInput:
    name: str
    kind: EntityKind
    role: str | None
    article_id: str


def normalize_name(name: str) -> str:
    """ASCII, lower case, no honorifics or punctuation: the form names are compared in."""
    words = re.sub(r"[^\w\s'-]", " ", unidecode(name)).lower().replace("'s", "").split()
    return " ".join(w for w in words if w.strip(".") not in HONORIFICS)


_INITIALS = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_KNOWN = frozenset(" ".join(unidecode(n).lower().split()) for n in KNOWN_PEOPLE)


def _role_parts(role: str) -> tuple[frozenset[str], str]:
    """Split a role into its modifiers ('former', 'vice') and its base office ('U.S.' is 'US')."""
    text = _INITIALS.sub(lambda m: m.group().replace(".", ""), unidecode(role))
    text = " " + re.sub(r"[^\w\s-]", " ", text).lower() + " "
    for phrase, same in sorted(ROLE_SYNONYMS.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(f" {phrase} ", f" {same} ")
    words = text.replace("-", " ").split()
    modifiers = frozenset(w for w in words if w in ROLE_MODIFIERS)
    base = " ".join(w for w in words if w not in ROLE_MODIFIERS and w not in ROLE_QUALIFIERS)
    return modifiers, base


def role_key(role: str) -> tuple[frozenset[str], str]:
    """What two ways of writing one role share: 'US President' and 'President' have one key."""
    return _role_parts(role)


def _same_office(a: str, b: str) -> bool:
    mods_a, base_a = _role_parts(a)
    mods_b, base_b = _role_parts(b)
    return bool(base_a) and mods_a == mods_b and fuzz.ratio(base_a, base_b) >= 85


def role_conflicts(roles: list[str]) -> bool:
    """True when roles name the same office with different status (President vs former President)."""
    parts = [_role_parts(r) for r in roles if r.strip()]
    for i, (mods_a, base_a) in enumerate(parts):
        for mods_b, base_b in parts[i + 1 :]:
            if mods_a != mods_b and base_a and base_b and fuzz.token_set_ratio(base_a, base_b) >= 85:
                return True
    return False


def _same_name(a: str, b: str) -> bool:
    """Spelling slips: similar full names whose family names are also similar."""
    if a == b:
        return True
    ta, tb = a.split(), b.split()
    if len(ta) < 2 or len(tb) < 2:
        return False
    if fuzz.ratio(a, b) < 85:
        return False
    return fuzz.ratio(ta[-1], tb[-1]) >= 75 and (ta[0][0] == tb[0][0] or fuzz.ratio(ta[0], tb[0]) >= 70)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def merge_entities(mentions: list[EntityInput]) -> list[MergedEntity]:
    """Group mentions into entities; the result is sorted by support, then name."""
    ordered = sorted(mentions, key=lambda m: (normalize_name(m.name), m.name, m.role or "", m.article_id))
    names = [normalize_name(m.name) for m in ordered]
    uf = _UnionFind(len(ordered))
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        by_name[name].append(i)
    distinct = sorted(by_name)
    for group in by_name.values():
        for j in group[1:]:
            uf.union(group[0], j)
    for x, a in enumerate(distinct):
        for b in distinct[x + 1 :]:
            ia, ib = by_name[a][0], by_name[b][0]
            if not _compatible_kind(ordered[ia].kind, ordered[ib].kind):
                continue
            if _same_name(a, b) or _transliterated(ordered, by_name[a], by_name[b], a, b):
                uf.union(ia, ib)
    _attach_single_tokens(ordered, names, uf, distinct, by_name)

    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(ordered)):
        groups[uf.find(i)].append(i)
    merged = [_merged(ordered, members) for members in groups.values()]
    return with_support(merged, {})


def with_support(entities: list[MergedEntity], support: Mapping[str, int]) -> list[MergedEntity]:
    """The entities with their canonical spellings chosen again, now knowing how well claims back each.

    `support` maps a spelling to the most sources any claim that uses it has (see
    `briefing.merge.names.spelling_support`); the merge calls this once claims are merged.
    """
    reliability = _reliability(entities)
    named = [_named(e, support, reliability) for e in entities]
    return sorted(named, key=lambda e: (-e.source_count, e.name, e.id))


def _compatible_kind(a: EntityKind, b: EntityKind) -> bool:
    return a == b or EntityKind.other in (a, b)


def _transliterated(ordered: list[EntityInput], ia: list[int], ib: list[int], a: str, b: str) -> bool:
    """A transliteration keeps the family name and the office.

    'Vice Premier He Lifeng' and 'Deputy Prime Minister He Lap Phong' are one person.
    """
    ta, tb = a.split(), b.split()
    if len(ta) < 2 or len(tb) < 2 or ta[0] != tb[0]:
        return False
    roles_a = {role for i in ia if (role := ordered[i].role)}
    roles_b = {role for i in ib if (role := ordered[i].role)}
    return any(_same_office(x, y) for x in sorted(roles_a) for y in sorted(roles_b))


def _attach_single_tokens(
    ordered: list[EntityInput],
    names: list[str],
    uf: _UnionFind,
    distinct: list[str],
    by_name: dict[str, list[int]],
) -> None:
    """'Lutnick' joins 'Howard Lutnick' when exactly one multi-word entity ends with that word."""
    for name in distinct:
        if " " in name:
            continue
        first = by_name[name][0]
        owners = sorted(
            {
                uf.find(by_name[other][0])
                for other in distinct
                if " " in other
                and fuzz.ratio(other.split()[-1], name) >= 85
                and _compatible_kind(ordered[by_name[other][0]].kind, ordered[first].kind)
            }
        )
        if len(owners) == 1:
            uf.union(first, owners[0])


def _merged(ordered: list[EntityInput], members: list[int]) -> MergedEntity:
    """One entity from its mentions; its canonical spelling is chosen by `_named`."""
    mentions = [ordered[i] for i in members]
    kinds = Counter(m.kind for m in mentions if m.kind != EntityKind.other)
    kind = sorted(kinds, key=lambda k: (-kinds[k], k.value))[0] if kinds else EntityKind.other
    roles = sorted({m.role.strip() for m in mentions if m.role and m.role.strip()})
    article_ids = sorted({m.article_id for m in mentions})
    return MergedEntity(
        id="",
        name="",
        kind=kind,
        variants=sorted({m.name for m in mentions}),
        roles=roles,
        mentions=[
            EntityMention(name=m.name, role=m.role, article_id=m.article_id)
            for m in sorted(mentions, key=lambda m: (m.article_id, m.name, m.role or ""))
        ],
        article_ids=article_ids,
        source_count=len(article_ids),
    )


def _reliability(entities: list[MergedEntity]) -> dict[str, int]:
    """Per article: how often its spelling of a name is the majority's, less how often it is not.

    Only names spelled differently by different sources, with one spelling ahead, count.
    """
    score: dict[str, int] = defaultdict(int)
    for entity in entities:
        per_spelling = _articles_per_spelling(entity)
        if len(per_spelling) < 2:
            continue
        counts = sorted(per_spelling.values(), reverse=True)
        if counts[0] == counts[1]:
            continue
        top = max(per_spelling, key=lambda n: per_spelling[n])
        for mention in entity.mentions:
            score[mention.article_id] += 1 if mention.name == top else -1
    return score


def _articles_per_spelling(entity: MergedEntity) -> dict[str, int]:
    spellings = {m.name for m in entity.mentions}
    return {name: len({m.article_id for m in entity.mentions if m.name == name}) for name in spellings}


def _named(entity: MergedEntity, support: Mapping[str, int], reliability: Mapping[str, int]) -> MergedEntity:
    """The entity with its canonical spelling first among its variants, and the id that spelling gives.

    Full names beat bare surnames; among them, see the module docstring. The last resort,
    for spellings nothing tells apart, is the order of the ids of the articles using them
    (content hashes): arbitrary but the same for any order of input.
    """
    per_spelling = _articles_per_spelling(entity)
    titled = Counter(m.name for m in entity.mentions if m.role and m.role.strip())
    trust = {
        name: max(reliability.get(m.article_id, 0) for m in entity.mentions if m.name == name)
        for name in per_spelling
    }
    first_article = {
        name: min(m.article_id for m in entity.mentions if m.name == name) for name in per_spelling
    }

    def rank(name: str) -> tuple[bool, int, int, int, bool, int, str, str]:
        return (
            len(name.split()) < 2,
            -per_spelling[name],
            -titled[name],
            -support.get(name, 0),
            " ".join(unidecode(name).lower().split()) not in _KNOWN,
            -trust[name],
            first_article[name],
            name,
        )

    canonical = min(per_spelling, key=rank)
    others = sorted(set(per_spelling) - {canonical}, key=lambda n: (-per_spelling[n], -len(n.split()), n))
    variants = [canonical, *others]
    digest = hashlib.sha256(normalize_name(canonical).encode()).hexdigest()[:8]
    return entity.model_copy(update={"id": f"e-{digest}", "name": canonical, "variants": variants})


def role_discrepancies(entities: list[MergedEntity]) -> list[Discrepancy]:
    """One discrepancy per entity whose sources give it contradictory roles, the most-cited role first.

    Only roles that contradict each other are shown: the same office with a different
    status ('former President' against 'President', 'Vice President' against
    'President'). Ways of writing one role ('President', 'US President') are one value,
    worded as most of its sources word it; a role that contradicts none is left out.
    """
    out: list[Discrepancy] = []
    for entity in entities:
        values = _contradictory_roles(entity)
        if values:
            out.append(Discrepancy(id=f"d-{entity.id[2:]}", kind="role", subject=entity.name, values=values))
    return out


def _contradictory_roles(entity: MergedEntity) -> list[DiscrepancyValue]:
    """The entity's roles grouped into one value per status of each office that has more than one."""
    by_role: dict[tuple[frozenset[str], str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for mention in entity.mentions:
        if mention.role and mention.role.strip() and _role_parts(mention.role)[1]:
            by_role[_role_parts(mention.role)][mention.role.strip()].add(mention.article_id)
    keys = sorted(by_role, key=lambda k: (k[1], sorted(k[0])))
    shown: set[tuple[frozenset[str], str]] = set()
    for i, (mods_a, base_a) in enumerate(keys):
        for mods_b, base_b in keys[i + 1 :]:
            if mods_a != mods_b and fuzz.token_set_ratio(base_a, base_b) >= 85:
                shown |= {(mods_a, base_a), (mods_b, base_b)}
    values = []
    for key in shown:
        written = by_role[key]
        ids = sorted({a for article_ids in written.values() for a in article_ids})
        wording = min(written, key=lambda r: (-len(written[r]), len(r.split()), r.casefold(), r))
        if wording.split()[0].casefold() in STATUS_MODIFIERS:
            wording = wording[:1].lower() + wording[1:]  # "Former President" opened a sentence
        values.append(DiscrepancyValue(value=wording, article_ids=ids, evidence=[]))
    return sorted(values, key=lambda v: (-len(v.article_ids), v.value.casefold(), v.value))
