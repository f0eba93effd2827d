"""Figures in an article: sums of money, percentages, fractions, vote tallies and counts of things, each with the
value, the unit and what kind of value it is (fixtures/FORMAT.md, "Figures"): exact, approximate, a bound or a
range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen"
).split()
TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
NUMBER_WORD = {word: value for value, word in enumerate(ONES)} | {word: 20 + 10 * i for i, word in enumerate(TENS)}
MAGNITUDES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9}
DENOMINATORS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fifth": 5,
    "fifths": 5,
    "tenth": 10,
    "tenths": 10,
}

_WORD = "(?:" + "|".join(TENS) + r")(?:[- ](?:" + "|".join(ONES[1:10]) + "))?|" + "|".join(reversed(ONES))
NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|(?i:{_WORD})\b"
MAGNITUDE = r"(?:\s+|\s?)(?P<magnitude>thousand|million|billion|trillion|bn)\b"

MONEY = re.compile(
    rf"(?:\bUS|\bU\.S\.|\bUSD\s?)?\$\s?(?P<number>{NUMBER})(?:{MAGNITUDE})?|"
    rf"\b(?P<number2>{NUMBER})(?:\s+(?P<magnitude2>thousand|million|billion|trillion))?\s+(?:US\s+|U\.S\.\s+)?dollars\b",
    re.IGNORECASE,
)
PERCENT = re.compile(rf"\b(?P<number>{NUMBER})\s?(?:%|percent\b|per\s+cent\b)", re.IGNORECASE)
FRACTION = re.compile(
    r"\b(?P<count>an?|one|two|three|four|five|six|seven|eight|nine)[- ](?P<part>" + "|".join(DENOMINATORS) + r")\b",
    re.IGNORECASE,
)
TALLY = re.compile(r"(?<![\d/.,:-])\b(?P<high>\d{1,3})-(?P<low>\d{1,3})\b(?![\d/.,:-]\d)")
VOTE = re.compile(r"\bvot(?:e|ed|es|ing)\b[^.;:]{0,40}$|^\s+(?:vote|in favou?r)\b", re.IGNORECASE)
COUNT = re.compile(
    rf"(?<![\w$.,/:-])(?P<number>{NUMBER})\s+(?:(?P<adjective>[a-z]+)\s+)?(?P<noun>[A-Za-z][A-Za-z-]*[a-z]s|[A-Z]{{2,}}s)\b"
)
SPAN_OF_TIME = re.compile(r"\b(?P<count>an?|one)\s+(?P<unit>decade|year|century)\b", re.IGNORECASE)
# Words before a figure that make it a bound or approximate (an intensifier such as "far" may come first).
QUALIFIER = re.compile(
    r"(?:(?:far|much|well|slightly|just|a\s+little)\s+)?(?P<words>more\s+than|over|at\s+least|upwards\s+of|in\s+excess\s+of|"
    r"above|less\s+than|fewer\s+than|under|up\s+to|at\s+most|no\s+more\s+than|below|nearly|almost|about|around|"
    r"approximately|roughly|some|an\s+estimated|close\s+to)\s+$",
    re.IGNORECASE,
)
LOWER = ("more than", "over", "at least", "upwards of", "in excess of", "above")
UPPER = ("less than", "fewer than", "under", "up to", "at most", "no more than", "below")
PEOPLE = frozenset("people persons individuals workers civilians soldiers troops refugees".split())
# Plural-looking words that are not things counted.
NOT_NOUNS = frozenset(
    "is was has this its as us yes less across unless perhaps always news thus was does goes plus whereas besides "
    "towards afterwards sometimes".split()
)
NOT_ADJECTIVES = frozenset("of the and or in on at to for by from with a an as than that which who".split())


@dataclass(frozen=True)
class FigureReading:
    """A figure at `text[start:end]` (with the words that bound or hedge it)."""

    start: int
    end: int
    value_kind: str
    value: float
    value_max: float | None
    unit: str
    approximate: bool
    metric: str | None  # where the figure says what it measures ("votes-for")
    note: str | None


def _number(text: str) -> float | None:
    text = text.lower().replace(",", "")
    try:
        return float(text)
    except ValueError:
        pass
    parts = re.split(r"[- ]", text)
    if all(part in NUMBER_WORD for part in parts):
        return float(sum(NUMBER_WORD[part] for part in parts))
    return None


def _qualified(text: str, start: int, kind: str) -> tuple[int, str, bool]:
    """Extend a figure to the words before it that bound or hedge it: (start, value kind, approximate)."""
    found = QUALIFIER.search(text, max(0, start - 40), start)
    if found is None:
        return start, kind, kind == "approximate"
    words = " ".join(found["words"].lower().split())
    if words in LOWER:
        return found.start(), "lower_bound", True
    if words in UPPER:
        return found.start(), "upper_bound", True
    return found.start(), "approximate", True


def _bounded(text: str, start: int, end: int, kind: str, **fields) -> FigureReading:
    """A reading with its qualifier; a bound is approximate when the number is round (here: always, as the curated
    bounds are), a value exact only when nothing hedges it."""
    start, kind, approximate = _qualified(text, start, kind)
    fields.setdefault("value_max", None)
    fields.setdefault("metric", None)
    fields.setdefault("note", None)
    return FigureReading(start, end, kind, approximate=approximate, **fields)


def _money(text: str, found: re.Match) -> FigureReading | None:
    number = _number(found["number"] or found["number2"])
    magnitude = found["magnitude"] or found["magnitude2"]
    if number is None:
        return None
    value = number * MAGNITUDES[magnitude.lower()] if magnitude else number
    # "$3 billion" is a round figure, as the curated ones are read; "$2,345" is exact.
    kind = "approximate" if magnitude else "exact"
    return _bounded(text, found.start(), found.end(), kind, value=value, unit="USD")


def _percent(text: str, found: re.Match) -> FigureReading | None:
    number = _number(found["number"])
    if number is None:
        return None
    return _bounded(text, found.start(), found.end(), "exact", value=number, unit="percent")


def _fraction(text: str, found: re.Match) -> FigureReading | None:
    count = found["count"].lower()
    parts = 1 if count in ("a", "an") else (_number(count) or 0)
    value = float(Fraction(int(parts), DENOMINATORS[found["part"].lower()]))
    if not 0 < value <= 1:
        return None
    # A fraction in words is a round figure ("by a third").
    return _bounded(text, found.start(), found.end(), "approximate", value=value, unit="fraction")


def _span_of_time(text: str, found: re.Match) -> FigureReading | None:
    """A span of years ("more than a decade"): only with a word that bounds or hedges it (a bare "a year" is not
    a figure)."""
    if QUALIFIER.search(text, max(0, found.start() - 40), found.start()) is None:
        return None
    years = {"decade": 10.0, "year": 1.0, "century": 100.0}[found["unit"].lower()]
    return _bounded(text, found.start(), found.end(), "approximate", value=years, unit="years")


def _count(text: str, found: re.Match) -> FigureReading | None:
    noun, adjective = found["noun"], found["adjective"]
    if noun.lower() in NOT_NOUNS or (adjective and adjective in NOT_ADJECTIVES):
        return None
    number = _number(found["number"])
    if number is None or (found["number"].isdigit() and len(found["number"]) == 4 and 1900 <= number <= 2100):
        return None
    lowered = noun.lower()
    if lowered in ("days", "years"):
        unit = lowered
    elif lowered == "decades":
        unit, number = "years", number * 10
    elif lowered in ("tonnes", "tons"):
        unit = "tonnes"
    elif lowered in PEOPLE:
        unit = "people"
    else:
        unit = "count"
    return _bounded(text, found.start(), found.end(), "exact", value=number, unit=unit)


def _tallies(text: str) -> list[FigureReading]:
    """A vote's tally ("voted 15-0"): two figures at one span, the votes for and against."""
    readings = []
    for found in TALLY.finditer(text):
        before, after = text[max(0, found.start() - 60) : found.start()], text[found.end() : found.end() + 20]
        if not (VOTE.search(before) or VOTE.search(after)):
            continue
        for metric, value in (("votes-for", found["high"]), ("votes-against", found["low"])):
            note = f"A vote's tally: {found['high']} for, {found['low']} against."
            readings.append(
                FigureReading(
                    found.start(), found.end(), "exact", float(value), None, "count", False, metric=metric, note=note
                )
            )
    return readings


def find_figures(text: str, taken: bytearray) -> list[FigureReading]:
    """The figures of the text, none overlapping another or a span already `taken` (a date): the longest wins."""
    candidates = _tallies(text)
    for pattern, read in (
        (MONEY, _money),
        (PERCENT, _percent),
        (FRACTION, _fraction),
        (SPAN_OF_TIME, _span_of_time),
        (COUNT, _count),
    ):
        for found in pattern.finditer(text):
            reading = read(text, found)
            if reading is not None:
                candidates.append(reading)
    kept: list[FigureReading] = []
    own = bytearray(taken)
    tallies: set[tuple[int, int]] = set()
    for reading in sorted(candidates, key=lambda r: (r.start - r.end, r.start, r.metric or "")):
        span = (reading.start, reading.end)
        if span in tallies or not any(own[reading.start : reading.end]):
            own[reading.start : reading.end] = b"\x01" * (reading.end - reading.start)
            if reading.metric:
                tallies.add(span)
            kept.append(reading)
    return sorted(kept, key=lambda r: (r.start, r.end, r.metric or ""))
