"""/figures: the numbers, as values with units and as printed."""

import pytest


def figure(client, figure_id):
    response = client.get(f"/api/v1/figures/{figure_id}")
    assert response.status_code == 200
    return response.get_json()


def test_revenue_and_targeted_cut(client):
    revenue = figure(client, "north-korea-foreign-revenue")
    assert (revenue["value"], revenue["unit"], revenue["as_stated"]) == (3_000_000_000, "USD", "$3 billion")
    cut = figure(client, "unsc-2371-revenue-cut-usd")
    assert (cut["value"], cut["unit"], cut["as_stated"]) == (1_000_000_000, "USD", "$1 billion")
    share = figure(client, "unsc-2371-revenue-cut-fraction")
    assert share["unit"] == "fraction" and share["value"] == pytest.approx(1 / 3)
    assert share["as_stated"] == "by a third"


def test_prior_rounds_and_missile_tests(client):
    rounds = figure(client, "un-sanctions-rounds-before-2371")
    assert (rounds["value"], rounds["unit"]) == (7, "count")  # 1718, 1874, 2087, 2094, 2270, 2321, 2356
    tests = figure(client, "north-korea-icbms-tested-since-july-2017")
    assert (tests["value"], tests["unit"]) == (2, "count")


def test_filters(client):
    about_resolution = client.get("/api/v1/figures?subject=unsc-resolution-2371&page_size=100").get_json()
    assert about_resolution and all(f["subject"] == "unsc-resolution-2371" for f in about_resolution)
    [revenue] = client.get("/api/v1/figures?metric=annual-export-revenue").get_json()
    assert revenue["id"] == "north-korea-foreign-revenue"
    for query, parameter in (("subject=atlantis", "subject"), ("metric=gdp", "metric")):
        response = client.get(f"/api/v1/figures?{query}")
        assert response.status_code == 422 and f"'{parameter}'" in response.get_json(force=True)["detail"]
