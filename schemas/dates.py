"""Dates as intervals: the earliest and latest day a date can be, its precision, and the rules that tie them."""

from __future__ import annotations

import calendar
from datetime import date
from functools import cache
from zoneinfo import available_timezones

import marshmallow as ma


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _months_later(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def interval_problem(earliest: date | None, latest: date | None, precision: str) -> str | None:
    """Why this interval does not fit its precision, or None."""
    if precision == "unknown":
        return None if earliest is None and latest is None else "an unknown date has no earliest or latest day"
    if earliest is None or latest is None:
        return f"a date of precision {precision!r} needs its earliest and latest day"
    if latest < earliest:
        return f"the interval ends ({latest.isoformat()}) before it starts ({earliest.isoformat()})"
    days = (latest - earliest).days + 1
    whole_month = earliest.day == 1
    rules = {
        "day": (days == 1, "a day is one day: earliest and latest are the same"),
        "week": (days == 7, "a week is seven days, earliest to latest"),
        "month": (
            whole_month and latest == _last_day(earliest.year, earliest.month),
            "a month runs from its first day to its last",
        ),
        "season": (
            whole_month and latest == _last_day(*_months_later(earliest, 2)),
            "a season is three whole months, from the first day of the first to the last day of the third",
        ),
        "year": (
            (earliest.month, earliest.day, latest.month, latest.day) == (1, 1, 12, 31) and earliest.year == latest.year,
            "a year runs from 1 January to 31 December",
        ),
        "span": (days > 1, "a span is more than one day (use 'day' for one)"),
    }
    fits, rule = rules[precision]
    return None if fits else f"{rule}; got {earliest.isoformat()} to {latest.isoformat()}"


def check_dated(data: dict, day_field: str) -> dict:
    """Fill what a date implies (a day-precision date is its own interval) and return the record; refuse an interval that does
    not fit its precision, a day given for a coarser date, or an unknown time zone."""
    precision = data.get("date_precision")
    if precision is None:
        return data
    day = data.get(day_field)
    if precision == "day":
        day = data[day_field] = day or data.get("date_earliest")
        data["date_earliest"] = data.get("date_earliest") or day
        data["date_latest"] = data.get("date_latest") or day
        if day != data["date_earliest"]:
            raise ma.ValidationError(f"{day_field} must be the interval's one day", day_field)
    elif day is not None:
        raise ma.ValidationError(
            f"{day_field} is only given for a date known to the day; this one is {precision!r} (see date_earliest and date_latest)",
            day_field,
        )
    problem = interval_problem(data.get("date_earliest"), data.get("date_latest"), precision)
    if problem:
        raise ma.ValidationError(problem, "date_latest")
    zone = data.get("time_zone")
    if zone is not None and zone not in time_zones():
        raise ma.ValidationError(f"{zone!r} is not an IANA time zone name such as 'Asia/Manila'", "time_zone")
    return data
