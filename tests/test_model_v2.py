"""Knowledge model v2: date intervals, bounded figures, mentions, independent sources, attribution chains and
disputes, as the loader checks them and as a fact-checker queries them."""

from __future__ import annotations

import json

import pytest

from schemas.kinds import KIND_TABLE
from tests.helpers import FIXTURES_DIR, edit_record, problems_of, read_fixture, write_fixture


def every(client, url: str) -> list[dict]:
    """Every record of a list, following its pages."""
    found, page = [], 1
    while True:
        response = client.get(f"{url}{'&' if '?' in url else '?'}page={page}&page_size=100")
        assert response.status_code == 200, response.get_data(as_text=True)
        found += response.get_json()
        if '"next_page"' not in response.headers["X-Pagination"]:
            return found
        page += 1


# The loader refuses what the model cannot mean, naming the record.


def test_refuses_an_interval_that_ends_before_it_starts(knowledge_copy):
    def backwards(event):
        event.update(occurred_on=None, date_precision="span", date_earliest="2017-08-07", date_latest="2017-08-05")

    event = edit_record(knowledge_copy, "events.json", None, backwards)
    problems = problems_of(knowledge_copy)
    assert any(
        f"fixtures/events.json: record {event['id']!r}" in p and "ends (2017-08-05) before it starts (2017-08-07)" in p
        for p in problems
    ), problems


@pytest.mark.parametrize(
    "interval, rule",
    [
        (("week", "2017-08-01", "2017-08-05"), "a week is seven days"),
        (("month", "2017-07-02", "2017-07-31"), "a month runs from its first day to its last"),
        (("season", "2017-03-01", "2017-04-30"), "a season is three whole months"),
        (("year", "2017-01-01", "2017-12-30"), "a year runs from 1 January to 31 December"),
        (("span", "2017-08-05", "2017-08-05"), "a span is more than one day"),
        (("unknown", "2017-08-05", "2017-08-06"), "an unknown date has no earliest or latest day"),
    ],
)
def test_refuses_an_interval_that_does_not_fit_its_precision(knowledge_copy, interval, rule):
    precision, earliest, latest = interval

    def misfit(statement):
        statement.update(said_on=None, date_precision=precision, date_earliest=earliest, date_latest=latest)

    statement = edit_record(knowledge_copy, "statements.json", None, misfit)
    problems = problems_of(knowledge_copy)
    assert any(statement["id"] in p and rule in p for p in problems), problems


def test_refuses_a_placeholder_day_and_an_unknown_time_zone(knowledge_copy):
    def placeholder(event):
        event.update(occurred_on="2017-04-01", date_precision="season", date_earliest="2017-03-01")
        event.update(date_latest="2017-05-31")

    event = edit_record(knowledge_copy, "events.json", None, placeholder)
    edit_record(knowledge_copy, "statements.json", None, lambda s: s.update(time_zone="Asia/Atlantis"))
    problems = problems_of(knowledge_copy)
    assert any(event["id"] in p and "only given for a date known to the day" in p for p in problems), problems
    assert any("'Asia/Atlantis' is not an IANA time zone name" in p for p in problems), problems


@pytest.mark.parametrize(
    "change, message",
    [
        ({"value_kind": "maximum"}, "Must be one of: exact, approximate, lower_bound, upper_bound, range"),
        ({"value_kind": "lower_bound", "value_max": 20}, "only a range has a value_max"),
        ({"value_kind": "range", "value_max": None}, "a range needs a value_max above its value"),
        ({"value_kind": "exact", "approximate": True}, "an exact value is not approximate"),
    ],
)
def test_refuses_a_bound_of_the_wrong_kind(knowledge_copy, change, message):
    figure = edit_record(knowledge_copy, "figures.json", None, lambda f: f.update(change))
    problems = problems_of(knowledge_copy)
    assert any(f"fixtures/figures.json: record {figure['id']!r}" in p and message in p for p in problems), problems


def test_refuses_an_unknown_mention_role_and_a_field_the_fact_lacks(knowledge_copy):
    def bad_mentions(measure):
        measure["citations"][0]["role"] = "endorses"
        measure["citations"][1]["fields"] = ["colour"]

    measure = edit_record(knowledge_copy, "measures.json", None, bad_mentions)
    problems = problems_of(knowledge_copy)
    assert any(measure["id"] in p and "role" in p and "Must be one of: supports, context" in p for p in problems)
    edit_record(knowledge_copy, "measures.json", measure["id"], lambda m: m["citations"][0].update(role="context"))
    problems = problems_of(knowledge_copy)
    assert any(
        measure["id"] in p and "citation 2: fields ['colour'] are not fields of a measure" in p for p in problems
    )


def test_refuses_a_fact_no_citation_supports(knowledge_copy):
    def only_context(figure):
        for citation in figure["citations"]:
            citation["role"] = "context"

    figure = edit_record(knowledge_copy, "figures.json", None, only_context)
    problems = problems_of(knowledge_copy)
    assert any(figure["id"] in p and "no citation supports the fact" in p for p in problems), problems


def test_refuses_a_contradiction_that_cites_nothing(knowledge_copy):
    path = knowledge_copy / "fixtures" / "disputes.json"
    disputes = read_fixture(path)
    disputes.append(
        {
            "id": "uncited-contradiction",
            "kind": "contradiction",
            "subject": "Did the Council vote twice?",
            "status": "open",
            "reasoning": "Nobody says so.",
            "facts": [{"type": "resolution", "id": "unsc-resolution-2371"}],
        }
    )
    write_fixture(path, disputes)
    problems = problems_of(knowledge_copy)
    assert any(
        "fixtures/disputes.json: record 'uncited-contradiction'" in p and "cites nothing" in p for p in problems
    ), problems


def test_refuses_a_dispute_about_a_fact_that_does_not_exist_or_without_its_verdict(knowledge_copy):
    dispute = edit_record(
        knowledge_copy,
        "disputes.json",
        None,
        lambda d: d.update(status="resolved", verdict=None, facts=[{"type": "event", "id": "moon-landing"}]),
    )
    problems = problems_of(knowledge_copy)
    assert any(dispute["id"] in p and "a resolved dispute has a verdict" in p for p in problems), problems
    edit_record(knowledge_copy, "disputes.json", dispute["id"], lambda d: d.update(verdict="Settled."))
    problems = problems_of(knowledge_copy)
    assert any(dispute["id"] in p and "fact event 'moon-landing' does not exist" in p for p in problems), problems


def test_refuses_a_direct_attribution_relayed_through_a_chain(knowledge_copy):
    statement = edit_record(
        knowledge_copy,
        "statements.json",
        "ri-seoul-proposals-lacked-sincerity",
        lambda s: s.update(attribution="direct"),
    )
    problems = problems_of(knowledge_copy)
    assert any(statement["id"] in p and "relayed through an attribution_chain are not direct" in p for p in problems)

    def stronger_than_its_chain(s):
        s["attribution_chain"][-1]["attribution"] = "ambiguous"
        s["attribution_note"] = "Which official is not said."
        s["attribution"] = "reported"

    edit_record(knowledge_copy, "statements.json", statement["id"], stronger_than_its_chain)
    problems = problems_of(knowledge_copy)
    assert any(statement["id"] in p and "at most as surely attributed as its weakest link" in p for p in problems)


def test_refuses_a_name_that_names_two_entities(knowledge_copy):
    edit_record(knowledge_copy, "entities.json", "united-states", lambda e: e["aliases"].append("Washington"))
    problems = problems_of(knowledge_copy)
    assert any(
        "record 'washington-dc'" in p and "'washington' also names entity 'united-states'" in p for p in problems
    )


def test_refuses_a_source_deriving_from_an_unknown_source(knowledge_copy):
    path = knowledge_copy / "seeds" / "001_538f4130def33c1f.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["derived_from"] = [{"source": "daily-planet", "relation": "wire_copy"}]
    path.write_text(json.dumps(meta), encoding="utf-8")
    problems = problems_of(knowledge_copy)
    assert any(
        "source 'presstv-manila-talks-2017-08-07'" in p and "derived_from 'daily-planet' is not a known source" in p
        for p in problems
    ), problems


def test_refuses_sources_that_derive_from_each_other_in_a_cycle(knowledge_copy):
    path = knowledge_copy / "fixtures" / "references.json"
    references = read_fixture(path)
    first, second = references[0], references[1]
    first["derived_from"] = [{"source": second["id"], "relation": "summary"}]
    second["derived_from"] = [{"source": first["id"], "relation": "wire_copy"}]
    write_fixture(path, references)
    problems = problems_of(knowledge_copy)
    assert any(first["id"] in p and "derives from itself through derived_from (a cycle)" in p for p in problems)
    assert any(second["id"] in p and "(a cycle)" in p for p in problems), problems


def test_facts_supported_by_two_independent_sources(client):
    corroborated = every(client, "/api/v1/facts?min_independent_sources=2")
    everything = every(client, "/api/v1/facts")
    assert corroborated and len(corroborated) < len(everything)
    assert corroborated == [f for f in everything if f["independent_sources"] >= 2]
    for fact in corroborated[:: max(1, len(corroborated) // 10)]:
        assert client.get(fact["url"]).get_json()["support"]["independent_sources"] == fact["independent_sources"]
    curated = {k.name for k in KIND_TABLE if k.in_facts and read_fixture(FIXTURES_DIR / k.fixture)}
    assert {f["type"] for f in everything} == curated  # every kind listed in /facts that has records


# Disputes: contradictions and corrections as records, linked from the facts involved.


def test_every_dispute_has_its_sides_verdict_and_facts(client):
    disputes = every(client, "/api/v1/disputes")
    assert len(disputes) >= 5
    for dispute in disputes:
        assert len(dispute["claims"]) >= 2 and all(claim["citations"] for claim in dispute["claims"])
        assert (dispute["status"] == "resolved") == (dispute["verdict"] is not None)
        for ref in dispute["facts"]:
            fact = client.get(f"/api/v1/{_plural(ref['type'])}/{ref['id']}").get_json()
            assert dispute["id"] in fact["disputes"], (dispute["id"], ref)
    disputed = every(client, "/api/v1/facts?disputed=true")
    assert {(f["type"], f["id"]) for f in disputed} == {
        (ref["type"], ref["id"]) for dispute in disputes for ref in dispute["facts"]
    }
    assert {d["kind"] for d in disputes} == {"contradiction", "correction"}
    resolved = every(client, "/api/v1/disputes?status=resolved")
    assert resolved and all(d["verdict"] for d in resolved)


def test_disputes_about_a_fact_and_their_search(client):
    [first] = every(client, "/api/v1/disputes")[:1]
    ref = first["facts"][0]
    about = every(client, f"/api/v1/disputes?fact={ref['id']}&fact_type={ref['type']}")
    assert first["id"] in [d["id"] for d in about] and all(any(r["id"] == ref["id"] for r in d["facts"]) for d in about)
    missing = client.get("/api/v1/disputes?fact=moon-landing")
    assert missing.status_code == 422 and "no fact with id 'moon-landing'" in missing.get_json()["detail"]
    word = max((w.strip("?.,'\"") for w in first["subject"].split()), key=len)
    hits = client.get(f"/api/v1/search?q={word}&type=dispute").get_json()
    assert first["id"] in [h["id"] for h in hits] and all(h["url"].startswith("/api/v1/disputes/") for h in hits)


def _plural(kind: str) -> str:
    return {"entity": "entities"}.get(kind, f"{kind}s")


# Attribution chains and date intervals, as queried.


def test_statements_relayed_through_an_unnamed_intermediary(client):
    entities = {e["id"]: e for e in every(client, "/api/v1/entities")}
    everything = every(client, "/api/v1/statements")
    relayed = every(client, "/api/v1/statements?via_unnamed=true")
    assert relayed == [
        s for s in everything if any(not entities[link["relay"]]["named"] for link in s["attribution_chain"])
    ]
    assert "ri-seoul-proposals-lacked-sincerity" in [s["id"] for s in relayed]
    assert every(client, "/api/v1/statements?via_unnamed=false") == [s for s in everything if s not in relayed]
    third_hand = every(client, "/api/v1/statements?hands=3")
    assert third_hand == [s for s in everything if len(s["attribution_chain"]) == 2]
    ri = client.get("/api/v1/statements/ri-seoul-proposals-lacked-sincerity").get_json()
    assert ri["hands"] == 3 and ri["attribution"] == "reported"
    # Press TV and Reuters both carry Yonhap's one report: one independent account, not two.
    assert ri["support"]["sources"] == 2 and ri["support"]["independent_sources"] == 1
    assert ri["reported_via"] == [link["relay"] for link in ri["attribution_chain"]]
    assert [link["relay"] for link in ri["attribution_chain"]] == ["yonhap-unnamed-official", "yonhap"]
    for statement in everything:
        assert statement["hands"] == len(statement["attribution_chain"]) + 1
        if statement["attribution_chain"]:
            assert statement["attribution"] != "direct", statement["id"]


@pytest.mark.parametrize("url", ["/api/v1/events", "/api/v1/statements"])
@pytest.mark.parametrize(
    "start, end", [("2017-08-06", "2017-08-06"), ("2017-07-01", "2017-08-05"), ("2017-04-13", "2017-08-07")]
)
def test_date_ranges_overlap_or_contain_each_interval(client, url, start, end):
    everything = every(client, url)
    dated = [r for r in everything if r["date_earliest"] is not None]
    overlapping = every(client, f"{url}?from={start}&to={end}")
    within = every(client, f"{url}?from={start}&to={end}&date_match=within")
    assert overlapping == [r for r in dated if r["date_earliest"] <= end and r["date_latest"] >= start]
    assert within == [r for r in dated if start <= r["date_earliest"] and r["date_latest"] <= end]
    assert every(client, f"{url}?from={start}") == [r for r in dated if r["date_latest"] >= start]
    assert every(client, f"{url}?to={end}&date_match=within") == [r for r in dated if r["date_latest"] <= end]
    for record in everything:
        assert (record["date_precision"] == "day") == (record[_day_field(url)] is not None), record["id"]


def _day_field(url: str) -> str:
    return "occurred_on" if url.endswith("events") else "said_on"


def test_the_readmes_questions_answer_as_documented(client):
    """The README's fact-checker queries, with the answers it prints."""
    on_the_6th = [e["id"] for e in every(client, "/api/v1/events?from=2017-08-06&to=2017-08-06")]
    certainly = [e["id"] for e in every(client, "/api/v1/events?from=2017-08-06&to=2017-08-06&date_match=within")]
    assert len(on_the_6th) == 10 and len(certainly) == 8
    assert set(on_the_6th) - set(certainly) == {"asean-meetings-manila-2017", "lavrov-ri-yong-ho-meeting-2017-08"}
    unnamed = every(client, "/api/v1/statements?via_unnamed=true")
    assert [(s["id"], s["hands"]) for s in unnamed] == [
        ("ri-seoul-proposals-lacked-sincerity", 3),
        ("moon-door-to-dialogue-open-if-north-gives-up-programs", 2),
    ]
    disputes = {d["id"]: d for d in every(client, "/api/v1/disputes")}
    assert {i for i, d in disputes.items() if d["status"] == "open"} == {"ri-response-to-seoul-proposals"}
    assert disputes["appreciates-who-said-it"]["facts"][0] == {
        "type": "statement",
        "id": "trump-appreciates-china-russia-votes",
    }
    first = every(client, "/api/v1/facts?min_independent_sources=2&type=event")[:3]
    assert [(f["id"], f["independent_sources"]) for f in first] == [
        ("asean-meetings-manila-2017", 5),
        ("cbs-news-visit-north-korea-spring-2017", 2),
        ("japan-cabinet-reshuffle-2017", 2),
    ]
