"""Every fact the API returns embeds citations that check out against the served source text."""

import pytest

FACT_LISTS = [
    "entities",
    "resolutions",
    "measures",
    "figures",
    "events",
    "statements",
    "resolutions/unsc-resolution-2371/votes",
]


@pytest.fixture(scope="module")
def texts():
    return {}


def all_pages(client, path):
    items, page = [], 1
    while True:
        response = client.get(f"/api/v1/{path}?page_size=100&page={page}")
        assert response.status_code == 200
        items += response.get_json()
        if "next_page" not in response.headers["X-Pagination"]:
            return items
        page += 1


@pytest.mark.parametrize("path", FACT_LISTS)
def test_every_fact_has_verified_citations(client, path, texts):
    sources = {s["id"]: s for s in all_pages(client, "sources")}
    facts = all_pages(client, path)
    assert facts
    for fact in facts:
        nested = fact.get("roles", [])
        for record in (fact, *nested):
            assert record["citations"], f"{path}/{record['id']} has no citation"
            for citation in record["citations"]:
                source = sources[citation["source"]]
                if source["kind"] == "reference":
                    assert citation["quote"] is None and citation["start"] is None
                    continue
                if source["id"] not in texts:
                    texts[source["id"]] = client.get(f"/api/v1/sources/{source['id']}/text").get_data(as_text=True)
                text = texts[source["id"]]
                assert text[citation["start"] : citation["end"]] == citation["quote"], f"{path}/{record['id']}"
