"""Scoring a grouping of a day's articles into stories, and the labelled days it is scored on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from briefing.check.grouping import (
    DayLabels,
    assignment,
    load_day,
    load_days,
    multilingual_together,
    pairwise_scores,
    same_topic_apart,
    score_day,
)
from briefing.errors import UserError
from briefing.ingest.language import detect_language
from briefing.ingest.read import ingest
from briefing.ingest.syndication import fold_copies

DAYS = Path(__file__).parent / "eval" / "days"

# Three stories: a (3 files), b (2), c (1). Gold pairs: 3 + 1 = 4.
GOLD = {"a1": "a", "a2": "a", "a3": "a", "b1": "b", "b2": "b", "c1": "c"}


def test_a_perfect_grouping_scores_one_whatever_its_story_keys():
    predicted = {"a1": "x", "a2": "x", "a3": "x", "b1": "y", "b2": "y", "c1": "z"}
    scores = pairwise_scores(GOLD, predicted)
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)
    assert (scores.gold_pairs, scores.predicted_pairs, scores.correct_pairs) == (4, 4, 4)


def test_all_in_one_story_has_full_recall_and_low_precision():
    scores = pairwise_scores(GOLD, dict.fromkeys(GOLD, "one"))
    assert scores.predicted_pairs == 15  # 6 files, 6 * 5 / 2 pairs
    assert scores.recall == 1.0
    assert scores.precision == pytest.approx(4 / 15)
    assert scores.f1 == pytest.approx(2 * (4 / 15) / (1 + 4 / 15))


def test_all_apart_has_no_recall():
    scores = pairwise_scores(GOLD, {name: name for name in GOLD})
    assert scores.predicted_pairs == 0
    assert scores.precision == 1.0  # nothing was put together, so nothing wrongly
    assert scores.recall == 0.0
    assert scores.f1 == 0.0


def test_one_article_in_the_wrong_story():
    # a3 joins b: a keeps 1 correct pair of 3; b+a3 has 3 pairs, of which 1 (b1-b2) is right.
    predicted = {"a1": "x", "a2": "x", "a3": "y", "b1": "y", "b2": "y", "c1": "z"}
    scores = pairwise_scores(GOLD, predicted)
    assert (scores.gold_pairs, scores.predicted_pairs, scores.correct_pairs) == (4, 4, 2)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(0.5)
    assert scores.f1 == pytest.approx(0.5)


def test_an_article_the_grouping_drops_counts_as_a_story_of_its_own():
    predicted = {"a1": "x", "a2": "x", "b1": "y", "b2": "y", "c1": "z", "not-labelled": "x"}
    scores = pairwise_scores(GOLD, predicted)
    assert scores.articles == 6
    assert scores.correct_pairs == 2  # a1-a2 and b1-b2; a3 is alone and the extra file is not scored
    assert scores.precision == 1.0
    assert scores.recall == pytest.approx(0.5)


def test_no_gold_pairs_means_nothing_to_recall():
    scores = pairwise_scores({"a": "1", "b": "2"}, {"a": "x", "b": "y"})
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)


def test_multilingual_together_and_same_topic_apart():
    together = {"a1": "x", "a2": "x", "a3": "x", "b1": "y", "b2": "y", "c1": "z"}
    assert multilingual_together(GOLD, together, "a")
    assert same_topic_apart(GOLD, together, ("a", "b"))
    split = {**together, "a3": "w"}
    assert not multilingual_together(GOLD, split, "a")
    assert not multilingual_together(GOLD, {k: v for k, v in together.items() if k != "a2"}, "a")
    joined = {**together, "b2": "x"}
    assert not same_topic_apart(GOLD, joined, ("a", "b"))
    assert same_topic_apart(GOLD, joined, ("a", "c"))


def _labels(**changes: object) -> DayLabels:
    data: dict[str, object] = {
        "day": "2025-06-12",
        "stories": {
            "crash": {"headline": "A crash", "articles": ["en.txt", "it.txt", "copy.txt"]},
            "talks": {"headline": "Talks", "articles": ["talks.txt"]},
            "truce": {"headline": "Truce", "articles": ["truce.txt"]},
        },
        "same_topic_pairs": [["talks", "truce"]],
        "multilingual": "crash",
        "copies": [["copy.txt", "en.txt"]],
    }
    data.update(changes)
    return DayLabels.model_validate(data)


def test_a_syndicated_copy_counts_once_with_its_original():
    labels = _labels()
    grouped = {"en.txt": "1", "it.txt": "1", "copy.txt": "1", "talks.txt": "2", "truce.txt": "3"}
    score = score_day(labels, grouped)
    assert score.scores.articles == 4
    assert score.scores.gold_pairs == 1  # en-it; copy-en and copy-it are not counted again
    assert score.scores.f1 == 1.0
    assert score.copies_apart == []
    assert score.multilingual_together is True
    assert score.same_topic_apart == {"talks / truce": True}

    # Syndication folded the copy and the grouping kept it, not the original, as the member.
    folded = {k: v for k, v in grouped.items() if k != "en.txt"}
    assert score_day(labels, folded).scores.f1 == 1.0
    assert score_day(labels, folded).missing == ["en.txt"]

    astray = {**grouped, "copy.txt": "2", "truce.txt": "2"}
    score = score_day(labels, astray)
    assert score.copies_apart == ["copy.txt"]
    assert score.same_topic_apart == {"talks / truce": False}
    assert score.scores.precision == pytest.approx(0.5)  # talks-truce is wrong, en-it right


def test_assignment_maps_file_names_to_stories_and_refuses_a_file_in_two():
    placed = assignment([["/day/articles/a.txt", "/day/articles/copy.txt"], ["b.txt"]])
    assert placed == {"a.txt": "0", "copy.txt": "0", "b.txt": "1"}
    with pytest.raises(ValueError, match=r"a\.txt is in two stories"):
        assignment([["x/a.txt"], ["y/a.txt"]])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", r"labels\.json: not a day's labels \(Expecting property name"),
        (json.dumps({"day": "2025-06-12", "stories": {}, "typo": 1}), r"stories: .*at least 1 item"),
        (
            json.dumps(
                {"day": "2025-06-12", "stories": {"a": {"headline": "A", "articles": ["x.txt"]}}, "tpyo": 1}
            ),
            r"tpyo: Extra inputs are not permitted",
        ),
        (
            json.dumps(
                {
                    "day": "2025-06-12",
                    "stories": {
                        "a": {"headline": "A", "articles": ["x.txt"]},
                        "b": {"headline": "B", "articles": ["x.txt"]},
                    },
                }
            ),
            r"x\.txt is labelled twice \('a' and 'b'\)",
        ),
        (
            json.dumps(
                {
                    "day": "2025-06-12",
                    "stories": {"a": {"headline": "A", "articles": ["x.txt"]}},
                    "multilingual": "crash",
                }
            ),
            r"'crash' is not one of the day's story labels",
        ),
        (
            json.dumps({"day": "12 June", "stories": {"a": {"headline": "A", "articles": ["x.txt"]}}}),
            r"day '12 June' is not a date written YYYY-MM-DD",
        ),
    ],
)
def test_a_bad_labels_file_is_one_clear_line(tmp_path: Path, content: str, expected: str):
    (tmp_path / "articles").mkdir()
    (tmp_path / "labels.json").write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=expected) as caught:
        load_day(tmp_path)
    assert "\n" not in str(caught.value)


def test_a_day_without_labels_or_articles_is_one_clear_line(tmp_path: Path):
    with pytest.raises(UserError, match=r"labels\.json: cannot read"):
        load_day(tmp_path)
    (tmp_path / "labels.json").write_text(
        json.dumps({"day": "2025-06-12", "stories": {"a": {"headline": "A", "articles": ["x.txt"]}}}),
        encoding="utf-8",
    )
    with pytest.raises(UserError, match=r"no articles/ folder"):
        load_day(tmp_path)


# --- the labelled days themselves --------------------------------------------------------------

LABELLED = load_days(DAYS)
_PUBLISHED = re.compile(r"^Published (\d{4}-\d{2}-\d{2})$", re.MULTILINE)


def test_there_are_two_consecutive_labelled_days():
    assert [day.labels.day for day in LABELLED] == ["2025-06-12", "2025-06-13"]
    assert [day.folder.name for day in LABELLED] == ["2025-06-12", "2025-06-13"]


@pytest.mark.parametrize("day", LABELLED, ids=lambda day: day.labels.day)
def test_a_labelled_day_agrees_with_its_folder(day):
    labels = day.labels
    names = [path.name for path in day.article_paths]
    assert sorted(labels.gold()) == names  # every file labelled exactly once, and no label without a file
    assert len(names) >= 25
    assert len(labels.stories) >= 5
    assert sum(len(story.articles) == 1 for story in labels.stories.values()) >= 3  # single-source stories
    assert labels.same_topic_pairs and labels.copies and labels.multilingual

    for path in day.article_paths:
        text = path.read_text(encoding="utf-8")
        title, _, rest = text.partition("\n\n")
        assert title.strip() and "\n" not in title.strip(), f"{path.name}: a title line comes first"
        published = _PUBLISHED.findall(rest)
        assert len(published) == 1 and published[0] <= labels.day, f"{path.name}: one Published line"
        assert 60 <= len(text.split()) <= 200, f"{path.name}: {len(text.split())} words"


@pytest.mark.parametrize("day", LABELLED, ids=lambda day: day.labels.day)
def test_a_labelled_day_has_the_languages_and_copies_it_claims(day):
    result = ingest([str(day.folder / "articles")])
    assert not result.problems
    languages = {Path(a.path).name: detect_language(a.text) for a in result.articles}
    assert None not in languages.values()
    assert len(set(languages.values())) >= 3
    labels = day.labels
    assert labels.multilingual is not None
    multilingual = {languages[name] for name in labels.stories[labels.multilingual].articles}
    assert len(multilingual) >= 4

    # The labelled copies, and only they, are what syndication folds.
    folded, _ = fold_copies(result.articles)
    together = {
        frozenset([Path(a.path).name, *(Path(c.path).name for c in a.copies if c.path)])
        for a in folded
        if a.copies
    }
    assert together == {frozenset(pair) for pair in labels.copies}


def test_the_second_day_continues_a_story_of_the_first():
    first, second = LABELLED
    assert second.labels.continues
    for label, previous in second.labels.continues.items():
        assert label in second.labels.stories
        assert previous in first.labels.stories
    assert first.labels.multilingual in second.labels.continues.values()


def test_the_gold_labels_score_perfectly_and_a_blend_does_not():
    for day in LABELLED:
        gold = day.labels.gold()
        perfect = score_day(day.labels, gold)
        assert perfect.scores.f1 == 1.0 and perfect.multilingual_together
        assert all(perfect.same_topic_apart.values()) and not perfect.copies_apart
        blend = score_day(day.labels, dict.fromkeys(gold, "one"))
        assert blend.scores.precision < 0.5
        assert not any(blend.same_topic_apart.values())
