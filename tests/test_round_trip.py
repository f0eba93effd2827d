"""Every curated record comes back from the API exactly as curated: field for field, in schema order.

The expected body is the fixture record as its schema reads it (defaults filled in) and writes it back, minus the
fields that only exist for loading (`file` of an article's metadata). A field the API drops, renames or changes
fails here, for every record of every kind. What the API computes (`support`, `disputes`) and the records served
inside another (an entity's roles, a dispute's claims) are compared on their own.
"""

from __future__ import annotations

import json

import pytest

from schemas import (
    ClaimSchema,
    DisputeSchema,
    EntitySchema,
    EventSchema,
    FigureSchema,
    MeasureSchema,
    MemberVoteSchema,
    ResolutionSchema,
    RoleSchema,
    SourceSchema,
    StatementSchema,
    TopicSchema,
)
from tests.helpers import FIXTURES_DIR, SEEDS_DIR, read_fixture

# Fixture file -> (schema, URL of one record by id). Roles are served inside their entity; votes under their resolution.
ITEM_URLS = {
    "references.json": (SourceSchema, "/api/v1/sources/{id}"),
    "topics.json": (TopicSchema, "/api/v1/topics/{id}"),
    "entities.json": (EntitySchema, "/api/v1/entities/{id}"),
    "resolutions.json": (ResolutionSchema, "/api/v1/resolutions/{id}"),
    "measures.json": (MeasureSchema, "/api/v1/measures/{id}"),
    "figures.json": (FigureSchema, "/api/v1/figures/{id}"),
    "events.json": (EventSchema, "/api/v1/events/{id}"),
    "statements.json": (StatementSchema, "/api/v1/statements/{id}"),
    "disputes.json": (DisputeSchema, "/api/v1/disputes/{id}"),
}
# Computed by the API or embedded records: not in a fixture record.
COMPUTED = ("roles", "claims", "disputes", "support")


def expected(schema_class, raw: dict) -> dict:
    """The record as the API must serve it: loaded (defaults applied), dumped, load-only fields gone."""
    schema = schema_class()
    return json.loads(json.dumps(schema.dump(schema.load(raw))))


def assert_same_record(served: dict, curated: dict, where: str) -> None:
    served = {name: value for name, value in served.items() if name not in COMPUTED}
    assert list(served) == list(curated), f"{where}: fields {list(served)} != {list(curated)}"
    for name in curated:
        assert served[name] == curated[name], f"{where}: field {name!r} is {served[name]!r}, curated {curated[name]!r}"


@pytest.mark.parametrize("file_name", sorted(ITEM_URLS))
def test_every_record_is_served_as_curated(client, file_name):
    schema_class, url = ITEM_URLS[file_name]
    records = read_fixture(FIXTURES_DIR / file_name)
    assert records
    for raw in records:
        response = client.get(url.format(id=raw["id"]))
        assert response.status_code == 200, response.get_data(as_text=True)
        served, curated = response.get_json(), expected(schema_class, raw)
        if schema_class is EntitySchema:
            assert list(served)[-4:] == ["roles", "disputes", "support", "citations"]
        computed = [name for name in COMPUTED if name in schema_class._declared_fields]
        assert [name for name in served if name in computed] == computed, f"{file_name} {raw['id']}"
        assert_same_record(served, curated, f"{file_name} {raw['id']}")


def test_every_article_is_served_as_its_metadata(client):
    metas = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(SEEDS_DIR.glob("*.json"))]
    assert len(metas) == 2
    for raw in metas:
        served = client.get(f"/api/v1/sources/{raw['id']}").get_json()
        curated = expected(SourceSchema, raw)
        assert "file" not in curated
        assert_same_record(served, curated, f"seeds {raw['id']}")
        text = client.get(f"/api/v1/sources/{raw['id']}/text")
        assert text.get_data() == (SEEDS_DIR / raw["file"]).read_bytes()


def test_every_role_is_served_inside_its_entity(client):
    roles = read_fixture(FIXTURES_DIR / "roles.json")
    assert roles
    by_entity: dict[str, list[dict]] = {}
    for raw in roles:
        by_entity.setdefault(raw["entity"], []).append(expected(RoleSchema, raw))
    for entity_id, curated in by_entity.items():
        served = client.get(f"/api/v1/entities/{entity_id}").get_json()["roles"]
        curated.sort(key=lambda role: role["id"])
        assert [r["id"] for r in served] == [r["id"] for r in curated]
        for served_role, curated_role in zip(served, curated, strict=True):
            assert_same_record(served_role, curated_role, f"roles.json {curated_role['id']}")


def test_every_claim_is_served_inside_its_dispute(client):
    claims = read_fixture(FIXTURES_DIR / "claims.json")
    by_dispute: dict[str, list[dict]] = {}
    for raw in claims:
        by_dispute.setdefault(raw["dispute"], []).append(expected(ClaimSchema, raw))
    assert set(by_dispute) == {d["id"] for d in read_fixture(FIXTURES_DIR / "disputes.json")}
    for dispute_id, curated in by_dispute.items():
        served = client.get(f"/api/v1/disputes/{dispute_id}").get_json()["claims"]
        curated.sort(key=lambda claim: claim["id"])
        assert [c["id"] for c in served] == [c["id"] for c in curated]
        for served_claim, curated_claim in zip(served, curated, strict=True):
            assert_same_record(served_claim, curated_claim, f"claims.json {curated_claim['id']}")


def test_every_vote_is_served_under_its_resolution(client):
    votes = read_fixture(FIXTURES_DIR / "votes.json")
    assert votes
    served: dict[str, dict] = {}
    for resolution in {v["resolution"] for v in votes}:
        for vote in client.get(f"/api/v1/resolutions/{resolution}/votes?page_size=100").get_json():
            served[vote["id"]] = vote
    assert set(served) == {v["id"] for v in votes}
    for raw in votes:
        assert_same_record(served[raw["id"]], expected(MemberVoteSchema, raw), f"votes.json {raw['id']}")


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
    assert len(served) == len(read_fixture(FIXTURES_DIR / file_name))
    for record in served:
        assert client.get(f"{url}/{record['id']}").get_json() == record
