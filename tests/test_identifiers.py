"""Entities' external identifiers: curated as seen, served and found by ?identifier=, refused when malformed or
another entity's, carried by the CSV and FollowTheMoney exports."""

from __future__ import annotations

import csv
import io
import json
from importlib import metadata

import pytest

from schemas.identifiers import IDENTIFIER_SCHEMES, MAX_IDENTIFIER_LENGTH
from tests.helpers import EXPORTS, FIXTURES_DIR, assert_problem, auth, edit_record, fetch, problems_of, read_fixture

ENTITIES = read_fixture(FIXTURES_DIR / "entities.json")
IDENTIFIED = [e for e in ENTITIES if e.get("identifiers")]
RIGOUR_PAGE = "https://pypi.org/project/rigour/{}/"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()]


# -- the curated identifiers -------------------------------------------------------------------------------------------


def test_every_curated_identifier_is_what_the_copy_it_names_holds():
    """Each identifier read in rigour's territory data is the value of the field its seen_in names, for the territory
    of the entity's country code (the copy installed here, when it is the version the identifier names)."""
    from rigour._core import territories_jsonl

    version = metadata.version("rigour")
    territories = {t["code"]: t for t in map(json.loads, territories_jsonl().splitlines())}
    checked = 0
    for entity in IDENTIFIED:
        for identifier in entity["identifiers"]:
            seen = identifier["seen_in"]
            assert seen["url"].startswith("https://pypi.org/project/rigour/"), (entity["id"], seen)
            if seen["url"] != RIGOUR_PAGE.format(version):
                continue
            code = entity["country_code"].lower()
            territory = territories[code]
            field = seen["file"].rsplit("field ", 1)[1]
            assert f"the territory '{code}' ({territory['name']})" in seen["file"], entity["id"]
            assert territory["name"] == entity["name"]
            assert territory[field] == identifier["value"], (entity["id"], field)
            assert {"qid": "wikidata", "wikipedia_url": "wikipedia"}[field] == identifier["scheme"]
            checked += 1
    if not checked:
        pytest.skip(f"rigour {version} is installed, not the version the identifiers were read in")
    assert checked == sum(len(e["identifiers"]) for e in IDENTIFIED)


def test_every_country_has_its_wikidata_item_and_judgements_list_the_entities_without():
    countries = [e for e in ENTITIES if e["kind"] == "country"]
    assert all(any(i["scheme"] == "wikidata" for i in c["identifiers"]) for c in countries)
    judgements = (FIXTURES_DIR / "JUDGEMENTS.md").read_text(encoding="utf-8")
    section = judgements.split("## External identifiers", 1)[1]
    for entity in ENTITIES:
        if not entity.get("identifiers"):
            assert f"`{entity['id']}`" in section, entity["id"]


# -- the API ------------------------------------------------------------------------------------------------------------


def test_an_entity_shows_its_identifiers_as_curated(client):
    for entity in IDENTIFIED:
        assert client.get(f"/api/v1/entities/{entity['id']}").get_json()["identifiers"] == entity["identifiers"]
    person = next(e for e in ENTITIES if not e.get("identifiers"))
    assert client.get(f"/api/v1/entities/{person['id']}").get_json()["identifiers"] == []


def test_the_identifier_filter_finds_the_one_entity(client):
    for entity in IDENTIFIED:
        for identifier in entity["identifiers"]:
            scheme, value = identifier["scheme"], identifier["value"]
            found = ids(client.get("/api/v1/entities", query_string={"identifier": f"{scheme}:{value}"}))
            assert found == [entity["id"]]
            assert ids(client.get("/api/v1/entities", query_string={"identifier": value})) == [entity["id"]]


@pytest.mark.parametrize(
    "identifier",
    ["wikidata:Q4", "Q42", "wikidata:Q4230", "unsc:KPi.066", "wikipedia:https://en.wikipedia.org/wiki/North_Kore"],
)
def test_the_identifier_filter_matches_whole_identifiers_only(client, identifier):
    assert ids(client.get("/api/v1/entities", query_string={"identifier": identifier})) == []


def test_the_identifier_filter_goes_with_the_others(client):
    assert ids(client.get("/api/v1/entities?identifier=Q423&kind=country")) == ["north-korea"]
    assert ids(client.get("/api/v1/entities?identifier=Q423&kind=person")) == []


@pytest.mark.parametrize(
    "identifier, fragment",
    [
        ("q423", "names no identifier"),
        ("wikidata:q423", "Wikidata item id such as 'Q423'"),
        ("isni:0000000121032683", "unknown identifier scheme 'isni'"),
        ("wikipedia:http://en.wikipedia.org/wiki/North_Korea", "Wikipedia article's https URL"),
        ("wikipedia:https://en.wikipedia.org.example.com/wiki/North_Korea", "Wikipedia article's https URL"),
        ("unsc:KPi.66", "such as 'KPi.066'"),
    ],
)
def test_a_malformed_identifier_filter_is_422(client, identifier, fragment):
    problem = assert_problem(client.get("/api/v1/entities", query_string={"identifier": identifier}), 422)
    assert "'identifier'" in problem["detail"] and fragment in problem["detail"], problem


# -- curation ---------------------------------------------------------------------------------------------------------


def _seen() -> dict:
    return {"url": "https://pypi.org/project/rigour/2.6.1/", "file": "a file in it"}


def _propose_identifiers(client, token, entity_id: str, identifiers: list):
    etag = client.get(f"/api/v1/entities/{entity_id}").headers["ETag"]
    body = {
        "kind": "entity",
        "action": "update",
        "id": entity_id,
        "summary": "identifiers",
        "record": {"identifiers": identifiers},
    }
    return client.post("/api/v1/changes", json=body, headers=auth(token, **{"If-Match": etag}))


@pytest.mark.parametrize(
    "identifiers, fragment",
    [
        ([{"scheme": "wikidata", "value": "423", "seen_in": _seen()}], "Wikidata item id such as 'Q423'"),
        ([{"scheme": "wikidata", "value": "Q0423", "seen_in": _seen()}], "Wikidata item id such as 'Q423'"),
        (
            [{"scheme": "orcid", "value": "Q1", "seen_in": _seen()}],
            '"scheme": ["Must be one of: wikidata, wikipedia, unsc.',
        ),
        (
            [
                {
                    "scheme": "wikipedia",
                    "value": "https://en.wikipedia.org/wiki/" + "A" * MAX_IDENTIFIER_LENGTH,
                    "seen_in": _seen(),
                }
            ],
            f"Length must be between 1 and {MAX_IDENTIFIER_LENGTH}",
        ),
        ([{"scheme": "wikipedia", "value": "https://evil.example/wiki/Ri", "seen_in": _seen()}], "wikipedia.org"),
        ([{"scheme": "unsc", "value": "KPi066", "seen_in": _seen()}], "such as 'KPi.066'"),
        ([{"scheme": "wikidata", "value": "Q1"}], "seen_in"),
        ([{"scheme": "wikidata", "value": "Q1", "seen_in": {**_seen(), "url": "http://pypi.org/"}}], "https URL"),
        ([{"scheme": "wikidata", "value": "Q1", "seen_in": _seen(), "note": "x"}], "note"),
        (
            [
                {"scheme": "wikidata", "value": "Q1", "seen_in": _seen()},
                {"scheme": "wikidata", "value": "Q2", "seen_in": _seen()},
            ],
            "at most one per scheme",
        ),
        (
            [
                {"scheme": "wikidata", "value": "Q1", "seen_in": _seen()},
                {"scheme": "wikipedia", "value": "https://en.wikipedia.org/wiki/Ri_Yong-ho", "seen_in": _seen()},
                {"scheme": "unsc", "value": "KPi.001", "seen_in": _seen()},
                {"scheme": "wikidata", "value": "Q2", "seen_in": _seen()},
            ],
            f"Longer than maximum length {len(IDENTIFIER_SCHEMES)}",
        ),
        ([{"scheme": "wikidata", "value": "Q423", "seen_in": _seen()}], "'Q423' is also entity 'north-korea'"),
        (
            [{"scheme": "wikipedia", "value": "https://en.wikipedia.org/wiki/North_Korea", "seen_in": _seen()}],
            "is also entity 'north-korea'",
        ),
    ],
    ids=[
        "no-q",
        "leading-zero",
        "unknown-scheme",
        "too-long",
        "wikipedia-host",
        "unsc-form",
        "no-seen-in",
        "seen-in-http",
        "unknown-key",
        "two-in-a-scheme",
        "too-many",
        "another-entitys-wikidata",
        "another-entitys-wikipedia",
    ],
)
def test_a_change_with_a_bad_identifier_is_refused(curation, identifiers, fragment):
    app, client, tokens = curation
    assert_problem(_propose_identifiers(client, tokens["curator"], "ri-yong-ho", identifiers), 422, fragment)


def test_an_identifier_moves_only_when_its_entity_gives_it_up(curation):
    app, client, tokens = curation
    qid = [{"scheme": "wikidata", "value": "Q423", "seen_in": _seen()}]

    def publish(entity_id, identifiers):
        proposed = _propose_identifiers(client, tokens["curator"], entity_id, identifiers)
        assert proposed.status_code == 201, proposed.get_data(as_text=True)
        change = proposed.get_json()["id"]
        approved = client.post(f"/api/v1/changes/{change}/approve", headers=auth(tokens["editor"]))
        assert approved.status_code == 200, approved.get_data(as_text=True)

    publish("north-korea", [])
    assert ids(client.get("/api/v1/entities?identifier=Q423")) == []
    publish("pyongyang", qid)
    assert ids(client.get("/api/v1/entities?identifier=wikidata:Q423")) == ["pyongyang"]
    assert client.get("/api/v1/entities/pyongyang").get_json()["identifiers"] == qid
    assert_problem(_propose_identifiers(client, tokens["curator"], "north-korea", qid), 422, "'pyongyang'")


def test_fixtures_refuse_an_identifier_two_entities_hold(knowledge_copy):
    north = next(e for e in ENTITIES if e["id"] == "north-korea")
    edit_record(knowledge_copy, "entities.json", "pyongyang", lambda e: e.update(identifiers=north["identifiers"][:1]))
    problems = problems_of(knowledge_copy)
    assert any(
        "record 'pyongyang'" in p and "wikidata identifier 'Q423' is also entity 'north-korea'" in p for p in problems
    ), problems


# -- exports -----------------------------------------------------------------------------------------------------------


def test_the_entities_csv_has_a_column_per_scheme(client):
    rows = list(csv.DictReader(io.StringIO(fetch(client, f"{EXPORTS}/entities.csv").get_data(as_text=True))))
    header = list(rows[0])
    assert [h for h in header if h.startswith("identifiers")] == [f"identifiers.{s}" for s in IDENTIFIER_SCHEMES]
    by_id = {row["id"]: row for row in rows}
    assert len(by_id) == len(ENTITIES)
    for entity in ENTITIES:
        curated = {i["scheme"]: i["value"] for i in entity.get("identifiers", [])}
        assert {s: by_id[entity["id"]][f"identifiers.{s}"] for s in IDENTIFIER_SCHEMES} == {
            s: curated.get(s, "") for s in IDENTIFIER_SCHEMES
        }


def test_the_ftm_export_carries_wikidata_ids_and_wikipedia_urls(client):
    from followthemoney import model

    lines = fetch(client, f"{EXPORTS}/entities.ftm.json").get_data(as_text=True).splitlines()
    by_id = {e["id"]: e for e in map(json.loads, lines)}
    for entity in ENTITIES:
        ftm = by_id.get(f"sanctions-kb-entity-{entity['id']}")
        if ftm is None:
            assert entity["kind"] == "place"
            continue
        proxy = model.get_proxy(ftm)  # followthemoney reads it: the properties exist on the schema
        curated = {i["scheme"]: i["value"] for i in entity.get("identifiers", [])}
        assert proxy.get("wikidataId") == ([curated["wikidata"]] if "wikidata" in curated else [])
        assert proxy.get("wikipediaUrl") == ([curated["wikipedia"]] if "wikipedia" in curated else [])
