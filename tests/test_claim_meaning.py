"""Claims merge by meaning, and a disagreement compares one quantity.

Unit tests of the merge on small hand-written extractions, each sentence a claim with the
figures the number reader finds in it (as the extractive backend gives them). The
sentence embeddings are the bundled offline model's, as in a real build.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from factories import article

from briefing.contracts import (
    ArticleExtraction,
    Backend,
    Brief,
    Claim,
    ClaimCategory,
    Entity,
    EntityKind,
    ExtractedArticle,
    ExtractionMeta,
    MergedClaim,
)
from briefing.merge.brief import MergeOptions, merge
from briefing.merge.numbers import find_figures
from briefing.merge.quantities import readings
from briefing.pipeline import BackendChoice, BuildOptions, build
from briefing.render.brief import render_json, render_markdown


def extracted(
    aid: str, sentences: list[str], people: list[str] = (), published: str | None = None
) -> ExtractedArticle:
    """One article whose every sentence is a claim, with the figures and people it names."""
    text = " ".join(sentences)
    claims = [
        Claim(
            statement=s,
            category=ClaimCategory.figure if find_figures(s) else ClaimCategory.event,
            figures=find_figures(s),
            evidence=s,
        )
        for s in sentences
    ]
    return ExtractedArticle(
        article=article(text, id=aid, source=f"Outlet {aid}", title=f"Title {aid}", published=published),
        extraction=ArticleExtraction(
            headline=f"Headline {aid}",
            summary=sentences[0],
            entities=[Entity(name=p, kind=EntityKind.person) for p in people],
            claims=claims,
        ),
        meta=ExtractionMeta(backend=Backend.extractive),
    )


def figure_discrepancies(brief: Brief) -> list[tuple[str, list[str]]]:
    return [(d.subject, [v.value for v in d.values]) for d in brief.discrepancies if d.kind == "figure"]


def items_with(brief: Brief, word: str) -> list[list[str]]:
    """The sources of each item whose statement has `word`."""
    return [c.article_ids for c in brief.claims if word in c.statement]


TRUCE = [
    extracted(
        "aaaaaaaaaaaa",
        [
            "For 90 days, the US tariff on Chinese goods will fall from 145% to 30%, and China's tariff "
            "on American goods will drop from 125% to 10%.",
            "The Chinese team was led by Vice Premier He Lifeng.",
        ],
        ["He Lifeng"],
    ),
    extracted(
        "bbbbbbbbbbbb",
        [
            "Following two days of talks in Geneva, Washington will bring its levy on Chinese imports down "
            "to 80 percent from 145 percent, while Beijing will reduce its duties on American goods to 10 "
            "percent from 125 percent for 90 days.",
            "President Donald Trump said the talks had gone very well.",
        ],
        ["Donald Trump"],
    ),
    extracted(
        "cccccccccccc",
        [
            "After weekend talks in Geneva, the U.S. will lower its tariff on Chinese goods to 30% from 145% "
            "for 90 days, and China will reduce its tariff on American products to 10% from 125%.",
            "The Chinese delegation was headed by Vice Premier He Lifeng.",
        ],
        ["He Lifeng"],
    ),
    extracted(
        "dddddddddddd",
        [
            "Under the deal announced on Monday, US duties on imports from China come down to 30% from "
            "145%, while Chinese duties on US imports fall to 10% from 125%.",
            "US President Donald Trump later described it as a total reset of relations with China.",
        ],
        ["Donald Trump"],
    ),
]


def test_one_outlets_other_value_worded_differently_is_a_disagreement_named_by_its_quantity() -> None:
    brief = merge(TRUCE)
    found = figure_discrepancies(brief)
    assert len(found) == 1, found
    subject, values = found[0]
    assert values == ["30%", "80 percent"]
    assert "tariff on Chinese goods" in subject and "…" not in subject
    by_value = {v.value: v.article_ids for v in brief.discrepancies[0].values}
    assert by_value == {
        "30%": ["aaaaaaaaaaaa", "cccccccccccc", "dddddddddddd"],
        "80 percent": ["bbbbbbbbbbbb"],
    }
    # The disagreement sits inside the one item about the cut, which the minority is not cited for.
    item = next(c for c in brief.claims if brief.discrepancies[0].id in c.discrepancy_ids)
    assert "30%" in item.statement and "80 percent" not in item.statement
    assert item.disputed_by == ["bbbbbbbbbbbb"]
    assert "**tariff on Chinese goods**: 30% [1][3][4] · 80 percent [2]" in render_markdown(brief)


def test_a_pause_and_the_length_of_talks_are_never_paired() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ["The two sides agreed a 90-day pause after talks in Geneva."]),
            extracted("bbbbbbbbbbbb", ["The pause was agreed after two days of talks in Geneva."]),
        ]
    )
    assert figure_discrepancies(brief) == []


def test_the_same_fact_in_other_words_is_one_item_citing_every_source() -> None:
    brief = merge(TRUCE)
    assert items_with(brief, "He Lifeng") == [["aaaaaaaaaaaa", "cccccccccccc"]]


def test_different_facts_about_the_same_person_stay_apart() -> None:
    brief = merge(TRUCE)
    trump = items_with(brief, "Trump")
    assert sorted(trump) == [["bbbbbbbbbbbb"], ["dddddddddddd"]]


def test_different_facts_of_one_event_stay_apart() -> None:
    brief = merge(
        [
            extracted(
                "aaaaaaaaaaaa",
                [
                    "India's Aircraft Accident Investigation Bureau has begun an inquiry into the loss of "
                    "Air India flight AI171, which went down in Ahmedabad on Thursday shortly after taking "
                    "off for London with 242 people aboard."
                ],
            ),
            extracted(
                "bbbbbbbbbbbb",
                ["One man survived the crash of Air India flight AI171 in Ahmedabad on Thursday."],
            ),
        ]
    )
    assert len(brief.claims) == 2


QUAKE = [
    extracted(
        "aaaaaaaaaaaa",
        [
            "A magnitude 7.7 earthquake struck central Myanmar on Friday.",
            "Myanmar's military government said on Friday evening that at least 144 people had been killed "
            "and 732 injured.",
            "A strong aftershock of magnitude 6.4 followed about twelve minutes later.",
        ],
    ),
    extracted(
        "bbbbbbbbbbbb",
        [
            "The number of people known to have died in Friday's earthquake in Myanmar rose to 1,644 on "
            "Saturday, the military government said, with 3,408 injured."
        ],
    ),
    extracted(
        "cccccccccccc",
        [
            "Three days after the earthquake, Myanmar's military government said on Monday that 2,056 people "
            "had been killed, about 3,900 injured and some 270 were still missing."
        ],
    ),
    extracted(
        "dddddddddddd",
        [
            "Relief efforts in Myanmar were hampered on Monday by damaged roads.",
            "The junta put the number of dead at 2,065 and said about 3,900 people had been injured.",
        ],
    ),
]


def test_a_toll_over_days_is_no_disagreement_but_two_tolls_for_one_day_are() -> None:
    brief = merge(QUAKE)
    assert figure_discrepancies(brief) == [("deaths in Myanmar, Monday", ["2,056 people", "2,065"])]


def test_a_toll_over_days_is_shown_as_a_timeline_in_the_order_it_rose() -> None:
    brief = merge(QUAKE)
    timelines = [d for d in brief.discrepancies if d.kind == "timeline"]
    assert [(d.subject, [(v.value, v.when) for v in d.values]) for d in timelines] == [
        ("deaths in Myanmar", [("144 people", "Friday"), ("1,644", "Saturday"), ("2,056 people", "Monday")]),
        ("injured in Myanmar", [("732", "Friday"), ("3,408", "Saturday"), ("3,900", "Monday")]),
    ]
    text = render_markdown(brief)
    assert (
        "- **deaths in Myanmar**: 144 people (Friday) [1] → 1,644 (Saturday) [2] → 2,056 people (Monday) [3]"
        in text
    )
    disagreements = text.split("Where sources disagree")[1]
    assert "144" not in disagreements and "1,644" not in disagreements


def test_a_count_for_one_day_and_a_count_for_another_are_not_one_item() -> None:
    brief = merge(QUAKE)
    assert not any("144" in c.statement and len(c.article_ids) > 1 for c in brief.claims)
    # The two Monday counts are one fact, disputed: one item, the minority not cited for it.
    item = next(c for c in brief.claims if "2,056" in c.statement)
    assert item.article_ids == ["cccccccccccc"] and item.disputed_by == ["dddddddddddd"]


SHOCKS = [
    extracted(
        "aaaaaaaaaaaa",
        [
            "A magnitude 7.8 earthquake struck southern Turkey and northwest Syria before dawn on Monday, "
            "bringing down apartment blocks while families slept.",
            "Hours later a second powerful quake, measured at magnitude 7.5, hit the same region.",
        ],
    ),
    extracted(
        "bbbbbbbbbbbb",
        [
            "The magnitude 7.8 quake, the strongest to hit Turkey in decades, was followed by a second shock "
            "of magnitude 7.6 in the same area."
        ],
    ),
    extracted("cccccccccccc", ["Turkey's disaster agency AFAD measured the main shock at magnitude 7.7."]),
]


def test_a_main_shock_and_a_second_shock_are_different_quantities() -> None:
    brief = merge(SHOCKS)
    assert sorted(figure_discrepancies(brief)) == [
        ("magnitude", ["7.8", "7.7"]),
        ("magnitude of the second shock", ["7.5", "7.6"]),
    ]


EVAL = Path(__file__).parent / "eval"


def _labelled(cluster: str) -> Brief:
    """A labelled cluster built as `briefing build --backend extractive` builds it."""
    folder = EVAL / cluster / "articles"
    return build([str(folder)], BuildOptions(backend=BackendChoice.extractive))


@pytest.mark.parametrize("cluster", ["turkey-syria-quake", "geneva-tariff-truce", "myanmar-quake-2025"])
def test_an_item_cites_the_sources_of_its_values_and_none_that_contradict_them(cluster: str) -> None:
    brief = _labelled(cluster)
    for claim in brief.claims:
        for d in brief.discrepancies:
            if d.kind != "figure":
                continue
            for value in d.values:
                if value.value in claim.statement:
                    others = {a for v in d.values if v is not value for a in v.article_ids}
                    assert not others & set(claim.article_ids), (claim.statement, d.subject)
                    # ... and every source of the item that gives the value it states is cited.
                    members = {e.article_id for e in claim.evidence}
                    assert members & set(value.article_ids) <= set(claim.article_ids), (
                        claim.statement,
                        d.subject,
                    )


def test_bare_counts_are_read_only_with_a_measure_and_never_from_times_or_scores() -> None:
    assert [(r.value, r.unit) for r in readings("The junta put the number of dead at 2,065.", None)] == [
        ("2,065", "deaths")
    ]
    assert readings("It struck shortly before 1 p.m. and Argentina won 4-2 on penalties.", None) == []


@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[::5])
def test_any_input_order_gives_identical_bytes(order: tuple[int, ...]) -> None:
    reference = merge(TRUCE + QUAKE)
    shuffled = merge([(TRUCE + QUAKE)[i] for i in order] + [(TRUCE + QUAKE)[i] for i in range(4, 8)][::-1])
    assert render_json(shuffled) == render_json(reference)
    assert render_markdown(shuffled) == render_markdown(reference)


def shown(brief: Brief) -> list[MergedClaim]:
    """The claims a reader sees, lede first, in reading order."""
    claims = {c.id: c for c in brief.claims}
    return [claims[i] for i in [*brief.lede_claim_ids, *(i for s in brief.sections for i in s.claim_ids)]]


def test_a_country_and_its_adjective_do_not_keep_one_fact_apart() -> None:
    brief = merge(
        [
            extracted(
                "aaaaaaaaaaaa",
                ['Ruiz, 34, said afterwards that he would keep playing for Chile "as champion".'],
                people=["Ruiz"],
            ),
            extracted(
                "bbbbbbbbbbbb",
                [
                    "Ruiz told Chilean radio he was not retiring from the national team and wanted to "
                    'play "a few more games as champion".'
                ],
                people=["Ruiz"],
            ),
        ]
    )
    assert [c.article_ids for c in brief.claims] == [["aaaaaaaaaaaa", "bbbbbbbbbbbb"]]


MECHANISM = [
    extracted(
        "aaaaaaaaaaaa",
        [
            "The two governments agreed to cut tariffs on each other's goods.",
            "Both governments said they would keep negotiating through a new consultation mechanism.",
            "Officials met for two days in a lakeside hotel.",
        ],
    ),
    extracted(
        "bbbbbbbbbbbb",
        [
            "Ministers from both countries announced a tariff cut on Monday.",
            "The two sides also agreed to set up a mechanism for further discussions on trade.",
            "Shares of exporters rose sharply after the news.",
        ],
    ),
    extracted(
        "cccccccccccc",
        [
            "The tariff cut was announced after weekend talks.",
            "Farmers welcomed the deal, which reopens a large market for soybeans.",
        ],
    ),
]


def test_a_fact_retold_in_other_words_around_one_rare_word_is_shown_once() -> None:
    told = [c.statement for c in shown(merge(MECHANISM))]
    assert len([s for s in told if "mechanism" in s]) == 1, told
    assert any("soybeans" in s for s in told)


def test_two_quotations_sharing_a_word_are_two_things_said() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ['"We will rebuild every school in the valley," the governor said.']),
            extracted("bbbbbbbbbbbb", ['"No school will stay closed past spring," the mayor said on radio.']),
        ]
    )
    assert len([c for c in shown(brief) if "school" in c.statement]) == 2


def test_a_cut_given_as_its_size_adds_nothing_to_the_levels_shown() -> None:
    brief = merge(
        [
            extracted(
                "aaaaaaaaaaaa",
                [
                    "For 90 days, the tariff on imported steel will fall from 145% to 30%, officials said.",
                    "Dock workers at the main port went back to work on Tuesday.",
                ],
            ),
            extracted(
                "bbbbbbbbbbbb",
                [
                    "The steel tariff drops from 145% to 30% for 90 days under the agreement.",
                    "Dock workers at the main port went back to work on Tuesday.",
                ],
            ),
            extracted(
                "cccccccccccc",
                [
                    "Dock workers at the main port went back to work on Tuesday.",
                    "The two countries agreed to lower steel tariffs by 115 percentage points for a 90-day "
                    "period, easing a long dispute.",
                    "A new crane for the container terminal arrived from Rotterdam.",
                ],
            ),
        ]
    )
    told = [c.statement for c in shown(brief)]
    assert not any("115" in s for s in told), told
    assert any("Rotterdam" in s for s in told)


def test_a_retelling_that_gives_the_figures_replaces_the_one_without() -> None:
    brief = merge(
        [
            extracted(
                "aaaaaaaaaaaa",
                [
                    "Flooding closed the coastal motorway for most of Sunday.",
                    "Every school in the district stayed closed on Monday.",
                    "In Porto, rescuers searched all night for workers trapped under the fallen crane.",
                ],
            ),
            extracted(
                "bbbbbbbbbbbb",
                [
                    "The coastal motorway was shut by flooding on Sunday.",
                    "Schools in the district stayed closed on Monday.",
                    "The storm was felt 300 kilometres away in Porto, where a 40-metre crane collapsed "
                    "onto a car park.",
                ],
            ),
        ]
    )
    told = [c.statement for c in shown(brief)]
    assert [s for s in told if "crane" in s] == [
        "The storm was felt 300 kilometres away in Porto, where a 40-metre crane collapsed onto a car park."
    ], told


def test_the_lede_opens_with_the_best_corroborated_fact_even_when_it_is_a_figure() -> None:
    cut = "For 90 days, the tariff on imported steel will fall from 145% to 30%."
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", [cut, "The agreement followed two days of talks in a lakeside hotel."]),
            extracted("bbbbbbbbbbbb", [cut, "Ministers shook hands in front of the cameras on Monday."]),
            extracted("cccccccccccc", [cut, "Dock workers at the main port went back to work on Tuesday."]),
        ]
    )
    assert shown(brief)[0].statement == cut
    assert shown(brief)[0].article_ids == ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"]


def test_reports_of_two_days_are_headed_by_the_newest_days_title() -> None:
    def dated(aid: str, day: str, title: str) -> ExtractedArticle:
        e = extracted(aid, [f"The ferry sank on Lake Moraji, {aid} reported."], published=day)
        return e.model_copy(update={"extraction": e.extraction.model_copy(update={"headline": title})})

    brief = merge(
        [
            dated("aaaaaaaaaaaa", "2026-11-24", "Ferry disaster toll reaches 44"),
            dated("bbbbbbbbbbbb", "2026-11-24", "Ferry disaster on Lake Moraji: toll reaches 44"),
            dated("cccccccccccc", "2026-11-25", "Ferry toll rises to 57 as divers search Lake Moraji"),
        ]
    )
    assert brief.headline == "Ferry toll rises to 57 as divers search Lake Moraji"


def test_an_earlier_count_is_left_to_the_timeline_and_the_latest_is_news() -> None:
    told = [c.statement for c in shown(merge(QUAKE))]
    assert not any("144" in s for s in told), told
    assert not any("1,644" in s for s in told), told
    assert any("2,056" in s for s in told), told


def test_an_earlier_count_with_another_fact_stays() -> None:
    brief = merge(
        [
            *QUAKE[1:],
            extracted(
                "aaaaaaaaaaaa",
                [
                    "A magnitude 7.7 earthquake struck central Myanmar on Friday.",
                    "On Friday evening at least 144 people had been killed, and 12 bridges had collapsed.",
                ],
            ),
        ]
    )
    assert any("12 bridges" in c.statement for c in shown(brief))


def test_undated_reports_of_a_rising_toll_are_headed_by_the_current_count() -> None:
    def titled(aid: str, sentence: str, title: str) -> ExtractedArticle:
        e = extracted(aid, [sentence])
        return e.model_copy(update={"extraction": e.extraction.model_copy(update={"headline": title})})

    brief = merge(
        [
            titled(
                "aaaaaaaaaaaa",
                "The number of people killed by the floods in Peru rose to 52 on Tuesday.",
                "Peru flood deaths rise to 52 as rivers burst their banks",
            ),
            titled(
                "bbbbbbbbbbbb",
                "The number of people killed by the floods in Peru rose to 118 on Thursday.",
                "Peru flood deaths climb to 118 as rescuers reach cut-off villages",
            ),
            titled(
                "cccccccccccc",
                "The number of people killed by the floods in Peru reached 60 on Wednesday.",
                "Peru flood deaths reach 60 as rivers keep rising",
            ),
        ]
    )
    assert [v.value for d in brief.discrepancies if d.kind == "timeline" for v in d.values][-1] == "118"
    assert brief.headline == "Peru flood deaths climb to 118 as rescuers reach cut-off villages"


def with_claims(e: ExtractedArticle, claims: list[Claim], *text: str) -> ExtractedArticle:
    """`e` with more claims, whose evidence the added `text` holds."""
    return e.model_copy(
        update={
            "article": e.article.model_copy(update={"text": " ".join([e.article.text, *text])}),
            "extraction": e.extraction.model_copy(update={"claims": [*e.extraction.claims, *claims]}),
        }
    )


def quotation(statement: str, evidence: str | None = None) -> Claim:
    return Claim(statement=statement, category=ClaimCategory.quote, evidence=evidence or statement)


VALDORO = "Fire crews contained the blaze near Valdoro on Monday."


def test_a_speakers_second_quotation_gives_way_to_other_facts() -> None:
    rebuild = '"We will rebuild every house that burned," Governor Ana Ruiz said.'
    thanks = '"I thank the volunteers who came from all over the country," Governor Ana Ruiz said.'
    brief = merge(
        [
            with_claims(
                extracted("aaaaaaaaaaaa", [VALDORO], ["Ana Ruiz"]),
                [quotation(rebuild), quotation(thanks)],
                rebuild,
                thanks,
            ),
            extracted(
                "bbbbbbbbbbbb", [VALDORO, "The regional railway reopened its line through the valley."]
            ),
        ]
    )
    told = [c.statement for c in shown(brief)]
    assert len([s for s in told if "Ruiz said" in s]) == 1, told
    assert any("railway" in s for s in told), told


def test_two_speakers_quotations_are_both_shown() -> None:
    rebuild = '"We will rebuild every house that burned," Governor Ana Ruiz said.'
    thanks = '"I thank the volunteers who came from all over the country," Mayor Luis Ortega said.'
    brief = merge(
        [
            with_claims(
                extracted("aaaaaaaaaaaa", [VALDORO], ["Ana Ruiz", "Luis Ortega"]),
                [quotation(rebuild), quotation(thanks)],
                rebuild,
                thanks,
            )
        ]
    )
    assert len([c for c in shown(brief) if " said." in c.statement]) == 2


def test_a_report_of_what_was_said_is_not_shown_beside_the_quotation_it_leads_into() -> None:
    floods = "Floods swept through the northern provinces on Monday."
    passage = (
        "President Ayla Demir toured the flooded provinces on Wednesday. He admitted there were problems."
    )
    words = '"Of course there are shortcomings," he said, adding that no country was ready.'
    e = with_claims(
        extracted("aaaaaaaaaaaa", [floods]),
        [
            Claim(
                statement="[Ayla Demir] admitted there were problems.",
                category=ClaimCategory.background,
                evidence=passage,
            ),
            quotation(
                '"Of course there are shortcomings," [Ayla Demir] said, adding that no country was ready.',
                f"{passage} {words}",
            ),
        ],
        passage,
        words,
    )
    told = [c.statement for c in shown(merge([e, extracted("bbbbbbbbbbbb", [floods])]))]
    assert len([s for s in told if "shortcomings" in s or "admitted" in s]) == 1, told


def test_a_lead_in_that_says_something_else_than_its_quotation_stays() -> None:
    lead_in = "The minister said the plant in Kessel would close in March."
    words = '"We tried everything to keep the lights on," she said.'
    e = with_claims(
        extracted("aaaaaaaaaaaa", ["Workers at the Kessel plant walked out on Friday."]),
        [
            Claim(statement=lead_in, category=ClaimCategory.event, evidence=lead_in),
            quotation(
                '"We tried everything to keep the lights on," [the minister] said.', f"{lead_in} {words}"
            ),
        ],
        lead_in,
        words,
    )
    told = [c.statement for c in shown(merge([e]))]
    assert lead_in in told and any("tried everything" in s for s in told), told


def test_room_a_full_section_leaves_unused_goes_to_its_next_claims() -> None:
    events = [
        "Flood water closed the airport at Ostrava on Sunday.",
        "Engineers inspected the dam above Krnov overnight.",
        "Soldiers built sandbag walls along the river in Opava.",
        "The railway between Brno and Olomouc was cut by a landslide.",
        "Schools across the Moravian region stayed shut on Monday.",
        "Power failed in villages along the upper Oder valley.",
        "A hospital in Jesenik moved its patients to upper floors.",
        "Ferries on the lower river were tied up until further notice.",
        "Farmers moved cattle from pastures near Bruntal to higher ground.",
    ]
    brief = merge([extracted("aaaaaaaaaaaa", events[:5]), extracted("bbbbbbbbbbbb", events[5:])])
    assert len(shown(brief)) == len(events)


def test_a_quotation_after_another_persons_sentence_is_not_its_retelling() -> None:
    floods = "Floods swept through the northern provinces on Monday."
    before = "President Ayla Demir admitted there were problems with the response."
    words = '"Of course there are shortcomings in the response," Mayor Luis Ortega said.'
    e = with_claims(
        extracted("aaaaaaaaaaaa", [floods]),
        [
            Claim(statement=before, category=ClaimCategory.background, evidence=before),
            quotation(words),
        ],
        before,
        words,
    )
    told = [c.statement for c in shown(merge([e, extracted("bbbbbbbbbbbb", [floods])]))]
    assert len([s for s in told if "shortcomings" in s or "admitted" in s]) == 2, told


FLOOD = [
    extracted(
        "aaaaaaaaaaaa",
        [
            "The river burst its banks on Sunday night and by Monday evening had flooded 1,200 hectares "
            "of farmland, destroying 40 homes and forcing about 3,000 residents from their villages.",
        ],
    ),
    extracted(
        "bbbbbbbbbbbb",
        ["Water has covered some 1,800 hectares since the levee broke on Sunday, officials said on Monday."],
    ),
    extracted(
        "cccccccccccc",
        [
            "The flood has now destroyed 95 houses, up from 40 on Monday, and 8,100 people have been "
            "evacuated, the civil protection agency said on Wednesday.",
            "The flooded area has grown to 4,300 hectares, the agency said on Wednesday.",
        ],
    ),
]


def test_homes_evacuees_and_area_are_counts_that_grow_over_days() -> None:
    brief = merge(FLOOD)
    timelines = {
        d.subject: [(v.value, v.when) for v in d.values] for d in brief.discrepancies if d.kind == "timeline"
    }
    assert timelines["homes"] == [("40 homes", "Monday"), ("95 houses", "Wednesday")], timelines
    assert timelines["people evacuated"] == [("3,000 residents", "Monday"), ("8,100 people", "Wednesday")]
    assert [v for v, _ in timelines["area in hectares"]][-1] == "4,300 hectares"


def test_two_values_of_a_growing_count_for_one_day_are_a_disagreement() -> None:
    assert ("area in hectares, Monday", ["1,200 hectares", "1,800 hectares"]) in [
        (s, sorted(v, key=len)) for s, v in figure_discrepancies(merge(FLOOD))
    ], figure_discrepancies(merge(FLOOD))


def test_the_day_a_count_is_given_for_is_not_when_the_event_began() -> None:
    (area,) = readings("Water has covered 1,800 hectares since the levee broke on Sunday.", "Monday")
    assert area.when == "Monday"
    (homes,) = readings("The flood has now destroyed 95 houses, up from 40 on Monday.", "Wednesday")
    assert homes.when == "Wednesday"


def test_two_counts_of_workers_on_strike_worded_differently_are_a_disagreement() -> None:
    brief = merge(
        [
            extracted(
                "aaaaaaaaaaaa",
                ["About 6,000 dock workers walked off the job at the port of Valmar on Monday."],
            ),
            extracted(
                "bbbbbbbbbbbb", ["Cargo piled up on Monday after some 4,800 workers walked out at Valmar."]
            ),
            extracted("cccccccccccc", ["The union said 6,000 members were striking at the port on Monday."]),
        ]
    )
    assert [(s, [x.split()[0] for x in v]) for s, v in figure_discrepancies(brief)] == [
        ("workers on strike", ["6,000", "4,800"])
    ], figure_discrepancies(brief)


def test_what_a_strike_costs_is_not_a_count_of_strikers() -> None:
    (cars,) = readings("The company said the walkout cost it about 2,300 cars a day.", "Monday")
    assert cars.unit != "on strike"
    (staff,) = readings("The closure of the plant is forcing 300 workers to stay home.", "Monday")
    assert staff.unit == "workers"
    (residents,) = readings("The fire forced 2,600 residents from their villages.", "Monday")
    assert residents.unit == "evacuated"


def test_an_earlier_count_spelled_out_is_left_to_the_timeline() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ["Three people have died in the floods in Dellen, it said on Monday."]),
            extracted("bbbbbbbbbbbb", ["On Tuesday nine people had now died in the floods in Dellen."]),
            extracted("cccccccccccc", ["The death toll from the floods in Dellen rose to 14 on Wednesday."]),
        ]
    )
    told = [c.statement for c in shown(brief)]
    assert [s for s in told if "died" in s or "toll" in s] == [
        "The death toll from the floods in Dellen rose to 14 on Wednesday."
    ], told


def test_people_rescued_and_people_dead_are_not_one_item_for_counting_people() -> None:
    agency = "The civil protection agency said"
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", [f"{agency} on Tuesday that nine people had now died."]),
            extracted("bbbbbbbbbbbb", [f"{agency} more than 300 people had been rescued by boat."]),
            extracted("cccccccccccc", ["Eleven people have been killed in the floods, it said on Tuesday."]),
        ]
    )
    dead = next(c for c in brief.claims if "nine" in c.statement)
    assert "bbbbbbbbbbbb" not in dead.article_ids + [e.article_id for e in dead.evidence]


def test_a_developing_storys_lede_gives_its_latest_count() -> None:
    breach = "The river broke through the dyke at Vennum early on Monday and flooded the lowlands."
    rail = "Rail services to the coast were suspended."
    latest = "The death toll from the floods in Dellen rose to 14 on Wednesday."
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", [breach, rail]),
            extracted("bbbbbbbbbbbb", [breach, rail]),
            extracted("cccccccccccc", ["Three people have died in the floods in Dellen, it said on Monday."]),
            extracted("dddddddddddd", ["Schools stayed closed on Wednesday.", latest]),
        ]
    )
    lede = [c.statement for c in shown(brief)[: len(brief.lede_claim_ids)]]
    # Wednesday's report is the newest: its toll opens the lede, the breach two outlets report follows.
    assert lede == [latest, breach], lede


def test_two_things_one_fire_chief_said_are_two_facts() -> None:
    # Her role words are no shared word of one fact: who spoke is not what was said.
    contained = (
        "Firefighters had contained about 15 percent of the fire by Wednesday, fire chief Marta Velik said."
    )
    faster = "Fire chief Marta Velik said the flames were spreading faster than her crews could cut breaks."
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", [VALDORO, contained], ["Marta Velik"]),
            extracted("bbbbbbbbbbbb", [VALDORO, faster], ["Marta Velik"]),
        ]
    )
    told = [c.statement for c in shown(brief)]
    assert contained in told and faster in told, told


def test_a_quotation_of_whom_many_outlets_name_ranks_above_a_voice_one_outlet_heard() -> None:
    chief = '"Every line we cut, the flames jump it," fire chief Marta Velik said.'
    forecaster = '"Friday could turn it, if the rain comes," forecaster Jonas Mehl said.'
    named = "Fire chief Marta Velik asked residents to leave the upper valley."
    brief = merge(
        [
            with_claims(
                extracted("aaaaaaaaaaaa", [VALDORO], ["Marta Velik", "Jonas Mehl"]),
                [quotation(forecaster), quotation(chief)],
                forecaster,
                chief,
            ),
            extracted("bbbbbbbbbbbb", [VALDORO, named], ["Marta Velik"]),
            extracted("cccccccccccc", [VALDORO, "Crews under Marta Velik worked through the night."]),
        ],
        options=MergeOptions(max_highlights=2, lede_claims=1),
    )
    told = [c.statement for c in shown(brief)]
    assert chief in told and forecaster not in told, told


def test_a_speaker_a_highlight_reports_is_not_quoted_again_but_the_lede_leaves_room() -> None:
    report = "Jonas Albrecht, a spokesman for Norvik, said the company could not match the pay demand."
    regret = '"We regret the decision to strike. Our door remains open," Albrecht said.'
    stance = "Labour Minister Helena Varga said the government would not take sides in the dispute."
    mediator = '"I have asked the mediation office to send a mediator from Thursday," Varga said.'
    walkout = "About 14,000 workers at Norvik walked out on Tuesday at its three plants."
    first = with_claims(
        extracted("aaaaaaaaaaaa", [walkout, stance, report], ["Jonas Albrecht", "Helena Varga"]),
        [quotation(regret), quotation(mediator)],
        regret,
        mediator,
    )
    brief = merge(
        [
            first,
            extracted("bbbbbbbbbbbb", [walkout, stance, report], ["Jonas Albrecht"]),
            extracted("cccccccccccc", [walkout, stance]),
        ],
        options=MergeOptions(lede_claims=2),
    )
    lede = [c.statement for c in brief.claims if c.id in brief.lede_claim_ids]
    told = [c.statement for c in shown(brief) if c.statement not in lede]
    assert stance in lede, lede
    assert len([s for s in told if "Albrecht" in s]) == 1, told
    assert mediator in told, told


def test_a_fact_two_outlets_report_is_not_crowded_out_by_the_words_it_shares() -> None:
    # Beijing's licences for the carmakers' suppliers, reported by two outlets, share
    # "rare earth" and "export" with the lede; one outlet's weak dollar did not.
    brief = build([str(Path("examples/london-talks"))], BuildOptions(backend=BackendChoice.extractive))
    licences = [c for c in shown(brief) if "licences to the suppliers" in c.statement]
    assert licences and len(licences[0].article_ids) == 2, [c.statement for c in shown(brief)]


def test_a_speaker_already_quoted_is_reported_again_only_for_a_new_number() -> None:
    words = '"We will hold the ridge above the town whatever the wind does," fire chief Marta Velik said.'
    tired = (
        "Fire chief Marta Velik said her exhausted teams had worked double shifts through the weekend "
        "without proper rest or hot food."
    )
    crews = "Fire chief Marta Velik said 600 firefighters from three regions were now at work."

    def told(report: str) -> list[str]:
        quoted = [
            with_claims(extracted(aid, [VALDORO], ["Marta Velik"]), [quotation(words)], words)
            for aid in ("aaaaaaaaaaaa", "bbbbbbbbbbbb")
        ]
        # Two outlets quote her: her words come first, and the lede is the event alone.
        brief = merge(
            [*quoted, extracted("cccccccccccc", [VALDORO, report], ["Marta Velik"])],
            options=MergeOptions(lede_claims=1),
        )
        return [c.statement for c in shown(brief)]

    assert words in told(tired) and tired not in told(tired), told(tired)
    assert words in told(crews) and crews in told(crews), told(crews)


def _told_beside(report: str, words: str, person: str, event: str = VALDORO) -> list[str]:
    """What a reader sees of two outlets' report of what someone said and one outlet's quotation of them.

    The event, told by three outlets, is the lede alone.
    """
    brief = merge(
        [
            with_claims(extracted("aaaaaaaaaaaa", [report, event], [person]), [quotation(words)], words),
            extracted("bbbbbbbbbbbb", [event, report], [person]),
            extracted("cccccccccccc", [event]),
        ],
        options=MergeOptions(lede_claims=1),
    )
    return [c.statement for c in shown(brief)]


def test_a_report_giving_a_number_leaves_room_for_the_speakers_own_words() -> None:
    soldiers = "Premier Ilse Varenhorst said 600 soldiers would be sent to the flooded villages."
    words = '"This is the worst flood our region has seen in living memory," Varenhorst said.'
    told = _told_beside(soldiers, words, "Ilse Varenhorst")
    assert soldiers in told and words in told, told


def _timelines(brief: Brief) -> list[list[tuple[str, str | None]]]:
    return [[(v.value, v.when) for v in d.values] for d in brief.discrepancies if d.kind == "timeline"]


def test_a_count_that_falls_is_shown_in_the_order_of_its_days_and_its_latest_value_is_news() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ["The storm left about 48,000 homes without power on Tuesday."]),
            extracted("bbbbbbbbbbbb", ["Some 39,200 homes were still without power on Wednesday evening."]),
        ]
    )
    [timeline] = _timelines(brief)
    assert [when for _, when in timeline] == ["Tuesday", "Wednesday"], timeline
    assert "39,200" in timeline[-1][0]


def test_days_over_a_weekend_are_in_the_order_they_came() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ["Five people were missing in the flooded valley on Saturday."]),
            extracted("bbbbbbbbbbbb", ["Nine people were missing in the flooded valley on Sunday."]),
            extracted("cccccccccccc", ["Eight people were still missing in the flooded valley on Monday."]),
        ]
    )
    [timeline] = _timelines(brief)
    assert [when for _, when in timeline] == ["Saturday", "Sunday", "Monday"], timeline


def test_one_count_given_for_two_days_is_no_timeline() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ["The bombing killed 11 people on March 12, police said."]),
            extracted("bbbbbbbbbbbb", ["Its trial opened on Tuesday; the bombing killed 11 people."]),
        ]
    )
    assert _timelines(brief) == []


def test_a_number_in_who_is_speaking_does_not_make_a_report_a_fact() -> None:
    report = (
        "Justice Anton Berg, one of the two dissenting judges, wrote that the majority had misjudged "
        "the threat from organised crime."
    )
    words = '"This ruling leaves investigators blind in the first hours of a kidnapping," Berg wrote.'
    ruling = "The Supreme Court struck down the data retention law on Tuesday."
    told = _told_beside(report, words, "Anton Berg", ruling)
    assert len([s for s in told if "Berg" in s]) == 1, told


@pytest.mark.parametrize(
    "sentence",
    [
        "A 67-year-old man died in Brenmoor when a tree fell on his car, police said.",
        "Anton Reisz, 67, a retired teacher from Dornhelm, died in the fire.",
        "A fisherman aged 58 drowned when his boat capsized.",
    ],
)
def test_someones_age_is_no_count(sentence: str) -> None:
    assert readings(sentence, None) == []


def test_an_age_beside_a_toll_is_no_disagreement() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ["A 67-year-old man died in Brenmoor on Tuesday, police said."]),
            extracted("bbbbbbbbbbbb", ["The storm killed two people in Brenmoor on Tuesday."]),
        ]
    )
    assert figure_discrepancies(brief) == []


def test_homes_without_power_and_customers_cut_off_are_one_count() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ["The storm left about 48,000 homes without electricity on Tuesday."]),
            extracted("bbbbbbbbbbbb", ["On Tuesday the storm cut off 61,500 electricity customers."]),
        ]
    )
    assert [values for _, values in figure_discrepancies(brief)] == [
        ["48,000 homes", "61,500 electricity customers"]
    ]


def test_homes_destroyed_beside_power_lines_are_not_homes_without_power() -> None:
    [reading] = readings("The fire destroyed 40 homes on Tuesday and brought down power lines.", None)
    assert reading.unit == "homes"


@pytest.mark.parametrize(
    ("first", "second", "disputed"),
    [
        (
            "Some 39,200 homes were without power on Wednesday.",
            "Nearly 40,000 homes were without power on Wednesday.",
            False,
        ),
        ("The quake killed 2,400 people on Monday.", "The quake killed 2,000 people on Monday.", True),
        ("The quake killed 2,040 people on Monday.", "The quake killed 2,000 people on Monday.", False),
    ],
)
def test_a_round_figure_is_the_precise_one_it_rounds_only_when_close(
    first: str, second: str, disputed: bool
) -> None:
    brief = merge([extracted("aaaaaaaaaaaa", [first]), extracted("bbbbbbbbbbbb", [second])])
    assert bool(figure_discrepancies(brief)) == disputed, figure_discrepancies(brief)


@pytest.mark.parametrize(
    ("sentence", "split"),
    [
        ("The court, which ruled 7-2, gave parliament a year to write a new law.", (2.0, 7.0)),
        ("The judges were divided, ruling by six votes to three.", (3.0, 6.0)),
        ("It came in a 5-4 decision that surprised the government.", (4.0, 5.0)),
        ("Argentina won 4-2 on penalties.", None),
        ("The match ended 3-3 after extra time.", None),
    ],
)
def test_a_split_vote_is_read_in_the_words_of_a_vote_only(
    sentence: str, split: tuple[float, float] | None
) -> None:
    votes = [(r.amount.low, r.amount.high) for r in readings(sentence, None) if r.unit == "vote"]
    assert votes == ([split] if split else [])


def test_a_vote_split_reported_two_ways_is_a_disagreement() -> None:
    brief = merge(
        [
            extracted(
                "aaaaaaaaaaaa",
                ["The Supreme Court struck down the law on Tuesday, ruling by seven votes to two."],
            ),
            extracted(
                "bbbbbbbbbbbb", ["The court, which ruled 7-2, gave parliament a year to write a new law."]
            ),
            extracted("cccccccccccc", ["The judges were deeply divided, ruling by six votes to three."]),
        ]
    )
    assert [values for _, values in figure_discrepancies(brief)] == [["7-2", "six votes to three"]]


ELECTION = [
    extracted(
        "aaaaaaaaaaaa",
        ["The Labour-Green Union took 27 seats, the Farmers' Party 10 and the Northmarch Regionalists 5."],
    ),
    extracted(
        "bbbbbbbbbbbb",
        ["The Labour-Green Union had 27 seats, the Farmers' Party 8 and the Northmarch Regionalists 4."],
    ),
    extracted("cccccccccccc", ["The Farmers' Party took 10 seats and the Northmarch Regionalists 5."]),
    extracted(
        "dddddddddddd",
        ["The Northmarch Regionalists, who won 5 seats, said they would not join any coalition."],
    ),
    extracted(
        "eeeeeeeeeeee",
        ["A party needs 41 seats to govern alone, and neither of the two largest parties reached it."],
    ),
    extracted(
        "ffffffffffff", ["With all ballots counted, the Alliance had 39 seats, two short of the 41 it needs."]
    ),
]


def test_each_partys_seats_are_a_count_of_their_own() -> None:
    # Four parties' seats and the seats a majority needs: no two of them one count.
    assert figure_discrepancies(merge(ELECTION)) == []


def test_undated_reports_are_headed_by_the_newest_datelines_title() -> None:
    reports = [
        (
            "aaaaaaaaaaaa",
            "KORVEL, Sept. 22 - The Alliance led as counting ran on.",
            "Alliance edges ahead",
        ),
        (
            "bbbbbbbbbbbb",
            "KORVEL, Sept. 23 - The Alliance won the election with 39 seats.",
            "Alliance wins Northmarch vote as count ends",
        ),
    ]
    titled = []
    for aid, sentence, title in reports:
        e = extracted(aid, [sentence])
        titled.append(
            e.model_copy(
                update={
                    "article": e.article.model_copy(update={"title": title}),
                    "extraction": e.extraction.model_copy(update={"headline": title}),
                }
            )
        )
    assert merge(titled).headline == "Alliance wins Northmarch vote as count ends"


def test_whom_the_interpretation_quotes_is_not_quoted_again_in_the_highlights() -> None:
    view = "Ian Bremmer, an analyst at the Eurasia Group, said another short truce was likely, not a deal."
    words = '"This truce is a pause, not a peace," Bremmer said.'
    reading = Claim(statement=view, category=ClaimCategory.analysis, evidence=view)
    brief = merge(
        [
            with_claims(
                extracted("aaaaaaaaaaaa", [VALDORO], ["Ian Bremmer"]),
                [reading, quotation(words)],
                view,
                words,
            ),
            with_claims(extracted("bbbbbbbbbbbb", [VALDORO], ["Ian Bremmer"]), [quotation(words)], words),
        ]
    )
    assert [p.text for p in brief.interpretation if "Bremmer" in p.text]
    assert words not in [c.statement for c in shown(brief)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The death toll from Storm Edda rose to four on Wednesday, police said.",
            [("four", "deaths", "Wednesday")],
        ),
        ("Storm Edda hit the coast on Tuesday, killing two people.", [("two people", "deaths", "Tuesday")]),
        ("Workers joined a strike across the carmaker's three factories on Tuesday.", []),
    ],
)
def test_a_spelled_count_and_its_day_are_read(sentence: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(r.value, r.unit, r.when) for r in readings(sentence, "Monday")] == expected


def test_a_whole_is_not_the_count_of_its_part() -> None:
    sentence = "With all ballots counted, the Alliance had 39 seats, two short of the 41 seats it needs."
    assert [r.value for r in readings(sentence, None)] == ["39 seats"]


def test_reports_of_several_days_open_on_the_newest_days_news() -> None:
    hit = "Storm Edda hit the Calder Coast on Tuesday, cutting power to thousands of homes."
    toll = "Police said on Wednesday that the storm had now killed four people on the Calder Coast."
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", [hit], published="2025-01-14"),
            extracted("bbbbbbbbbbbb", [hit], published="2025-01-14"),
            extracted("cccccccccccc", [toll], published="2025-01-15"),
        ],
        options=MergeOptions(lede_claims=1),
    )
    assert lede_of(brief) == [toll]


def lede_of(brief: Brief) -> list[str]:
    claims = {c.id: c.statement for c in brief.claims}
    return [claims[i] for i in brief.lede_claim_ids]


def test_a_name_cut_short_is_no_other_spelling() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ["Helena Varga won the election on Tuesday."], ["Helena Varga"]),
            extracted("bbbbbbbbbbbb", ["Varga won the election on Tuesday, the count showed."], ["Varga"]),
            extracted("cccccccccccc", ["Helen Varga won the regional election on Tuesday."], ["Helen Varga"]),
        ]
    )
    spelling = [line for line in render_markdown(brief).splitlines() if "is also written" in line]
    assert len(spelling) == 1 and '"Helen' in spelling[0] and '"Varga"' not in spelling[0], spelling


FIRST_RETURNS = (
    "KORVEL, Sept. 22 - With about 70 percent of ballots counted late on Monday, the count went on."
)
FINAL_COUNT = "KORVEL, Sept. 23 - The count ended on Tuesday."
PARTIAL_SEATS = (
    "The governing Labour-Green Union had 30 seats, the Farmers' Party 8 and the Northmarch Regionalists 4."
)
FINAL_SEATS = "The Labour-Green Union took 27 seats, the Farmers' Party 10 and the Northmarch Regionalists 5."


def timelines(brief: Brief) -> list[tuple[str, list[str]]]:
    return [(d.subject, [v.value for v in d.values]) for d in brief.discrepancies if d.kind == "timeline"]


def test_a_count_still_being_made_is_followed_to_its_final_value_not_disputed() -> None:
    # Monday's seats with 70 percent of ballots counted, then Tuesday's when the count was done.
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", [FIRST_RETURNS, PARTIAL_SEATS]),
            extracted("bbbbbbbbbbbb", [FINAL_COUNT, FINAL_SEATS]),
            extracted("cccccccccccc", [FINAL_COUNT, FINAL_SEATS]),
        ]
    )
    assert figure_discrepancies(brief) == []
    assert timelines(brief) == [("Labour-Green Union seats", ["30 seats", "27 seats"])]
    # The first returns are not a source for the final count, though they read alike.
    assert items_with(brief, "27 seats") == [["bbbbbbbbbbbb", "cccccccccccc"]]


def test_finished_counts_of_other_days_still_disagree() -> None:
    # No report says its count was unfinished: 30 against 27 seats is a disagreement.
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ["KORVEL, Sept. 22 - The count ended.", PARTIAL_SEATS]),
            extracted("bbbbbbbbbbbb", [FINAL_COUNT, FINAL_SEATS]),
            extracted("cccccccccccc", [FINAL_COUNT, FINAL_SEATS]),
        ]
    )
    assert figure_discrepancies(brief) == [("Labour-Green Union seats", ["27 seats", "30 seats"])]
    assert timelines(brief) == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The Civic Alliance had secured 34 of the 81 seats in the assembly.", [("34 of the 81 seats", 34)]),
        (
            "The last postal ballots lifted Helena Varga's Civic Alliance to 39 of the assembly's 81 seats.",
            [("39 of the assembly's 81 seats", 39)],
        ),
        ("Berg, one of the two dissenting judges, wrote the opinion.", []),
    ],
)
def test_a_part_of_a_whole_counts_what_the_whole_counts(
    sentence: str, expected: list[tuple[str, int]]
) -> None:
    assert [(r.value, r.amount.low) for r in readings(sentence, None)] == expected


def test_the_day_a_count_is_compared_with_is_not_its_day() -> None:
    sentence = (
        "The Alliance finished with 39 seats, five more than it held when counting paused on Monday night."
    )
    assert [r.when for r in readings(sentence, "Sept. 23")] == ["Sept. 23"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The factory accounts for about a quarter of all jobs in Altenweiler.", [("a quarter", 25.0)]),
        ("The Alliance won two-thirds of the seats it contested.", [("two-thirds", 66.666667)]),
        ("Half of the town was under water by noon.", [("Half", 50.0)]),
        ("Nearly seven in ten nurses who took part voted to strike.", [("seven in ten", 70.0)]),
        ("One in three homes in the valley lost power.", [("One in three", 33.333333)]),
        # A quarter of a year, and a share given without what it is of, are not read.
        ("It will book the charge in the first quarter.", []),
        ("Orders fell by about a third in two years.", [("two years", 2.0)]),
    ],
)
def test_a_share_in_words_is_a_percentage(sentence: str, expected: list[tuple[str, float]]) -> None:
    assert [(r.value, r.amount.low) for r in readings(sentence, None)] == expected


def test_a_towns_share_of_jobs_reported_two_ways_is_a_disagreement() -> None:
    brief = merge(
        [
            extracted(
                "aaaaaaaaaaaa",
                ["The factory accounts for about a quarter of all jobs in Altenweiler, the mayor said."],
            ),
            extracted(
                "bbbbbbbbbbbb",
                ["The plant provides roughly 15 percent of employment in the town, the labour office said."],
            ),
            extracted("cccccccccccc", ["The company will cut 10 percent of its workforce in Darnstedt."]),
            # The region's share is another quantity than the town's.
            extracted(
                "dddddddddddd", ["The plant accounts for roughly 6 percent of employment in the region."]
            ),
        ]
    )
    assert figure_discrepancies(brief) == [("share of jobs in Altenweiler", ["15 percent", "a quarter"])]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Provisional turnout stood at 61.9 percent, the commission said.", [("61.9 percent", "turnout")]),
        ("Some 61.9 per cent of registered voters took part.", [("61.9 per cent", "turnout")]),
        ("It was a 63 percent turnout.", [("63 percent", "turnout")]),
        # The winner's share beside the turnout is not the turnout.
        (
            "The Alliance won 41 percent on a turnout of 60 percent.",
            [("41 percent", "percent"), ("60 percent", "turnout")],
        ),
    ],
)
def test_a_turnout_is_read_as_one(sentence: str, expected: list[tuple[str, str]]) -> None:
    assert [(r.value, r.unit) for r in readings(sentence, None)] == expected


def test_a_final_turnout_reported_two_ways_is_a_disagreement_and_the_provisional_one_no_timeline() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", [FIRST_RETURNS, "Provisional turnout stood at 61.9 percent."]),
            extracted(
                "bbbbbbbbbbbb", [FINAL_COUNT, "Turnout climbed to 63.4 percent once postal votes were added."]
            ),
            extracted(
                "cccccccccccc",
                [FINAL_COUNT, "Some 61.9 per cent of registered voters took part, the commission said."],
            ),
        ]
    )
    assert figure_discrepancies(brief) == [("turnout", ["61.9 percent", "63.4 percent"])]
    assert timelines(brief) == []


DAY_ONE = "PORT ELLIS, March 3 - The ferry capsized on Monday night."
DAY_TWO = "PORT ELLIS, March 4 - Divers entered the hull."


def test_a_count_named_by_weekday_and_by_date_follows_its_reports_days() -> None:
    # "31 on Monday" (a March 3 report) and "22" (March 4): falling, still in the order of the days.
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", [DAY_ONE, "By Monday night 31 people were missing."]),
            extracted("bbbbbbbbbbbb", [DAY_TWO, "Twenty-two people are still missing."]),
        ]
    )
    assert timelines(brief) == [("missing", ["31 people", "Twenty-two people"])]


def test_rescued_counts_of_one_day_named_two_ways_disagree_and_a_bound_keeps_its_value() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", [DAY_ONE, "The coast guard said 176 people had been rescued."]),
            extracted("bbbbbbbbbbbb", [DAY_ONE, "More than 170 people were rescued overnight."]),
            extracted("cccccccccccc", [DAY_TWO, "The coast guard said 192 people had now been rescued."]),
            extracted(
                "dddddddddddd",
                [DAY_TWO, "The health authority said on Wednesday that 188 people had been rescued."],
            ),
        ]
    )
    # "More than 170" is 176, not another value; Wednesday is the March 4 reports' day.
    assert [values for _, values in figure_discrepancies(brief)] == [["188 people", "192 people"]]
    assert [values for _, values in timelines(brief)] == [["176 people", "188 people"]]


def test_a_preliminary_manifest_is_revised_not_disputed() -> None:
    brief = merge(
        [
            extracted(
                "aaaaaaaaaaaa",
                [DAY_ONE, "The preliminary manifest listed 198 passengers and 18 crew members."],
            ),
            extracted(
                "bbbbbbbbbbbb", [DAY_TWO, "The final manifest listed 212 passengers and 19 crew members."]
            ),
        ]
    )
    assert figure_discrepancies(brief) == []


def test_a_place_of_two_words_is_named_whole() -> None:
    assert [r.places for r in readings("Nine people died in Port Ellis on Monday.", None)] == [
        frozenset({"Port Ellis"})
    ]


@pytest.mark.parametrize(
    ("other", "disputed"),
    [
        ("The closure will cost about 1,400 jobs, the company said.", False),
        ("The closure will cost nearly 1,500 jobs, the company said.", False),
        ("The closure will cost about 1,200 jobs, the company said.", True),
    ],
)
def test_an_approximate_round_figure_is_the_exact_one_it_rounds(other: str, disputed: bool) -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", ["The closure will cost 1,430 jobs, the company said."]),
            extracted("bbbbbbbbbbbb", ["The closure will cost 1,430 jobs, the union said."]),
            extracted("cccccccccccc", [other]),
        ]
    )
    assert bool(figure_discrepancies(brief)) is disputed


def test_a_quotation_is_cited_only_to_the_sources_that_carry_its_words() -> None:
    words = (
        '"We are still treating this as a rescue operation, and we will keep searching through the night,"'
    )
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", [f"{words} said Captain Maren Tollef of the Brannock Coast Guard."]),
            extracted(
                "bbbbbbbbbbbb", [f"{words} Captain Maren Tollef of the Brannock Coast Guard told reporters."]
            ),
            extracted(
                "cccccccccccc",
                [
                    "Captain Maren Tollef of the Brannock Coast Guard said her crews had passed the board "
                    "everything they had recorded during the rescue operation."
                ],
            ),
        ]
    )
    quoted = [c for c in brief.claims if "rescue operation, and" in c.statement]
    assert [c.article_ids for c in quoted] == [["aaaaaaaaaaaa", "bbbbbbbbbbbb"]]
    assert {e.article_id for e in quoted[0].evidence} == {"aaaaaaaaaaaa", "bbbbbbbbbbbb"}
