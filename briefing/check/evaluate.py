"""Score a brief against a hand-labelled cluster (`tests/eval/<cluster>/labels.json`).

Pure scoring plus a loader: nothing here prints or exits, so the CLI (`briefing eval`)
and the tests decide how to show the result. Every metric is a `Ratio`: the hits, the
total they are out of, the share (1.0 when the total is 0: nothing to get wrong), and
what was missed, so a drop can be traced to a statement.

What a reader sees (the *shown statements*) is the statement of every claim referenced by
`Brief.lede_claim_ids` and `Brief.sections[*].claim_ids`, and the text of every
`Brief.interpretation` point. A claim statement cites `MergedClaim.article_ids` and rests on
`MergedClaim.evidence`; an interpretation point cites its own `article_ids` and rests on the
evidence of the claims in its `claim_ids`.

Metrics (the label-based ones are described in `briefing.check.metrics`):

- **key-fact coverage**, **redundancy**, **discrepancy precision and recall**,
  **canonical-name accuracy**: see `briefing.check.metrics`.
- **figure faithfulness**: share of figures in the shown statements (`find_figures` on each)
  that `figure_in_text` finds in the evidence text of an article the statement cites. A
  figure present only elsewhere in the article does not count: the brief must show what
  its citation supports.
- **citation precision**: share of (shown statement, cited article) pairs where the
  statement has evidence from that article and `find_evidence` finds it in the article's
  text. A statement that cites nothing counts as one unsupported pair; a cited article
  missing from `articles` is unsupported.
- **entity precision / recall**, pairwise over the label names (`entity_groups` and
  `distinct_entities`), matched to `MergedEntity.variants` after folding typography and
  case (not diacritics: `Erdoğan` and `Erdogan` are different spellings to merge).
  Recall: share of same-group pairs that fall in one merged entity (a pair with a name
  the brief lacks is missed). Precision: share of label-name pairs that fall in one merged
  entity and belong to one group; any other merged pair (including a `distinct_entities`
  pair) is a false positive.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from briefing.check.continuity import ContinuityScore, format_continuity, score_continuity
from briefing.check.grounding import figure_in_text, find_evidence
from briefing.check.grouping import Day, DayScore, assignment, load_day, read_labels, score_day
from briefing.check.labels import CanonicalName, KeyFact, LabelledDiscrepancy, Labels
from briefing.check.metrics import (
    Ratio,
    Redundancy,
    ascii_fold,
    canonical_name_accuracy,
    discrepancy_scores,
    key_fact_coverage,
    redundancy,
    table_lines,
)
from briefing.check.verify import Shown, shown_statements
from briefing.contracts import Article, Brief, Edition
from briefing.errors import UserError
from briefing.ingest.files import BRIEF_LIMIT
from briefing.merge.numbers import find_figures
from briefing.pipeline import BuildOptions, build, build_edition, gather
from briefing.text import comparable

__all__ = [
    "CanonicalName",
    "Cluster",
    "ClusterScore",
    "KeyFact",
    "LabelledDiscrepancy",
    "Labels",
    "Ratio",
    "Redundancy",
    "ascii_fold",
    "evaluate",
    "format_table",
    "load_cluster",
    "score",
]

LABELS_FILE = "labels.json"
ARTICLE_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------


class Cluster(_Model):
    name: str
    folder: Path
    articles_dir: Path
    article_paths: list[Path]
    labels: Labels


def load_cluster(folder: Path) -> Cluster:
    """Read `folder/labels.json` and list the cluster's article files.

    `articles_dir` is resolved relative to the labels file (default `articles/`).

    Raises:
        UserError: no readable labels file, labels not of the documented shape, or no articles folder.
    """
    labels_file = folder / LABELS_FILE
    labels = read_labels(labels_file, Labels, "a labels file", BRIEF_LIMIT)
    articles_dir = (labels_file.parent / labels.articles_dir).resolve()
    if not articles_dir.is_dir():
        raise UserError(f"{folder.name}: articles folder {articles_dir} does not exist")
    paths = sorted(p for p in articles_dir.iterdir() if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
    return Cluster(
        name=folder.name, folder=folder, articles_dir=articles_dir, article_paths=paths, labels=labels
    )


# ---------------------------------------------------------------------------
# scores
# ---------------------------------------------------------------------------


class ClusterScore(_Model):
    cluster: str
    articles: int
    key_fact_coverage: Ratio
    redundancy: Redundancy
    figure_faithfulness: Ratio
    citation_precision: Ratio
    discrepancy_precision: Ratio
    discrepancy_recall: Ratio
    time_dependent_found: Ratio
    spurious_discrepancy_values: list[str]
    paired_wrongly: list[str] = Field(
        description="Labelled `not_discrepancy_pairs` shown as one disagreement."
    )
    canonical_names: Ratio
    canonical_names_absent: list[str] = Field(description="Labelled canonical names the brief never shows.")
    entity_precision: Ratio
    entity_recall: Ratio
    entity_names_missing: list[str] = Field(description="Label names that no merged entity spells.")


def _figure_faithfulness(shown: list[Shown]) -> Ratio:
    hits = total = 0
    missed: list[str] = []
    for s in shown:
        cited = set(s.article_ids)
        evidence = [e.text for e in s.evidence if e.article_id in cited]
        for figure in find_figures(s.text):
            total += 1
            if any(figure_in_text(figure.value, t) for t in evidence):
                hits += 1
            else:
                missed.append(f"{s.where}: {figure.value!r} in no cited evidence: {s.text}")
    return Ratio.of(hits, total, missed)


def _citation_precision(shown: list[Shown], articles: dict[str, Article]) -> Ratio:
    hits = total = 0
    missed: list[str] = []
    for s in shown:
        if not s.article_ids:
            total += 1
            missed.append(f"{s.where}: cites nothing: {s.text}")
        for article_id in s.article_ids:
            total += 1
            article = articles.get(article_id)
            spans = [e.text for e in s.evidence if e.article_id == article_id]
            if article is not None and any(find_evidence(span, article.text) for span in spans):
                hits += 1
            else:
                missed.append(f"{s.where}: {article_id} does not support: {s.text}")
    return Ratio.of(hits, total, missed)


def _entities(brief: Brief, labels: Labels) -> tuple[Ratio, Ratio, list[str]]:
    group: dict[str, int] = {}
    for n, names in enumerate(labels.entity_groups):
        for name in names:
            group.setdefault(comparable(name), n)
    for pair in labels.distinct_entities:
        for name in pair:
            group.setdefault(comparable(name), len(group) + len(labels.entity_groups))
    merged: dict[str, set[int]] = {}
    for n, entity in enumerate(brief.entities):
        for variant in entity.variants:
            merged.setdefault(comparable(variant), set()).add(n)

    def together(a: str, b: str) -> bool:
        return bool(merged.get(a, set()) & merged.get(b, set()))

    same = [(a, b) for a, b in itertools.combinations(sorted(group), 2) if group[a] == group[b]]
    recall_missed = [f"{a} / {b}" for a, b in same if not together(a, b)]
    joined = [(a, b) for a, b in itertools.combinations(sorted(group), 2) if together(a, b)]
    false_merges = [f"{a} / {b}" for a, b in joined if group[a] != group[b]]
    missing = sorted(name for name in group if name not in merged)
    return (
        Ratio.of(len(joined) - len(false_merges), len(joined), false_merges),
        Ratio.of(len(same) - len(recall_missed), len(same), recall_missed),
        missing,
    )


def score(brief: Brief, cluster: Cluster, articles: dict[str, Article]) -> ClusterScore:
    """Score one brief against its cluster's labels; `articles` maps article id to the ingested article."""
    labels = cluster.labels
    shown = shown_statements(brief)
    discrepancies = discrepancy_scores(brief, labels)
    names, absent = canonical_name_accuracy(brief, shown, labels.canonical_names)
    entity_precision, entity_recall, missing = _entities(brief, labels)
    return ClusterScore(
        cluster=cluster.name,
        articles=len(brief.sources),
        key_fact_coverage=key_fact_coverage(shown, labels.key_facts, table_lines(brief)),
        redundancy=redundancy(brief, labels.key_facts),
        figure_faithfulness=_figure_faithfulness(shown),
        citation_precision=_citation_precision(shown, articles),
        discrepancy_precision=discrepancies.precision,
        discrepancy_recall=discrepancies.recall,
        time_dependent_found=discrepancies.time_dependent_found,
        spurious_discrepancy_values=discrepancies.spurious_values,
        paired_wrongly=discrepancies.paired_wrongly,
        canonical_names=names,
        canonical_names_absent=absent,
        entity_precision=entity_precision,
        entity_recall=entity_recall,
        entity_names_missing=missing,
    )


def evaluate(folders: list[Path], options: BuildOptions) -> list[ClusterScore]:
    """Build each cluster's brief with `briefing.pipeline.build` and score it.

    Raises:
        FileNotFoundError, pydantic.ValidationError: a cluster folder or its labels are wrong.
        BriefingError: building a brief failed (see `build`).
    """
    scores: list[ClusterScore] = []
    for folder in folders:
        cluster = load_cluster(folder)
        paths = [str(p) for p in cluster.article_paths]
        brief = build(paths, options)
        articles = {a.id: a for a in gather(paths).articles}
        scores.append(score(brief, cluster, articles))
    return scores


_COLUMNS = (
    ("cluster", "cluster"),
    ("articles", "articles"),
    ("key facts", "key_fact_coverage"),
    ("redundant", "redundancy"),
    ("figures", "figure_faithfulness"),
    ("citations", "citation_precision"),
    ("disc. P", "discrepancy_precision"),
    ("disc. R", "discrepancy_recall"),
    ("names", "canonical_names"),
    ("entity P", "entity_precision"),
    ("entity R", "entity_recall"),
)


def _cell(value: Ratio | Redundancy) -> str:
    if isinstance(value, Redundancy):
        return f"{value.redundant}/{value.items}"
    return f"{100 * value.value:.1f}%"


def format_table(scores: Sequence[ClusterScore]) -> str:
    """A fixed-width text table, one row per cluster; metrics as percentages with one decimal.

    Columns: key-fact coverage, redundant items out of the claims shown, figure
    faithfulness, citation precision, discrepancy precision and recall, canonical-name
    accuracy, entity merge precision and recall.
    """
    rows = [[title for title, _ in _COLUMNS]]
    for s in scores:
        rows.append([s.cluster, str(s.articles)] + [_cell(getattr(s, field)) for _, field in _COLUMNS[2:]])
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def evaluate_days(folders: list[Path], options: BuildOptions | None = None) -> list[DayScore]:
    """Group each labelled day's articles into stories, as `briefing stories` does, and score it.

    A day whose labels continue stories of the day before, when that day is among `folders`,
    is also built as an edition and followed against the day before's (`options`' backend,
    extractive by default), and scored for continuity (`briefing.check.continuity`).

    Raises:
        UserError: a day's folder or labels are wrong (one line naming the file).
    """
    from briefing.stories.group import group_stories

    scores: list[DayScore] = []
    loaded = [load_day(folder) for folder in folders]
    by_date = {day.labels.day: day for day in loaded}
    for day in loaded:
        ingested = gather([str(p) for p in day.article_paths])
        stories = group_stories(ingested.articles)
        groups = [
            [
                path
                for member in story.members
                for path in (member.path, *(c.path for c in member.copies))
                if path
            ]
            for story in stories
        ]
        score = score_day(day.labels, assignment(groups))
        previous = _day_before(day.labels.day, by_date)
        if day.labels.continues and previous is not None:
            score.continuity = _continuity(day, previous, options or BuildOptions())
        scores.append(score)
    return scores


def _day_before(date: str, days: dict[str, Day]) -> Day | None:
    earlier = sorted(d for d in days if d < date)
    return days[earlier[-1]] if earlier else None


def _continuity(day: Day, previous: Day, options: BuildOptions) -> ContinuityScore:
    """Both days built as editions, the later followed against the earlier, as `build --editions` does."""
    from dataclasses import replace

    from briefing.stories.continuity import PastEdition, follow

    def edition(of: Day) -> Edition:
        return build_edition([str(p) for p in of.article_paths], replace(options, date=of.labels.day))

    before = edition(previous)
    followed = follow(edition(day), [PastEdition(date=previous.labels.day, edition=before)])

    def files(of: Day) -> dict[str, set[str]]:
        return {label: set(story.articles) for label, story in of.labels.stories.items()}

    return score_continuity(followed, before, day.labels.continues, files(day), files(previous))


def is_day(folder: Path) -> bool:
    """Whether `folder` holds a labelled day (its labels name stories), not a labelled cluster."""
    try:
        labels = json.loads((folder / LABELS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(labels, dict) and "stories" in labels


def format_days_table(scores: Sequence[DayScore]) -> str:
    """A fixed-width text table, one row per labelled day: pairwise scores and the named checks.

    Below it, for each day followed against the day before, how its continuing stories were followed.
    """
    header = ("day", "articles", "stories", "pairs P", "pairs R", "F1", "multilingual", "same topic apart")
    rows = [header]
    for s in scores:
        apart = s.same_topic_apart
        rows.append(
            (
                s.day,
                str(s.scores.articles),
                str(s.stories),
                f"{s.scores.precision:.1%}",
                f"{s.scores.recall:.1%}",
                f"{s.scores.f1:.1%}",
                "-"
                if s.multilingual_together is None
                else ("together" if s.multilingual_together else "SPLIT"),
                f"{sum(apart.values())} of {len(apart)}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.ljust(w) if i in (0, 6, 7) else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    followed = [format_continuity(s.day, s.continuity) for s in scores if s.continuity is not None]
    return "\n".join([*lines, *([""] if followed else []), *followed])
