"""One rule for independent sources (fixtures/FORMAT.md, "Independent sources"): every supporting passage carries
one account (the event its citation names, or its source's own); a source's account goes back to every source it
derives from; `independent_sources` is the most sources that can be taken together, each for one account it
carries, no two accounts with an origin in common. The rule as a computation, each worked case of FORMAT.md on
the shipped knowledge, a recomputation of every fact's support, and the lineage the loader refuses."""

from __future__ import annotations

from itertools import combinations, product

import pytest

from service.knowledge.records import Lineage
from tests.helpers import edit_record, problems_of
from tests.test_model_v2 import every

# --- The rule as a computation -----------------------------------------------------------------------------------

LINEAGE = Lineage(
    {
        "ap": ("reference", []),
        "afp": ("reference", []),
        "rewrite": ("article", ["ap", "afp"]),  # a rewrite of both wires
        "paper": ("reference", ["ap"]),  # a paper printing AP's copy
        "ministry": ("reference", []),
        "outlet": ("article", []),
    }
)


def supports(*passages: tuple[str, str | None]) -> list[dict]:
    """Supporting citations: (source, the event whose account it carries, or a source as "source:id", or None)."""
    return [{"source": source, "role": "supports", "account": _account(account)} for source, account in passages]


def _account(account: str | None) -> dict | None:
    if account is None:
        return None
    kind, _, record_id = account.rpartition(":")
    return {"type": kind or "event", "id": record_id}


def test_sources_sharing_an_ancestor_are_one_account():
    assert LINEAGE.independent(["ap", "afp"]) == 2
    assert LINEAGE.independent(["rewrite", "ap"]) == 1
    assert LINEAGE.independent(["rewrite", "ap", "afp"]) == 2  # ap and afp, not the rewrite of both
    assert LINEAGE.independent(["paper", "ap", "ministry"]) == 2
    assert LINEAGE.independent([]) == 0


def test_passages_naming_one_event_are_one_account_whatever_their_sources():
    briefing = supports(("ap", "briefing"), ("afp", "briefing"), ("ministry", "briefing"))
    assert LINEAGE.support(briefing) == {"sources": 3, "independent_sources": 1, "articles": 0, "references": 3}
    # A source's own account and an event's are independent: the outlet saw it; the wires relayed the briefing.
    mixed = supports(("ap", "briefing"), ("afp", "briefing"), ("outlet", None))
    assert LINEAGE.support(mixed)["independent_sources"] == 2
    # Two different utterances are two accounts.
    assert LINEAGE.support(supports(("ap", "briefing"), ("afp", "remarks")))["independent_sources"] == 2


def test_a_passage_names_what_it_reprints_or_its_own_reporting():
    # The paper prints AP's copy: what it reprints is AP's account, its own reporting is its own.
    assert LINEAGE.support(supports(("paper", "source:ap"), ("ap", None)))["independent_sources"] == 1
    assert LINEAGE.support(supports(("paper", "source:paper"), ("ap", None)))["independent_sources"] == 2
    # Unnamed, a passage of the paper is the paper's account with all it derives from: not independent of AP.
    assert LINEAGE.support(supports(("paper", None), ("ap", None)))["independent_sources"] == 1
    # The rewrite's own reporting is independent of both wires; AFP's account through the rewrite is AFP's.
    assert (
        LINEAGE.support(supports(("rewrite", "source:rewrite"), ("ap", None), ("afp", None)))["independent_sources"]
        == 3
    )
    assert LINEAGE.support(supports(("rewrite", "source:afp"), ("afp", None)))["independent_sources"] == 1


def test_a_source_counts_once_however_many_accounts_it_carries():
    both = supports(("outlet", None), ("outlet", "briefing"))
    assert LINEAGE.support(both) == {"sources": 1, "independent_sources": 1, "articles": 1, "references": 0}
    # ...but may stand for whichever of its accounts leaves the most: the outlet for its own, the paper for AP's.
    assert (
        LINEAGE.support(supports(("outlet", "briefing"), ("outlet", None), ("ap", "briefing")))["independent_sources"]
        == 2
    )


def test_only_supporting_passages_count():
    citations = [
        {"source": "rewrite", "role": "supports", "account": None},
        {"source": "ministry", "role": "supports", "account": None},
        {"source": "ministry", "role": "supports", "account": None},
        {"source": "outlet", "role": "context", "account": None},
        {"source": "afp", "role": "contradicts", "account": None},
    ]
    assert LINEAGE.support(citations) == {"sources": 2, "independent_sources": 2, "articles": 1, "references": 1}


# --- The worked cases of fixtures/FORMAT.md, on the shipped knowledge ----------------------------------------------

WORKED_CASES = [
    # (fact URL, supporting sources, the accounts named, independent sources)
    (
        "/api/v1/measures/unsc-2371-export-ban-coal",
        {"un-doc-s-res-2371-2017", "un-press-sc-12945-2017", "presstv-manila-talks-2017-08-07"},
        {("source", "un-doc-s-res-2371-2017")},
        2,
    ),
    (
        "/api/v1/events/unsc-vote-resolution-2371",
        {"un-doc-s-res-2371-2017", "un-press-sc-12945-2017", "presstv-manila-talks-2017-08-07"},
        {("source", "un-press-sc-12945-2017")},
        3,
    ),
    (
        "/api/v1/statements/cambodia-fm-southeast-asia-not-happy-missile-tests",
        {"china-urges-n-korea-2017-08-12", "sun-cna-cambodia-not-happy-2017-08-09"},
        {("event", "cambodia-foreign-minister-remarks-2017-08-09")},
        1,
    ),
    (
        "/api/v1/statements/trump-hails-vote-thanks-russia-china",
        {
            "presstv-manila-talks-2017-08-07",
            "the-hill-white-house-trump-appreciates-china-russia",
            "afp-trump-moon-grave-threat-2017-08-06",
        },
        {("event", "white-house-statement-2017-08-05")},
        1,
    ),
    (
        "/api/v1/statements/tillerson-would-like-to-sit-and-have-dialogue",
        {
            "china-urges-n-korea-2017-08-12",
            "us-mission-geneva-tillerson-press-availability-2017-08-01",
            "the-hill-tillerson-sit-and-have-a-dialogue",
        },
        {("event", "tillerson-press-remarks-2017-08-01")},
        1,
    ),
    (
        "/api/v1/statements/us-no-plans-for-tillerson-to-meet-ri",
        {
            "china-urges-n-korea-2017-08-12",
            "ap-tillerson-ri-cross-paths-2017-08-02",
            "reuters-tillerson-chance-to-talk-china-2017-08-02",
        },
        {("event", "thornton-briefing-2017-08-02")},
        1,
    ),
    (
        "/api/v1/statements/moon-door-to-dialogue-open-if-north-gives-up-programs",
        {"china-urges-n-korea-2017-08-12", "china-daily-moon-trump-call-2017-08-08"},
        {("event", "moon-spokesman-briefing-2017-08-07")},
        1,
    ),
    (
        "/api/v1/events/kang-ri-handshake-2017-08-06",
        {"presstv-manila-talks-2017-08-07", "reuters-china-hopes-north-south-contact-2017-08-07"},
        {("event", "yonhap-report-2017-08-07")},
        1,
    ),
    (
        "/api/v1/statements/lavrov-russia-china-support-six-way-talks",
        {"presstv-manila-talks-2017-08-07", "russian-mfa-lavrov-manila-2017-08-06"},
        {("event", "lavrov-remarks-manila-2017-08-06")},
        1,
    ),
    (
        "/api/v1/statements/wang-yi-resolve-korean-crisis-through-diplomacy",
        {"presstv-manila-talks-2017-08-07", "reuters-china-hopes-north-south-contact-2017-08-07"},
        {("event", "wang-yi-remarks-manila-2017-08-07")},
        1,
    ),
    (
        "/api/v1/statements/kono-tillerson-agree-four-way-security-talks",
        {
            "china-urges-n-korea-2017-08-12",
            "japan-mofa-kono-tillerson-2017-08-07",
            "japan-times-kono-tillerson-ospreys-2017-08-07",
        },
        set(),
        2,
    ),
    (
        "/api/v1/events/north-korea-icbm-test-2017-07-28",
        {"presstv-manila-talks-2017-08-07", "un-doc-s-res-2371-2017", "ndtv-north-korea-night-missile-test-2017-07-28"},
        set(),
        3,
    ),
]


@pytest.mark.parametrize(("url", "sources", "accounts", "independent"), WORKED_CASES, ids=lambda v: str(v)[:60])
def test_worked_case(client, url, sources, accounts, independent):
    fact = client.get(url).get_json()
    supporting = [c for c in fact["citations"] if c["role"] == "supports"]
    assert {c["source"] for c in supporting} == sources
    assert {(c["account"]["type"], c["account"]["id"]) for c in supporting if c["account"]} == accounts
    assert fact["support"]["sources"] == len(sources)
    assert fact["support"]["independent_sources"] == independent


def test_the_sources_a_resolution_reprints_count_once(client):
    """SC/12945 reprints the resolution's text: with S/RES/2371 it is one account of the measures and designations."""
    sc = client.get("/api/v1/sources/un-press-sc-12945-2017").get_json()
    assert [(d["source"], d["relation"]) for d in sc["derived_from"]] == [("un-doc-s-res-2371-2017", "republication")]
    designations = client.get("/api/v1/measures/unsc-2371-designations-individuals-entities").get_json()
    assert designations["support"]["sources"] == 2 and designations["support"]["independent_sources"] == 1


# --- Every fact's support, recomputed from what the API serves ------------------------------------------------------


def _ancestors(sources: dict[str, dict], source_id: str) -> set[str]:
    found = {source_id}
    for parent in sources[source_id]["derived_from"]:
        found |= _ancestors(sources, parent["source"])
    return found


def _origins(sources: dict[str, dict], source_id: str, account: dict | None) -> frozenset:
    if account is None:
        return frozenset(("source", a) for a in _ancestors(sources, source_id))
    if account["type"] == "source" and account["id"] != source_id:
        return frozenset(("source", a) for a in _ancestors(sources, account["id"]))
    return frozenset({(account["type"], account["id"])})


def test_every_fact_says_how_many_independent_accounts_support_it(client):
    sources = {s["id"]: s for s in every(client, "/api/v1/sources")}
    checked = 0
    for url in ("/api/v1/entities", "/api/v1/measures", "/api/v1/figures", "/api/v1/events", "/api/v1/statements"):
        for fact in every(client, url):
            carried: dict[str, set] = {}
            for c in fact["citations"]:
                if c["role"] == "supports":
                    carried.setdefault(c["source"], set()).add(_origins(sources, c["source"], c["account"]))
            supporting = list(carried)
            independent = max(
                len(group)
                for size in range(len(supporting) + 1)
                for group in combinations(supporting, size)
                if any(
                    all(not a & b for a, b in combinations(choice, 2))
                    for choice in product(*(carried[s] for s in group))
                )
            )
            articles = sum(sources[s]["kind"] == "article" for s in supporting)
            assert fact["support"] == {
                "sources": len(supporting),
                "independent_sources": independent,
                "articles": articles,
                "references": len(supporting) - articles,
            }, fact["id"]
            checked += 1
    assert checked > 100


def test_every_report_of_an_utterance_names_the_account_it_carries(client):
    """The rule is applied, not left to chance: each passage supporting a record of an utterance, or a statement
    made at one, says which account it carries."""
    events = {e["id"]: e for e in every(client, "/api/v1/events")}
    utterances = {i for i, e in events.items() if e["kind"] in ("announcement", "press_remarks", "report", "tweet")}
    assert len(utterances) >= 10
    facts = [e for i, e in events.items() if i in utterances]
    facts += [s for s in every(client, "/api/v1/statements") if s["event"] in utterances]
    for fact in facts:
        for citation in fact["citations"]:
            if citation["role"] == "supports":
                assert citation["account"] is not None, (fact["id"], citation["source"])
                assert citation["account"]["type"] == "source" or citation["account"]["id"] in utterances


# --- Lineage the loader refuses -------------------------------------------------------------------------------------


def _set_account(record_id: str, kind: str = "event"):
    def change(record):
        record["citations"][0]["account"] = {"type": kind, "id": record_id}

    return change


def test_refuses_an_account_that_is_not_an_event(knowledge_copy):
    edit_record(knowledge_copy, "figures.json", "unsc-2371-revenue-cut-usd", _set_account("no-such-briefing"))
    problems = problems_of(knowledge_copy)
    assert any(
        "unsc-2371-revenue-cut-usd" in p and "account event 'no-such-briefing' is not a known event" in p
        for p in problems
    )


def test_refuses_an_account_that_is_what_accounts_report(knowledge_copy):
    edit_record(knowledge_copy, "figures.json", "unsc-2371-revenue-cut-usd", _set_account("unsc-vote-resolution-2371"))
    problems = problems_of(knowledge_copy)
    assert any(
        "unsc-2371-revenue-cut-usd" in p
        and "account event 'unsc-vote-resolution-2371' is a vote event, not an account a source can carry" in p
        for p in problems
    ), problems


def test_refuses_an_account_later_than_the_source_carrying_it(knowledge_copy):
    # Press TV of 7 August cannot carry the Cambodian minister's remarks of 9 August.
    edit_record(
        knowledge_copy,
        "figures.json",
        "unsc-2371-revenue-cut-usd",
        _set_account("cambodia-foreign-minister-remarks-2017-08-09"),
    )
    problems = problems_of(knowledge_copy)
    assert any(
        "unsc-2371-revenue-cut-usd" in p
        and "source 'presstv-manila-talks-2017-08-07' was published on 2017-08-07, before account event "
        "'cambodia-foreign-minister-remarks-2017-08-09' began (2017-08-09)"
        in p
        for p in problems
    ), problems


def test_refuses_an_account_source_the_cited_source_does_not_derive_from(knowledge_copy):
    # Press TV derives from AFP, not from Reuters.
    edit_record(
        knowledge_copy,
        "figures.json",
        "unsc-2371-revenue-cut-usd",
        _set_account("reuters-china-hopes-north-south-contact-2017-08-07", "source"),
    )
    problems = problems_of(knowledge_copy)
    assert any(
        "unsc-2371-revenue-cut-usd" in p
        and "account source 'reuters-china-hopes-north-south-contact-2017-08-07' is neither the cited source "
        "'presstv-manila-talks-2017-08-07' nor one it derives from (its derived_from)"
        in p
        for p in problems
    ), problems


def test_refuses_a_derivation_from_a_later_source(knowledge_copy):
    def relays_a_later_report(source):
        source["derived_from"] = [
            {"source": "reuters-china-hopes-north-south-contact-2017-08-07", "relation": "rewrite"}
        ]

    edit_record(
        knowledge_copy, "references.json", "reuters-tillerson-chance-to-talk-china-2017-08-02", relays_a_later_report
    )
    problems = problems_of(knowledge_copy)
    assert any(
        "reuters-tillerson-chance-to-talk-china-2017-08-02" in p
        and "derived_from 'reuters-china-hopes-north-south-contact-2017-08-07', published on 2017-08-07, after this "
        "source (2017-08-02): a source cannot derive from a later one"
        in p
        for p in problems
    ), problems


def test_refuses_a_report_of_an_utterance_that_names_no_account(knowledge_copy):
    def forget(statement):
        for citation in statement["citations"]:
            citation.pop("account", None)

    edit_record(knowledge_copy, "statements.json", "lavrov-russia-china-support-six-way-talks", forget)
    problems = problems_of(knowledge_copy)
    assert any(
        "lavrov-russia-china-support-six-way-talks" in p
        and "citation 2 reports 'lavrov-remarks-manila-2017-08-06', an utterance or a document: name the account" in p
        for p in problems
    ), problems


# --- The evidence view says which account a passage carries ----------------------------------------------------------


def test_a_fact_page_names_the_account_each_passage_carries(client):
    page = client.get("/statements/wang-yi-resolve-korean-crisis-through-diplomacy").get_data(as_text=True)
    remarks = client.get("/api/v1/events/wang-yi-remarks-manila-2017-08-07").get_json()
    assert (
        page.count(
            '<p class="account"><strong>The account it carries:</strong> <span class="kind">event</span> '
            f'<a href="/events/wang-yi-remarks-manila-2017-08-07">{remarks["title"]}</a>'
        )
        == 2
    )
    vote = client.get("/events/unsc-vote-resolution-2371").get_data(as_text=True)
    assert "its own reporting, not what it reprints from the sources it derives from" in vote
    coal = client.get("/measures/unsc-2371-export-ban-coal").get_data(as_text=True)
    assert 'what it reprints of <a href="/sources/un-doc-s-res-2371-2017">un-doc-s-res-2371-2017</a>' in coal
    plain = client.get("/events/north-korea-icbm-test-2017-07-28").get_data(as_text=True)
    assert 'class="account"' not in plain
