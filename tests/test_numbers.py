"""One number reader: scale words and digit groupings read the same way by extraction, grounding,
verify and eval, in every language the project reads numbers in."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.check.grounding import check_extraction, figure_in_text, find_evidence
from briefing.check.metrics import same_label_value as _same_label_value
from briefing.contracts import ArticleExtraction, Claim, ClaimCategory, Figure
from briefing.merge.numbers import (
    SCALE_VALUES,
    find_figures,
    mask_figures,
    numbers_in,
    parse_value,
    read_digits,
    same_value,
    unstated_numbers,
)

# How a figure may name each scale, as a model writes it in English; single letters are glued on.
ENGLISH_SCALES = {
    "thousand": ["thousand", "k"],
    "lakh": ["lakh", "lakhs", "lac", "lacs"],
    "million": ["million", "mn", "mln", "m"],
    "crore": ["crore", "crores"],
    "billion": ["billion", "bn", "bln", "b"],
    "trillion": ["trillion", "tn", "trn", "t"],
}
# How an article in each language names the scales, and how it groups digits.
LANGUAGES: dict[str, tuple[str, dict[str, list[str]]]] = {
    "en": ("1,234.5", ENGLISH_SCALES),
    "de": (
        "1.234,5",
        {
            "thousand": ["Tsd.", "tausend"],
            "million": ["Mio.", "Mio", "Million", "Millionen"],
            "billion": ["Mrd.", "Mrd", "Milliarde", "Milliarden"],
            "trillion": ["Billionen"],
        },
    ),
    "fr": (
        "1 234,5",
        {"thousand": ["mille"], "million": ["millions", "million"], "billion": ["milliards", "milliard"]},
    ),
    "es": (
        "1.234,5",
        {
            "thousand": ["mil"],
            "million": ["millones", "millón"],
            "billion": ["mil millones"],
            "trillion": ["billones"],
        },
    ),
    "it": ("1.234,5", {"million": ["milioni", "milione"], "billion": ["miliardi", "miliardo"]}),
    "pt": ("1.234,5", {"thousand": ["mil"], "million": ["milhões", "milhão"]}),
    "nl": (
        "1.234,5",
        {"thousand": ["duizend"], "million": ["miljoen"], "billion": ["miljard"], "trillion": ["biljoen"]},
    ),
    "pl": (
        "1 234,5",
        {
            "thousand": ["tys."],
            "million": ["mln", "milionów"],
            "billion": ["mld", "miliardów"],
            "trillion": ["bilionów"],
        },
    ),
    "ru": (
        "1 234,5",
        {"thousand": ["тыс."], "million": ["млн", "миллионов"], "billion": ["млрд"], "trillion": ["трлн"]},
    ),
    "sv": ("1 234,5", {"million": ["miljoner"], "billion": ["miljarder"]}),
    "id": ("1.234,5", {"thousand": ["ribu"], "million": ["juta"], "billion": ["miliar"]}),
    "vi": ("1.234,5", {"thousand": ["nghìn"], "million": ["triệu"], "billion": ["tỷ"]}),
}
# Every spelling of every scale, as a statement may keep the article's word ("Rs 3 crore", "$5 млрд");
# not "mil", a thousand only in a Spanish or Portuguese text ("$5 mil" in English is five million).
ALL_SCALES = sorted(
    {
        (name, word)
        for _, words in LANGUAGES.values()
        for name, spellings in words.items()
        for word in spellings
        if word != "mil"
    }
)
CURRENCIES = ["", "$", "€", "Rs ", "£"]


def english(value: Decimal) -> str:
    """'1,234.5': the way the brief's statements and a model's figures write a number."""
    whole, _, fraction = f"{value:f}".partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def local(value: Decimal, grouping: str) -> str:
    """The number grouped the way `grouping` ('1,234.5', '1.234,5' or '1 234,5') shows."""
    thousands, point = grouping[1], grouping[-2]
    whole, _, fraction = f"{value:f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", thousands)
    return grouped + (f"{point}{fraction}" if fraction else "")


def with_scale(number: str, word: str) -> str:
    return f"{number}{word}" if len(word) == 1 else f"{number} {word}"


values = st.builds(
    lambda whole, cents: Decimal(whole) + Decimal(cents) / 100,
    st.integers(min_value=1, max_value=999_999),
    st.sampled_from([0, 0, 5, 25, 75]),
).map(lambda d: d.normalize() if d == d.to_integral_value() else d)


@st.composite
def scale_pair(draw: st.DrawFn, *, same: bool) -> tuple[str, str, str, str, str]:
    """(language, the figure's scale word, the article's scale word, figure, article sentence).

    The figure is written in English, or (`copied`) the way the article writes numbers and
    scales, as a model may copy it.
    """
    language = draw(st.sampled_from(sorted(LANGUAGES)))
    grouping, words = LANGUAGES[language]
    article_scale = draw(st.sampled_from(sorted(words)))
    copied = draw(st.booleans()) and (same or len(words) > 1)
    figure_words = words if copied else ENGLISH_SCALES
    if same:
        figure_scale = article_scale
    else:
        figure_scale = draw(st.sampled_from(sorted(set(figure_words) - {article_scale})))
    value = draw(values)
    currency = draw(st.sampled_from(CURRENCIES))
    figure_word = draw(st.sampled_from(figure_words[figure_scale]))
    if not currency and figure_word in {"m", "b", "t"}:
        currency = "$"
    article_word = draw(st.sampled_from(words[article_scale]))
    number = local(value, grouping) if copied else english(value)
    figure = currency + with_scale(number, figure_word)
    article = f"The fund holds {currency}{with_scale(local(value, grouping), article_word)} in reserve."
    return language, figure_word, article_word, figure, article


@settings(max_examples=200, deadline=None)
@given(scale_pair(same=False))
def test_a_figure_is_never_grounded_by_its_digits_at_another_scale(
    case: tuple[str, str, str, str, str],
) -> None:
    language, _, _, figure, article = case
    assert not figure_in_text(figure, article, language)


@settings(max_examples=200, deadline=None)
@given(scale_pair(same=True))
def test_a_figure_is_grounded_by_its_amount_in_any_spelling_of_its_scale(
    case: tuple[str, str, str, str, str],
) -> None:
    language, _, _, figure, article = case
    assert figure_in_text(figure, article, language)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ALL_SCALES),
    values,
    st.sampled_from(["$", "€", "Rs "]),
)
def test_extraction_reads_the_scale_grounding_reads(
    scale: tuple[str, str], value: Decimal, currency: str
) -> None:
    name, word = scale
    figure = currency + with_scale(english(value), word)
    found = find_figures(f"The fund holds {figure} in reserve.")
    assert [f.value for f in found] == [figure]
    parsed = parse_value(found[0].value, found[0].unit)
    assert parsed is not None and Decimal(repr(parsed.low)) == (value * SCALE_VALUES[name]).normalize()
    assert [n.absolute for n in numbers_in(figure)] == [value * SCALE_VALUES[name]]


def test_the_same_amount_at_another_scale_is_grounded() -> None:
    """Grounding compares amounts: a figure restated in the reader's scale is the source's figure."""
    assert figure_in_text("Rs 30 million", "The fund holds Rs 3 crore.")
    assert figure_in_text("Rs 3 crore", "The fund holds Rs 30 million.")
    assert figure_in_text("$1.2 million", "It cost 12 lakh dollars.")
    assert figure_in_text("€2.5 billion", "Der Fonds hält 2.500 Mio. Euro.", "de")
    assert not figure_in_text("Rs 3 crore", "The fund holds Rs 3 million.")
    assert not figure_in_text("Rs 3 crore", "The fund holds Rs 3 lakh.")


@pytest.mark.parametrize(
    ("figure", "article", "language"),
    [
        ("1,000 billion", "The fund holds 1.000 Mio. in reserve.", "de"),  # English grouping stays English
        ("1.000 miliar", "The fund holds 1.000 juta in reserve.", "id"),  # copied digits read as the source's
        ("1 mil", "The fund holds 1 milhões in reserve.", "pt"),  # the language's own scale word
    ],
)
def test_a_digit_grouping_read_two_ways_does_not_ground_another_scale(
    figure: str, article: str, language: str
) -> None:
    assert not figure_in_text(figure, article, language)


@pytest.mark.parametrize(
    ("sentence", "value", "unit", "amount"),
    [
        ("The ministry spent Rs 3 crore on the bridge.", "Rs 3 crore", "INR", 3e7),
        ("Farmers were paid 40 lakh rupees in all.", "40 lakh rupees", "INR", 4e6),
        ("The fine was ₹5.5 lakh, the court said.", "₹5.5 lakh", "INR", 5.5e5),
        ("Der Umsatz lag bei 2,5 Mrd. Euro im Jahr.", "2,5 Mrd. Euro", "EUR", 2.5e9),
        ("Der Umsatz lag bei 1.234,5 Mio. Euro im Jahr.", "1.234,5 Mio. Euro", "EUR", 1.2345e9),
        ("Die Firma zahlte €12 Tsd. an Strafe.", "€12 Tsd.", "EUR", 1.2e4),
        ("Le groupe a levé €3 milliards cette année.", "€3 milliards", "EUR", 3e9),
        ("The fund holds $2 trn in assets.", "$2 trn", "USD", 2e12),
        ("The fund holds $2t in assets.", "$2t", "USD", 2e12),
        ("Some 3.500.000 people fled the region.", "3.500.000 people", "people", 3.5e6),
    ],
)
def test_scale_words_and_groupings_of_other_languages_are_read(
    sentence: str, value: str, unit: str, amount: float
) -> None:
    assert [(f.value, f.unit) for f in find_figures(sentence)] == [(value, unit)]
    parsed = parse_value(value)
    assert parsed is not None and parsed.low == pytest.approx(amount) and parsed.unit == unit


def test_digit_groupings() -> None:
    assert read_digits("1,234.5") == Decimal("1234.5")
    assert read_digits("1.234,5") == Decimal("1234.5")
    assert read_digits("1.234.567") == Decimal("1234567")
    assert read_digits("34,5") == Decimal("34.5")
    assert read_digits("1.234") == Decimal("1.234"), "one dot group alone is an English decimal"


def test_mil_is_a_thousand_only_where_the_language_says_so() -> None:
    assert figure_in_text("$5,000", "Pagó 5 mil dólares.", "es")
    assert not figure_in_text("$5 thousand", "He paid $5 mil for it.")
    assert [(n.value, n.scale) for n in numbers_in("2,5 mil millones", "es")] == [(Decimal("2.5"), "billion")]


def test_figures_at_other_scales_are_different_values() -> None:
    assert not same_value(Figure(value="Rs 3 crore", unit="INR"), Figure(value="Rs 3 lakh", unit="INR"))
    assert same_value(Figure(value="Rs 3 crore", unit="INR"), Figure(value="Rs 30 million", unit="INR"))
    assert mask_figures("spent ₹3 crore") == mask_figures("spent ₹4 lakh") == "spent #"
    assert mask_figures("spent 2,5 Mrd. Euro") == "spent #. Euro"


def test_eval_tells_labelled_values_at_other_scales_apart() -> None:
    assert not _same_label_value("Rs 3 crore", "Rs 3 lakh")
    assert not _same_label_value("€2,5 Mrd.", "€2,5 Mio.")
    assert _same_label_value("Rs 3 crore", "Rs 3 crore")


def test_the_digits_without_their_scale_are_not_the_figure() -> None:
    """ "$2" is not "$2 million": a figure or a statement that drops the scale word misstates it."""
    assert not figure_in_text("$2", "The fund holds $2 million.")
    assert not figure_in_text("5", "About 5 million people were affected.")
    assert figure_in_text("2,000,000", "The fund holds $2 million.")
    assert figure_in_text("$2", "The fund holds $2, down from $3.")
    text = "The fund holds $2 million in reserve, the port authority said on Tuesday."
    assert unstated_numbers("The fund holds $2 in reserve.", numbers_in(text), "en")


def test_a_scale_given_in_the_unit_is_read_with_the_value() -> None:
    """A model may write the scale in the unit ("2", "million USD"); the pair states the amount."""
    text = "The fund holds $2 million in reserve, the port authority said on Tuesday."
    claim = Claim(
        statement="The fund holds $2 million in reserve.",
        category=ClaimCategory.figure,
        figures=[Figure(value="2", unit="million USD")],
        evidence=text,
    )
    extraction = ArticleExtraction(headline="Fund", summary="Reserve", claims=[claim])
    assert check_extraction(extraction, text, language="en", translated=False)[1] == []
    wrong = claim.model_copy(update={"figures": [Figure(value="2", unit="USD")]})
    extraction = ArticleExtraction(headline="Fund", summary="Reserve", claims=[wrong])
    assert check_extraction(extraction, text, language="en", translated=False)[1] == [
        "claim 1: figure '2' not in its evidence"
    ]


def test_near_evidence_with_another_scale_word_is_not_found() -> None:
    text = "The ministry said on Monday that it spent Rs 3 crore on the new bridge over the river."
    assert find_evidence("it spent Rs 3 crore on the new bridge over the river", text)
    assert not find_evidence("it spent Rs 3 lakh on the new bridge over the river", text)


def test_extraction_check_drops_a_claim_whose_scale_changed() -> None:
    text = "Der Hafenfonds verfügt nun über 2,5 Mrd. Euro an Reserven, teilte die Behörde mit."
    claim = Claim(
        statement="The harbour fund now holds €2.5 million in reserve.",
        category=ClaimCategory.figure,
        figures=[Figure(value="€2.5 million", unit="EUR")],
        evidence="Der Hafenfonds verfügt nun über 2,5 Mrd. Euro an Reserven",
    )
    extraction = ArticleExtraction(headline="Hafenfonds", summary="Reserve", claims=[claim])
    _, reasons = check_extraction(extraction, text, language="de", translated=True)
    assert reasons == ["claim 1: figure '€2.5 million' not in its evidence"]
    right = claim.model_copy(
        update={
            "statement": "The harbour fund now holds €2.5 billion.",
            "figures": [Figure(value="€2.5 billion", unit="EUR")],
        }
    )
    extraction = ArticleExtraction(headline="Hafenfonds", summary="Reserve", claims=[right])
    assert check_extraction(extraction, text, language="de", translated=True)[1] == []


# --- through the CLI: a built brief, edited on disk ----------------------------------------------

ARTICLES = {
    "en": (
        "Harbour fund doubles its reserve\n\nThe Northbay harbour fund said on Tuesday that it now holds "
        "{figure} in reserve, after the port authority approved the transfer.\n\nThe board, chaired by "
        "Lena Holm, approved the transfer in a vote on Monday.\n",
        "Northbay fund raises reserve\n\nThe Northbay harbour fund now holds {figure} in reserve, the port "
        "authority said on Tuesday.\n\nThe reserve will pay for repairs to the storm-damaged pier next year, "
        "the fund's chair, Lena Holm, said.\n",
    ),
    "de": (
        "Hafenfonds verdoppelt Reserve\n\nDer Hafenfonds von Northbay verfügt nach eigenen Angaben nun über "
        "{figure} an Reserven, nachdem die Hafenbehörde die Überweisung genehmigt hatte.\n\nDer Vorstand "
        "stimmte am Montag über die Überweisung ab.\n",
    ),
}


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFING_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


@pytest.mark.parametrize("everywhere", [False, True], ids=["statement", "statement-and-evidence"])
@pytest.mark.parametrize(
    ("language", "stated", "changed"),
    [
        ("en", "$2 million", "$2 trillion"),
        ("en", "$2 million", "$2 trn"),
        ("en", "$2 million", "$2"),
        ("en", "Rs 3 crore", "Rs 3 lakh"),
        ("en", "€2.5 Mrd.", "€2.5 Mio."),
        ("de", "2,5 Mrd. Euro", "2,5 Mio. Euro"),
    ],
)
def test_verify_rejects_a_brief_whose_figure_changed_scale(
    runner: CliRunner, tmp_path: Path, language: str, stated: str, changed: str, everywhere: bool
) -> None:
    sources = tmp_path / "articles"
    sources.mkdir()
    for n, template in enumerate(ARTICLES[language]):
        (sources / f"source-{n}.txt").write_text(template.format(figure=stated), encoding="utf-8")
    brief = tmp_path / "brief.json"
    built = runner.invoke(
        app, ["build", str(sources), "--date", "2025-06-10", "--format", "json", "-o", str(brief), "-q"]
    )
    assert built.exit_code == 0, built.output
    data = json.loads(brief.read_text(encoding="utf-8"))
    shown = set(data["lede_claim_ids"]) | {i for s in data["sections"] for i in s["claim_ids"]}
    assert any(stated in c["statement"] for c in data["claims"] if c["id"] in shown), "the figure is shown"
    result = runner.invoke(app, ["verify", str(brief), str(sources)])
    assert result.exit_code == 0, result.output

    if everywhere:  # the whole claim, its evidence too, as a hand edit of the file would
        brief.write_text(brief.read_text(encoding="utf-8").replace(stated, changed), encoding="utf-8")
    else:
        for claim in data["claims"]:
            claim["statement"] = claim["statement"].replace(stated, changed)
        brief.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["verify", str(brief), str(sources)])
    assert result.exit_code == 1, result.output
    unsupported = [line for line in result.stdout.splitlines() if line.startswith("UNSUPPORTED")]
    assert unsupported and all(changed in line for line in unsupported)
    assert "Traceback" not in result.output
