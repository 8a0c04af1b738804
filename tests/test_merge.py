from factories import article
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.contracts import (
    ArticleExtraction,
    Backend,
    Claim,
    ClaimCategory,
    Entity,
    EntityKind,
    ExtractedArticle,
    ExtractionMeta,
    Figure,
)
from briefing.merge.brief import merge
from briefing.render.brief import render_json, render_markdown


def extracted(aid: str, claims: list[Claim], entities: list[Entity] | None = None) -> ExtractedArticle:
    text = "\n\n".join(c.evidence for c in claims)
    return ExtractedArticle(
        article=article(text or "x", id=aid, source=f"Outlet {aid}", title=f"Title {aid}"),
        extraction=ArticleExtraction(
            headline=f"Talks resume in London ({aid})",
            summary=claims[0].statement if claims else "",
            entities=entities or [],
            claims=claims,
        ),
        meta=ExtractionMeta(backend=Backend.extractive),
    )


def claim(
    text: str, category: ClaimCategory = ClaimCategory.event, figures: list[Figure] | None = None
) -> Claim:
    return Claim(statement=text, category=category, figures=figures or [], evidence=text)


def pct(value: str, period: str | None = None) -> Figure:
    return Figure(value=value, unit="percent", period=period)


VENUE = [
    "Talks between the two delegations were held at Lancaster House in London on Monday.",
    "The delegations held their talks at London's Lancaster House on Monday.",
    "On Monday the talks took place at Lancaster House in London.",
]
YOY = "China's exports to the US fell {} year-on-year in May, the steepest drop since 2020."
MOM = "Chinese exports to the US dropped {} in May compared with April, to $28.8 billion."


def story() -> list[ExtractedArticle]:
    return [
        extracted(
            "aaaaaaaaaaaa",
            [
                claim(VENUE[0]),
                claim(YOY.format("34.5%"), ClaimCategory.figure, [pct("34.5%", "year-on-year, May")]),
            ],
            [Entity(name="Donald Trump", kind=EntityKind.person, role="President")],
        ),
        extracted(
            "bbbbbbbbbbbb",
            [
                claim(VENUE[1]),
                claim(YOY.format("34.5%"), ClaimCategory.figure, [pct("34.5%", "year-on-year")]),
                claim(
                    MOM.format("12.7%"),
                    ClaimCategory.figure,
                    [pct("12.7%", "May compared with April"), Figure(value="$28.8 billion", unit="USD")],
                ),
            ],
            [Entity(name="Donald Trump", kind=EntityKind.person, role="President")],
        ),
        extracted(
            "cccccccccccc",
            [
                claim(VENUE[2]),
                claim(YOY.format("34-35%"), ClaimCategory.figure, [pct("34-35%", "year-on-year")]),
                claim("Gold prices rose slightly on Monday.", ClaimCategory.reaction),
            ],
            [Entity(name="Donald Trump", kind=EntityKind.person, role="former President")],
        ),
    ]


def test_same_claim_across_sources_is_one_item_citing_all() -> None:
    brief = merge(story())
    venue = [c for c in brief.claims if "Lancaster House" in c.statement]
    assert len(venue) == 1
    assert venue[0].source_count == 3 and not venue[0].single_source
    assert venue[0].article_ids == ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"]
    assert len(venue[0].evidence) == 3


def test_conflicting_figure_is_a_discrepancy_not_a_blend() -> None:
    brief = merge(story())
    yoy = [c for c in brief.claims if "year-on-year" in c.statement]
    assert len(yoy) == 1
    assert "34.5%" in yoy[0].statement
    assert yoy[0].article_ids == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
    assert yoy[0].disputed_by == ["cccccccccccc"]
    figure = [d for d in brief.discrepancies if d.kind == "figure"]
    assert len(figure) == 1
    assert [(v.value, v.article_ids) for v in figure[0].values] == [
        ("34.5%", ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]),
        ("34-35%", ["cccccccccccc"]),
    ]
    assert yoy[0].discrepancy_ids == [figure[0].id]


def test_month_on_month_figure_is_a_different_quantity() -> None:
    brief = merge(story())
    mom = [c for c in brief.claims if "12.7%" in c.statement]
    assert len(mom) == 1 and mom[0].single_source and not mom[0].disputed_by
    for d in brief.discrepancies:
        assert "12.7%" not in {v.value for v in d.values}


def test_role_disagreement_is_shown() -> None:
    brief = merge(story())
    roles = [d for d in brief.discrepancies if d.kind == "role"]
    assert len(roles) == 1 and roles[0].subject == "Donald Trump"
    assert [(v.value, v.article_ids) for v in roles[0].values] == [
        ("President", ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]),
        ("former President", ["cccccccccccc"]),
    ]


def test_markdown_cites_every_statement_and_shows_disagreements() -> None:
    md = render_markdown(merge(story(), date="2025-06-10"))
    assert md.startswith("# 📰 Highlights\n")
    assert "*2025-06-10 · 3 sources · extractive backend, no model*" in md
    assert "## ⚖️ Where sources disagree" in md
    assert "34.5% [1][2] · 34-35% [3]" in md
    assert "President [1][2] · former President [3]" in md
    assert "Gold prices rose slightly on Monday. [3] *(one source)*" in md
    for line in md.split("## ⚖️")[0].splitlines():
        if line.startswith("- "):
            assert "[" in line and "]" in line, line
    assert "1. **Outlet aaaaaaaaaaaa**: Title aaaaaaaaaaaa" in md


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(3)))
def test_any_input_order_gives_identical_bytes(order: list[int]) -> None:
    base = story()
    shuffled = [base[i] for i in order]
    assert render_markdown(merge(shuffled)) == render_markdown(merge(base))
    assert render_json(merge(shuffled)) == render_json(merge(base))


def test_header_names_the_model_even_when_articles_fell_back() -> None:
    articles = story()
    articles[0].meta = ExtractionMeta(backend=Backend.model, model="m-1", attempts=1)
    articles[1].meta = ExtractionMeta(
        backend=Backend.extractive, model="m-1", attempts=12, fallback_reason="x"
    )
    md = render_markdown(merge(articles))
    assert "model m-1; extractive backend for 1 of 3 articles" in md
    assert "Title bbbbbbbbbbbb (extractive summary)" in md and "fallback" not in md
    for e in articles:
        e.meta = ExtractionMeta(backend=Backend.extractive, model="m-1", fallback_reason="timeout")
    md = render_markdown(merge(articles))
    assert "· extractive backend*" in md and "timeout" not in md
    assert "extractive backend, no model" not in md


def test_variant_spellings_are_canonical_outside_quotations_only() -> None:
    said = 'Ms. Okafor said: "We met Scott Besant twice," adding that Scott Besant had been frank.'
    echo = 'Ms. Okafor said: "We met Scott Bessent twice," adding that Scott Bessent had been frank.'
    articles = [
        extracted("aaaaaaaaaaaa", [claim(VENUE[0])], [Entity(name="Scott Bessent", kind=EntityKind.person)]),
        extracted(
            "bbbbbbbbbbbb",
            [claim(VENUE[1]), claim(echo, ClaimCategory.quote)],
            [Entity(name="Scott Bessent", kind=EntityKind.person)],
        ),
        extracted(
            "cccccccccccc",
            [claim(said, ClaimCategory.quote)],
            [Entity(name="Scott Besant", kind=EntityKind.person)],
        ),
    ]
    claims = merge(articles).claims
    statement = next(c.statement for c in claims if "Okafor" in c.statement)
    assert (
        statement == 'Ms. Okafor said: "We met Scott Besant twice," adding that Scott Bessent had been frank.'
    )


def test_a_statement_cited_to_one_source_keeps_that_sources_spelling() -> None:
    articles = [
        extracted(
            "aaaaaaaaaaaa",
            [
                claim(
                    "White House press chief Caroline Leavitt said the team would press China on its pledges."
                )
            ],
            [Entity(name="Caroline Leavitt", kind=EntityKind.person, role="Press Secretary")],
        ),
        extracted(
            "bbbbbbbbbbbb",
            [claim("Karoline Leavitt, speaking for the White House, listed three demands for Beijing.")],
            [Entity(name="Karoline Leavitt", kind=EntityKind.person, role="spokesperson")],
        ),
    ]
    brief = merge(articles)
    statements = {c.article_ids[0]: c.statement for c in brief.claims}
    assert "Karoline Leavitt, speaking" in statements["bbbbbbbbbbbb"]
    assert "chief Caroline Leavitt said" in statements["aaaaaaaaaaaa"]
    assert [e.name for e in brief.entities] == ["Karoline Leavitt"]


def test_a_contradicted_role_in_a_statement_is_marked_as_disputed() -> None:
    articles = story()
    articles[2].extraction.claims.append(
        claim(
            "Former President Donald Trump wrote online that he expected a good meeting.", ClaimCategory.quote
        )
    )
    articles[0].extraction.claims.append(
        claim("President Donald Trump phoned Xi Jinping last week.", ClaimCategory.background)
    )
    brief = merge(articles)
    (role,) = [d for d in brief.discrepancies if d.kind == "role"]
    marked = next(c for c in brief.claims if "wrote online" in c.statement)
    assert marked.statement == (
        "Donald Trump (called former President here, a title other sources dispute) wrote online that he "
        "expected a good meeting."
    )
    assert marked.discrepancy_ids == [role.id] and role.claim_ids == [marked.id]
    plain = next(c for c in brief.claims if "phoned" in c.statement)
    assert (
        plain.statement == "President Donald Trump phoned Xi Jinping last week." and not plain.discrepancy_ids
    )


def test_the_majority_role_inside_a_longer_title_is_not_marked() -> None:
    people = {
        "aaaaaaaaaaaa": (
            "Vice President",
            "Vice President Fuat Oktay said rescue teams had reached every province.",
        ),
        "bbbbbbbbbbbb": (
            "Vice President",
            "Vice President Fuat Oktay visited the damaged hospital in Hatay.",
        ),
        "cccccccccccc": ("President", "Turkey's President Fuat Oktay said the toll had passed 8,500."),
    }
    brief = merge(
        [
            extracted(aid, [claim(text)], [Entity(name="Fuat Oktay", kind=EntityKind.person, role=role)])
            for aid, (role, text) in people.items()
        ]
    )
    statements = sorted(c.statement for c in brief.claims)
    assert statements == [
        "Fuat Oktay (called Turkey's President here, a title other sources dispute) said the toll had "
        "passed 8,500.",
        "Vice President Fuat Oktay said rescue teams had reached every province.",
        "Vice President Fuat Oktay visited the damaged hospital in Hatay.",
    ]


PLACES = ["Northbay", "Easton", "Millford", "Kestrel Bay", "Dunmore", "Ashby", "Corran", "Harrow"]
THINGS = ["buses", "classrooms", "ferry berths", "water mains", "cycle lanes", "clinics", "bridges"]


def crowd(n: int) -> list[ExtractedArticle]:
    """`n` outlets that all report one fact (in a VENUE wording) beside three claims of their own."""
    articles = []
    for i in range(n):
        own = [
            claim(
                f"The {PLACES[i % 8]} council plans {i + 7} new {THINGS[(i + k) % 7]} "
                f"for district {i * 3 + k}."
            )
            for k in range(3)
        ]
        articles.append(extracted(f"{i:012x}", [claim(VENUE[i % 3]), *own]))
    return articles


def test_a_fact_every_source_reports_is_one_item_beyond_the_exhaustive_size() -> None:
    # 700 articles x 4 claims is past the size where candidate search stops being exhaustive
    # (similarity.EXACT_UP_TO): the fact all 700 report must still be one item citing all of them.
    articles = crowd(700)
    brief = merge(articles)

    venue = [c for c in brief.claims if "Lancaster House" in c.statement]
    assert len(venue) == 1 and venue[0].source_count == 700
    assert brief.claims[0] is venue[0], "the most-reported fact leads"
    assert render_markdown(merge(list(reversed(articles)))) == render_markdown(brief)
