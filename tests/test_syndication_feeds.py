"""Pure parts of web input: syndicated copies, feed selection, languages and numbers written abroad."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import replace
from decimal import Decimal

import factories
import pytest

from briefing.check.grounding import check_extraction, figure_in_text
from briefing.contracts import Article, ArticleExtraction, Claim, ClaimCategory
from briefing.ingest.feeds import FeedEntry, FeedQuery, parse_feed, parse_since, select_entries
from briefing.ingest.guard import is_public_address
from briefing.ingest.language import detect_language, normalise_language
from briefing.ingest.syndication import fold_copies
from briefing.merge.numbers import numbers_in

NOW = dt.datetime(2025, 6, 10, 12, 0, tzinfo=dt.UTC)
WIRE = (
    "The Northbay ferry returned to service on Tuesday after three weeks of hull repairs, officials said. "
    "About 1,200 passengers crossed on the first day, according to the operator, Northbay Ferries. "
    "The summer timetable will run with one vessel until July while the Northbay Star stays in dry dock. "
    "The repairs followed an inspection in May that found corrosion below the waterline on both ferries. "
    "Harbour master Elena Ruiz said the reopening was a relief for everyone who depends on the crossing. "
    "Port authority chair Tomas Berg said the ferries had to be taken out of service for safety reasons."
)


def article(n: int, text: str, source: str, published: str | None = None) -> Article:
    return factories.article(
        text, id=f"id{n}", source=source, title=f"{source} story", path=f"{source}.html", published=published
    )


def test_copies_with_small_edits_fold_into_the_earliest_and_other_stories_do_not() -> None:
    gazette = WIRE.replace("on Tuesday", "on June 10").rsplit(" Port authority", 1)[0]
    gazette += " This story was published via the wire."
    post = "Readers who rely on the crossing can leave the bus behind this week. " + WIRE
    other = "A school choir from the harbourside won the regional title on Saturday evening. " * 3
    articles = [
        article(1, post, "Evening Post", "2025-06-11"),
        article(2, WIRE, "Press Wire", "2025-06-10"),
        article(3, other, "Bay Radio"),
        article(4, gazette, "Daily Gazette", "2025-06-10"),
    ]
    kept, lines = fold_copies(articles)

    assert [a.source for a in kept] == ["Press Wire", "Bay Radio"]
    assert [c.source for c in kept[0].copies] == ["Daily Gazette", "Evening Post"]
    assert all(0.5 <= c.similarity < 1 for c in kept[0].copies)
    assert [line.path for line in lines] == ["Evening Post.html", "Daily Gazette.html"]
    assert all("syndicated copy" in line.reason and line.action == "listed as a copy of it" for line in lines)
    again = next(a for a in fold_copies(list(reversed(articles)))[0] if a.copies)
    assert again.source == "Press Wire" and again.copies == kept[0].copies


def test_two_stories_that_share_a_quoted_paragraph_stay_two_sources() -> None:
    shared = (
        "Harbour master Elena Ruiz said the reopening was a relief for everyone who depends on the crossing."
    )
    first = WIRE
    second = (
        "The council approved a new bus lane along the harbour road on Monday after a long debate. "
        "Councillors said the lane would cut journey times for commuters by ten minutes each way. "
        "Work will begin in August and take six weeks, with the road open in one direction. " + shared
    )
    kept, lines = fold_copies([article(1, first, "A"), article(2, second, "B")])
    assert len(kept) == 2 and not lines


def test_feed_entries_are_chosen_by_window_and_topic() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Roundup</title>
    <item><title>Ferry returns</title><link>/a.html</link>
      <pubDate>Tue, 10 Jun 2025 09:00:00 GMT</pubDate></item>
    <item><title>Choir wins</title><link>/b.html</link>
      <pubDate>Tue, 10 Jun 2025 08:00:00 GMT</pubDate></item>
    <item><title>Bridge shut</title><link>/c.html</link>
      <pubDate>Sat, 07 Jun 2025 08:00:00 GMT</pubDate></item>
    <item><title>Ferry fares</title><link>/d.html</link></item>
    </channel></rss>"""
    feed = parse_feed(rss, "http://news.example/feed.xml", "application/rss+xml")
    entries = feed.entries
    assert feed.title == "Roundup" and feed.damage is None
    assert entries[0].link == "http://news.example/a.html", "relative links resolve against the feed"
    chosen = select_entries(entries, since=parse_since("24h", now=NOW), topic=("ferry",))
    assert [e.title for e in chosen.entries] == ["Ferry returns"]
    assert (chosen.total, chosen.too_old, chosen.undated, chosen.off_topic) == (4, 1, 1, 1)
    assert select_entries(entries, topic=("FERRY",)).entries[1].title == "Ferry fares"
    assert [e.title for e in select_entries(entries, topic=("ferr",)).entries] == [], "whole words only"


def test_time_windows_and_languages_are_parsed_or_refused_in_one_line() -> None:
    assert parse_since("90m", now=NOW) == NOW - dt.timedelta(minutes=90)
    assert parse_since("2d", now=NOW) == NOW - dt.timedelta(days=2)
    assert parse_since("2025-06-09", now=NOW) == dt.datetime(2025, 6, 9, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="not a time window"):
        parse_since("yesterday", now=NOW)
    assert normalise_language("English") == "en" and normalise_language("fr-CA") == "fr"
    with pytest.raises(ValueError, match="not a known language"):
        normalise_language("klingon")
    with pytest.raises(ValueError, match=r"^malformed feed \(an HTML page, not RSS or Atom\)$"):
        parse_feed(b"<html><body>hello</body></html>", "http://x.example/")


def test_language_is_detected_or_left_unknown() -> None:
    assert (
        detect_language("Le ferry de Northbay a repris du service mardi après trois semaines de travaux.")
        == "fr"
    )
    assert (
        detect_language("El ferri de Northbay volvió a navegar el martes tras tres semanas de reparaciones.")
        == "es"
    )
    assert detect_language(WIRE) == "en"
    assert detect_language("Elena Ruiz") is None


def test_numbers_are_read_the_way_the_article_writes_them() -> None:
    read = numbers_in("environ 1 200 passagers, 4,2 millions de dollars", "fr")
    assert [n.value for n in read] == [1200, Decimal("4.2")]
    assert numbers_in("4,2 Millionen Dollar", "de")[0].scale == "million"
    assert numbers_in("2,5 mil millones", "es")[0].scale == "billion"
    assert figure_in_text("$4.2 million", "une facture de 4,2 millions de dollars", "fr")
    assert not figure_in_text("$4.5 million", "une facture de 4,2 millions de dollars", "fr")
    assert not figure_in_text("4.2 million", "une facture de 4,2 millions de dollars"), (
        "English rules by default"
    )


def test_a_translated_claim_is_checked_against_its_original_evidence() -> None:
    text = "Environ 1 200 passagers ont traversé la baie mardi, selon l'opérateur Northbay Ferries."

    def claim(statement: str) -> Claim:
        return Claim(statement=statement, category=ClaimCategory.figure, evidence=text)

    extraction = ArticleExtraction(
        headline="h",
        summary="s",
        claims=[
            claim(
                "About 1,200 passengers crossed the bay on Tuesday, "
                "according to the operator Northbay Ferries."
            ),
            claim("About 1,500 passengers crossed the bay on Tuesday."),
            claim("The Port Authority said 1,200 passengers crossed."),
            claim("The Northbay Ferries service carried about 1 200 passengers."),
        ],
    )
    kept, reasons = check_extraction(extraction, text, language="fr", translated=True)
    assert [c.statement for c in kept.claims] == [
        extraction.claims[0].statement,
        extraction.claims[3].statement,
    ]
    assert reasons[0].startswith("claim 2: number '1,500'")
    assert reasons[1] == "claim 3: name 'The Port Authority' in the statement is not in the article"
    untranslated, reasons = check_extraction(extraction, text, language="fr")
    assert len(untranslated.claims) == 1, "without translation every word of a name must be in the article"
    assert reasons[-1] == "claim 4: name 'The Northbay Ferries' in the statement is not in the article"


def test_a_feed_is_cut_to_its_newest_entries_listed_in_the_feeds_order() -> None:
    oldest_first = [
        FeedEntry(
            link=f"http://news.example/{n}.html",
            title=f"Story {n}",
            published=NOW - dt.timedelta(minutes=250 - n),
            outlet="Roundup",
            summary="",
            content="",
        )
        for n in range(250)
    ]
    undated = replace(oldest_first[0], link="http://news.example/undated.html", published=None)
    chosen = select_entries([undated, *oldest_first], max_entries=FeedQuery(url="x").max_entries)

    assert FeedQuery(url="x").max_entries == 200
    assert [e.link for e in chosen.entries] == [f"http://news.example/{n}.html" for n in range(50, 250)]
    assert (chosen.total, chosen.over_limit) == (251, 51)
    assert chosen.summary(None, ()) == "251 entries, 51 older ones over --max-entries 200 left out"
    assert len(select_entries(oldest_first).entries) == 250, "no limit unless asked"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the document is empty"),
        (b"<html><body><p>Not a feed</p></body></html>", "an HTML page, not RSS or Atom"),
        (b"<!doctype html><html><body><p>Broken <b>page</p>", "an HTML page, not RSS or Atom; feedparser: "),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>A</title><li', "unclosed token at "),
        (b"just some words", "syntax error at line "),
    ],
)
def test_a_document_that_is_not_a_usable_feed_is_called_malformed_with_the_reason(
    data: bytes, reason: str
) -> None:
    with pytest.raises(ValueError) as caught:
        parse_feed(data, "http://news.example/feed.xml", "application/rss+xml")
    message = str(caught.value)
    assert message.startswith(f"malformed feed ({reason}") and message.endswith(")")
    assert "\n" not in message


def test_a_feed_served_as_html_or_with_a_wrong_charset_is_still_a_feed() -> None:
    rss = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Roundup</title>
    <item><title>Ferry returns</title><link>http://news.example/a.html</link></item></channel></rss>"""
    for content_type in ("text/html", "application/rss+xml; charset=iso-8859-1", None):
        feed = parse_feed(rss, "http://news.example/feed.xml", content_type)
        assert [e.title for e in feed.entries] == ["Ferry returns"] and feed.damage is None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("224.0.0.251", False),
        ("ff02::1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.216.34", False),
        ("2002:7f00:1::1", False),
        ("2002:5db8:d822::1", True),
    ],
)
def test_only_public_internet_addresses_count_as_public(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_a_republished_report_cites_the_outlet_its_credit_line_names(tmp_path) -> None:
    """The credit line is no claim, and the outlet it names is the source, the republisher its copy."""
    (tmp_path / "a-harbour.txt").write_text(
        f"Source: Harbour Times\n\nFerry back in service\n\n{WIRE}\n\n"
        "Harbour Times publishes this report under an agreement with Press Wire.\n",
        encoding="utf-8",
    )
    (tmp_path / "b-press.txt").write_text(
        f"Source: Press Wire\n\nNorthbay ferry returns after repairs\n\n{WIRE}\n", encoding="utf-8"
    )
    from briefing.pipeline import gather

    ingested = gather([str(tmp_path)])
    [kept] = ingested.articles
    assert kept.source == "Press Wire"
    assert [c.source for c in kept.copies] == ["Harbour Times"]
    assert [p.path.rsplit("/", 1)[-1] for p in ingested.problems] == ["a-harbour.txt"]
    harbour = next(a for a in gather([str(tmp_path / "a-harbour.txt")]).articles)
    assert harbour.credit == "Press Wire"
    assert "agreement" not in harbour.text
