"""Score a grouping of a day's articles into stories against hand labels (`tests/eval/days/<day>/`).

A labelled day is a folder of articles plus `labels.json`, which names each article's story
(the format is in `tests/eval/README.md`). Scoring is pure: a grouping comes in as a mapping
from article file name to any story key, so the scores do not depend on how a grouping names
its stories, and nothing here prints or exits.

Metrics:

- **pairwise precision, recall and F1** of "these two articles are one story", over the
  labelled files. Precision is the share of pairs put together that belong together, recall
  the share of pairs that belong together that were put together; each is 1.0 when there are
  no pairs to count (nothing to get wrong). An article the grouping does not mention counts as
  a story of its own, so dropping articles costs recall. Pairs are counted from cluster sizes,
  never enumerated, so a day of thousands of articles costs linear time.
- **syndicated copies count once.** A copy is the same article under another outlet's header;
  pairing it with its original would reward a grouping for what syndication folding already
  did. So before pairwise scoring each labelled copy is dropped from both sides (when the
  grouping mentions only the copy, the original takes the copy's story), and whether each copy
  sits with its original is reported apart (`DayScore.copies_apart`).
- **multilingual together**: every article of the labelled multilingual story in one story.
- **same topic apart**: for each labelled pair of same-topic, different-event stories, no story
  of the grouping holds articles of both.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from briefing.check.continuity import ContinuityScore
from briefing.errors import UserError
from briefing.ingest.files import CONFIG_LIMIT, FileRefused, read_file

__all__ = [
    "LABELS_FILE",
    "Day",
    "DayLabels",
    "DayScore",
    "LabelledStory",
    "Scores",
    "assignment",
    "load_day",
    "load_days",
    "multilingual_together",
    "pairwise_scores",
    "read_labels",
    "same_topic_apart",
    "score_day",
]

LABELS_FILE = "labels.json"
_Labels = TypeVar("_Labels", bound=BaseModel)
ARTICLES_DIR = "articles"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelledStory(_Model):
    """One real-world event of the day, as a person labelled it."""

    headline: str = Field(description="What the event is, in one line, for the person reading a score.")
    articles: list[str] = Field(
        min_length=1, description="File names (no folder) of the articles reporting it."
    )


class DayLabels(_Model):
    """The contents of a day's `labels.json`: each article's story, and the hard cases to check."""

    day: str = Field(description="The day the articles were gathered, YYYY-MM-DD (the folder's name).")
    stories: dict[str, LabelledStory] = Field(min_length=1, description="Story label -> the story.")
    same_topic_pairs: list[tuple[str, str]] = Field(
        default_factory=list, description="Pairs of story labels: one topic, two events, to be kept apart."
    )
    multilingual: str | None = Field(
        default=None, description="The label of the story reported in several languages, to be kept together."
    )
    continues: dict[str, str] = Field(
        default_factory=dict,
        description="Story label -> the label of the same event on the previous labelled day.",
    )
    copies: list[tuple[str, str]] = Field(
        default_factory=list,
        description="(copy, original) file names: a syndicated copy and the article it copies.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> DayLabels:
        if not _DAY.match(self.day):
            raise ValueError(f"day {self.day!r} is not a date written YYYY-MM-DD")
        seen: dict[str, str] = {}
        for label, story in self.stories.items():
            for name in story.articles:
                if "/" in name or "\\" in name:
                    raise ValueError(f"story {label!r}: {name!r} is a path; give the file name only")
                if name in seen:
                    raise ValueError(f"{name} is labelled twice ({seen[name]!r} and {label!r})")
                seen[name] = label
        named = [label for pair in self.same_topic_pairs for label in pair]
        named += [self.multilingual] if self.multilingual is not None else []
        named += list(self.continues)
        for label in named:
            if label not in self.stories:
                raise ValueError(f"{label!r} is not one of the day's story labels")
        for copy, original in self.copies:
            for name in (copy, original):
                if name not in seen:
                    raise ValueError(f"copy pair names {name}, which no story lists")
            if seen[copy] != seen[original]:
                raise ValueError(f"{copy} is labelled a copy of {original} but is in another story")
        return self

    def gold(self) -> dict[str, str]:
        """Each labelled file name -> its story label."""
        return {name: label for label, story in self.stories.items() for name in story.articles}


@dataclass(frozen=True)
class Day:
    """A labelled day: its folder, its labels and the article files in `articles/`."""

    folder: Path
    labels: DayLabels
    article_paths: tuple[Path, ...]


def load_day(folder: Path) -> Day:
    """Read `folder/labels.json` and list the day's article files (`folder/articles/*`, hidden files aside).

    Raises:
        UserError: no readable labels file, labels not of the documented shape, or no articles folder.
    """
    labels = read_labels(folder / LABELS_FILE, DayLabels, "a day's labels", CONFIG_LIMIT)
    articles_dir = folder / ARTICLES_DIR
    if not articles_dir.is_dir():
        raise UserError(f"{folder}: no {ARTICLES_DIR}/ folder beside {LABELS_FILE}")
    paths = tuple(sorted(p for p in articles_dir.iterdir() if p.is_file() and not p.name.startswith(".")))
    return Day(folder=folder, labels=labels, article_paths=paths)


def load_days(root: Path) -> list[Day]:
    """Every labelled day under `root` (each subfolder with a `labels.json`), oldest first."""
    return [load_day(sub) for sub in sorted(root.iterdir()) if (sub / LABELS_FILE).is_file()]


def read_labels(path: Path, model: type[_Labels], what: str, limit: int) -> _Labels:
    """A hand-labelled JSON file read into its model, or one line saying what is wrong with it.

    Raises:
        UserError: the file cannot be read, is not JSON, or is not of `model`'s shape.
    """
    try:
        return model.model_validate(json.loads(read_file(path, limit)))
    except FileRefused as exc:
        raise UserError(f"{path}: {exc.reason}") from exc
    except ValidationError as exc:
        raise UserError(f"{path}: not {what} ({_first_error(exc)})") from exc
    except ValueError as exc:  # JSON, or bytes that are not UTF-8
        raise UserError(f"{path}: not {what} ({str(exc).splitlines()[0]})") from exc


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    where = ".".join(str(part) for part in errors[0]["loc"])
    message = str(errors[0]["msg"]).removeprefix("Value error, ")
    more = f"; {len(errors) - 1} more" if len(errors) > 1 else ""
    return (f"{where}: {message}" if where else message) + more


class Scores(_Model):
    """Pairwise agreement of a grouping with the labels: is each pair of articles one story or two."""

    articles: int = Field(description="Articles scored.")
    gold_pairs: int = Field(description="Pairs of articles the labels put in one story.")
    predicted_pairs: int = Field(description="Pairs of articles the grouping put in one story.")
    correct_pairs: int = Field(description="Pairs in one story in both.")
    precision: float = Field(description="correct / predicted pairs; 1.0 when no pair was put together.")
    recall: float = Field(description="correct / gold pairs; 1.0 when the labels have no pair.")
    f1: float = Field(description="Harmonic mean of precision and recall; 0.0 when both are 0.")


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_scores(gold: Mapping[str, str], predicted: Mapping[str, str]) -> Scores:
    """Pairwise precision, recall and F1 of `predicted` (file -> story key) against `gold` (file -> label).

    Scored over the files of `gold`: a file `predicted` lacks is a story of its own, and a
    file only `predicted` has is not scored. Story keys are compared only for equality, so
    the two mappings need not share a naming.
    """
    # A file the grouping lacks gets a key no other file has (a tuple never equals a str key).
    placed = {name: predicted.get(name, ("missing", name)) for name in gold}
    gold_pairs = sum(_pairs(n) for n in Counter(gold.values()).values())
    predicted_pairs = sum(_pairs(n) for n in Counter(placed.values()).values())
    correct = sum(_pairs(n) for n in Counter((gold[name], placed[name]) for name in gold).values())
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / gold_pairs if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(
        articles=len(gold),
        gold_pairs=gold_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct,
        precision=precision,
        recall=recall,
        f1=f1,
    )


def multilingual_together(gold: Mapping[str, str], predicted: Mapping[str, str], label: str) -> bool:
    """Whether every file of story `label` is in one predicted story (a file not predicted is not)."""
    keys = {predicted.get(name, ("missing", name)) for name, story in gold.items() if story == label}
    return len(keys) <= 1


def same_topic_apart(gold: Mapping[str, str], predicted: Mapping[str, str], pair: tuple[str, str]) -> bool:
    """Whether no predicted story holds files of both labelled stories in `pair`."""
    first = {predicted[name] for name, story in gold.items() if story == pair[0] and name in predicted}
    second = {predicted[name] for name, story in gold.items() if story == pair[1] and name in predicted}
    return not first & second


def assignment(groups: Iterable[Iterable[str]]) -> dict[str, str]:
    """Stories given as lists of paths (members and their copies) -> file name -> story key.

    The key of a story is its position written as a string; only equality matters to scoring.

    Raises:
        ValueError: A file name is in two stories (a grouping must place each article once).
    """
    placed: dict[str, str] = {}
    for index, group in enumerate(groups):
        for path in group:
            name = Path(path).name
            if placed.get(name, str(index)) != str(index):
                raise ValueError(f"{name} is in two stories")
            placed[name] = str(index)
    return placed


class DayScore(_Model):
    """How a grouping of one labelled day did."""

    day: str
    stories: int = Field(description="Stories the grouping made of the day's articles.")
    scores: Scores = Field(description="Pairwise scores, with each syndicated copy counted once.")
    multilingual_together: bool | None = Field(
        description="Whether the labelled multilingual story is one story; None when the day has none."
    )
    same_topic_apart: dict[str, bool] = Field(
        description="'label-a / label-b' -> whether the two same-topic stories were kept apart."
    )
    copies_apart: list[str] = Field(
        description="Labelled copies the grouping put in another story than the original."
    )
    missing: list[str] = Field(
        description="Labelled files the grouping does not mention (each scored alone)."
    )
    continuity: ContinuityScore | None = Field(
        default=None,
        description="The day's edition followed against the labelled day before (None: it continues none).",
    )


def score_day(labels: DayLabels, predicted: Mapping[str, str]) -> DayScore:
    """Score `predicted` (file name -> story key, copies included or not) against a day's labels."""
    gold = labels.gold()
    placed = dict(predicted)
    copies_apart: list[str] = []
    for copy, original in labels.copies:
        if original not in placed and copy in placed:
            placed[original] = placed[copy]
        elif copy in placed and placed[copy] != placed.get(original):
            copies_apart.append(copy)
    copy_names = {copy for copy, _ in labels.copies}
    folded_gold = {name: label for name, label in gold.items() if name not in copy_names}
    return DayScore(
        day=labels.day,
        stories=len(set(predicted.values())),
        scores=pairwise_scores(folded_gold, placed),
        multilingual_together=(
            multilingual_together(folded_gold, placed, labels.multilingual) if labels.multilingual else None
        ),
        same_topic_apart={
            f"{a} / {b}": same_topic_apart(gold, placed, (a, b)) for a, b in labels.same_topic_pairs
        },
        copies_apart=copies_apart,
        missing=sorted(name for name in gold if name not in predicted),
    )
