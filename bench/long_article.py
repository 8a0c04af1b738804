"""Benchmark: cleaning one long article (ingest's `article_from_text`), and a digest of what it gave.

    python bench/long_article.py                 # 2.8 MB, paragraphs of 1 to 4 sentences
    python bench/long_article.py 2800000 1       # 2.8 MB of one-sentence paragraphs (more of them)

The article is generated from a fixed seed: news-like sentences, about one paragraph in
ten a repeat of an earlier one, a third of those cut short (a truncated copy). The digest
of the cleaned text lets two versions of the code be compared for the same output.
"""

from __future__ import annotations

import hashlib
import random
import sys
import time

from briefing.ingest.article import article_from_text


def article(size: int, most_sentences: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    names = [
        "Ingrid Dahl",
        "Minister Ola Berg",
        "the mayor",
        "Chief Executive Ana Silva",
        "Dr. Lee",
        "officials",
    ]
    orgs = ["the ministry", "the harbour authority", "Northbay Ferries", "the city council", "the union"]
    verbs = ["cut", "raise", "review", "fund", "delay", "approve"]
    nouns = ["quotas", "routes", "crossings", "jobs", "contracts", "repairs"]
    places = ["Oslo", "Bergen", "Northbay", "Reykjavik", "Tromsø", "the capital"]
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    paragraphs: list[str] = []
    total = 0
    while total < size:
        if paragraphs and rng.random() < 0.1:
            paragraph = rng.choice(paragraphs)
            if rng.random() < 0.3:
                paragraph = paragraph[: rng.randint(40, max(41, len(paragraph) - 1))]
        else:
            paragraph = " ".join(
                f"{rng.choice(names)} said on {rng.choice(days)} that {rng.choice(orgs)} would "
                f"{rng.choice(verbs)} {rng.randint(2, 9000):,} {rng.choice(nouns)} in {rng.choice(places)} "
                f"by {rng.randint(2026, 2031)}."
                for _ in range(rng.randint(1, most_sentences))
            )
            paragraph = paragraph[0].upper() + paragraph[1:]
        paragraphs.append(paragraph)
        total += len(paragraph) + 2
    return "Ferry Talks Run Long in Northbay\n\n" + "\n\n".join(paragraphs) + "\n"


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 2_800_000
    most_sentences = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    text = article(size, most_sentences)
    start = time.perf_counter()
    result = article_from_text(text, label="long.txt")
    elapsed = time.perf_counter() - start
    assert result is not None
    digest = hashlib.sha256(result.text.encode()).hexdigest()[:16]
    print(
        f"{len(text.encode()):,} bytes, {text.count(chr(10) * 2) + 1:,} paragraphs in, "
        f"{len(result.paragraphs):,} kept ({'; '.join(result.notes)}); text {digest}; {elapsed:.2f} s"
    )


if __name__ == "__main__":
    main()
