"""Suggestions on an article (POST /api/v1/suggestions, service/knowledge/suggest): what a curator relies on when
marking up the two shipped articles, held against the curated fixtures; exact offsets across non-ASCII text; and the
endpoint's access rules. Hostile bodies are in tests/test_hostile_writes.py with every other write route."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.knowledge.suggest import ArticleMetadata, NameIndex, suggest
from service.knowledge.suggest.entities import KnownName
from service.knowledge.suggest.spans import fold_text
from service.knowledge.text import fold_name
from service.store import models as m
from service.store.db import db
from tests.helpers import FIXTURES_DIR, SEEDS_DIR, read_fixture

PRESS_TV = "presstv-manila-talks-2017-08-07"
AGGREGATOR = "china-urges-n-korea-2017-08-12"
ARTICLES = (PRESS_TV, AGGREGATOR)
URL = "/api/v1/suggestions"


def _fixture(name: str) -> list[dict]:
    return read_fixture(FIXTURES_DIR / name)


def _names() -> NameIndex:
    """The index the service builds from the database, built here from the entities fixture."""
    return NameIndex(
        KnownName(entity["id"], entity["kind"], entity["name"], written, fold_name(written))
        for entity in _fixture("entities.json")
        for written in (entity["name"], *entity["aliases"])
    )


NAMES = _names()


def _article(source: str) -> tuple[str, dict]:
    metadata = next(
        json.loads(path.read_text(encoding="utf-8")) for path in SEEDS_DIR.glob("*.json") if source in path.read_text()
    )
    return (SEEDS_DIR / metadata["file"]).read_text(encoding="utf-8"), metadata


def _suggested(source: str) -> tuple[str, list[dict]]:
    text, metadata = _article(source)
    published = date.fromisoformat(metadata["published_on"])
    answer = suggest(text, ArticleMetadata(metadata["dateline"], published, None, source), NAMES)
    return text, answer["suggestions"]


def _of(suggestions: list[dict], kind: str) -> list[dict]:
    return [s for s in suggestions if s["kind"] == kind]


def _inside(suggestion: dict, citation: dict) -> bool:
    return citation["start"] <= suggestion["start"] and suggestion["end"] <= citation["end"]


def _article_citations(record: dict, source: str) -> list[dict]:
    return [c for c in record["citations"] if c["source"] == source and c.get("quote")]


# Known entities.


@pytest.mark.parametrize("source", ARTICLES)
def test_every_entity_the_curators_cite_in_an_article_is_suggested_in_its_passage(source):
    """Each passage cited on an entity has a mark for it, unless its name there is part of a longer one."""
    text, suggestions = _suggested(source)
    mentions = _of(suggestions, "entity")
    found = 0
    for entity in _fixture("entities.json"):
        names = [f" {fold_name(name)} " for name in (entity["name"], *entity["aliases"])]
        for citation in _article_citations(entity, source):
            if citation.get("wording"):
                continue  # the passage names it otherwise (a metonym: "Pyongyang" for the government)
            inside = [s for s in mentions if _inside(s, citation)]
            if any(s["form"]["id"] == entity["id"] for s in inside):
                found += 1
            else:
                # Only within a longer name, which wins: "Iran" in "Iran Press TV", "Moon" in "a Moon spokesman".
                longer = [s for s in inside if any(name in f" {fold_name(s['text'])} " for name in names)]
                assert longer, (entity["id"], citation["quote"])
    assert found >= 20


def test_entities_are_found_at_their_exact_offsets_and_the_longest_name_wins():
    text, suggestions = _suggested(PRESS_TV)
    found = {(s["start"], s["end"]): s["form"]["id"] for s in _of(suggestions, "entity")}
    for written, entity in (
        ("Ri Yong-ho", "ri-yong-ho"),
        ("Kang Kyung-wha", "kang-kyung-wha"),
        ("Iran Press TV", "press-tv"),  # not Iran
        ("Philippine capital", "manila"),  # not the Philippines
        ("ASEAN Regional Forum", "asean-regional-forum"),  # not ASEAN
        ("Yonhap news agency", "yonhap"),
        ("divided Korean Peninsula", "korean-peninsula"),
        ("US mainland", "us-mainland"),  # not the United States
    ):
        start = text.find(written)
        assert found.get((start, start + len(written))) == entity, written
    aggregator, suggestions = _suggested(AGGREGATOR)
    start = aggregator.find("Cambodia's foreign minister")
    entities = [s for s in _of(suggestions, "entity") if s["start"] == start]
    assert [s["form"]["id"] for s in entities] == ["prak-sokhonn"]
    assert entities[0]["proposal"]["citations"] == [
        {"source": AGGREGATOR, "quote": "Cambodia's foreign minister", "start": start, "end": start + 27}
    ]


@pytest.mark.parametrize("source", ARTICLES)
def test_entity_marks_never_overlap(source):
    _, suggestions = _suggested(source)
    spans = sorted((s["start"], s["end"]) for s in _of(suggestions, "entity"))
    assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False))


def test_an_ordinary_word_is_not_taken_for_a_capitalised_name():
    text = "Tell us about the moon over the north. The US and Moon met in the North."
    answer = suggest(text, ArticleMetadata(), NAMES)
    assert [(s["text"], s["form"]["id"]) for s in answer["suggestions"]] == [
        ("US", "united-states"),
        ("Moon", "moon-jae-in"),
        ("the North", "north-korea"),
    ]


def test_offsets_count_code_points_across_non_ascii_text():
    decomposed = "Ko\u0304no"  # "Kōno" with a combining macron
    text = f"🇰🇵 vis-à-vis Tarō Kōno and {decomposed}, Ri Yong-ho met “Kang” on Sunday."
    answer = suggest(text, ArticleMetadata(published_on=date(2017, 8, 7)), NAMES)
    spans = {s["text"]: (s["start"], s["end"], s["form"]["id"]) for s in answer["suggestions"]}
    assert spans["Tarō Kōno"] == (text.find("Tarō"), text.find("Tarō") + 9, "taro-kono")
    assert spans[decomposed] == (text.find(decomposed), text.find(decomposed) + 5, "taro-kono")
    assert spans["Ri Yong-ho"][:2] == (text.find("Ri Yong-ho"), text.find("Ri Yong-ho") + 10)
    assert spans["on Sunday"][:2] == (text.find("on Sunday"), text.find("on Sunday") + 9)
    for suggestion in answer["suggestions"]:
        assert text[suggestion["start"] : suggestion["end"]] == suggestion["text"]


def test_press_tv_offsets_after_vis_a_vis_are_code_points(curator_client, curator_token):
    text, _ = _article(PRESS_TV)
    answer = curator_client.post(URL, json={"source": PRESS_TV}, headers={"Authorization": f"Bearer {curator_token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    after = text.find("vis-à-vis")
    start = text.find("North Korea", after)
    mention = next(s for s in answer.get_json()["suggestions"] if s["kind"] == "entity" and s["start"] > after)
    assert (mention["start"], mention["end"], mention["text"]) == (start, start + 11, "North Korea")


# Dates.


def test_press_tv_on_sunday_is_6_august_with_its_derivation():
    text, suggestions = _suggested(PRESS_TV)
    sundays = [s for s in _of(suggestions, "date") if s["text"] == "on Sunday"]
    assert [s["start"] for s in sundays] == [text.find("on Sunday"), text.find("on Sunday", text.find("on Sunday") + 1)]
    for sunday in sundays:
        proposal = sunday["proposal"]
        assert (proposal["date_earliest"], proposal["date_latest"], proposal["date_precision"]) == (
            "2017-08-06",
            "2017-08-06",
            "day",
        )
        assert proposal["date_derivation"] == (
            "'on Sunday' in the article presstv-manila-talks-2017-08-07, dateline Mon 7 Aug 2017, so Sunday 6 Aug 2017."
        )
    on_monday = next(s for s in _of(suggestions, "date") if s["text"] == "on Monday")["proposal"]
    assert on_monday["date_earliest"] == "2017-08-07"
    last_month = next(s for s in _of(suggestions, "date") if s["text"] == "last month")["proposal"]
    assert (last_month["date_earliest"], last_month["date_latest"], last_month["date_precision"]) == (
        "2017-07-01",
        "2017-07-31",
        "month",
    )
    assert last_month["date_derivation"].endswith(
        "so July 2017; the day is not given, so the interval is the whole month."
    )


def _curated_dates(source: str) -> list[tuple[dict, dict]]:
    """Each curated event or statement whose derivation quotes a relative phrase of the article, with the date
    suggestion inside the quoted phrase's passage."""
    text, suggestions = _suggested(source)
    pairs = []
    for record in [*_fixture("events.json"), *_fixture("statements.json")]:
        derivation = record.get("date_derivation") or ""
        for citation in _article_citations(record, source):
            for suggestion in _of(suggestions, "date"):
                if suggestion["proposal"]["date_derivation"] and _inside(suggestion, citation):
                    if f"'{suggestion['text']}'" in derivation or f"{suggestion['text']}'" in derivation:
                        pairs.append((record, suggestion))
    return pairs


def test_press_tv_relative_dates_agree_with_every_curated_date_they_derive():
    """Where the curators worked a date out from a phrase and the dateline, the suggestion is that date."""
    pairs = [(record, s) for record, s in _curated_dates(PRESS_TV) if "dateline" in record["date_derivation"]]
    assert len({record["id"] for record, _ in pairs}) >= 8
    for record, suggestion in pairs:
        day = record.get("occurred_on") or record.get("said_on")
        curated = (record.get("date_earliest") or day, record.get("date_latest") or day, record["date_precision"])
        proposal = suggestion["proposal"]
        assert (proposal["date_earliest"], proposal["date_latest"], proposal["date_precision"]) == curated, record["id"]


def test_since_early_july_holds_both_launches():
    """'Since early July, the North has tested two ICBMs': from 1 July to the dateline, which holds the launches
    the curators dated from references."""
    text, suggestions = _suggested(PRESS_TV)
    (since,) = [s for s in _of(suggestions, "date") if s["text"] == "Since early July"]
    assert (since["proposal"]["date_earliest"], since["proposal"]["date_latest"]) == ("2017-07-01", "2017-08-07")
    launches = [e for e in _fixture("events.json") if e["kind"] == "missile_test"]
    assert len(launches) == 2
    for launch in launches:
        assert since["proposal"]["date_earliest"] <= launch["occurred_on"] <= since["proposal"]["date_latest"]


def test_the_aggregator_dates_read_from_its_byline():
    """Counted from the byline (Sat 12 Aug 2017): 'on Wednesday' and 'in the spring' are what the curators decided;
    'on Tuesday' and 'late yesterday' are the byline's reading, which the curators overrode from references
    (fixtures/JUDGEMENTS.md): the suggestion says what it counted from, the curator judges."""
    _, suggestions = _suggested(AGGREGATOR)
    dates = {s["text"]: s["proposal"] for s in _of(suggestions, "date")}
    assert dates["on Wednesday"]["date_earliest"] == "2017-08-09"
    spring = _fixture("events.json")
    spring = next(e for e in spring if e["id"] == "cbs-news-visit-north-korea-spring-2017")
    assert (dates["in the spring"]["date_earliest"], dates["in the spring"]["date_latest"]) == (
        spring["date_earliest"],
        spring["date_latest"],
    )
    assert dates["in the spring"]["date_precision"] == spring["date_precision"] == "season"
    assert dates["late yesterday"]["date_derivation"] == (
        "'late yesterday' in the article china-urges-n-korea-2017-08-12, dateline Sat 12 Aug 2017, so Friday 11 Aug 2017."
    )
    assert dates["last week"]["date_precision"] == "week"
    assert (dates["last week"]["date_earliest"], dates["last week"]["date_latest"]) == ("2017-07-31", "2017-08-06")
    # Printed in full: no derivation is needed (fixtures/FORMAT.md).
    assert dates["12 August, 2017"]["date_earliest"] == "2017-08-12"
    assert dates["12 August, 2017"]["date_derivation"] is None


@pytest.mark.parametrize(
    "phrase, anchor, expected",
    [
        ("earlier this week", date(2017, 8, 10), ("2017-08-07", "2017-08-09", "span")),
        ("this week", date(2017, 8, 10), ("2017-08-07", "2017-08-13", "week")),
        ("yesterday", date(2017, 8, 7), ("2017-08-06", "2017-08-06", "day")),
        ("last Sunday", date(2017, 8, 6), ("2017-07-30", "2017-07-30", "day")),
        ("will meet on Sunday", date(2017, 8, 7), ("2017-08-13", "2017-08-13", "day")),
        ("August 5", date(2017, 8, 7), ("2017-08-05", "2017-08-05", "day")),
        ("July 28", date(2017, 8, 7), ("2017-07-28", "2017-07-28", "day")),
        ("5 August 2017", date(2018, 1, 1), ("2017-08-05", "2017-08-05", "day")),
        ("December 30", date(2018, 1, 2), ("2017-12-30", "2017-12-30", "day")),
        ("two days ago", date(2017, 8, 7), ("2017-08-05", "2017-08-05", "day")),
        ("late July", date(2017, 8, 7), ("2017-07-21", "2017-07-31", "span")),
        ("last year", date(2017, 8, 7), ("2016-01-01", "2016-12-31", "year")),
    ],
)
def test_relative_and_printed_dates(phrase, anchor, expected):
    text = f"They said it {phrase}."
    answer = suggest(text, ArticleMetadata(published_on=anchor, time_zone="Asia/Manila"), NAMES)
    (date_suggestion,) = _of(answer["suggestions"], "date")
    proposal = date_suggestion["proposal"]
    assert (proposal["date_earliest"], proposal["date_latest"], proposal["date_precision"]) == expected
    assert proposal["time_zone"] == "Asia/Manila"
    assert phrase.endswith(date_suggestion["text"])


def test_the_dateline_anchors_relative_dates_when_no_publication_date_is_given():
    text = "Kang met Ri on Sunday."
    answer = suggest(text, ArticleMetadata(dateline="Mon Aug 7, 2017 7:19AM EDT"), NAMES)
    assert answer["anchor"] == {"date": "2017-08-07", "words": "dateline Mon 7 Aug 2017", "note": None}
    (sunday,) = _of(answer["suggestions"], "date")
    assert sunday["proposal"]["date_earliest"] == "2017-08-06"
    # A dateline without its year anchors nothing, and then no relative date is suggested.
    answer = suggest(text, ArticleMetadata(dateline="Mon Aug 7, 7:19AM"), NAMES)
    assert answer["anchor"] is None and not _of(answer["suggestions"], "date")


# Figures.


def test_press_tv_figures():
    text, suggestions = _suggested(PRESS_TV)
    figures = {(s["text"], s["proposal"].get("metric")): s["proposal"] for s in _of(suggestions, "figure")}
    billion = figures[("$1 billion", None)]
    assert (billion["value"], billion["unit"], billion["value_kind"], billion["approximate"]) == (
        1e9,
        "USD",
        "approximate",
        True,
    )
    assert figures[("$3 billion", None)]["value"] == 3e9
    assert figures[("a third", None)]["value"] == pytest.approx(1 / 3)
    voted = text.find("voted 15-0") + len("voted ")
    tally = [s for s in _of(suggestions, "figure") if s["text"] == "15-0"]
    assert {(s["start"], s["proposal"]["metric"], s["proposal"]["value"]) for s in tally} == {
        (voted, "votes-for", 15.0),
        (voted, "votes-against", 0.0),
    }
    assert all(s["proposal"]["value_kind"] == "exact" and not s["proposal"]["approximate"] for s in tally)


@pytest.mark.parametrize("source", ARTICLES)
def test_figures_agree_with_the_curated_ones_they_reproduce(source):
    _, suggestions = _suggested(source)
    figures = _of(suggestions, "figure")
    reproduced = 0
    for figure in _fixture("figures.json"):
        for citation in _article_citations(figure, source):
            same = [s for s in figures if _inside(s, citation) and s["proposal"]["as_stated"] == figure["as_stated"]]
            if not same:
                continue
            reproduced += 1
            assert any(
                (
                    s["proposal"]["value_kind"],
                    s["proposal"]["value"],
                    s["proposal"]["unit"],
                    s["proposal"]["approximate"],
                )
                == (figure["value_kind"], figure["value"], figure["unit"], figure["approximate"])
                for s in same
            ), figure["id"]
    assert reproduced >= 3


def test_the_aggregator_bounds():
    _, suggestions = _suggested(AGGREGATOR)
    figures = {s["text"]: s["proposal"] for s in _of(suggestions, "figure")}
    assert (figures["far less than $1 billion"]["value_kind"], figures["far less than $1 billion"]["value"]) == (
        "upper_bound",
        1e9,
    )
    assert (figures["more than a decade"]["value_kind"], figures["more than a decade"]["value"]) == ("lower_bound", 10)
    assert figures["more than a decade"]["unit"] == "years"


def test_counts_percentages_and_fractions():
    text = "It designated nine individuals and four entities; about 30 percent of exports, 90% of coal, one third."
    answer = suggest(text, ArticleMetadata(), NAMES)
    figures = [
        (s["text"], s["proposal"]["value"], s["proposal"]["unit"], s["proposal"]["value_kind"])
        for s in _of(answer["suggestions"], "figure")
    ]
    assert figures == [
        ("nine individuals", 9, "people", "exact"),
        ("four entities", 4, "count", "exact"),
        ("about 30 percent", 30, "percent", "approximate"),
        ("90%", 90, "percent", "exact"),
        ("one third", pytest.approx(1 / 3), "fraction", "approximate"),
    ]


# Quoted speech.

# Statements whose quotation's speaker the suggestions name as the curators do (the others, and why, are in
# docs/curation.md).
SPOKEN_AS_CURATED = (
    "cambodia-fm-southeast-asia-not-happy-missile-tests",
    "tillerson-would-like-to-sit-and-have-dialogue",
    "kono-tillerson-agree-four-way-security-talks",
    "byrne-sanctions-a-big-threat",
    "ri-seoul-proposals-lacked-sincerity",
    "wang-yi-ri-not-entirely-rejected-proposals",
    "wang-yi-hopes-north-south-improve-relations",
    "lavrov-strong-commitment-resume-six-party-talks",
    "white-house-north-korea-grave-growing-threat",
    "moon-trump-committed-to-implement-resolutions",
)


@pytest.mark.parametrize("statement_id", SPOKEN_AS_CURATED)
def test_quoted_speech_names_the_curated_speaker_first(statement_id):
    statement = next(s for s in _fixture("statements.json") if s["id"] == statement_id)
    (citation, *_) = (
        c for source in ARTICLES for c in _article_citations(statement, source) if statement["quote"] in c["quote"]
    )
    text, suggestions = _suggested(citation["source"])
    (quotation,) = [s for s in _of(suggestions, "quotation") if s["text"] == statement["quote"]]
    proposal = quotation["proposal"]
    assert (proposal["speaker"], proposal["speaker_as_written"]) == (
        statement["speaker"],
        statement["speaker_as_written"],
    )
    assert proposal["quote"] == statement["quote"] == text[quotation["start"] : quotation["end"]]
    # The passage it cites holds the quotation and its attribution, as the curated one does.
    (passage,) = proposal["citations"]
    assert _inside(quotation, passage) and text[passage["start"] : passage["end"]] == passage["quote"]
    assert statement["quote"] in citation["quote"]


def test_how_sure_each_attribution_is():
    _, press_tv = _suggested(PRESS_TV)
    _, aggregator = _suggested(AGGREGATOR)
    quotations = _of(press_tv + aggregator, "quotation")

    def by_text(start: str) -> dict:
        (quotation,) = [s for s in quotations if s["text"].startswith(start)]
        return quotation

    relayed = by_text("Given the current situation")
    assert relayed["candidates"][0]["basis"] == "quoted_as_saying"
    assert relayed["proposal"]["attribution"] == "reported"
    assert relayed["proposal"]["attribution_chain"] == [
        {"relay": "yonhap-unnamed-official", "attribution": "direct", "note": "'quoted Ri as saying'"}
    ]
    pronoun = by_text("We hope that at some point")
    assert pronoun["proposal"]["attribution"] == "ambiguous"
    assert pronoun["proposal"]["attribution_note"] == "'he' read as the last person named before it, Rex Tillerson."
    according = by_text("at an early date")
    assert (according["candidates"][0]["basis"], according["proposal"]["attribution"]) == ("according_to", "direct")
    # "the report added" names no known entity: a weaker candidate, after Ri.
    sincerity = by_text("lacked sincerity")
    assert [(c["entity"], c["as_written"]) for c in sincerity["candidates"]] == [
        ("ri-yong-ho", "Ri"),
        (None, "the report"),
    ]


def test_a_quotation_with_no_speaker_near_it_is_unknown():
    answer = suggest('The sign read "no entry" all week.', ArticleMetadata(), NAMES)
    (quotation,) = _of(answer["suggestions"], "quotation")
    assert quotation["candidates"] == []
    assert (quotation["proposal"]["speaker"], quotation["proposal"]["attribution"]) == (None, "unknown")


# Every suggestion, whatever the text.

SNIPPETS = [
    "Ri Yong-ho",
    "Kōno",
    "vis-à-vis",
    "on Sunday",
    "last month",
    "$1 billion",
    "voted 15-0",
    "a third",
    '"We hope," he said. ',
    "“Kang” ",
    "'talks'",
    "N. Korea",
    "Moon Jae-In",
    "\n\n",
    "ﬁ",
    "İ",
    "ß",
    "½",
    "🇰🇵",
    "e\u0301",
    " ",
    ", ",
    ". ",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=6)), max_size=30).map("".join))
def test_every_suggestion_is_the_text_at_its_offsets(text):
    folded = fold_text(text)
    assert folded.folded.strip() == fold_name(text)
    answer = suggest(text, ArticleMetadata(published_on=date(2017, 8, 7), source="any-article"), NAMES)
    for suggestion in answer["suggestions"]:
        start, end = suggestion["start"], suggestion["end"]
        assert 0 <= start < end <= len(text)
        assert text[start:end] == suggestion["text"]
        for citation in suggestion["proposal"]["citations"]:
            assert text[citation["start"] : citation["end"]] == citation["quote"]
            assert citation["start"] <= start and end <= citation["end"]
        for candidate in suggestion["candidates"]:
            assert text[candidate["start"] : candidate["end"]] == candidate["as_written"]
    assert sum(answer["counts"].values()) == len(answer["suggestions"])


# The endpoint.


def test_a_published_article_by_id_is_answered_as_its_text_and_metadata(curator_client, curator_token):
    text, metadata = _article(PRESS_TV)
    headers = {"Authorization": f"Bearer {curator_token}"}
    by_id = curator_client.post(URL, json={"source": PRESS_TV, "time_zone": "Asia/Manila"}, headers=headers)
    body = {
        "text": text,
        "source": PRESS_TV,
        "dateline": metadata["dateline"],
        "published_on": metadata["published_on"],
        "date_precision": "day",
        "time_zone": "Asia/Manila",
    }
    by_text = curator_client.post(URL, json=body, headers=headers)
    assert by_id.status_code == by_text.status_code == 200
    assert by_id.get_data() == by_text.get_data()
    assert by_id.headers["Cache-Control"] == "private, no-store"
    published = date.fromisoformat(metadata["published_on"])
    engine = suggest(text, ArticleMetadata(metadata["dateline"], published, "Asia/Manila", PRESS_TV), NAMES)
    assert by_id.get_json() == json.loads(json.dumps(engine))


def test_suggestions_need_a_curator_or_editor_token_and_store_nothing(curation):
    app, client, tokens = curation
    with app.app_context(), db.connection_context():
        before = (m.Change.select().count(), m.Dataset.select(m.Dataset.version).scalar())
    body = {"text": "Kang met Ri in Manila on Sunday.", "published_on": "2017-08-07"}
    assert client.post(URL, json=body).status_code == 401
    for role in ("curator", "editor"):
        answer = client.post(URL, json=body, headers={"Authorization": f"Bearer {tokens[role]}"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
    admin = client.post(URL, json=body, headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert admin.status_code == 403 and admin.mimetype == "application/problem+json"
    with app.app_context(), db.connection_context():
        assert (m.Change.select().count(), m.Dataset.select(m.Dataset.version).scalar()) == before


def test_a_refusal_names_the_field(curator_client, curator_token):
    headers = {"Authorization": f"Bearer {curator_token}"}
    for body, field in (
        ({"text": "a\x07b"}, "text"),
        ({"source": PRESS_TV, "published_on": "2017-08-07"}, "published_on"),
        ({"source": "un-doc-s-res-2371-2017"}, "source"),
        ({"text": "t", "published_on": "2017-08-07", "date_precision": "unknown"}, "published_on"),
    ):
        answer = curator_client.post(URL, json=body, headers=headers)
        assert answer.status_code == 422 and answer.mimetype == "application/problem+json", body
        assert field in answer.get_json()["detail"], answer.get_json()


def test_the_index_follows_the_published_names(curation):
    """A name published through the curation API is suggested from the next request (the index is built per data
    version)."""
    app, client, tokens = curation
    text = "Lee Jong-min spoke to Ri."
    headers = {"Authorization": f"Bearer {tokens['curator']}"}
    found = client.post(URL, json={"text": text}, headers=headers).get_json()["suggestions"]
    assert [s["form"]["id"] for s in found] == ["ri-yong-ho"]
    entity = {
        "kind": "person",
        "name": "Lee Jong-min",
        "aliases": [],
        "description": "A person named by the tests.",
        "citations": [{"source": PRESS_TV, "quote": "Ri Yong-ho"}],
    }
    change = client.post(
        "/api/v1/changes",
        json={"kind": "entity", "action": "create", "id": "lee-jong-min", "record": entity, "summary": "s"},
        headers=headers,
    )
    assert change.status_code == 201, change.get_data(as_text=True)
    approved = client.post(
        f"/api/v1/changes/{change.get_json()['id']}/approve", headers={"Authorization": f"Bearer {tokens['editor']}"}
    )
    assert approved.status_code == 200, approved.get_data(as_text=True)
    found = client.post(URL, json={"text": text}, headers=headers).get_json()["suggestions"]
    assert [s["form"]["id"] for s in found] == ["lee-jong-min", "ri-yong-ho"]


def test_a_text_without_full_stops_cites_passages_of_bounded_length():
    """No answer grows with the square of the text: a sentence that never ends is cut around what is suggested."""
    from service.knowledge.suggest.spans import MAX_PASSAGE

    text = " ".join(["and then"] * 5000 + ['Kang said "talks" on Sunday'] + ["and then"] * 5000)
    answer = suggest(text, ArticleMetadata(published_on=date(2017, 8, 7)), NAMES)
    assert [s["kind"] for s in answer["suggestions"]] == ["entity", "quotation", "date"]
    for suggestion in answer["suggestions"]:
        (citation,) = suggestion["proposal"]["citations"]
        assert citation["end"] - citation["start"] <= MAX_PASSAGE
        assert _inside(suggestion, citation) and text[citation["start"] : citation["end"]] == citation["quote"]
    assert answer["suggestions"][1]["proposal"]["speaker"] == "kang-kyung-wha"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.sampled_from(["Mon Aug 7, 2017 7:19AM EDT", "12 August, 2017, 18:31"])))
def test_any_dateline_gives_a_day_or_none(dateline):
    from service.knowledge.suggest.dates import printed_date

    day = printed_date(dateline)
    assert day is None or isinstance(day, date)
