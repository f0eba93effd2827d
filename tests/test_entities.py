"""/entities: kinds, countries, name search ignoring case, hyphens and accents, roles."""

import pytest


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()]


@pytest.mark.parametrize("q", ["ri yong ho", "Ri Yong-ho", "RI YONG HO", "rí yông-hó", "yong-ho"])
def test_name_search_ignores_case_hyphens_and_accents(client, q):
    assert ids(client.get("/api/v1/entities", query_string={"q": q})) == ["ri-yong-ho"]


def test_name_search_matches_aliases(client):
    assert "north-korea" in ids(client.get("/api/v1/entities?q=N.%20Korea"))
    assert "north-korea" in ids(client.get("/api/v1/entities?q=dprk"))
    assert "russia" in ids(client.get("/api/v1/entities?q=russian%20federation"))
    assert ids(client.get("/api/v1/entities?q=nobody-by-this-name")) == []


def test_kind_and_country_filters(client):
    people = client.get("/api/v1/entities?kind=person&page_size=100").get_json()
    assert people and all(p["kind"] == "person" for p in people)
    assert {"ri-yong-ho", "kang-kyung-wha", "wang-yi", "sergei-lavrov", "rex-tillerson"} <= {p["id"] for p in people}
    north = ids(client.get("/api/v1/entities?country=north-korea&page_size=100"))
    assert "ri-yong-ho" in north and "kang-kyung-wha" not in north
    both = ids(client.get("/api/v1/entities?country=south-korea&kind=person&page_size=100"))
    assert "kang-kyung-wha" in both and "moon-jae-in" in both and "seoul" not in both


def test_list_is_ordered_by_id(client):
    everything = ids(client.get("/api/v1/entities?page_size=100"))
    assert everything == sorted(everything)


def test_item_embeds_roles_with_citations(client):
    kang = client.get("/api/v1/entities/kang-kyung-wha").get_json()
    assert kang["name"] == "Kang Kyung-wha"
    assert kang["country"] == "south-korea"
    titles = [role["title"] for role in kang["roles"]]
    assert any("Foreign Minister" in title for title in titles)
    assert all(role["citations"] for role in kang["roles"])


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("kind=spy", "kind"),
        ("country=atlantis", "country"),
        ("country=ri-yong-ho", "country"),
        ("q=", "q"),
    ],
)
def test_bad_filters_are_422(client, query, parameter):
    response = client.get(f"/api/v1/entities?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert f"'{parameter}'" in response.get_json(force=True)["detail"]
