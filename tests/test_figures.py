import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.check.grounding import figure_in_text
from briefing.contracts import Figure
from briefing.merge.numbers import (
    FIGURE_PLACEHOLDER,
    FigureValue,
    canonical_unit,
    conflicting,
    find_figures,
    is_statistic,
    mask_figures,
    parse_value,
    same_value,
)


def found(sentence: str) -> list[tuple[str, str, str | None]]:
    return [(f.value, f.unit, f.period) for f in find_figures(sentence)]


def values(sentence: str) -> list[str]:
    return [f.value for f in find_figures(sentence)]


# --- percentages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("Grain shipments fell 34.5% over the quarter.", "34.5%"),
        ("Grain shipments fell 34.5 % over the quarter.", "34.5 %"),
        ("Grain shipments fell 34.5 percent over the quarter.", "34.5 percent"),
        ("Grain shipments fell 34.5 per cent over the quarter.", "34.5 per cent"),
        ("Grain shipments fell (34.5%) over the quarter.", "34.5%"),
        ("The index slipped -0.5% in early trading.", "-0.5%"),
        ("Sản lượng cá giảm 34,5% so với cùng kỳ.", "34,5%"),
        ("今年一季度粮食出口下降34.5%。", "34.5%"),
        # A share of something is a percentage too: the brief checks it against its evidence.
        ("The plant provides roughly 15 percent of employment in the town.", "15 percent"),
        ("The Alliance won 41.2 per cent of the vote.", "41.2 per cent"),
    ],
)
def test_percentages_in_their_written_forms(sentence: str, value: str) -> None:
    figures = find_figures(sentence)
    assert [f.value for f in figures] == [value]
    assert figures[0].unit == "percent"
    assert parse_value(value) is not None


@pytest.mark.parametrize(
    ("sentence", "value", "low", "high"),
    [
        ("Imports were 34-35% lower than a year before.", "34-35%", 34, 35),
        ("Imports were 34–35% lower than a year before.", "34–35%", 34, 35),
        ("Imports were 34%-35% lower than a year before.", "34%-35%", 34, 35),
        ("Imports were 34% to 35% lower than a year before.", "34% to 35%", 34, 35),
        ("Imports were 3 to 4 percent lower than a year before.", "3 to 4 percent", 3, 4),
        ("Imports were between 34 and 35 percent lower.", "between 34 and 35 percent", 34, 35),
        ("Imports were between 34% and 35% lower.", "between 34% and 35%", 34, 35),
        ("The policy rate sits at 5.25-5.5%, unchanged since spring.", "5.25-5.5%", 5.25, 5.5),
    ],
)
def test_percentage_ranges(sentence: str, value: str, low: float, high: float) -> None:
    assert values(sentence) == [value]
    assert parse_value(value) == FigureValue(low=low, high=high, unit="percent")


def test_a_change_from_one_level_to_another_is_two_figures_not_a_range() -> None:
    sentence = "Duties on steel were cut from 145% to 30%, and on grain from 125% to 10%."
    assert values(sentence) == ["145%", "30%", "125%", "10%"]
    # "0.2% to 4.1%" is a change and a level, too far apart to be a range.
    assert values("Unemployment rose 0.2% to 4.1% in spring.") == ["0.2%", "4.1%"]


def test_points_are_their_own_units() -> None:
    sentence = "Inflation came in 2.5 percentage points higher, and yields rose 25 basis points."
    assert found(sentence) == [
        ("2.5 percentage points", "percentage points", None),
        ("25 basis points", "basis points", None),
    ]


# --- money -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "value", "unit", "amount"),
    [
        ("Exports reached $28.8 billion in the period.", "$28.8 billion", "USD", 28.8e9),
        ("Exports reached 28.8 billion dollars in the period.", "28.8 billion dollars", "USD", 28.8e9),
        ("Exports reached US$28.8bn in the period.", "US$28.8bn", "USD", 28.8e9),
        ("Exports reached USD 28.8 billion in the period.", "USD 28.8 billion", "USD", 28.8e9),
        ("The grant is worth €2 million in total.", "€2 million", "EUR", 2e6),
        ("The fine came to £5bn after appeal.", "£5bn", "GBP", 5e9),
        ("Output was valued at 100 billion yuan last year.", "100 billion yuan", "CNY", 100e9),
        ("The deal is worth RMB 100 billion to the sellers.", "RMB 100 billion", "CNY", 100e9),
        ("Public debt passed $1.2tn in the spring.", "$1.2tn", "USD", 1.2e12),
        ("The firm paid $300,000 to settle.", "$300,000", "USD", 3e5),
        ("The shipyard took a $5m loan.", "$5m", "USD", 5e6),
    ],
)
def test_money_with_scale_and_currency(sentence: str, value: str, unit: str, amount: float) -> None:
    figures = find_figures(sentence)
    assert [(f.value, f.unit) for f in figures] == [(value, unit)]
    assert parse_value(value) == FigureValue(low=amount, high=amount, unit=unit)


def test_prices_quoted_per_unit() -> None:
    assert found("Gold steadied near US$3,300/ounce on Monday.") == [
        ("US$3,300/ounce", "USD per ounce", None)
    ]
    assert found("Brent traded at $80 a barrel.") == [("$80 a barrel", "USD per barrel", None)]
    assert found("Copper fetched $9,500 per tonne.") == [("$9,500 per tonne", "USD per tonne", None)]


def test_money_range_shares_its_scale() -> None:
    assert values("The contract is worth $10-12 billion.") == ["$10-12 billion"]
    assert parse_value("$10-12 billion") == FigureValue(low=10e9, high=12e9, unit="USD")
    assert parse_value("$10 billion to $12 billion") == FigureValue(low=10e9, high=12e9, unit="USD")


def test_pounds_of_something_are_weight_not_money() -> None:
    assert [f.unit for f in find_figures("The farm shipped 500 pounds of apples.")] != ["GBP"]


# --- counts and durations ----------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "value", "unit"),
    [
        ("About 1,200 people left the island.", "1,200 people", "people"),
        ("The ceasefire runs for 90 days.", "90 days", "days"),
        ("The 90-day ceasefire held.", "90-day", "days"),
        ("The mill cut 10,000 jobs.", "10,000 jobs", "jobs"),
        ("The field pumps 1.5 million barrels per day.", "1.5 million barrels per day", "barrels per day"),
        ("The ferry covers 5km each way.", "5km", "km"),
        ("Some 3 major carmakers got licences.", "3 major carmakers", "carmakers"),
        ("The summit will last two days.", "two days", "days"),
        ("A two-day summit opened.", "two-day", "days"),
        ("Five people were hurt.", "Five people", "people"),
        ("The region has a population of 1.4 billion.", "1.4 billion", "count"),
    ],
)
def test_counts_and_durations_with_units(sentence: str, value: str, unit: str) -> None:
    assert [(f.value, f.unit) for f in find_figures(sentence)] == [(value, unit)]


def test_a_compound_spelled_number_is_read_whole_never_as_its_last_word() -> None:
    """ "Forty-four people" is 44: read as "four people" it would be a figure no source gave."""
    [forty_four] = find_figures("Forty-four people are confirmed dead.")
    assert forty_four.value == "Forty-four people"
    assert parse_value(forty_four.value, forty_four.unit).low == 44
    [twenty_one] = find_figures("Twenty-one people died in the flood.")
    assert parse_value(twenty_one.value, twenty_one.unit).low == 21
    assert not figure_in_text("four people", "Forty-four people are confirmed dead.")
    assert figure_in_text("Forty-four people", "Forty-four people are confirmed dead.")


def test_spelled_out_numbers_only_before_common_units() -> None:
    assert values("The two sides met again.") == []
    assert values("Three major carmakers got licences.") == []
    assert values("It took one day.") == []


def test_durations_are_not_statistics() -> None:
    pct, days = find_figures("Tariffs fell 30% for 90 days.")
    assert is_statistic(pct) and not is_statistic(days)
    assert not is_statistic(Figure(value="two-day", unit="days"))


# --- what is not a figure ----------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The talks began on June 9, 2025, in the capital.",
        "The talks began on 9 June and ended on the 10th of June.",
        "The talks run from June 9-10 in the capital.",
        "The session resumes at 10:00 on Tuesday.",
        "The session resumes at 10 a.m. on Tuesday.",
        "The session resumes at 10am sharp.",
        "Trade collapsed during the COVID-19 outbreak.",
        "Growth turned negative in Q1 and recovered in H2.",
        "The S&P 500 closed higher.",
        "Several Boeing 737 jets were grounded.",
        "It was the worst year since 2020.",
        "The 1990s were calmer.",
        "The firm was founded in 1998 in Leeds.",
        "He arrived second, on the 2nd attempt.",
        "The plan covers 24/7 support.",
        "Reporters waited outside No. 10 all night.",
        "Ships idled in the 5G spectrum auction.",
        "The two sides agreed to talk again.",
    ],
)
def test_dates_years_times_codes_and_ordinals_are_not_figures(sentence: str) -> None:
    assert find_figures(sentence) == []


def test_year_with_count_noun_is_a_count_but_plain_year_is_not() -> None:
    assert values("Huawei's 2018 arrest still weighs on ties.") == []
    assert values("Some 2,000 people marched in 2024.") == ["2,000 people"]


# --- periods -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "period"),
    [
        ("Soybean exports fell 12.7% in May compared to April.", "May, compared to April"),
        ("Soybean exports fell 12.7% in May compared with April.", "May, compared with April"),
        ("Soybean sales abroad in May were 34.5% lower year-on-year.", "May, year-on-year"),
        ("Soybean exports fell 34.5% year on year in May 2025.", "May 2025, year on year"),
        ("Soybean exports fell 3.1% from a year earlier.", "from a year earlier"),
        ("Soybean exports fell 2% month-on-month.", "month-on-month"),
        ("Soybean exports rose 3.2% y/y in Q2 2024.", "Q2 2024, y/y"),
        ("Soybean exports fell 5% in the first quarter.", "first quarter"),
        ("Soybean exports fell 5% last year.", "last year"),
        ("May was a poor month: soybean exports were down 34.5% year-on-year.", "May, year-on-year"),
    ],
)
def test_period_is_taken_from_the_sentence(sentence: str, period: str) -> None:
    figures = find_figures(sentence)
    assert len(figures) == 1
    assert figures[0].period == period


def test_no_period_when_the_sentence_gives_none() -> None:
    assert find_figures("Soybean exports fell 12.7%, officials said.")[0].period is None


def test_the_time_of_the_level_a_figure_rose_from_is_not_its_period() -> None:
    figures = find_figures(
        "Turnout stood at 61.9 percent, up from 58.3 percent at the last election in 2021."
    )
    assert [(f.value, f.period) for f in figures] == [("61.9 percent", None), ("58.3 percent", "2021")]


def test_each_figure_gets_its_own_nearest_period() -> None:
    figures = find_figures("Exports fell 12.7% in May, after rising 8% in April.")
    assert [(f.value, f.period) for f in figures] == [("12.7%", "May"), ("8%", "April")]


def test_a_level_takes_the_time_but_not_the_comparison() -> None:
    figures = find_figures("Shipments slipped by 12.7% in May compared to April, to $28.8 billion.")
    assert [(f.value, f.period) for f in figures] == [
        ("12.7%", "May, compared to April"),
        ("$28.8 billion", "May"),
    ]


def test_since_names_a_reference_point_not_the_period() -> None:
    sentence = "Shipments slid 34.5% in May, their worst showing since February 2020."
    assert find_figures(sentence)[0].period == "May"
    sentence = "Exports were down 34-35%, a slump not seen since the crisis hit in 2020."
    assert find_figures(sentence)[0].period is None


def test_may_the_verb_is_not_a_month() -> None:
    assert find_figures("Prices may rise 3% this year.")[0].period == "this year"


# --- values and comparison ---------------------------------------------------


def pct(value: str) -> Figure:
    return Figure(value=value, unit="percent")


def test_same_value_across_spellings() -> None:
    assert same_value(pct("34.5%"), pct("34.5 percent"))
    assert same_value(pct("34.5%"), Figure(value="34.50 per cent", unit=""))
    assert same_value(
        Figure(value="$28.8 billion", unit="USD"), Figure(value="28.8 billion dollars", unit="usd")
    )
    assert same_value(
        Figure(value="$28.8 billion", unit="USD"), Figure(value="US$28,800 million", unit="USD")
    )
    assert same_value(Figure(value="1,200 people", unit="people"), Figure(value="1200", unit="people"))
    assert same_value(Figure(value="two days", unit="days"), Figure(value="2 days", unit="days"))


def test_different_values_or_units_are_not_the_same() -> None:
    assert not same_value(pct("34.5%"), pct("34-35%"))
    assert not same_value(
        Figure(value="$28.8 billion", unit="USD"), Figure(value="$28.8 million", unit="USD")
    )
    assert not same_value(Figure(value="€2 million", unit="EUR"), Figure(value="$2 million", unit="USD"))


def test_a_range_around_a_point_conflicts_with_it() -> None:
    assert conflicting(pct("34.5%"), pct("34-35%"))
    assert conflicting(pct("12.7%"), pct("34.5%"))
    assert conflicting(Figure(value="$28.8 billion", unit="USD"), Figure(value="$28.8 million", unit="USD"))


def test_same_values_and_different_units_do_not_conflict() -> None:
    assert not conflicting(pct("34.5%"), pct("34.5 percent"))
    assert not conflicting(pct("34.5%"), Figure(value="$34.5 billion", unit="USD"))
    assert not conflicting(Figure(value="90 days", unit="days"), pct("90%"))
    assert not conflicting(Figure(value="a third", unit="share"), Figure(value="half", unit="share"))


def test_parse_value_uses_the_unit_hint_only_when_the_text_names_none() -> None:
    assert parse_value("28.8 billion", "USD") == FigureValue(low=28.8e9, high=28.8e9, unit="USD")
    assert parse_value("$3,300", "USD per ounce") == FigureValue(low=3300, high=3300, unit="USD per ounce")
    assert parse_value("34.5%", "dollars") == FigureValue(low=34.5, high=34.5, unit="percent")
    assert parse_value("three", "people") == FigureValue(low=3, high=3, unit="people")
    assert parse_value("a third") is None
    assert parse_value("") is None


@pytest.mark.parametrize(
    ("written", "unit"),
    [
        ("%", "percent"),
        ("per cent", "percent"),
        ("pct", "percent"),
        ("usd", "USD"),
        ("US dollars", "USD"),
        ("$", "USD"),
        ("USD/ounce", "USD per ounce"),
        ("dollars per ounce", "USD per ounce"),
        ("day", "days"),
        ("persons", "people"),
        ("", ""),
    ],
)
def test_canonical_unit(written: str, unit: str) -> None:
    assert canonical_unit(written) == unit


# --- masking -----------------------------------------------------------------


def test_mask_figures_hides_numbers_but_keeps_what_they_count() -> None:
    a = mask_figures("Exports fell 34.5% to $28.8 billion.")
    b = mask_figures("Exports fell 34-35% to 28.8 billion dollars.")
    assert a == b == f"Exports fell {FIGURE_PLACEHOLDER} to {FIGURE_PLACEHOLDER}."
    assert mask_figures("About 1,200 people left.") == f"About {FIGURE_PLACEHOLDER} people left."
    assert mask_figures("No numbers here.") == "No numbers here."


# --- properties --------------------------------------------------------------

NEWSY = st.lists(
    st.sampled_from(
        [
            "Exports",
            "fell",
            "34.5%",
            "34-35%",
            "$28.8",
            "billion",
            "in",
            "May",
            "June 9,",
            "2025",
            "10:00",
            "year-on-year",
            "between",
            "and",
            "to",
            "from",
            "US$3,300/ounce",
            "1,200",
            "people",
            "90-day",
            "two",
            "days",
            "COVID-19",
            "-",
            "(",
            ")",
            "€",
            "percent",
            "—",
            "中国",
            "٣٤",
        ]
    ),
    max_size=25,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(NEWSY, st.text(max_size=80)))
def test_every_figure_is_written_in_the_sentence_and_grounded(sentence: str) -> None:
    for figure in find_figures(sentence):
        assert figure.value in sentence
        assert figure_in_text(figure.value, sentence)
        assert figure.unit
        if parse_value(figure.value, figure.unit) is not None:
            assert same_value(figure, figure)
    mask_figures(sentence)


@pytest.mark.parametrize(
    "sentence", ["The fee is £0¼ a ticket.", "It raised £3½ million.", "It grew 10² times."]
)
def test_a_number_a_fraction_or_superscript_finishes_is_no_figure_rather_than_a_wrong_one(
    sentence: str,
) -> None:
    """ "£3½ million" is not "£3": reading the digits alone would state a figure no source gave."""
    assert find_figures(sentence) == []
    assert not figure_in_text("£3 million", "It raised £3½ million.")
