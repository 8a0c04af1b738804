"""The story stage: a day's articles grouped into events, deterministically and explainably."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.contracts import Article
from briefing.ingest.article import UNKNOWN_OUTLET
from briefing.stories import group_stories
from briefing.stories.embeddings import WordLlamaEmbedder, default_embedder
from briefing.stories.group import story_id
from briefing.stories.signals import signals_of
from tests.factories import article, write_articles

CRASH = {
    "en-wire": (
        "en",
        "Air India Boeing 787 crashes after take-off from Ahmedabad with 242 aboard",
        "An Air India Boeing 787 Dreamliner bound for London crashed minutes after take-off from "
        "Ahmedabad on Thursday with 242 people on board, officials in Gujarat said. Prime Minister "
        "Narendra Modi called the disaster heartbreaking.",
    ),
    "en-desk": (
        "en",
        "Dreamliner carrying 242 people goes down near Ahmedabad airport",
        "A London-bound Air India plane, a Boeing 787, came down in a residential district of Ahmedabad "
        "shortly after leaving the runway. There were 242 passengers and crew aboard. Narendra Modi "
        "said he was shattered.",
    ),
    "it-faro": (
        "it",
        "Aereo dell'Air India precipita ad Ahmedabad, 242 persone a bordo",
        "Il Boeing 787 dell'Air India diretto a Londra è precipitato pochi minuti dopo il decollo "
        "dall'aeroporto di Ahmedabad, nello stato del Gujarat. Il primo ministro Narendra Modi ha "
        "parlato di una tragedia.",
    ),
    "pt-tejo": (
        "pt",
        "Avião da Air India cai em Ahmedabad com 242 pessoas a bordo",
        "O Boeing 787 da Air India que seguia para Londres caiu logo após a descolagem em Ahmedabad, "
        "no estado de Gujarat. O primeiro-ministro Narendra Modi disse estar devastado.",
    ),
    "sq-drita": (
        "sq",
        "Rrëzohet avioni i Air India në Ahmedabad, 242 persona në bord",
        "Avioni Boeing 787 i Air India që fluturonte drejt Londrës u rrëzua pak minuta pas ngritjes "
        "nga aeroporti i Ahmedabad, në shtetin Gujarat. Kryeministri Narendra Modi tha se ishte tronditur.",
    ),
    "gu-sabarmati": (
        "gu",
        "અમદાવાદ એરપોર્ટ પાસે એર ઇન્ડિયા નું વિમાન તૂટી પડ્યું",
        "લંડન જતું એર ઇન્ડિયા નું બોઇંગ ૭૮૭ વિમાન અમદાવાદ થી ઉડાન ભર્યા પછી તરત જ તૂટી પડ્યું. "
        "વિમાનમાં ૨૪૨ લોકો સવાર હતા. વડાપ્રધાન નરેન્દ્ર મોદી એ દુઃખ વ્યક્ત કર્યું.",
    ),
    "te-godavari": (
        "te",
        "అహ్మదాబాద్ లో కూలిన ఎయిర్ ఇండియా విమానం",
        "లండన్ వెళ్తున్న ఎయిర్ ఇండియా బోయింగ్ 787 విమానం అహ్మదాబాద్ విమానాశ్రయం నుంచి బయలుదేరిన "
        "కొద్దిసేపటికే కూలిపోయింది. విమానంలో 242 మంది ఉన్నారు. ప్రధాని నరేంద్ర మోదీ సంతాపం తెలిపారు.",
    ),
}

GENEVA = [
    (
        "Tariffs cut for 90 days after US-China talks in Geneva",
        "Treasury Secretary Scott Bessent and Vice Premier He Lifeng agreed in Geneva on Monday to cut "
        "tariffs for 90 days. US duties on Chinese goods fall from 145% to 30%.",
    ),
    (
        "Geneva truce: Washington and Beijing lower duties",
        "After two days of talks at a villa in Geneva, Scott Bessent said the United States and China "
        "would lower duties for 90 days; He Lifeng called the talks candid.",
    ),
]
LONDON = [
    (
        "US and China agree a framework on rare earths in London",
        "Scott Bessent, Howard Lutnick and He Lifeng ended two days of talks at Lancaster House in London "
        "with a framework to restore shipments of rare earth magnets.",
    ),
    (
        "London talks end with rare-earths deal awaiting Trump and Xi",
        "Negotiators led by Howard Lutnick and He Lifeng said in London that a framework on rare earths "
        "now needs the approval of Donald Trump and Xi Jinping. Scott Bessent left early.",
    ),
]
QUAKES = {
    "myanmar": [
        (
            "Magnitude 7.7 earthquake strikes near Mandalay",
            "A magnitude 7.7 earthquake struck central Myanmar near Mandalay and Sagaing on Friday, "
            "the US Geological Survey said. Buildings collapsed in Mandalay and Naypyidaw.",
        ),
        (
            "Rescuers search rubble in Mandalay after quake",
            "Rescue teams in Mandalay dug through collapsed buildings after the 7.7 quake centred near "
            "Sagaing, according to the US Geological Survey. Naypyidaw also reported damage.",
        ),
    ],
    "afghanistan": [
        (
            "Earthquake kills hundreds in Kunar province",
            "A magnitude 6.0 earthquake hit Kunar province in eastern Afghanistan near Jalalabad late on "
            "Sunday, the US Geological Survey said. Villages in Nurgal were flattened.",
        ),
        (
            "Quake near Jalalabad flattens mountain villages",
            "The 6.0 earthquake near Jalalabad destroyed villages across Kunar, said the US Geological "
            "Survey. Aid groups struggled to reach Nurgal by road.",
        ),
    ],
}


def crash_articles(published: str = "2025-06-12") -> list[Article]:
    return [
        article(text, source=source, title=title, language=lang, published=published)
        for source, (lang, title, text) in CRASH.items()
    ]


def talks_articles() -> list[Article]:
    geneva = [
        article(t, source=f"geneva-{i}", title=h, language="en", published="2025-05-12")
        for i, (h, t) in enumerate(GENEVA)
    ]
    london = [
        article(t, source=f"london-{i}", title=h, language="en", published="2025-06-10")
        for i, (h, t) in enumerate(LONDON)
    ]
    return geneva + london


def quake_articles() -> list[Article]:
    return [
        article(t, source=f"{place}-{i}", title=h, language="en", published="2025-06-12")
        for place, items in QUAKES.items()
        for i, (h, t) in enumerate(items)
    ]


def singletons() -> list[Article]:
    return [
        article(
            "Carlos Alcaraz beat Jannik Sinner in five sets at Roland Garros on Sunday.",
            source="sport",
            title="Alcaraz wins in Paris",
            language="en",
        ),
        article(
            "Apple showed a new look for iOS at its developer conference in Cupertino.",
            source="tech",
            title="Apple redesigns iOS",
            language="en",
        ),
    ]


def membership(stories: list) -> dict[str, str]:
    return {m.source: s.id for s in stories for m in s.members}


def test_multilingual_reports_of_one_event_are_one_story() -> None:
    stories = group_stories(crash_articles() + singletons())
    crash = [s for s in stories if {m.source for m in s.members} & set(CRASH)]
    assert len(crash) == 1
    assert {m.source for m in crash[0].members} == set(CRASH)
    assert crash[0].outlets == len(CRASH)
    for member in crash[0].members:
        assert member.shared, member.source
    english = next(m for m in crash[0].members if m.source == "en-wire")
    assert {"Ahmedabad", "242", "787"} <= set(english.shared)


def test_same_topic_different_event_stays_apart() -> None:
    groups = membership(group_stories(talks_articles() + quake_articles()))
    assert groups["geneva-0"] == groups["geneva-1"]
    assert groups["london-0"] == groups["london-1"]
    assert groups["geneva-0"] != groups["london-0"]
    assert groups["myanmar-0"] == groups["myanmar-1"]
    assert groups["afghanistan-0"] == groups["afghanistan-1"]
    assert groups["myanmar-0"] != groups["afghanistan-0"]


def test_same_in_any_order_and_nothing_dropped() -> None:
    articles = crash_articles() + talks_articles() + quake_articles() + singletons()
    first = group_stories(articles)
    for seed in range(5):
        shuffled = list(articles)
        random.Random(seed).shuffle(shuffled)
        assert group_stories(shuffled) == first
    ids = [m.article_id for s in first for m in s.members]
    assert sorted(ids) == sorted(a.id for a in articles)


def test_an_article_that_fits_no_other_is_a_story_of_its_own() -> None:
    stories = group_stories(crash_articles() + singletons())
    alone = [s for s in stories if len(s.members) == 1]
    assert sorted(s.members[0].source for s in alone) == ["sport", "tech"]
    for story in alone:
        assert story.outlets == 1 and story.members[0].shared == []
        assert story.headline == story.members[0].title
        assert story.id == story_id(story.members[0].article_id)


def test_ids_are_stable_when_more_articles_arrive() -> None:
    first = {tuple(sorted(m.source for m in s.members)): s.id for s in group_stories(crash_articles())}
    later = [
        *crash_articles(),
        article(
            "Investigators recovered the black box of the Air India Boeing 787 that crashed in Ahmedabad "
            "with 242 aboard on its way to London. Narendra Modi visited the site in Gujarat.",
            source="late-desk",
            title="Black box found at Ahmedabad crash site",
            language="en",
            published="2025-06-13",
        ),
        *singletons(),
    ]
    stories = group_stories(later)
    crash = next(s for s in stories if any(m.source == "late-desk" for m in s.members))
    assert crash.id == next(iter(first.values()))
    assert crash.members[-1].source == "late-desk"  # earliest first


def test_copies_count_once_per_outlet() -> None:
    from briefing.contracts import ArticleCopy

    articles = crash_articles()
    articles[0] = articles[0].model_copy(
        update={
            "copies": [
                ArticleCopy(source="en-desk", title="copy", path="b.txt", similarity=0.9),
                ArticleCopy(source="mirror", title="copy", url="https://example.org/x", similarity=0.9),
            ]
        }
    )
    (story,) = group_stories(articles)
    assert story.outlets == len(CRASH) + 1  # en-desk is already a member; mirror is new
    assert story.independent_outlets == len(CRASH)  # a copy is reach, not another report
    member = next(m for m in story.members if m.source == "en-wire")
    assert [(c.source, c.path, c.url) for c in member.copies] == [
        ("en-desk", "b.txt", None),
        ("mirror", None, "https://example.org/x"),
    ]


@pytest.mark.block_network
def test_the_bundled_model_loads_with_the_network_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    embedder = WordLlamaEmbedder()
    vectors = embedder.embed(["An Air India plane crashed in Ahmedabad.", "A jet went down near Ahmedabad."])
    assert vectors.shape == (2, 256)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ embedder.embed(["Apple shows iOS."])[0])


@pytest.fixture
def day(tmp_path: Path) -> Path:
    files = {f"{source}.txt": f"{title}\n\n{text}\n" for source, (_lang, title, text) in CRASH.items()}
    files["tennis.txt"] = "Alcaraz wins in Paris\n\nCarlos Alcaraz beat Jannik Sinner at Roland Garros.\n"
    write_articles(tmp_path / "day", files)
    return tmp_path / "day"


def test_cli_text_shows_each_story_and_what_ties_it(day: Path) -> None:
    result = CliRunner().invoke(app, ["stories", str(day)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    heads = [line for line in lines if line.startswith("s-")]
    assert len(heads) == 2
    assert "7 outlets" in heads[0] and "1 outlet " in heads[1]
    assert sum(1 for line in lines if line.startswith("  - ")) == len(CRASH) + 1
    shared = [line for line in lines if line.strip().startswith("shared: ")]
    assert len(shared) == len(CRASH) and all("Ahmedabad" in line for line in shared)


def test_cli_json_is_the_list_of_stories(day: Path) -> None:
    result = CliRunner().invoke(app, ["stories", str(day), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [len(s["members"]) for s in data] == [len(CRASH), 1]
    assert all(m["path"].endswith(".txt") for s in data for m in s["members"])


def test_cli_bad_input_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["stories", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1] == "briefing: error: no usable articles"


def test_one_shared_name_is_not_an_event() -> None:
    curfew = article(
        "Los Angeles Mayor Karen Bass imposed a curfew downtown after protests; Donald Trump sent Marines.",
        source="la",
        title="Los Angeles imposes a curfew",
        language="en",
        published="2025-06-11",
    )
    talks = article(
        "Howard Lutnick said in London that Donald Trump and Xi Jinping must approve the framework.",
        source="talks",
        title="London framework awaits approval",
        language="en",
        published="2025-06-11",
    )
    assert len(group_stories([curfew, talks])) == 2


def test_a_date_written_at_the_top_counts_as_the_publication_date() -> None:
    title = "Scott Bessent and He Lifeng hold trade talks"
    undated = [
        article(GENEVA[0][1], source="geneva", title=title, language="en"),
        article(LONDON[0][1], source="london", title=title, language="en"),
    ]
    assert len(group_stories(undated)) == 1  # they share the negotiators
    dated = [
        a.model_copy(update={"text": f"Published {day}\n\n{a.text}"})
        for a, day in zip(undated, ["2025-05-12", "2025-06-10"], strict=True)
    ]
    stories = group_stories(dated)
    assert len(stories) == 2
    assert {m.source: m.published for s in stories for m in s.members} == {
        "geneva": "2025-05-12",
        "london": "2025-06-10",
    }


def test_a_german_report_joins_its_story_though_its_nouns_are_capitalised() -> None:
    english = article(
        "The Northbay Star ferry returned to service on Tuesday after repairs costing $4.2 million, said "
        "Elena Ruiz of Northbay Ferries. About 1,200 passengers crossed, said Tomas Berg of the riders.",
        source="bay",
        title="Northbay ferry returns after repairs",
        language="en",
        published="2025-06-10",
    )
    german = article(
        "Die Fähre Northbay Star ist nach Reparaturen am Rumpf für 4,2 Millionen Dollar wieder in Betrieb, "
        "sagte Elena Ruiz vom Betreiber Northbay Ferries. Rund 1.200 Fahrgäste fuhren mit, so Tomas Berg.",
        source="kuestenbote",
        title="Northbay-Fähre fährt wieder nach Reparatur am Rumpf",
        language="de",
        published="2025-06-11",
    )
    assert len(group_stories([english, german])) == 1


def test_german_reports_sharing_only_common_nouns_stay_apart() -> None:
    warehouse = article(
        "Die Feuerwehr rückte am Montag mit 80 Einsatzkräften aus, um einen Brand in einer Lagerhalle in "
        "Bremen zu löschen. Die Polizei ermittelt zur Brandursache, Anwohner sollten die Fenster schließen.",
        source="weser",
        title="Feuerwehr löscht Brand in Lagerhalle",
        language="de",
        published="2025-06-10",
    )
    house = article(
        "Die Feuerwehr war am Montag mit Einsatzkräften in Kassel vor Ort, nachdem ein Brand in einem "
        "Wohnhaus ausgebrochen war. Die Polizei sucht nach der Brandursache; Anwohner wurden gewarnt.",
        source="fulda",
        title="Großeinsatz der Feuerwehr nach Brand in Wohnhaus",
        language="de",
        published="2025-06-10",
    )
    assert len(group_stories([warehouse, house])) == 2


def test_german_scale_abbreviations_are_read_as_figures() -> None:
    english = article(
        "The carmaker will pay 2.5 billion euros, its chief executive said.", language="en", title="Fine"
    )
    german = article("Der Autobauer zahlt 2.5 Mrd. Euro, sagte der Chef.", language="de", title="Strafe")
    comma = article("Der Autobauer zahlt 2,5 Mrd. Euro, sagte der Chef.", language="de", title="Strafe")
    assert "#2500000000" in signals_of(english).figures
    assert "#2500000000" in signals_of(german).figures
    assert "#2500000000" in signals_of(comma).figures
    assert "#5000000000" not in signals_of(german).figures


def test_a_single_article_loads_no_embedding_model() -> None:
    default_embedder.cache_clear()
    stories = group_stories(singletons()[:1])
    assert len(stories) == 1
    assert default_embedder.cache_info().currsize == 0
    group_stories(singletons())  # two unrelated articles: nothing to compare either
    assert default_embedder.cache_info().currsize == 0
    group_stories(quake_articles())
    assert default_embedder.cache_info().currsize == 1


def test_reports_whose_outlet_is_unknown_count_as_different_outlets() -> None:
    london = [
        article(t, source=UNKNOWN_OUTLET, title=h, language="en", published="2025-06-10", path=f"{i}.txt")
        for i, (h, t) in enumerate(LONDON)
    ]
    (story,) = group_stories(london)
    assert story.independent_outlets == story.outlets == len(LONDON)
