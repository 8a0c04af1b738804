"""A day of many stories is delivered as one edition: `daily` and `send`, a real SMTP server on 127.0.0.1.

What subscribers receive is read as the bytes the SMTP server got; the links of the HTML
part are followed in a real headless browser (Debian's chromium).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import free_port
from smtp_server import Received, SmtpServer
from test_daily import Desk
from test_email_render import chromium

from briefing.contracts import Edition
from briefing.deliver.daily import DailyRefused, check_edition
from briefing.deliver.editions import content_id, mark_correction
from briefing.pipeline import BuildOptions, build, build_edition, gather
from briefing.render.brief import Anchor, email_html, render_email_html, render_json, render_markdown
from briefing.render.edition import render_edition_json

ROOT = Path(__file__).resolve().parent.parent
DAY = "2025-06-12"
ARTICLES = ROOT / "tests" / "eval" / "days" / DAY / "articles"
EXAMPLE = ROOT / "examples" / "london-talks"
EXTRACTIVE = BuildOptions(backend="extractive", date=DAY)  # type: ignore[arg-type]
JUMPS = """<script>
window.addEventListener("load", () => {
  const out = [];
  for (const link of document.querySelectorAll('a[href^="#"]')) {
    window.scrollTo(0, 0);
    link.click();
    const target = document.getElementById(link.getAttribute("href").slice(1));
    const top = target ? Math.round(target.getBoundingClientRect().top) : "none";
    const text = target ? target.textContent.trim() : "";
    out.push([link.getAttribute("href"), location.hash, top, Math.round(window.scrollY), text].join("\\t"));
  }
  document.body.setAttribute("data-jumps", out.join("\\n"));
});
</script>"""


@pytest.fixture(scope="module")
def edition() -> Edition:
    return build_edition([str(ARTICLES)], EXTRACTIVE)


@pytest.fixture
def desk(smtp: SmtpServer, tmp_path: Path) -> Iterator[Desk]:
    desk = Desk.set_up(smtp, tmp_path, day=DAY, cache=True)
    shutil.copytree(ARTICLES, desk.articles)
    yield desk


def header(raw: bytes, name: bytes) -> str:
    """One header's value as received (unfolded, decoded)."""
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    found = [line[len(name) + 2 :] for line in head.split(b"\r\n") if line.startswith(name + b": ")]
    assert len(found) == 1, (name, head)
    from email.header import decode_header, make_header

    return str(make_header(decode_header(found[0].decode("ascii"))))


def part(received: Received, subtype: str) -> str:
    (found,) = [p for p in received.message.walk() if p.get_content_type() == f"text/{subtype}"]
    text: str = found.get_content()
    return text.replace("\r\n", "\n")


def all_headlines(edition: Edition) -> list[str]:
    return [s.headline for s in edition.stories] + [a.headline for a in edition.also_reported]


def test_daily_sends_the_day_as_one_edition_with_every_story_once_and_keeps_its_stories(
    desk: Desk, edition: Edition
) -> None:
    result = desk.daily()
    again = desk.daily()

    assert result.exit_code == 0, result.output
    assert len(edition.stories) >= 4 and edition.also_reported, "a day of many stories"
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 1, "bo@example.org": 1}
    (mail,) = desk.received("ana@example.org")
    more = len(all_headlines(edition)) - 1
    assert header(mail.raw, b"Subject") == f"{edition.stories[0].headline} + {more} more stories ({DAY})"
    text, html = part(mail, "plain"), part(mail, "html")
    assert text.startswith("# 📰 In this edition\n")
    for headline in all_headlines(edition):
        assert headline in text and headline in html.replace("&#x27;", "'"), headline
    for number in range(1, len(edition.stories) + 1):
        assert f'href="#story-{number}"' in html and f'id="story-{number}"' in html
        assert f"#story-{number}" not in text, "no link syntax in the plain-text part"
    built = build_edition([str(desk.articles)], EXTRACTIVE)
    kept = Edition.model_validate_json((desk.editions / DAY / "stories.json").read_text(encoding="utf-8"))
    assert kept.model_dump(exclude={"report"}) == built.model_dump(exclude={"report"})
    assert (desk.editions / DAY / "brief.json").read_text(encoding="utf-8") == render_edition_json(built)
    identity = json.loads((desk.editions / DAY / "edition.json").read_text(encoding="utf-8"))
    assert identity == {"date": DAY, "correction": 0, "content_id": content_id(built)}
    assert again.exit_code == 0 and "was already sent (2 sent); nothing to do" in again.stderr
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 1, "bo@example.org": 1}


def test_the_list_of_the_emailed_edition_jumps_to_each_story_in_a_browser(
    desk: Desk, edition: Edition
) -> None:
    assert desk.daily().exit_code == 0
    (mail,) = desk.received("bo@example.org")
    page = desk.root / "email.html"
    page.write_text(part(mail, "html").replace("</body>", JUMPS + "</body>"), encoding="utf-8")

    dom = chromium("--window-size=640,700", "--dump-dom", page.as_uri()).stdout

    start = dom.index('data-jumps="') + len('data-jumps="')
    jumps = [line.split("\t") for line in dom[start : dom.index('"', start)].split("\n")]
    expected = [f"#story-{n}" for n in range(1, len(edition.stories) + 1)] + ["#also-reported"]
    assert [j[0] for j in jumps] == expected, "every line of the list is a link, in order"
    for (href, hash_, top, scrolled, heading), number in zip(jumps, range(1, 99), strict=False):
        assert hash_ == href and top == "0", (href, top)
        if href != "#also-reported":
            assert heading.startswith(f"{number}. ") and int(scrolled) > 0
            assert heading.endswith(edition.stories[number - 1].headline.replace("'", "'"))
    assert [int(j[3]) for j in jumps] == sorted(int(j[3]) for j in jumps), "each story below the last"


def test_a_later_different_build_of_the_day_is_refused_then_sent_as_correction_1(desk: Desk) -> None:
    assert desk.daily().exit_code == 0
    sent = {p.name: p.read_bytes() for p in (desk.editions / DAY).iterdir() if p.is_file()}
    (desk.articles / "crescent-times-sly-stone.txt").unlink()

    refused = desk.daily()
    corrected = desk.daily("--correction")

    assert refused.exit_code == 1 and "run again with --correction" in refused.stderr
    assert {p.name: p.read_bytes() for p in (desk.editions / DAY).iterdir() if p.is_file()} == sent
    assert corrected.exit_code == 0, corrected.output
    assert "correction 1 of 2025-06-12" in corrected.stderr
    kept = Edition.model_validate_json((desk.editions / DAY / "correction-1" / "stories.json").read_text())
    assert kept.correction == 1 and "Sly" not in " ".join(all_headlines(kept))
    original, fixed = desk.received("ana@example.org")
    assert not header(original.raw, b"Subject").startswith("Correction:")
    assert header(fixed.raw, b"Subject").startswith("Correction: ")
    assert part(fixed, "plain").startswith("**Correction:** this edition replaces the 2025-06-12 edition")
    assert "Correction:" in part(fixed, "html").split("In this edition")[0], "the mark is at the top"
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 2, "bo@example.org": 2}


def test_the_same_articles_as_the_previous_edition_are_refused_across_every_story(desk: Desk) -> None:
    assert desk.daily().exit_code == 0
    (desk.editions / DAY / "stories.json").unlink()  # as kept before stories.json: brief.json is read

    stale = desk.run("daily", "--date", "2025-06-13", "--backend", "extractive")

    assert stale.exit_code == 1 and "exactly those of the 2025-06-12 edition" in stale.stderr
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 1, "bo@example.org": 1}


def seed_cache(desk: Desk, story: int, edition: Edition) -> dict[str, str]:
    """The model's extraction cache holds every article of the day, those of `story` with edited statements.

    A stale or tampered cache is how a built edition can say what its articles do not: the
    model endpoint (a closed port) is never called, every extraction comes from the cache.
    Returns the environment that makes `daily` use that model and cache.
    """
    from briefing.contracts import ExtractionMeta
    from briefing.extract.extractive.backend import ExtractiveBackend
    from briefing.extract.model.backend import ModelBackend
    from briefing.extract.model.providers import make_client
    from briefing.extract.model.settings import ModelSettings
    from briefing.extract.schedule import model_cache_key
    from briefing.store.cache import ExtractionCache

    base_url = f"http://127.0.0.1:{free_port()}/v1"
    client = make_client(base_url=base_url, api_key="placeholder-key", timeout=5)
    model = ModelBackend(client, ModelSettings(model="m", language="en"))
    edited = {s.article_id for s in edition.stories[story - 1].sources}
    cache = ExtractionCache(desk.root / "cache" / "extractions.sqlite3")
    meta = ExtractionMeta(backend="model", model="m", prompt_version=model.prompt_version)
    for article in gather([str(desk.articles)]).articles:
        extraction = ExtractiveBackend().extract(article)
        if article.id in edited:
            for claim in extraction.claims:
                claim.statement = claim.statement.rstrip(".") + ", 4,321 officials said."
        cache.put(model_cache_key(article, model), extraction, meta)
    cache.close()
    return {
        "OPENAI_API_KEY": "placeholder-key",
        "OPENAI_BASE_URL": base_url,
        "BRIEFING_MODEL": "m",
        "BRIEFING_ALERT_TO": "ops@example.com",
    }


def test_daily_with_a_top_story_that_fails_verification_sends_nothing(desk: Desk, edition: Edition) -> None:
    env = seed_cache(desk, 1, edition)

    result = desk.run("daily", "--date", DAY, **env)

    assert result.exit_code == 1, result.output
    top = edition.stories[0].headline
    assert f"not sent: the top story ({top!r}) fails verification: " in result.stderr
    assert "figure 4,321 officials is in no cited source's evidence" in result.stderr
    assert "25 from cache; 0 model call(s)" in result.stderr, "the endpoint was never called"
    assert desk.smtp.inbox.per_recipient() == {"ops@example.com": 1} and not desk.editions.exists()
    (alert,) = desk.received("ops@example.com")
    assert header(alert.raw, b"Subject") == f"briefing daily {DAY}: refused (exit 1)"


def test_daily_drops_a_later_story_that_fails_verification_and_is_degraded(
    desk: Desk, edition: Edition
) -> None:
    env = seed_cache(desk, 2, edition)

    result = desk.run("daily", "--date", DAY, **env)

    assert result.exit_code == 3, result.output
    second = edition.stories[1].headline
    dropped = [x for x in result.stderr.splitlines() if "dropped from the edition" in x]
    assert len(dropped) == 1 and f"unverified: story 2 {second!r}: " in dropped[0], dropped
    (mail,) = desk.received("ana@example.org")
    assert second not in part(mail, "plain") and edition.stories[0].headline in part(mail, "plain")
    assert "4,321 officials" not in part(mail, "plain") + part(mail, "html")
    kept = Edition.model_validate_json((desk.editions / DAY / "stories.json").read_text(encoding="utf-8"))
    assert edition.stories[1].id not in [s.id for s in kept.stories]
    (alert,) = desk.received("ops@example.com")
    assert header(alert.raw, b"Subject") == f"briefing daily {DAY}: degraded (exit 3)"
    assert "dropped from the edition, unverified: story 2" in part(alert, "plain")


def test_daily_refuses_an_edition_whose_top_story_fails_verification(edition: Edition) -> None:
    articles = gather([str(ARTICLES)]).articles
    assert not check_edition(edition, articles, min_sources=2, where="day").dropped, "as built, it verifies"
    changed = edition.model_copy(deep=True)
    top = changed.stories[0].brief
    lede = next(c for c in top.claims if c.id == top.lede_claim_ids[0])
    lede.statement = lede.statement.rstrip(".") + ", with 999 people aboard."

    with pytest.raises(DailyRefused) as refused:
        check_edition(changed, articles, min_sources=2, where="day")

    top_headline = edition.stories[0].headline
    assert str(refused.value).startswith(f"the top story ({top_headline!r}) fails verification")
    assert "lede: figure 999 people is in no cited source's evidence" in str(refused.value)


def test_a_later_story_that_fails_verification_is_dropped_with_one_line(edition: Edition) -> None:
    articles = gather([str(ARTICLES)]).articles
    changed = edition.model_copy(deep=True)
    second = changed.stories[1].brief
    shown = next(c for c in second.claims if c.id == second.lede_claim_ids[0])
    shown.statement = shown.statement.rstrip(".") + ", 4,321 officials said."
    line = changed.also_reported[0]
    line.statement = (line.statement or "").rstrip(".") + " in 1847."

    checked = check_edition(changed, articles, min_sources=2, where="day")

    kept = [edition.stories[0].id, *[s.id for s in edition.stories[2:]]]
    assert [s.id for s in checked.edition.stories] == kept
    assert [a.id for a in checked.edition.also_reported] == [a.id for a in edition.also_reported[1:]]
    first, also = checked.dropped
    second_headline = edition.stories[1].headline
    assert first.startswith(f"dropped from the edition, unverified: story 2 {second_headline!r}: ")
    assert "4,321 officials said" in first and "is in no cited source's evidence" in first
    assert also.startswith("dropped from the edition, unverified: Also reported line ")
    assert "number 1847 is in no cited source" in also


def test_send_verifies_every_story_of_an_edition_and_sends_it(desk: Desk, edition: Edition) -> None:
    good = desk.root / "edition.json"
    good.write_text(render_edition_json(edition), encoding="utf-8")
    tampered = edition.model_copy(deep=True)
    third = tampered.stories[2].brief
    shown = next(c for c in third.claims if c.id == third.lede_claim_ids[0])
    shown.statement = shown.statement.rstrip(".") + ", 4,321 officials said."
    bad = desk.root / "tampered.json"
    bad.write_text(render_edition_json(tampered), encoding="utf-8")

    refused = desk.run("send", str(bad), "--sources", str(ARTICLES))
    unsourced = desk.run("send", str(good))
    sent = desk.run("send", str(good), "--sources", str(ARTICLES))
    again = desk.run("send", str(good), "--sources", str(ARTICLES))

    assert refused.exit_code == 1 and "Traceback" not in refused.output
    unsupported = [x for x in refused.stderr.splitlines() if "UNSUPPORTED" in x]
    assert unsupported and all("UNSUPPORTED Story 3: " in x for x in unsupported), unsupported
    assert "not sent: " in refused.stderr.splitlines()[-1]
    assert unsourced.exit_code == 1 and "--sources" in unsourced.stderr
    assert sent.exit_code == 0, sent.output
    assert f"send {content_id(edition)}: 2 subscribers, 2 sent now" in sent.stderr
    assert again.exit_code == 0 and "2 sent before" in again.stderr
    (mail,) = desk.received("ana@example.org")
    assert header(mail.raw, b"Subject").startswith(edition.stories[0].headline + " + ")
    assert 'href="#story-2"' in part(mail, "html")


def test_an_edition_of_one_story_is_the_brief_it_always_was() -> None:
    options = BuildOptions(backend="extractive", date="2025-06-10")  # type: ignore[arg-type]
    brief = build([str(EXAMPLE)], options)
    one = build_edition([str(EXAMPLE)], options)
    corrected = mark_correction(one, 1)

    assert len(one.stories) == 1 and not one.also_reported
    assert content_id(one) == content_id(brief), "ledgers and archives kept before still match"
    assert content_id(corrected) == content_id(one)
    assert render_markdown(corrected.stories[0].brief).startswith("**Correction:**")
    assert render_json(brief) == render_edition_json(one)
    assert render_email_html(brief) == render_email_html(one.stories[0].brief)


def test_the_content_id_of_an_edition_follows_what_it_says_not_how_the_run_went(edition: Edition) -> None:
    diagnosed = edition.model_copy(deep=True)
    diagnosed.report.attempts = 99
    diagnosed.stories[1].brief.report.attempts = 7
    diagnosed.stories[1].brief.sources[0].fallback_reason = "gave up after 4 HTTP attempts (ConnectError)"
    edited = edition.model_copy(deep=True)
    edited.stories[2].brief.claims[-1].statement += " Officials said so."
    reworded = edition.model_copy(deep=True)
    reworded.also_reported[0].headline += "!"

    assert content_id(edition) == content_id(diagnosed) == content_id(mark_correction(edition, 2))
    assert content_id(edited) != content_id(edition) != content_id(reworded)
    assert content_id(edition).startswith(f"{DAY}-")


def test_anchors_mark_the_block_that_opens_each_story_whatever_its_form() -> None:
    text = (
        "# In this edition\n\n1. **[One](#story-1)**\n2. **[Two](#story-2)**\n"
        "- [Also reported](#also-reported)\n\n"
        '## 1. One <a id="story-2">\n\nAlso reported elsewhere: 2. nothing. [1]\n\n'
        "**2. No new developments:** Two (*Wire*)\n\n## Also reported\n\n- **Three** (*Post*)\n"
    )
    targets = [Anchor(f"story-{n}", (("h2", f"{n}. "), ("p", f"**{n}. "))) for n in (1, 2)] + [
        Anchor("also-reported", (("h2", "Also reported"),))
    ]

    html = email_html(text, title="t", anchors=targets)

    assert '<h2 id="story-1"' in html and '<a name="story-1"' in html
    assert '<p id="story-2"' in html and "<strong>2. No new developments:</strong>" in html
    assert '<h2 id="also-reported"' in html and html.count('id="also-reported"') == 1
    assert "<a id=" not in html and '&lt;a id="story-2"&gt;' in html, "article text makes no target"


def test_daily_takes_max_stories_as_build_does(desk: Desk, edition: Edition) -> None:
    result = desk.daily("--max-stories", "2")

    assert result.exit_code == 0, result.output
    (mail,) = desk.received("ana@example.org")
    rest = len(all_headlines(edition)) - 2
    assert f"*{DAY} · 2 stories, {rest} more in brief" in part(mail, "plain")
    kept = Edition.model_validate_json((desk.editions / DAY / "stories.json").read_text(encoding="utf-8"))
    assert [s.id for s in kept.stories] == [s.id for s in edition.stories[:2]]


def test_the_next_days_email_follows_the_continuing_story_and_repeats_nothing_unchanged(desk: Desk) -> None:
    """Day 1 is sent and kept; day 2 follows its crash story; day 3 with no news says so in one line."""
    assert desk.daily().exit_code == 0
    first = part(desk.received("ana@example.org")[0], "plain")
    shutil.rmtree(desk.articles)
    shutil.copytree(ARTICLES.parent.parent / "2025-06-13" / "articles", desk.articles)

    second = desk.run("daily", "--date", "2025-06-13", "--backend", "extractive")

    assert second.exit_code == 0, second.output
    text = part(desk.received("ana@example.org")[1], "plain")
    kept = Edition.model_validate_json((desk.editions / "2025-06-13" / "stories.json").read_text("utf-8"))
    (crash,) = [s for s in kept.stories if s.status == "developing"]
    assert crash.previous_date == DAY and crash.new_claim_ids
    day_one = Edition.model_validate_json((desk.editions / DAY / "stories.json").read_text("utf-8"))
    assert crash.id in {s.id for s in day_one.stories}, "the story keeps the id it had on day 1"
    assert f"developing since {DAY}" in text and f"**New since {DAY}:**" in text
    shown = {c.id: c.statement for c in crash.brief.claims}
    listed = text.split(f"**New since {DAY}:**", 1)[1].split("\n\n", 2)[1]
    new = [shown[i] for i in crash.new_claim_ids if shown[i][:40] in listed]
    assert new, "the new items are listed"
    for statement in new:
        assert statement[:40] not in first, f"listed as new but sent on day 1: {statement}"

    (desk.articles / "gazzetta-del-lago-etna.txt").unlink()  # one article fewer: a different edition
    third = desk.run("daily", "--date", "2025-06-14", "--backend", "extractive")

    assert third.exit_code == 0, third.output
    text = part(desk.received("ana@example.org")[2], "plain")
    assert "No new developments:" in text
    assert "New since" not in text, "a story with nothing new is not repeated"
