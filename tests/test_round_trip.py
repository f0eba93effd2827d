"""Every curated record comes back from the API exactly as curated: field for field, in the documented order.

The expected body is built from the fixture files and the seeds' metadata themselves, not from the schemas the
service renders with (a field a schema stopped writing would otherwise be missing on both sides): every field a
curator wrote is served as written, in the order of the OpenAPI snapshot (schemas/openapi.json), and every other
field served is either one a fixture may leave out (with its documented default, below) or one the API computes,
each checked here by its own rule: a quote's offsets are where the quote is in its article's text, a date's
interval is its day, a statement's hands and relays come from its attribution chain, a fact's disputes are the
disputes naming it. An entity's roles, a dispute's claims and a resolution's votes are compared record by record.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import FIXTURES_DIR, SEEDS_DIR, read_fixture

SPEC = json.loads((FIXTURES_DIR.parent / "schemas" / "openapi.json").read_text(encoding="utf-8"))

# Fixture file -> (the record's component in the OpenAPI snapshot, its kind, URL of one record by id).
ITEM_URLS = {
    "references.json": ("Source", "source", "/api/v1/sources/{id}"),
    "topics.json": ("Topic", "topic", "/api/v1/topics/{id}"),
    "entities.json": ("Entity", "entity", "/api/v1/entities/{id}"),
    "resolutions.json": ("Resolution", "resolution", "/api/v1/resolutions/{id}"),
    "measures.json": ("Measure", "measure", "/api/v1/measures/{id}"),
    "figures.json": ("Figure", "figure", "/api/v1/figures/{id}"),
    "events.json": ("Event", "event", "/api/v1/events/{id}"),
    "statements.json": ("Statement", "statement", "/api/v1/statements/{id}"),
    "disputes.json": ("Dispute", "dispute", "/api/v1/disputes/{id}"),
}
# What a fixture record may leave out, and what is served then (fixtures/FORMAT.md).
DEFAULTS = {
    "Source": {
        "date_precision": "day",  # given a date (without one: unknown, which the fixtures say)
        "date_derivation": None,
        "dateline": None,
        "accessed_on": None,
        "derived_from": [],
        "sha256": None,
    },
    "Entity": {"named": True, "country_code": None, "identifiers": []},
    "Figure": {"value_max": None},
    "Event": {"time_zone": None},
    "Statement": {"time_zone": None},
    "Citation": {"quote": None, "role": "supports", "fields": [], "wording": None, "account": None},
}
# Records served inside others, compared on their own; and what the API derives (support is held to its own
# rules in test_knowledge.py).
EMBEDDED = ("roles", "claims")
NOT_COMPARED = ("support",)
DAY_FIELD = {"Event": "occurred_on", "Statement": "said_on"}


def article_texts() -> dict[str, str]:
    texts = {}
    for path in SEEDS_DIR.glob("*.json"):
        meta = json.loads(path.read_text(encoding="utf-8"))
        texts[meta["id"]] = (SEEDS_DIR / meta["file"]).read_text(encoding="utf-8")
    return texts


TEXTS = article_texts()


def served_fields(component: str) -> list[str]:
    """The fields of a component, in the snapshot's order, but those only written (an article's file name)."""
    properties = SPEC["components"]["schemas"][component]["properties"]
    return [name for name, field in properties.items() if not field.get("writeOnly")]


def disputes_of(kind: str, record_id: str) -> list[str]:
    return sorted(
        d["id"]
        for d in read_fixture(FIXTURES_DIR / "disputes.json")
        if {"type": kind, "id": record_id} in d.get("facts", [])
    )


def computed(component: str, kind: str, raw: dict) -> dict:
    """What the API derives from a curated record, by this test's own reading of the rules, for the fields the
    record does not give itself."""
    values = {}
    if component in DAY_FIELD and raw.get("date_precision") in ("day", "unknown"):
        day = raw.get(DAY_FIELD[component]) if raw["date_precision"] == "day" else None
        values |= {"date_earliest": day, "date_latest": day}
    if component == "Statement":
        chain = raw.get("attribution_chain", [])
        values |= {"hands": len(chain) + 1, "reported_via": [link["relay"] for link in chain]}
    if "disputes" in served_fields(component):
        values["disputes"] = disputes_of(kind, raw["id"])
    return values


def expected_citation(raw: dict) -> dict:
    citation = DEFAULTS["Citation"] | raw
    quote = citation["quote"]
    if quote is not None and "start" not in raw:
        start = TEXTS[citation["source"]].find(quote)
        citation |= {"start": start, "end": start + len(quote)}
    citation.setdefault("start", None)
    citation.setdefault("end", None)
    return citation


def assert_served_as_curated(served: dict, raw: dict, component: str, kind: str, where: str) -> None:
    documented = served_fields(component)
    assert list(served) == documented, f"{where}: fields {list(served)} != documented {documented}"
    curated = {name: value for name, value in raw.items() if name in documented}
    assert set(raw) - set(curated) <= {"file"}, f"{where}: curated fields not documented"
    assert set(curated) <= set(served), f"{where}: curated fields not served: {set(curated) - set(served)}"
    derived = computed(component, kind, raw)
    for name, value in served.items():
        if name in EMBEDDED or name in NOT_COMPARED:
            continue
        if name == "citations":
            citations = [
                {field: citation[field] for field in served_fields("Citation")}
                for citation in map(expected_citation, curated.get("citations", []))
            ]
            assert value == citations, f"{where}: citations {value!r}, curated {citations!r}"
            for citation in citations:  # the offsets found are the quote's place in its article
                if citation["quote"] is not None:
                    assert TEXTS[citation["source"]][citation["start"] : citation["end"]] == citation["quote"]
        elif name in curated:
            assert value == curated[name], f"{where}: field {name!r} is {value!r}, curated {curated[name]!r}"
        elif name in derived:
            assert value == derived[name], f"{where}: computed {name!r} is {value!r}, expected {derived[name]!r}"
        else:
            defaults = DEFAULTS.get(component, {})
            assert name in defaults, f"{where}: {name!r} is served but neither curated, a default nor computed"
            assert value == defaults[name], f"{where}: default {name!r} is {value!r}, expected {defaults[name]!r}"


def test_every_fixture_file_is_round_tripped():
    """Each fixture file is compared here: on its own (ITEM_URLS) or inside its owner (the EMBEDDED kinds, and the
    votes under their resolution), so a file added for a new kind cannot go unchecked."""
    inside = {f"{name}.json" for name in EMBEDDED} | {"votes.json"}
    assert {path.name for path in FIXTURES_DIR.glob("*.json")} == set(ITEM_URLS) | inside


@pytest.mark.parametrize("file_name", sorted(ITEM_URLS))
def test_every_record_is_served_as_curated(client, file_name):
    component, kind, url = ITEM_URLS[file_name]
    records = read_fixture(FIXTURES_DIR / file_name)
    assert records
    for raw in records:
        response = client.get(url.format(id=raw["id"]))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert_served_as_curated(response.get_json(), raw, component, kind, f"{file_name} {raw['id']}")


def test_every_article_is_served_as_its_metadata(client):
    metas = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(SEEDS_DIR.glob("*.json"))]
    served_articles = client.get("/api/v1/sources?kind=article&page_size=100").get_json()
    assert sorted(s["id"] for s in served_articles) == sorted(raw["id"] for raw in metas)
    for raw in metas:
        served = client.get(f"/api/v1/sources/{raw['id']}").get_json()
        assert "file" not in served
        assert_served_as_curated(served, raw, "Source", "source", f"seeds {raw['id']}")
        text = client.get(f"/api/v1/sources/{raw['id']}/text")
        assert text.get_data() == (SEEDS_DIR / raw["file"]).read_bytes()


def assert_embedded_as_curated(file_name: str, owner_field: str, served_in, component: str, kind: str) -> None:
    """Each record of `file_name`, grouped by its owner (`owner_field`), is served by `served_in(owner)` in id
    order, each as curated."""
    by_owner: dict[str, list[dict]] = {}
    for raw in read_fixture(FIXTURES_DIR / file_name):
        by_owner.setdefault(raw[owner_field], []).append(raw)
    assert by_owner
    for owner, curated in by_owner.items():
        served = served_in(owner)
        curated.sort(key=lambda record: record["id"])
        assert [r["id"] for r in served] == [r["id"] for r in curated], f"{file_name} of {owner}"
        for served_record, raw in zip(served, curated, strict=True):
            assert_served_as_curated(served_record, raw, component, kind, f"{file_name} {raw['id']}")


def test_every_role_is_served_inside_its_entity(client):
    assert_embedded_as_curated(
        "roles.json",
        "entity",
        lambda owner: client.get(f"/api/v1/entities/{owner}").get_json()["roles"],
        "Role",
        "role",
    )


def test_every_claim_is_served_inside_its_dispute(client):
    claimed = {raw["dispute"] for raw in read_fixture(FIXTURES_DIR / "claims.json")}
    assert claimed == {d["id"] for d in read_fixture(FIXTURES_DIR / "disputes.json")}
    assert_embedded_as_curated(
        "claims.json",
        "dispute",
        lambda owner: client.get(f"/api/v1/disputes/{owner}").get_json()["claims"],
        "Claim",
        "claim",
    )


def test_every_vote_is_served_under_its_resolution(client):
    assert_embedded_as_curated(
        "votes.json",
        "resolution",
        lambda owner: client.get(f"/api/v1/resolutions/{owner}/votes?page_size=100").get_json(),
        "MemberVote",
        "vote",
    )


@pytest.mark.parametrize(
    "url, file_name",
    [
        ("/api/v1/entities", "entities.json"),
        ("/api/v1/measures", "measures.json"),
        ("/api/v1/figures", "figures.json"),
        ("/api/v1/events", "events.json"),
        ("/api/v1/statements", "statements.json"),
        ("/api/v1/topics", "topics.json"),
        ("/api/v1/resolutions", "resolutions.json"),
        ("/api/v1/disputes", "disputes.json"),
    ],
)
def test_lists_serve_the_same_records_as_items(client, url, file_name):
    served = client.get(f"{url}?page_size=100").get_json()
    assert sorted(r["id"] for r in served) == sorted(r["id"] for r in read_fixture(FIXTURES_DIR / file_name))
    for record in served:
        assert client.get(f"{url}/{record['id']}").get_json() == record
