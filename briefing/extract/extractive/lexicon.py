"""Word lists the extractive backend reads news with: titles, organisations, places, speech verbs.

Kept as data, apart from the rules that use them, so an editor can add a title
("Deputy Governor") or a news agency without touching a regular expression. Lists are
written as comma-separated text; matching is case-insensitive unless noted.
"""

from __future__ import annotations

__all__ = [
    "ACTION_VERBS",
    "EVENT_VERBS",
    "HONORIFICS",
    "KNOWN_ORGS",
    "NOT_NAMES",
    "ORG_HEADS",
    "ORG_SUFFIXES",
    "PLACES",
    "PLACE_NOUNS",
    "ROLE_QUALIFIERS",
    "SPEECH_VERBS",
    "TIME_WORDS",
    "TITLES",
    "TITLE_ABBREVIATIONS",
]


def _terms(text: str) -> tuple[str, ...]:
    return tuple(term.strip() for term in text.split(",") if term.strip())


# Words that make a phrase a role or title: "Treasury Secretary", "former President", "a research director".
TITLES = _terms(
    "president, vice-president, premier, prime minister, pm, minister, secretary, chancellor, "
    "representative, spokesperson, spokesman, spokeswoman, adviser, advisor, director, chairman, "
    "chairwoman, chair, ceo, chief, head, governor, senator, ambassador, envoy, "
    "negotiator, leader, mayor, king, queen, prince, princess, pope, general, judge, justice, "
    "commissioner, speaker, analyst, economist, strategist, professor, founder, official, "
    "diplomat, lawmaker, chief executive, editor, correspondent, coach, manager, captain, goalkeeper, "
    "striker, midfielder, defender, winger, referee"
)
# Titles written short before a name ("Gov. Miriam Obwocha"), and what they stand for.
TITLE_ABBREVIATIONS = {
    "gov": "Governor",
    "sen": "Senator",
    "rep": "Representative",
    "gen": "General",
    "prof": "Professor",
    "lt": "Lieutenant",
    "col": "Colonel",
    "capt": "Captain",
    "sgt": "Sergeant",
    "supt": "Superintendent",
    "adm": "Admiral",
}
TITLES = (*TITLES, *TITLE_ABBREVIATIONS)
# Words that qualify a title without being one: status, department, country, institution.
ROLE_QUALIFIERS = _terms(
    "former, ex, then, acting, interim, outgoing, incoming, deputy, vice, senior, top, lead, chief, "
    "press, economic, research, trade, foreign, finance, commerce, treasury, state, defense, defence, "
    "home, interior, justice, energy, national, security, federal, government, executive, managing, "
    "general, prime, white, house, of, the, for, us, u.s., usa, american, uk, british, chinese, china, "
    "canadian, japanese, korean, european, eu, french, german, indian, russian, vietnamese, "
    "delegation, negotiation, negotiating, team"
)
# Courtesy titles: they mark a person but are not a role.
HONORIFICS = _terms("mr., mrs., ms., dr., mr, mrs, ms, dr, sir, dame")
# Last words of organisation names: "Xinhua News Agency", "Eurasia Group".
ORG_SUFFIXES = _terms(
    "agency, group, ministry, court, union, council, commission, committee, bank, fund, organization, "
    "organisation, association, institute, university, party, administration, department, office, "
    "corp, corp., inc, inc., ltd, company, parliament, congress, senate, assembly, reserve, exchange, "
    "forum, news, times, post, journal, press, survey"
)
# First words of organisation names written "X of Y": "Ministry of Commerce", "Bank of England".
ORG_HEADS = _terms("ministry, bank, university, department, house, office, court, council")
# Organisations usually named by one word or an acronym (as written; compared case-insensitively).
KNOWN_ORGS = _terms(
    "Reuters, AFP, AP, Xinhua, Bloomberg, White House, Kremlin, Pentagon, EU, European Union, UN, "
    "United Nations, WTO, IMF, NATO, OPEC, G7, G20, World Bank, XTB, Huawei"
)
# Countries, regions, cities and venues common in international news (as written).
PLACES = _terms(
    "United States, US, U.S., USA, America, China, Britain, UK, United Kingdom, England, Scotland, "
    "Wales, Ireland, Japan, South Korea, North Korea, Korea, Canada, Mexico, Taiwan, Hong Kong, "
    "Switzerland, Germany, France, Italy, Spain, Portugal, Netherlands, Belgium, Austria, Poland, "
    "Greece, Norway, Sweden, Denmark, Finland, Iceland, Russia, Ukraine, Turkey, India, Pakistan, "
    "Bangladesh, Vietnam, Thailand, Indonesia, Malaysia, Singapore, Philippines, Australia, "
    "New Zealand, Brazil, Argentina, Chile, Colombia, Peru, Venezuela, Cuba, Egypt, Nigeria, Kenya, "
    "South Africa, Iran, Iraq, Syria, Lebanon, Jordan, Israel, Qatar, Saudi Arabia, "
    "United Arab Emirates, Afghanistan, Europe, Asia, Africa, Middle East, Latin America, London, "
    "Beijing, Washington, Geneva, Paris, Berlin, Brussels, Moscow, Tokyo, Seoul, Hanoi, Shanghai, "
    "New York, Ottawa, Delhi, New Delhi, Mumbai, Oslo, Stockholm, Copenhagen, Helsinki, Reykjavik, "
    "Rome, Madrid, Vienna, Warsaw, Kyiv, Ankara, Istanbul, Cairo, Riyadh, Tehran, Jerusalem, Bangkok, "
    "Jakarta, Manila, Sydney, Canberra, Taipei, Dubai, Doha, Amsterdam, Rotterdam, The Hague, "
    "Frankfurt, Zurich, Lancaster House"
)
# Words that make a capitalised name a place or a building, never a person: "Wall Street surged".
PLACE_NOUNS = _terms(
    "street, avenue, road, square, stadium, airport, bridge, river, lake, mountain, island, city, "
    "province, valley, park, port, station, tower, castle, palace"
)
# Verbs that attribute words to a speaker (case-sensitive: lower case, as news writes them).
SPEECH_VERBS = _terms(
    "said, says, say, told, tells, added, adds, wrote, writes, stated, states, noted, notes, urged, "
    "urges, warned, warns, insisted, argued, declared, explained, asked, tweeted, posted, confirmed, "
    "announced, called, described, expects, expected, hopes, hoped, stressed, emphasized, emphasised, "
    "pledged, vowed, acknowledged, admitted, admits, conceded, concedes, replied, continued, sees"
)
# Past-tense verbs of news events: a sentence that reports one before its "will" is news, not outlook.
EVENT_VERBS = _terms(
    "ended, began, begun, started, met, held, opened, agreed, signed, announced, reached, resumed, "
    "reconvened, concluded, arrived, launched, imposed, said, told, confirmed, stated, added, wrote"
)
# Past tenses not ending in "-ed" that say what someone did: "Kylian Mbappé struck twice".
ACTION_VERBS = _terms(
    "agreed, became, began, beat, broke, came, chose, drew, fell, fought, gave, got, went, hit, held, "
    "kept, led, left, lost, made, met, ran, sat, saw, shot, spoke, stood, struck, swept, took, "
    "threw, told, won, wrote"
)
# Words that may stand between a speaker's name and the speech verb: "Leavitt said Sunday".
TIME_WORDS = _terms(
    "Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday, today, yesterday, earlier, later, "
    "also, again, previously, reportedly, separately, afterwards"
)
# Capitalised words that open sentences but are never the first word of a name.
NOT_NAMES = frozenset(
    _terms(
        "the, a, an, and, but, or, if, in, on, at, by, for, to, of, from, with, as, after, before, "
        "since, while, when, where, which, who, what, why, how, this, that, these, those, there, here, "
        "it, its, he, she, they, we, i, you, his, her, their, our, my, your, yes, no, not, however, "
        "meanwhile, although, though, despite, amid, during, under, over, about, according, last, "
        "next, first, second, third, new, old, other, another, such, some, many, most, more, much, "
        "all, both, each, every, either, neither, yet, still, also, even, only, just, already, "
        "recently, notably, furthermore, simultaneously, moreover, additionally, so, then, thus, top, "
        "data, reports, officials, markets, trade, customs, analysts, experts, economists, monday, "
        "tuesday, wednesday, thursday, friday, saturday, sunday, january, february, march, april, may, "
        "june, july, august, september, october, november, december, mr, mrs, ms, dr"
    )
)
