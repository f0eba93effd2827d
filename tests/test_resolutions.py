"""/resolutions and their member votes."""

COUNCIL_2017 = {
    "china",
    "france",
    "russia",
    "united-kingdom",
    "united-states",
    "bolivia",
    "egypt",
    "ethiopia",
    "italy",
    "japan",
    "kazakhstan",
    "senegal",
    "sweden",
    "ukraine",
    "uruguay",
}


def test_resolution_2371(client):
    [resolution] = client.get("/api/v1/resolutions").get_json()
    assert resolution == client.get("/api/v1/resolutions/unsc-resolution-2371").get_json()
    assert resolution["number"] == 2371
    assert resolution["symbol"] == "S/RES/2371 (2017)"
    assert resolution["adopted_on"] == "2017-08-05"
    assert (resolution["votes_for"], resolution["votes_against"], resolution["abstentions"]) == (15, 0, 0)
    assert resolution["drafted_by"] == "united-states"
    assert resolution["body"] == "un-security-council"
    kinds = {c["source"] for c in resolution["citations"]}
    assert "un-doc-s-res-2371-2017" in kinds, "the number and symbol come from public record, not the articles"
    assert any(c["quote"] and "voted 15-0" in c["quote"] for c in resolution["citations"])


def test_every_member_voted_yes(client):
    votes = client.get("/api/v1/resolutions/unsc-resolution-2371/votes?page_size=100").get_json()
    assert {v["member"] for v in votes} == COUNCIL_2017
    assert {v["vote"] for v in votes} == {"yes"}
    assert [v["member"] for v in votes] == sorted(v["member"] for v in votes)
    assert client.get("/api/v1/resolutions/unsc-resolution-2371/votes?vote=no").get_json() == []
    assert len(client.get("/api/v1/resolutions/unsc-resolution-2371/votes?vote=yes&page_size=100").get_json()) == 15


def test_china_and_russia_votes_cite_the_article(client):
    votes = {
        v["member"]: v for v in client.get("/api/v1/resolutions/unsc-resolution-2371/votes?page_size=100").get_json()
    }
    for member in ("china", "russia"):
        assert any(c["quote"] and "Beijing and Moscow" in c["quote"] for c in votes[member]["citations"]), member


def test_unknown_resolution_and_bad_vote(client):
    response = client.get("/api/v1/resolutions/unsc-resolution-2375/votes")
    assert response.status_code == 404 and "unsc-resolution-2375" in response.get_json(force=True)["detail"]
    response = client.get("/api/v1/resolutions/unsc-resolution-2371/votes?vote=maybe")
    assert response.status_code == 422 and "'vote'" in response.get_json(force=True)["detail"]
