"""The HTML pages (service/pages): each article with every cited passage highlighted exactly on its quote, each fact
with its evidence in context, served by the service alone, cached like any answer.

Parsed as a browser without script would see them (lxml; html5lib for parse errors). The real browser, axe-core
and the screenshots are in tests/test_pages_browser.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import html5lib
import lxml.html
import pytest

from service.knowledge.kinds import BY_NAME, KINDS
from service.pages.evidence import PARAGRAPH_BREAK, CitedFact, paragraphs_of, passages_of, share_cited
from service.store import models as m
from service.store.db import db
from tests.helpers import assert_problem

ARTICLES = ("china-urges-n-korea-2017-08-12", "presstv-manila-talks-2017-08-07")
PAGE_KINDS = [kind for kind in KINDS if kind.page]


def parse(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/html"
    return lxml.html.fromstring(response.get_data(as_text=True))


def citations_of(app, source_id: str) -> list[dict]:
    with app.app_context(), db.connection_context():
        return list(
            m.Citation.select(m.Citation.fact_type, m.Citation.fact_id, m.Citation.start, m.Citation.end)
            .where(m.Citation.source == source_id)
            .dicts()
        )


def offsets(root) -> dict:
    """Each element's (start, end) in its root's text content, in code points."""
    spans, position = {}, 0

    def walk(element):
        nonlocal position
        start = position
        position += len(element.text or "")
        for child in element:
            walk(child)
            position += len(child.tail or "")
        spans[element] = (start, position)

    walk(root)
    return spans


def highlights(text_root) -> list:
    """The highlighted runs: links, but for runs of spaces between two words (nothing to name a link by)."""
    return text_root.cssselect(".hl")


@pytest.mark.parametrize("source_id", ARTICLES)
def test_an_article_page_holds_its_text_verbatim_with_each_citation_highlighted_exactly_on_its_quote(
    app, client, source_id
):
    text = client.get(f"/api/v1/sources/{source_id}/text").get_data(as_text=True)
    page = parse(client.get(f"/sources/{source_id}"))
    (verbatim,) = page.cssselect("#text")
    assert verbatim.text_content() == text  # paragraphs and the breaks between them, joined: the text itself
    where = offsets(verbatim)
    segments = highlights(verbatim)
    for segment in segments:
        start, end = where[segment]
        assert segment.text_content() == text[start:end]
    citations = citations_of(app, source_id)
    quoted = [c for c in citations if c["start"] is not None]
    assert len(quoted) > 50
    keys = {f"{c['start']}-{c['end']}" for c in quoted}
    for citation in quoted:
        key = f"{citation['start']}-{citation['end']}"
        covering = [s for s in segments if key in s.get("data-passages").split()]
        assert covering, f"citation {key} of {citation['fact_type']} {citation['fact_id']} is not highlighted"
        assert where[covering[0]][0] == citation["start"] and where[covering[-1]][1] == citation["end"]
        for before, after in zip(covering, covering[1:], strict=False):
            between = text[where[before][1] : where[after][0]]
            assert between == "" or PARAGRAPH_BREAK.fullmatch(between), (key, between)
        assert "".join(s.text_content() for s in covering) == re.sub(
            PARAGRAPH_BREAK, "", text[citation["start"] : citation["end"]]
        )
        (anchor,) = verbatim.cssselect(f'[id="span-{key}"]')
        assert where[anchor][0] == citation["start"]  # where a fact page's link lands
    # Nothing else is highlighted: every highlight belongs to citations, and its shade counts them.
    for segment in segments:
        passages = segment.get("data-passages").split()
        assert set(passages) <= keys
        start, end = where[segment]
        assert all(int(k.split("-")[0]) <= start and end <= int(k.split("-")[1]) for k in passages)
        assert f"d{min(len(passages), 4)}" in segment.get("class").split()
        assert segment.tag == ("a" if segment.text_content().strip() else "span")
        assert segment.tag == "span" or segment.get("href") == "#passage-" + min(
            passages, key=lambda k: (int(k.split("-")[1]) - int(k.split("-")[0]), int(k.split("-")[0]))
        )
    covered = {i for c in quoted for i in range(c["start"], c["end"])}
    breaks = {i for match in PARAGRAPH_BREAK.finditer(text) for i in range(match.start(), match.end())}
    assert {i for s in segments for i in range(*where[s])} == covered - breaks
    assert any(len(s.get("data-passages").split()) > 1 for s in segments), "the articles' passages overlap"


@pytest.mark.parametrize("source_id", ARTICLES)
def test_each_passage_lists_the_facts_it_supports_with_their_kind_label_and_page(app, client, source_id):
    page = parse(client.get(f"/sources/{source_id}"))
    expected = defaultdict(Counter)
    for c in citations_of(app, source_id):
        if c["start"] is not None:
            expected[f"{c['start']}-{c['end']}"][(c["fact_type"], c["fact_id"])] += 1
    entries = page.cssselect("section.passages li.passage")
    assert [e.get("id") for e in entries] == [
        f"passage-{k}" for k in sorted(expected, key=lambda k: (int(k.split("-")[0]), -int(k.split("-")[1])))
    ]
    for entry in entries:
        listed = Counter()
        for item in entry.cssselect("ul.facts > li"):
            kind = item.cssselect(".kind")[0].text_content()
            link = item.cssselect("a")[0].get("href")
            record_id = link.split("#")[-1].removeprefix(f"{kind}-") if "#" in link else link.rsplit("/", 1)[-1]
            listed[(kind, record_id)] += 1
            if "#" not in link:
                assert link == BY_NAME[kind].page.format(id=record_id)
            assert client.get(link.split("#")[0]).status_code == 200
        assert listed == expected[entry.get("id").removeprefix("passage-")]


def test_passages_supporting_an_ambiguous_statement_are_marked_with_the_curators_note(app, client):
    source_id = "china-urges-n-korea-2017-08-12"
    with app.app_context(), db.connection_context():
        doubtful = dict(
            m.Statement.select(m.Statement.id, m.Statement.attribution_note)
            .where(m.Statement.attribution == "ambiguous")
            .tuples()
        )
    keys = {
        f"{c['start']}-{c['end']}": c["fact_id"]
        for c in citations_of(app, source_id)
        if c["fact_type"] == "statement" and c["fact_id"] in doubtful and c["start"] is not None
    }
    assert keys, "the article quotes statements whose attribution is ambiguous"
    page = parse(client.get(f"/sources/{source_id}"))
    for segment in highlights(page.cssselect("#text")[0]):
        passages = set(segment.get("data-passages").split())
        assert ("doubt" in segment.get("class").split()) == bool(passages & set(keys))
    for key, statement_id in keys.items():
        (entry,) = page.cssselect(f'[id="passage-{key}"]')
        assert "doubt" in entry.get("class").split()
        notes = [n.text_content() for n in entry.cssselect(".doubt-note")]
        assert f"Attribution ambiguous. {doubtful[statement_id]}" in notes
    assert page.cssselect(".summary dd .count")[3].text_content() == str(len(keys))


@pytest.mark.parametrize("source_id", ARTICLES)
def test_the_margin_summary_counts_facts_per_kind_passages_and_the_share_of_the_text_cited(app, client, source_id):
    text = client.get(f"/api/v1/sources/{source_id}/text").get_data(as_text=True)
    citations = citations_of(app, source_id)
    per_kind = Counter(kind for kind, _ in {(c["fact_type"], c["fact_id"]) for c in citations})
    spans = {(c["start"], c["end"]) for c in citations if c["start"] is not None}
    covered = {i for start, end in spans for i in range(start, end)}
    page = parse(client.get(f"/sources/{source_id}"))
    (summary,) = page.cssselect("aside.summary")
    counts = [c.text_content() for c in summary.cssselect("dd .count")]
    assert counts[0] == str(sum(per_kind.values()))
    listed = [li.text_content() for li in summary.cssselect("ul.per-kind li")]
    order = [kind.name for kind in KINDS]
    assert listed == [
        f"{n} {kind if n == 1 else BY_NAME[kind].plural}"
        for kind, n in sorted(per_kind.items(), key=lambda i: order.index(i[0]))
    ]
    assert counts[1] == str(len(spans))
    assert f"({len(citations)} citations)" in summary.text_content()
    assert counts[2] == f"{100 * len(covered) / len(text):.1f}\u2009%"
    assert f"of its {len(text):,} characters" in summary.text_content()


def test_the_article_metadata_is_at_the_top(client):
    source = client.get("/api/v1/sources/china-urges-n-korea-2017-08-12").get_json()
    page = parse(client.get("/sources/china-urges-n-korea-2017-08-12"))
    (head,) = page.cssselect("header.page-head")
    assert head.cssselect("h1")[0].text_content() == source["title"]
    meta = {
        dt.text_content(): dd.text_content() for dt, dd in zip(head.cssselect("dt"), head.cssselect("dd"), strict=True)
    }
    assert meta["Publisher"] == "not stated in the source"  # null
    assert meta["Author"] == source["author"]
    assert meta["Published"].startswith("12 August 2017 (to the day)")
    assert source["date_derivation"] in meta["Published"]
    assert meta["Dateline as printed"] == source["dateline"]
    assert meta["Curator's note"] == source["note"]
    assert head.cssselect("time")[0].get("datetime") == source["published_on"]
    for derivation in source["derived_from"]:
        assert derivation["note"] in meta["Derives from"]
    assert source["sha256"] in meta["This record"]


def _every_fact_page(client) -> list[tuple[str, str]]:
    pages, page_number = [], 1
    while True:
        response = client.get(f"/api/v1/facts?page_size=100&page={page_number}")
        pages += [(row["type"], row["id"]) for row in response.get_json()]
        if f"page={page_number + 1}" not in response.headers["Link"]:
            break
        page_number += 1
    return pages + [("dispute", d["id"]) for d in client.get("/api/v1/disputes?page_size=100").get_json()]


def test_every_fact_page_shows_each_quote_in_its_paragraph_linked_to_the_article_at_that_span(client):
    texts = {a: client.get(f"/api/v1/sources/{a}/text").get_data(as_text=True) for a in ARTICLES}
    articles = {a: parse(client.get(f"/sources/{a}")) for a in ARTICLES}
    checked = 0
    for kind, record_id in _every_fact_page(client):
        record = client.get(BY_NAME[kind].url.format(id=record_id)).get_json()
        page = parse(client.get(BY_NAME[kind].page.format(id=record_id)))
        inner = [("role", r) for r in record.get("roles", ())] + [("claim", c) for c in record.get("claims", ())]
        if kind == "resolution":
            inner += [
                ("vote", v) for v in client.get(f"/api/v1/resolutions/{record_id}/votes?page_size=100").get_json()
            ]
        sections = [(r, page.cssselect(f'section[id="{k}-{r["id"]}"]')[0]) for k, r in inner]
        if "citations" in record:
            sections.insert(0, (record, page.cssselect("section[aria-labelledby=evidence-title]")[0]))
        for owner, section in sections:
            items = section.cssselect("ol.evidence > li")
            assert len(items) == len(owner["citations"]), (kind, record_id)
            for citation, item in zip(owner["citations"], items, strict=True):
                source = client.get(f"/api/v1/sources/{citation['source']}").get_json()
                link = item.cssselect("p.source a")[0]
                assert link.text_content() == source["title"] and link.get("href") == f"/sources/{source['id']}"
                assert (source["publisher"] or "publisher not stated") in item.cssselect("p.source")[0].text_content()
                if citation["start"] is None:
                    if source["url"]:
                        assert item.cssselect("a.external")[0].get("href") == source["url"]
                    continue
                text = texts[citation["source"]]
                (context,) = item.cssselect("blockquote.context")
                assert context.cssselect("mark")[0].text_content() == citation["quote"]
                paragraph = context.text_content()
                begins = citation["start"] - len(context.cssselect("p")[0].text or "")
                assert text[begins : begins + len(paragraph)] == paragraph  # the quote where it is in the text
                assert begins == 0 or text[begins - 1] == "\n"
                assert begins + len(paragraph) == len(text) or text[begins + len(paragraph)] == "\n"
                assert not PARAGRAPH_BREAK.search(paragraph)  # one paragraph (no quote spans two)
                at = item.cssselect("p.at a")[0].get("href")
                assert at == f"/sources/{citation['source']}#span-{citation['start']}-{citation['end']}"
                assert articles[citation["source"]].cssselect(f'[id="span-{citation["start"]}-{citation["end"]}"]')
                checked += 1
    assert checked > 150


def test_a_fact_page_shows_its_fields_with_links_to_the_records_they_name(client):
    page = parse(client.get("/statements/trump-very-big-financial-impact"))
    fields = {
        dt.text_content(): dd
        for dt, dd in zip(page.cssselect("dl.fields > dt"), page.cssselect("dl.fields > dd"), strict=True)
    }
    assert fields["speaker"].cssselect("a")[0].get("href") == "/entities/donald-trump"
    assert fields["speaker"].text_content() == "Donald Trump"
    assert fields["quote"].text_content() == "Very big financial impact!"
    assert fields["attribution"].text_content() == "ambiguous"
    assert fields["event"].cssselect("a")[0].get("href") == "/events/trump-tweet-2017-08-05"
    assert fields["topics"].cssselect("a")[0].get("href") == "/topics/sanctions"
    assert page.cssselect("p.api a")[0].get("href") == "/api/v1/statements/trump-very-big-financial-impact"
    entity = parse(client.get("/entities/ri-yong-ho"))
    assert (
        entity.cssselect('section[id="role-ri-yong-ho-foreign-minister"] h3')[0].text_content()
        == "role Ri Yong-ho: Foreign Minister"
    )


def all_statements(client) -> list[dict]:
    """Every statement as the API lists them, in its order, page by page."""
    statements, page = [], 1
    while page:
        response = client.get(f"/api/v1/statements?page_size=20&page={page}")
        statements += response.get_json()
        page = json.loads(response.headers["X-Pagination"]).get("next_page")
    return statements


def statement_list(page, relation: str) -> list[tuple[str, str, str, bool]]:
    """A page's list of statements: (the statement page linked, its summary, the speaker's text, marked doubtful)."""
    sections = page.cssselect(f'section[id="statements-{relation}"]')
    if not sections:
        return []
    (section,) = sections
    (heading,) = section.cssselect("h2")
    items = section.cssselect("ol.said > li")
    assert heading.text_content().endswith(f"({len(items)})")
    listed = []
    for item in items:
        (link,) = item.cssselect(".said-summary a")
        how = " ".join(item.cssselect(".said-how")[0].text_content().split())
        listed.append((link.get("href"), link.text_content(), how, "doubt" in (item.get("class") or "")))
    return listed


def test_a_statement_page_is_headed_by_the_speaker_the_knowledge_identifies_not_the_word_the_source_uses(client):
    """A source may write its speaker as a pronoun ("He said ..."); the page names the identified speaker, or says
    that none is identified, and never heads the page with the pronoun."""
    from tests.helpers import FIXTURES_DIR, read_fixture

    names = {e["id"]: e["name"] for e in read_fixture(FIXTURES_DIR / "entities.json")}
    statements = read_fixture(FIXTURES_DIR / "statements.json")
    assert any(s["speaker_as_written"].lower() in ("he", "she", "it", "they") for s in statements)
    for statement in statements:
        heading = parse(client.get(f"/statements/{statement['id']}")).cssselect("h1")[0].text_content()
        speaker = names[statement["speaker"]] if statement["speaker"] else "Unidentified speaker"
        assert heading == f"{speaker}: {statement['summary']}", statement["id"]


def test_topic_entity_and_event_pages_list_their_statements_as_the_api_does(client):
    """Who said what on a topic, what a person said or relayed, what was said at an event: the same statements in
    the API's order, each linked to its page, with its speaker, and doubtful attribution marked."""
    statements = all_statements(client)
    assert len(statements) > 30

    def expected(chosen):
        return [
            (f"/statements/{s['id']}", s["summary"], s["attribution"] == "ambiguous", s["speaker"], s)
            for s in statements
            if chosen(s)
        ]

    def check(url, relation, chosen):
        listed = statement_list(parse(client.get(url)), relation)
        want = expected(chosen)
        assert [(href, summary, doubt) for href, summary, _, doubt in listed] == [w[:3] for w in want], url
        for (_, _, how, _), (*_, speaker, record) in zip(listed, want, strict=True):
            name = client.get(f"/api/v1/entities/{speaker}").get_json()["name"] if speaker else None
            assert how.startswith(name or f"“{record['speaker_as_written']}”"), (url, how)
            assert f"stance {record['stance']}; attribution {record['attribution']}" in how
        return len(listed)

    listed = 0
    for topic in client.get("/api/v1/topics?page_size=100").get_json():
        via_api = client.get(f"/api/v1/statements?topic={topic['id']}&page_size=100").get_json()
        assert [s["id"] for s in via_api] == [s["id"] for s in statements if topic["id"] in s["topics"]]
        listed += check(f"/topics/{topic['id']}", "about", lambda s, t=topic["id"]: t in s["topics"])
    assert listed == sum(len(s["topics"]) for s in statements)
    speakers = {s["speaker"] for s in statements if s["speaker"]}
    relays = {r for s in statements for r in s["reported_via"]}
    for entity in sorted(speakers | relays | {"kang-kyung-wha", "un-security-council"}):
        check(f"/entities/{entity}", "by", lambda s, e=entity: s["speaker"] == e)
        check(f"/entities/{entity}", "relayed", lambda s, e=entity: e in s["reported_via"])
    events = {s["event"] for s in statements if s["event"]}
    assert len(events) > 3
    for event in sorted(events):
        assert check(f"/events/{event}", "at", lambda s, e=event: s["event"] == e) > 0
    # Dates to their precision, as the curators recorded them.
    page = parse(client.get("/statements/trump-very-big-financial-impact"))
    assert not page.cssselect("section.statements")
    hows = [how for _, _, how, _ in statement_list(parse(client.get("/topics/dialogue")), "about")]
    assert "South Korea, July 2017; stance supports" in hows[0]
    assert any("date not stated" in how for how in hows)


@pytest.mark.parametrize("kind", PAGE_KINDS, ids=lambda k: k.name)
def test_each_record_links_from_its_json_to_its_page(client, kind):
    record_id = client.get(f"/api/v1/{kind.plural}?page_size=1").get_json()[0]["id"]
    response = client.get(kind.url.format(id=record_id))
    assert response.headers["Link"] == f'<{kind.page.format(id=record_id)}>; rel="alternate"; type="text/html"'
    page = client.get(kind.page.format(id=record_id))
    assert page.status_code == 200 and page.mimetype == "text/html"


def test_pages_load_nothing_from_elsewhere_and_parse_without_errors(client):
    for url in (
        "/",
        "/sources/presstv-manila-talks-2017-08-07",
        "/sources/un-doc-s-res-2371-2017",
        "/entities/ri-yong-ho",
        "/resolutions/unsc-resolution-2371",
    ):
        response = client.get(url)
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        page = parse(response)
        loaded = [e.get("src") for e in page.cssselect("script[src], img[src]")] + [
            e.get("href") for e in page.cssselect("link[href]")
        ]
        assert loaded and all(u.startswith("/") and not u.startswith("//") for u in loaded), loaded
        assert not page.cssselect("script:not([src]), style, [style]")  # nothing inline: the policy would block it
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(response.get_data(as_text=True))
        assert not parser.errors
        for asset in loaded:
            answer = client.get(asset)
            answer.close()  # (the icon is a file)
            assert answer.status_code == 200
    css = client.get("/assets/evidence.css").get_data(as_text=True)
    assert "url(" not in css and "@import" not in css


def test_pages_are_cached_by_data_version_and_never_older_than_the_data(curation):
    app, client, tokens = curation
    first = client.get("/statements/trump-very-big-financial-impact")
    again = client.get("/statements/trump-very-big-financial-impact")
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert (
        client.get(
            "/statements/trump-very-big-financial-impact", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 304
    )

    def publish(kind: str, plural: str, record_id: str, record: dict) -> None:
        """Propose an update as the curator and approve it as the editor."""
        etag = client.get(f"/api/v1/{plural}/{record_id}").headers["ETag"]
        change = client.post(
            "/api/v1/changes",
            json={"kind": kind, "action": "update", "id": record_id, "record": record, "summary": "edit"},
            headers={"Authorization": f"Bearer {tokens['curator']}", "If-Match": etag},
        )
        assert change.status_code == 201, change.get_data(as_text=True)
        approved = client.post(
            f"/api/v1/changes/{change.get_json()['id']}/approve",
            headers={"Authorization": f"Bearer {tokens['editor']}"},
        )
        assert approved.status_code == 200, approved.get_data(as_text=True)

    publish("statement", "statements", "trump-very-big-financial-impact", {"summary": "A new summary."})
    after = parse(client.get("/statements/trump-very-big-financial-impact"))
    assert "A new summary." in after.cssselect("h1")[0].text_content()
    article = parse(client.get("/sources/china-urges-n-korea-2017-08-12"))
    assert any("Donald Trump: A new summary." == a.text_content() for a in article.cssselect("ul.facts a"))
    # The speaker renamed: the statement's document does not change, but its label, and so the pages listing it, do.
    publish("entity", "entities", "donald-trump", {"name": "Donald J. Trump"})
    article = parse(client.get("/sources/china-urges-n-korea-2017-08-12"))
    assert any("Donald J. Trump: A new summary." == a.text_content() for a in article.cssselect("ul.facts a"))
    heading = parse(client.get("/statements/trump-very-big-financial-impact")).cssselect("h1")[0].text_content()
    assert heading == "Donald J. Trump: A new summary."


def test_an_article_with_characters_outside_ascii_is_highlighted_by_code_points(curation):
    """Combining marks, CJK, right-to-left text and characters outside the BMP (two UTF-16 units, four UTF-8 bytes)
    before and inside the quotes: each highlight is still exactly its quote."""
    app, client, tokens = curation
    auth = {"Authorization": f"Bearer {tokens['curator']}"}
    text = (
        "Ri Yong-ho 리용호 met Wang Yi 王毅 🤝 in Manila; «Kang Kyung-wha» (강경화) said: “talks 🕊️ now”.\n\n"
        "Lavrov said the 𝔰𝔦𝔵-party talks must resume — café-style diplomacy, e\u0301 by e\u0301. 🇷🇺 مرحبا done.\n"
    )
    source = {
        "kind": "article",
        "title": "Unicode test wire",
        "publisher": "Example Wire",
        "published_on": "2017-08-07",
        "date_precision": "day",
    }
    created = client.post(
        "/api/v1/changes",
        json={
            "kind": "source",
            "action": "create",
            "id": "unicode-wire",
            "record": source,
            "text": text,
            "summary": "article",
        },
        headers=auth,
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    approve = {"Authorization": f"Bearer {tokens['editor']}"}
    assert client.post(f"/api/v1/changes/{created.get_json()['id']}/approve", headers=approve).status_code == 200
    quotes = [
        "Wang Yi 王毅 🤝 in Manila",
        "🤝 in Manila; «Kang Kyung-wha»",
        "“talks 🕊️ now”",
        "𝔰𝔦𝔵-party talks must resume — café-style diplomacy, e\u0301 by e\u0301",
        "🇷🇺 مرحبا",
    ]
    statement = {
        "speaker": "lavrov", "speaker_as_written": "Lavrov", "said_on": "2017-08-07", "date_precision": "day",
        "topics": ["dialogue"], "stance": "supports", "summary": "Unicode.", "quote": None, "attribution": "direct",
        "attribution_chain": [], "citations": [{"source": "unicode-wire", "quote": q} for q in quotes],
    }  # fmt: skip
    speaker = client.get("/api/v1/entities?q=lavrov").get_json()[0]["id"]
    statement["speaker"] = speaker
    proposed = client.post(
        "/api/v1/changes",
        json={
            "kind": "statement",
            "action": "create",
            "id": "unicode-statement",
            "record": statement,
            "summary": "statement",
        },
        headers=auth,
    )
    assert proposed.status_code == 201, proposed.get_data(as_text=True)
    assert client.post(f"/api/v1/changes/{proposed.get_json()['id']}/approve", headers=approve).status_code == 200
    citations = client.get("/api/v1/statements/unicode-statement").get_json()["citations"]
    assert [text[c["start"] : c["end"]] for c in citations] == quotes  # code points
    page = parse(client.get("/sources/unicode-wire"))
    (verbatim,) = page.cssselect("#text")
    assert verbatim.text_content() == text
    for c in citations:
        covering = [s for s in highlights(verbatim) if f"{c['start']}-{c['end']}" in s.get("data-passages").split()]
        assert "".join(s.text_content() for s in covering) == c["quote"]
    fact = parse(client.get("/statements/unicode-statement"))
    assert [m.text_content() for m in fact.cssselect("blockquote.context mark")] == quotes


def test_pages_refuse_bad_input_as_the_api_does(client):
    assert_problem(client.get("/sources/no-such-source"), 404, "no source with id 'no-such-source'")
    assert_problem(client.get("/statements/no-such"), 404, "no statement with id 'no-such'")
    assert_problem(client.get("/sources/a%00b"), 422, "source_id")
    assert_problem(client.get("/assets/nothing.js"), 404, "no asset 'nothing.js'")
    assert client.head("/sources/presstv-manila-talks-2017-08-07").status_code == 200


def test_overlapping_passages_cut_the_text_into_segments_that_join_back_to_each_quote():
    text = "ab🙂cdé\u0301f\n\nghij"
    fact = CitedFact("statement", "x", "/statements/x", "supports")
    cited = [(0, 5, fact), (2, 8, fact), (3, 4, fact), (10, 14, fact), (6, 12, fact)]
    passages = passages_of(text, cited)
    paragraphs = paragraphs_of(text, passages)
    assert "".join(s.text for p in paragraphs for s in p.segments) == text.replace("\n\n", "")
    assert "".join(p.separator for p in paragraphs) == "\n\n"
    for passage in passages:
        joined = "".join(s.text for p in paragraphs for s in p.segments if passage in s.passages)
        assert joined == text[passage.start : passage.end].replace("\n\n", "")
        (opening,) = [s for p in paragraphs for s in p.segments if passage in s.opens]
        assert opening.start == passage.start
    depths = [s.depth for p in paragraphs for s in p.segments]
    assert max(depths) == 3
    assert share_cited(text, passages) == 1.0
    assert share_cited(text, passages_of(text, [(0, 3, fact)])) == 3 / len(text)


def test_under_a_path_prefix_every_link_of_a_page_carries_it(client):
    """Mounted at /kb (SCRIPT_NAME, as a proxy's path or the server's mount sets it), links stay inside it."""
    for url in ("/sources/presstv-manila-talks-2017-08-07", "/entities/ri-yong-ho"):
        page = parse(client.get(url, base_url="http://localhost/kb"))
        links = [a.get("href") for a in page.cssselect("a[href], link[href]")] + [
            s.get("src") for s in page.cssselect("script[src]")
        ]
        internal = [u for u in links if u and u.startswith("/")]
        assert internal and all(u.startswith("/kb/") for u in internal), [
            u for u in internal if not u.startswith("/kb/")
        ]
    item = client.get("/api/v1/entities/ri-yong-ho", base_url="http://localhost/kb")
    assert item.headers["Link"] == '</kb/entities/ri-yong-ho>; rel="alternate"; type="text/html"'


def test_a_page_url_with_a_query_is_sent_to_the_page_itself(client):
    """Pages take no parameters: a tracking tag or a typo in the query redirects to the one address of the page,
    keeping the path prefix and the id's encoding, so that the cache holds one answer per page."""
    for url, page in (
        ("/topics/dialogue?utm_source=newsletter", "/topics/dialogue"),
        ("/?q=coal", "/"),
        ("/sources/presstv-manila-talks-2017-08-07?", None),  # an empty query is no query
        ("/assets/evidence.css?v=2", "/assets/evidence.css"),
    ):
        response = client.get(url)
        if page is None:
            assert response.status_code == 200
            continue
        assert response.status_code == 301 and response.headers["Location"] == page, url
        assert client.get(page).status_code == 200
    prefixed = client.get("/entities/ri-yong-ho?x=1", base_url="http://localhost/kb")
    assert prefixed.status_code == 301 and prefixed.headers["Location"] == "/kb/entities/ri-yong-ho"
    assert client.get("/topics/no-such-topic?x=1").status_code == 301  # the page itself then says 404
    assert client.get("/api/v1/topics/dialogue?x=1").status_code == 422  # the API still refuses what it does not take


def test_a_page_lists_at_most_so_many_and_says_how_many_there_are(client, monkeypatch):
    """At scale a topic has tens of thousands of statements: a page lists the first SHOWN_AT_MOST of a list, in
    the API's order, with the whole count and where the API lists them all (here with a bound of 2)."""
    import service.pages.views as views

    monkeypatch.setattr(views, "SHOWN_AT_MOST", 2)
    everything = client.get("/api/v1/statements?topic=dialogue&page_size=100").get_json()
    assert len(everything) > 2
    topic = client.get("/topics/dialogue").get_data(as_text=True)
    assert f"({len(everything)})</h2>" in topic
    assert f"The first 2 of {len(everything)}, in the order of the API's list, which pages through them all." in topic
    shown = [s["id"] for s in everything[:2]]
    assert all(f"/statements/{i}" in topic for i in shown)
    assert f'/statements/{everything[2]["id"]}"' not in topic

    statements = client.get("/api/v1/facts?type=statement&page_size=100").get_json()
    index = client.get("/").get_data(as_text=True)
    assert f"Statements ({len(statements)})</summary>" in index
    assert f"The first 2, in the order of the API's list; all {len(statements)} as JSON" in index

    article = client.get("/sources/presstv-manila-talks-2017-08-07").get_data(as_text=True)
    assert "more fact" in article and "citing this passage" in article


def test_a_cut_list_links_to_the_apis_next_page_by_its_cursor(client, monkeypatch):
    """A list cut at SHOWN_AT_MOST (here 2) links to the API's next page, by the cursor the API gives: following it
    lists the records after those shown, in the same order (a topic's statements; a kind's facts on /)."""
    import html
    import re

    import service.pages.views as views

    monkeypatch.setattr(views, "SHOWN_AT_MOST", 2)
    everything = client.get("/api/v1/statements?topic=dialogue&page_size=100").get_json()
    topic = client.get("/topics/dialogue").get_data(as_text=True)
    (following,) = re.findall(r'<a href="([^"]+)">The API\'s next page of them</a>', topic)
    page = client.get(html.unescape(following))
    assert page.status_code == 200
    assert [s["id"] for s in page.get_json()] == [s["id"] for s in everything[2:4]]

    statements = client.get("/api/v1/facts?type=statement&page_size=100").get_json()
    index = client.get("/").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)">the next 2 in the order of <code>/api/v1/facts</code></a>', index)
    following = next(html.unescape(link) for link in links if "type=statement&" in html.unescape(link))
    page = client.get(following)
    assert page.status_code == 200
    assert [f["id"] for f in page.get_json()] == [f["id"] for f in statements[2:4]]


def test_an_article_lists_the_first_citing_facts_of_a_passage_and_links_to_the_rest(app, monkeypatch):
    """A passage cited more than SHOWN_AT_MOST times (here 1) lists its first facts, says how many more, links to
    the API's list of the statements citing the article, and the summary still counts every citation."""
    import service.pages.views as views
    from service import create_app

    client = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "KB_CACHE_BYTES": 0}).test_client()
    source = "presstv-manila-talks-2017-08-07"
    whole = client.get(f"/sources/{source}").get_data(as_text=True)
    monkeypatch.setattr(views, "SHOWN_AT_MOST", 1)
    cut = client.get(f"/sources/{source}").get_data(as_text=True)
    assert "more fact" in cut and f'<a href="/api/v1/statements?source={source}">' in cut
    assert cut.count('<li class="role-') < whole.count('<li class="role-')
    summary = whole[whole.index("<aside") : whole.index("</aside>")]
    assert summary == cut[cut.index("<aside") : cut.index("</aside>")]  # counts every citation, listed or not
