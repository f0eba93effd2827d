"""Dates in an article: relative ones ("on Sunday", "last month", "earlier this week") worked out from its dateline
or publication date, and printed ones ("5 August 2017", "July 28"), each as the interval the knowledge records
(fixtures/FORMAT.md, "Dates") with a derivation written as fixtures/JUDGEMENTS.md writes them."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil import parser as dateline_parser

from .spans import Sentences

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("January", "Jan"),
            ("February", "Feb"),
            ("March", "Mar"),
            ("April", "Apr"),
            ("May",),
            ("June", "Jun"),
            ("July", "Jul"),
            ("August", "Aug"),
            ("September", "Sept", "Sep"),
            ("October", "Oct"),
            ("November", "Nov"),
            ("December", "Dec"),
        ),
        start=1,
    )
    for name in names
}
NUMBER_WORDS = {
    word: number
    for number, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
NUMBER_WORDS["a"] = NUMBER_WORDS["an"] = 1

WEEKDAY = "(?P<weekday>" + "|".join(WEEKDAYS) + ")"
# A month's name, or its abbreviation with or without its full stop ("Aug. 3").
_FULL_MONTHS = [name for name in MONTHS if len(name) > 4 or name in ("May", "June", "July")]
_SHORT_MONTHS = [name for name in MONTHS if name not in _FULL_MONTHS]
MONTH = rf"(?P<month>(?:{'|'.join(_FULL_MONTHS)})\b|(?:{'|'.join(sorted(_SHORT_MONTHS, key=len, reverse=True))})\b\.?)"
DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
YEAR = r"(?P<year>(?:19|20)\d\d)\b"
SINCE = re.compile(r"\b[Ss]ince\s+$")
# A clause that looks ahead: a weekday in it is the coming one.
FUTURE = re.compile(
    r"\b(?:will|shall|is due|are due|is expected|are expected|is scheduled|are scheduled|is set|are set|plans? to|"
    r"is to|are to|to be held)\b|'ll\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Anchor:
    """The day an article's relative dates count from, and how a derivation names it."""

    day: date
    words: str  # "dateline Mon 7 Aug 2017"
    note: str | None  # why this day, where the dateline and the publication date disagree


@dataclass(frozen=True)
class DateReading:
    """What a date phrase says: an interval, its precision, how it was worked out."""

    start: int
    end: int
    earliest: date
    latest: date
    precision: str
    derivation: str | None


def short(day: date) -> str:
    """A day as the curated derivations write a dateline: "Mon 7 Aug 2017"."""
    return f"{day:%a} {day.day} {day:%b} {day.year}"


def long(day: date) -> str:
    """A day as the curated derivations write the day worked out: "Sunday 6 Aug 2017"."""
    return f"{day:%A} {day.day} {day:%b} {day.year}"


def printed_date(dateline: str) -> date | None:
    """The day a dateline prints in full (day, month and year: "Mon Aug 7, 2017 7:19AM", "12 August, 2017,
    18:31"), or None. What it leaves out is never filled from today: it is read twice with different defaults
    and kept only where both readings agree."""
    readings = []
    for default in (datetime(1904, 1, 1), datetime(1908, 2, 2)):
        try:
            readings.append(dateline_parser.parse(dateline, default=default, fuzzy=True, ignoretz=True).date())
        except (ValueError, OverflowError, TypeError):
            return None
    return readings[0] if readings[0] == readings[1] else None


def resolve_anchor(dateline: str | None, published_on: date | None) -> Anchor | None:
    """The day relative dates count from: the publication date, else the dateline's, else none."""
    printed = printed_date(dateline) if dateline else None
    if published_on is not None:
        if printed == published_on:
            return Anchor(published_on, f"dateline {short(published_on)}", None)
        note = (
            f"The dateline reads {short(printed)} but the publication date is {short(published_on)}: relative dates "
            "count from the publication date."
            if printed
            else None
        )
        return Anchor(published_on, f"published {short(published_on)}", note)
    if printed is not None:
        return Anchor(printed, f"dateline {short(printed)}", None)
    return None


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), _last_day(year, month)


def _shift_month(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _nearest_year(anchor: date, month: int, day: int) -> date | None:
    """The day of that month and day nearest to the anchor (a date printed without its year)."""
    options = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    return min(options, key=lambda d: (abs((d - anchor).days), d > anchor)) if options else None


class DateFinder:
    """Finds the dates of one text: each pattern proposes readings, and the longest reading wins where they
    overlap."""

    def __init__(self, text: str, anchor: Anchor | None, sentences: Sentences, article: str):
        self.text, self.anchor, self.sentences, self.article = text, anchor, sentences, article

    def readings(self) -> list[DateReading]:
        found = [self._since(r) for pattern, read in self.PATTERNS for r in self._each(pattern, read)]
        taken = bytearray(len(self.text))
        kept = []
        for reading in sorted(found, key=lambda r: (r.start - r.end, r.start)):
            if not any(taken[reading.start : reading.end]):
                taken[reading.start : reading.end] = b"\x01" * (reading.end - reading.start)
                kept.append(reading)
        return sorted(kept, key=lambda r: r.start)

    def _since(self, reading: DateReading) -> DateReading:
        """ "Since early July": from the date's first day to the anchor's."""
        before = SINCE.search(self.text, max(0, reading.start - 10), reading.start)
        if before is None or self.anchor is None or reading.earliest >= self.anchor.day:
            return reading
        phrase = self.text[before.start() : reading.end]
        derivation = (
            f"'{phrase}' in {self.article}, {self.anchor.words}, so from {short(reading.earliest)} (the first day of "
            f"'{self.text[reading.start : reading.end]}') to the dateline's day."
        )
        return DateReading(before.start(), reading.end, reading.earliest, self.anchor.day, "span", derivation)

    def _each(self, pattern: re.Pattern, read: Callable) -> Iterator[DateReading]:
        for found in pattern.finditer(self.text):
            reading = read(self, found)
            if reading is not None:
                yield reading

    def _said(self, found: re.Match) -> str:
        """How a derivation opens: the phrase, where, and the anchor."""
        assert self.anchor is not None
        return f"'{found.group()}' in {self.article}, {self.anchor.words}"

    def _reading(self, found: re.Match, earliest: date, latest: date, precision: str, derivation: str | None):
        return DateReading(found.start(), found.end(), earliest, latest, precision, derivation)

    # Printed dates.

    def full_day(self, found: re.Match) -> DateReading | None:
        try:
            day = date(int(found["year"]), MONTHS[found["month"].rstrip(".")], int(found["day"]))
        except ValueError:
            return None
        return self._reading(found, day, day, "day", None)

    def day_without_year(self, found: re.Match) -> DateReading | None:
        if self.anchor is None:
            return None
        day = _nearest_year(self.anchor.day, MONTHS[found["month"].rstrip(".")], int(found["day"]))
        if day is None:
            return None
        derivation = (
            f"'{found.group()}' in {self.article} is printed without a year; the nearest {day.day} {day:%B} to "
            f"the {self.anchor.words} is {long(day)}."
        )
        return self._reading(found, day, day, "day", derivation)

    def month_of_year(self, found: re.Match) -> DateReading | None:
        year, month = int(found["year"]), MONTHS[found["month"].rstrip(".")]
        return self._part_of_month(found, year, month, printed_year=True)

    def month_without_year(self, found: re.Match) -> DateReading | None:
        if self.anchor is None:
            return None
        month, anchor = MONTHS[found["month"].rstrip(".")], self.anchor.day
        which = (found["which"] or "").lower()
        if which == "last":
            year = anchor.year if month < anchor.month else anchor.year - 1
        elif which == "next":
            year = anchor.year if month > anchor.month else anchor.year + 1
        else:
            year = min(
                (anchor.year - 1, anchor.year, anchor.year + 1),
                key=lambda y: (abs((y * 12 + month) - (anchor.year * 12 + anchor.month)), y > anchor.year),
            )
        return self._part_of_month(found, year, month, printed_year=False)

    def _part_of_month(self, found: re.Match, year: int, month: int, printed_year: bool) -> DateReading:
        part = (found["part"] or "").lower()
        first, last = _month(year, month)
        parts = {"early": (1, 10), "mid": (11, 20), "late": (21, last.day)}
        label = f"{first:%B} {year}"
        derivation: str | None
        if part:
            low, high = parts[part]
            earliest, latest = date(year, month, low), date(year, month, high)
            taken = f"'{part}' taken as the {_ordinal(low)} to the {_ordinal(high)}"
            if printed_year:
                derivation = f"'{found.group()}' in {self.article}: {taken} of {label}."
            else:
                derivation = f"{self._said(found)}, so {label}; {taken}."
            return self._reading(found, earliest, latest, "span", derivation)
        if printed_year:
            return self._reading(found, first, last, "month", None)
        whole = f"{self._said(found)}, so {label}; the day is not given, so the interval is the whole month."
        return self._reading(found, first, last, "month", whole)

    def year(self, found: re.Match) -> DateReading:
        year = int(found["year"])
        return self._reading(found, date(year, 1, 1), date(year, 12, 31), "year", None)

    # Relative dates.

    def weekday(self, found: re.Match) -> DateReading | None:
        if self.anchor is None:
            return None
        anchor, weekday = self.anchor.day, WEEKDAYS.index(found["weekday"])
        which = (found["which"] or "").lower()
        ahead = (weekday - anchor.weekday()) % 7
        back = (anchor.weekday() - weekday) % 7
        if which == "next":
            day, how = anchor + timedelta(days=ahead or 7), "the next"
        elif which == "last":
            day, how = anchor - timedelta(days=back or 7), "the last before the dateline"
        elif which == "this":
            day, how = anchor + timedelta(days=weekday - anchor.weekday()), "in the dateline's week (from Monday)"
        elif self._looks_ahead(found.start()):
            day, how = anchor + timedelta(days=ahead or 7), "the coming one (the sentence looks ahead)"
        else:
            day = anchor - timedelta(days=back)
            how = "the dateline's own day" if back == 0 else ""
        derivation = f"{self._said(found)}, so {long(day)}" + (f" ({how})." if how else ".")
        return self._reading(found, day, day, "day", derivation)

    def _looks_ahead(self, position: int) -> bool:
        start, _ = self.sentences.around(position)
        return FUTURE.search(self.text, max(start, position - 60), position) is not None

    def near_day(self, found: re.Match) -> DateReading | None:
        if self.anchor is None:
            return None
        offset = {"yesterday": -1, "today": 0, "tomorrow": 1}[found["word"].lower()]
        day = self.anchor.day + timedelta(days=offset)
        return self._reading(found, day, day, "day", f"{self._said(found)}, so {long(day)}.")

    def days_ago(self, found: re.Match) -> DateReading | None:
        count = _number(found["count"])
        if self.anchor is None or count is None or not 0 < count <= 366:
            return None
        day = self.anchor.day - timedelta(days=count)
        return self._reading(found, day, day, "day", f"{self._said(found)}, so {long(day)}.")

    def relative_period(self, found: re.Match) -> DateReading | None:
        if self.anchor is None:
            return None
        anchor = self.anchor.day
        which, unit = found["which"].lower(), found["unit"].lower()
        earlier = (found["earlier"] or "").lower()
        step = {"last": -1, "this": 0, "next": 1}[which]
        if unit == "week":
            monday = anchor - timedelta(days=anchor.weekday()) + timedelta(weeks=step)
            earliest, latest = monday, monday + timedelta(days=6)
            label = f"the week of {short(earliest)}-{short(latest)} (weeks from Monday)"
            rest, precision = "the day is not given, so the interval is the whole week", "week"
        elif unit == "weekend":
            saturday = anchor - timedelta(days=(anchor.weekday() - 5) % 7) + timedelta(weeks=step)
            if which == "this" and anchor.weekday() < 5:
                saturday += timedelta(weeks=1)
            earliest, latest = saturday, saturday + timedelta(days=1)
            label = f"the weekend of {short(earliest)}-{short(latest)}"
            rest, precision = "the day is not given", "span"
        elif unit == "month":
            year, month = _shift_month(anchor, step)
            earliest, latest = _month(year, month)
            label = f"{earliest:%B} {year}"
            rest, precision = "the day is not given, so the interval is the whole month", "month"
        else:
            year = anchor.year + step
            earliest, latest = date(year, 1, 1), date(year, 12, 31)
            label = str(year)
            rest, precision = "the day is not given, so the interval is the whole year", "year"
        if earlier:
            # "earlier this week": from the period's first day to the day before the dateline; "later": after it.
            if earlier == "earlier":
                latest = anchor - timedelta(days=1)
            else:
                earliest = anchor + timedelta(days=1)
            if latest < earliest:
                return None
            precision = "day" if latest == earliest else "span"
            rest = f"{'before' if earlier == 'earlier' else 'after'} the dateline's own day"
            label = short(earliest) if latest == earliest else f"{short(earliest)}-{short(latest)}"
        return self._reading(found, earliest, latest, precision, f"{self._said(found)}, so {label}; {rest}.")

    def weekend(self, found: re.Match) -> DateReading | None:
        if self.anchor is None:
            return None
        anchor = self.anchor.day
        saturday = anchor - timedelta(days=(anchor.weekday() - 5) % 7)
        if anchor.weekday() == 5:  # on a Saturday, "over the weekend" is the one before
            saturday -= timedelta(weeks=1)
        sunday = saturday + timedelta(days=1)
        derivation = f"{self._said(found)}, so the last weekend, {short(saturday)}-{short(sunday)}."
        return self._reading(found, saturday, sunday, "span", derivation)

    def season(self, found: re.Match) -> DateReading | None:
        if self.anchor is None and not found["year"]:
            return None
        season = found["season"].lower().replace("fall", "autumn")
        first_month = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}[season]
        which = (found["which"] or "").lower()
        if found["year"]:
            year = int(found["year"])
        else:
            assert self.anchor is not None
            anchor = self.anchor.day
            # The last such season that has begun by the dateline ("last": the one before; "next": the one after).
            year = anchor.year if (anchor.month, anchor.day) >= (first_month, 1) else anchor.year - 1
            year += {"last": -1, "next": 1}.get(which, 0)
        earliest = date(year, first_month, 1)
        end_year, end_month = _shift_month(earliest, 2)
        latest = _last_day(end_year, end_month)
        interval = f"{earliest.day} {earliest:%b} {earliest.year}-{latest.day} {latest:%b} {latest.year}"
        taken = f"taken as meteorological {season} (northern hemisphere), {interval}; the day is not given"
        if found["year"]:
            derivation = f"'{found.group()}' in {self.article}: {taken}."
        else:
            derivation = f"{self._said(found)}, so {season} {year}, {taken}."
        return self._reading(found, earliest, latest, "season", derivation)

    PATTERNS: tuple[tuple[re.Pattern, Callable], ...] = (
        (re.compile(rf"\b(?:{WEEKDAY},?\s+)?{DAY}\s+(?:of\s+)?{MONTH},?\s+{YEAR}"), full_day),
        (re.compile(rf"\b(?:{WEEKDAY},?\s+)?{MONTH}\s+{DAY},?\s+{YEAR}"), full_day),
        (re.compile(rf"\b{DAY}\s+(?:of\s+)?{MONTH}(?!,?\s*\d)"), day_without_year),
        (re.compile(rf"\b{MONTH}\s+{DAY}\b(?!,?\s*\d|:)"), day_without_year),
        (re.compile(rf"\b(?:(?P<part>[Ee]arly|[Mm]id|[Ll]ate)[- ])?(?:in\s+)?{MONTH},?\s+{YEAR}"), month_of_year),
        (
            re.compile(
                rf"\b(?:(?P<which>[Ll]ast|[Nn]ext)\s+|(?P<part>[Ee]arly|[Mm]id|[Ll]ate)[- ]|(?:[Ii]n|[Uu]ntil|"
                rf"[Dd]uring|[Tt]hrough)\s+){MONTH}(?!\s*\d)"
            ),
            month_without_year,
        ),
        (re.compile(rf"\b[Ii]n\s+{YEAR}"), year),
        (
            re.compile(rf"\b(?:(?:(?P<which>[Ll]ast|[Nn]ext|[Tt]his)|[Oo]n|[Uu]ntil|[Bb]y)\s+)?{WEEKDAY}\b"),
            weekday,
        ),
        (re.compile(r"\b(?:(?:late|early)\s+)?(?P<word>yesterday|today|tomorrow)\b", re.IGNORECASE), near_day),
        (
            re.compile(r"\b(?P<count>\d{1,3}|" + "|".join(NUMBER_WORDS) + r")\s+days?\s+ago\b", re.IGNORECASE),
            days_ago,
        ),
        (
            re.compile(
                r"\b(?:(?P<earlier>earlier|later)\s+)?(?P<which>this|last|next)\s+(?P<unit>week|weekend|month|year)\b",
                re.IGNORECASE,
            ),
            relative_period,
        ),
        (re.compile(r"\b(?:over|at|during)\s+the\s+weekend\b", re.IGNORECASE), weekend),
        (
            re.compile(
                r"\b(?:(?:in|during)\s+(?:the\s+)?|(?P<which>this|last|next)\s+)(?P<season>spring|summer|autumn|fall|"
                r"winter)\b(?:\s+(?:of\s+)?(?P<year>(?:19|20)\d\d)\b)?",
                re.IGNORECASE,
            ),
            season,
        ),
    )


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _number(word: str) -> int | None:
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word.lower())
