"""Date ranges at the ends of the calendar: every bound the query schema accepts (0001-01-01 to 9999-12-31, as
`from` and `to`, with either `date_match`) answers 200 with the records the range selects, on every list that
takes one; a bound outside the calendar is a 422 naming the parameter."""

from __future__ import annotations

import json

import pytest

from tests.helpers import assert_problem, route_catalogue

FIRST, LAST = "0001-01-01", "9999-12-31"
DATED_LISTS = sorted(route["rule"] for route in route_catalogue() if {"from", "to"} <= set(route["query"]))
RANGES = [
    (FIRST, None),
    (None, LAST),
    (FIRST, LAST),
    (LAST, LAST),
    (FIRST, FIRST),
    (LAST, None),
    (None, FIRST),
    ("2017-08-06", LAST),
    (FIRST, "2017-08-06"),
]


def every_record(client, url: str) -> list[dict]:
    """Every record of a list, page after page."""
    records, page = [], 1
    while True:
        response = client.get(f"{url}?page_size=100&page={page}")
        assert response.status_code == 200, (url, response.get_data(as_text=True))
        records += response.get_json()
        pagination = json.loads(response.headers["X-Pagination"])
        if page >= pagination["last_page"]:
            return records
        page += 1


def selected(records: list[dict], start: str | None, end: str | None, match: str) -> list[str]:
    """The ids the range selects, in the list's order: what the endpoint must answer."""
    kept = []
    for record in records:
        earliest, latest = record["date_earliest"], record["date_latest"]
        if earliest is None or latest is None:
            continue
        if match == "within":
            inside = (start is None or earliest >= start) and (end is None or latest <= end)
        else:
            inside = (start is None or latest >= start) and (end is None or earliest <= end)
        if inside:
            kept.append(record["id"])
    return kept


def test_the_date_filtered_lists_are_found():
    assert DATED_LISTS == ["/api/v1/events", "/api/v1/statements"]


@pytest.mark.parametrize("match", ["overlaps", "within"])
@pytest.mark.parametrize("start, end", RANGES)
@pytest.mark.parametrize("url", DATED_LISTS)
def test_extreme_date_bounds_answer_the_records_they_select(client, url, start, end, match):
    everything = every_record(client, url)
    assert everything
    query = "&".join(
        f"{name}={value}" for name, value in (("from", start), ("to", end), ("date_match", match)) if value
    )
    response = client.get(f"{url}?{query}&page_size=100")
    assert response.status_code == 200, (query, response.get_data(as_text=True))
    assert [r["id"] for r in response.get_json()] == selected(everything, start, end, match)


@pytest.mark.parametrize("url", DATED_LISTS)
@pytest.mark.parametrize(
    "query, parameter",
    [
        ("from=0000-12-31", "from"),
        ("to=10000-01-01", "to"),
        ("to=9999-12-32", "to"),
        ("from=-0001-01-01", "from"),
    ],
)
def test_a_bound_outside_the_calendar_is_a_422_naming_it(client, url, query, parameter):
    body = assert_problem(client.get(f"{url}?{query}"), 422, f"'{parameter}'")
    assert list(body["errors"]["query"]) == [parameter]
