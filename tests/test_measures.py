"""/measures: every banned commodity as its own record, and the other restrictions."""

from tests.helpers import FIXTURES_DIR, read_fixture

MEASURES = read_fixture(FIXTURES_DIR / "measures.json")
# The commodities whose export resolution 2371 bans (its paragraphs 8-10), each of them a record.
BANNED_BY_2371 = {"coal", "iron", "iron ore", "lead", "lead ore", "fish and seafood"}


def test_each_banned_commodity_is_its_own_record(client):
    bans = client.get("/api/v1/measures?kind=export_ban&page_size=100").get_json()
    curated = [m for m in MEASURES if m["kind"] == "export_ban"]
    assert sorted((b["id"], b["commodity"], b["resolution"]) for b in bans) == sorted(
        (m["id"], m["commodity"], m["resolution"]) for m in curated
    )
    by_2371 = [b["commodity"] for b in bans if b["resolution"] == "unsc-resolution-2371"]
    assert len(by_2371) == len(set(by_2371)) and BANNED_BY_2371 <= set(by_2371)  # one record a commodity


def test_worker_joint_venture_and_investment_limits(client):
    kinds = {m["kind"] for m in client.get("/api/v1/measures?page_size=100").get_json()}
    assert {"labor_restriction", "joint_venture_restriction", "investment_restriction"} <= kinds
    [workers] = client.get("/api/v1/measures?kind=labor_restriction").get_json()
    assert any("workers it sends abroad" in c["quote"] for c in workers["citations"] if c["quote"])
    assert workers["commodity"] is None


def test_commodity_filter_is_case_insensitive_and_strict(client):
    [coal] = client.get("/api/v1/measures?commodity=COAL").get_json()
    assert coal["id"] == "unsc-2371-export-ban-coal"
    assert client.get(f"/api/v1/measures/{coal['id']}").get_json() == coal
    response = client.get("/api/v1/measures?commodity=gold")
    assert response.status_code == 422
    assert "iron ore" in response.get_json(force=True)["detail"], "the error lists the known commodities"


def test_resolution_filter(client):
    served = client.get("/api/v1/measures?resolution=unsc-resolution-2371&page_size=100").get_json()
    curated = [m["id"] for m in MEASURES if m["resolution"] == "unsc-resolution-2371"]
    assert curated
    assert sorted(m["id"] for m in served) == sorted(curated)
    response = client.get("/api/v1/measures?resolution=unsc-resolution-9999")
    assert response.status_code == 422 and "unsc-resolution-9999" in response.get_json(force=True)["detail"]
