"""Benchmark: grouping 5,000 synthetic articles into stories, and 500 to see how it grows.

    python bench/stories.py              # 500 and 5,000 articles
    python bench/stories.py 500 5000 20000

Each story is an invented event: its own people, places, organisation and figures, told by
several outlets in paraphrase (different templates, a different subset of the names, other
figures from the same event), over a few days. Every article also names some of a small set
of names that many stories share ('United States', 'China', 'police'), as real days do. The
articles are generated from a fixed seed and timed in `group_stories` alone (the bundled
embedding model is loaded before the clock starts). Printed: seconds, the process's peak
memory, the pairwise precision and recall against the invented stories, and the ratio of the
largest run's time to the smallest's (10x the articles at near-linear growth gives about 10).
"""

from __future__ import annotations

import itertools
import random
import resource
import sys
import time
from collections import Counter, defaultdict

from briefing.contracts import Article
from briefing.stories import group_stories
from briefing.stories.embeddings import default_embedder

_SYLLABLE_TEXT = (
    "ka lo mi ren tas vu bel dor fen gri hal jun kes lum nor pav quin rob sel tiv ul var wen yor zan"
)
SYLLABLES = _SYLLABLE_TEXT.split()
COMMON = ["United States", "China", "Europe", "London", "the United Nations", "Reuters"]
TEMPLATES = [
    "{p1} said on {day} that {org} would {verb} {n1} {noun} in {place}, after {p2} warned of {n2} more.",
    "In {place}, {org} moved to {verb} {n1} {noun}; {p1} told reporters the figure could reach {n2}.",
    "{org} will {verb} {n1} {noun} across {place}, according to {p2}, who put the cost at {n2} million.",
    "Officials in {place} confirmed that {n1} {noun} were affected. {p1} of {org} promised an inquiry.",
    "{p2} criticised the decision by {org} to {verb} {noun} in {place}, citing {n1} complaints.",
]
VERBS = ["close", "inspect", "rebuild", "suspend", "review", "expand"]
NOUNS = ["bridges", "schools", "flights", "clinics", "ferries", "factories"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def invented(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def articles(count: int, seed: int = 11) -> tuple[list[Article], dict[str, int]]:
    rng = random.Random(seed)
    stories = max(1, count // 12)
    made: list[Article] = []
    truth: dict[str, int] = {}
    for n in range(count):
        story = n % stories
        srng = random.Random(seed * 100003 + story)
        people = [f"{invented(srng, 3)} {invented(srng, 3)}" for _ in range(4)]
        place = invented(srng, 3)
        org = f"{invented(srng, 3)} Authority"
        figures = [str(srng.randint(11, 9999)) for _ in range(4)]
        start = 1 + srng.randint(0, 20)
        p1, p2 = rng.sample(people, 2)
        n1, n2 = rng.sample(figures, 2)
        fill = {
            "p1": p1,
            "p2": p2,
            "place": place,
            "org": org,
            "n1": n1,
            "n2": n2,
            "verb": rng.choice(VERBS),
            "noun": rng.choice(NOUNS),
            "day": rng.choice(DAYS),
        }
        sentences = [t.format(**fill) for t in rng.sample(TEMPLATES, 3)]
        sentences.append(f"The {rng.choice(NOUNS)} row drew comment from {', '.join(rng.sample(COMMON, 2))}.")
        title = sentences[0].split(",")[0][:90]
        text = "\n\n".join(sentences)
        article = Article(
            id=f"{n:012x}",
            source=f"outlet-{rng.randint(1, 300)}",
            title=title,
            text=text,
            language="en",
            published=f"2025-03-{start + rng.randint(0, 2):02d}",
        )
        made.append(article)
        truth[article.id] = story
    return made, truth


def scores(found: dict[str, str], truth: dict[str, int]) -> tuple[float, float]:
    by_story: dict[int, list[str]] = defaultdict(list)
    for article_id, story in truth.items():
        by_story[story].append(article_id)
    true_pairs = sum(len(m) * (len(m) - 1) // 2 for m in by_story.values())
    found_groups: dict[str, list[str]] = defaultdict(list)
    for article_id, story in found.items():
        found_groups[story].append(article_id)
    found_pairs = sum(len(m) * (len(m) - 1) // 2 for m in found_groups.values())
    both = 0
    for members in found_groups.values():
        counts = Counter(truth[a] for a in members)
        both += sum(c * (c - 1) // 2 for c in counts.values())
    return both / max(1, found_pairs), both / max(1, true_pairs)


def main(sizes: list[int]) -> None:
    default_embedder()  # loaded once, outside the timings
    times = {}
    for size in sizes:
        made, truth = articles(size)
        start = time.perf_counter()
        stories = group_stories(made)
        times[size] = time.perf_counter() - start
        found = {m.article_id: s.id for s in stories for m in s.members}
        assert len(found) == size
        precision, recall = scores(found, truth)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{size:>6} articles -> {len(stories):>5} stories ({len(set(truth.values()))} invented): "
            f"{times[size]:6.2f} s, peak memory {peak_mb:.0f} MB, "
            f"pairwise precision {precision:.3f} recall {recall:.3f}"
        )
    for small, large in itertools.pairwise(sorted(times)):
        print(f"{small} -> {large} articles ({large / small:.0f}x): time x{times[large] / times[small]:.1f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [500, 5000])
