"""/events: kinds, participants, places, date ranges; one event per happening, however many reports."""


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [e["id"] for e in response.get_json()]


def test_handshake_in_manila_on_sunday(client):
    event = client.get("/api/v1/events/kang-ri-handshake-2017-08-06").get_json()
    assert event["kind"] == "encounter"
    assert event["occurred_on"] == "2017-08-06" and event["date_precision"] == "day"
    assert "Sunday" in event["date_derivation"]
    assert event["place"] == "manila"
    assert set(event["participants"]) == {"kang-kyung-wha", "ri-yong-ho"}


def test_one_event_for_a_meeting_reported_twice(client):
    event = client.get("/api/v1/events/tillerson-manila-diplomacy-2017-08-06").get_json()
    sources = {c["source"] for c in event["citations"]}
    assert {"china-urges-n-korea-2017-08-12", "presstv-manila-talks-2017-08-07"} <= sources
    titles = [e["title"] for e in client.get("/api/v1/events?page_size=100").get_json()]
    assert len(titles) == len(set(titles))


def test_participant_place_and_kind_filters(client):
    ri = ids(client.get("/api/v1/events?participant=ri-yong-ho&page_size=100"))
    assert {"kang-ri-handshake-2017-08-06", "wang-yi-ri-yong-ho-meeting-2017-08-06"} <= set(ri)
    manila = client.get("/api/v1/events?place=manila&page_size=100").get_json()
    assert manila and all(e["place"] == "manila" for e in manila)
    assert ids(client.get("/api/v1/events?kind=vote")) == ["unsc-vote-resolution-2371"]
    tests = client.get("/api/v1/events?kind=missile_test").get_json()
    # Pyongyang's calendar: the first launch was 4 July there, 3 July in New York (the resolution's date).
    assert [(e["occurred_on"], e["time_zone"]) for e in tests] == [
        ("2017-07-04", "Asia/Pyongyang"),
        ("2017-07-28", "Asia/Pyongyang"),
    ]


def test_date_range_is_inclusive_and_ordered(client):
    events = client.get("/api/v1/events?from=2017-08-05&to=2017-08-06&page_size=100").get_json()
    assert events and all(e["date_earliest"] <= "2017-08-06" and e["date_latest"] >= "2017-08-05" for e in events)
    days = {e["occurred_on"] for e in events}
    assert {"2017-08-05", "2017-08-06"} <= days
    everything = client.get("/api/v1/events?page_size=100").get_json()
    keys = [(e["date_earliest"] is None, e["date_earliest"] or "", e["date_latest"] or "", e["id"]) for e in everything]
    assert keys == sorted(keys)


def test_bad_event_filters(client):
    for query, parameter in (
        ("from=2017-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2017-08-07&to=2017-08-01", "from"),
        ("date_match=during", "date_match"),
        ("kind=party", "kind"),
        ("participant=kim-jong-il", "participant"),
        ("place=ri-yong-ho", "place"),
    ):
        response = client.get(f"/api/v1/events?{query}")
        assert response.status_code == 422, query
        assert f"'{parameter}'" in response.get_json(force=True)["detail"], query
