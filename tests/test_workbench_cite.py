"""The workbench's "Cite a passage" (service/workbench/cite.py), as a browser without script meets it: the article's
text with each paragraph's offset, the passage given by its start and end, the quote taken from the text, and the
citation proposed as an update of the fact, through the review workflow. The script's selection is tested in a real
browser (tests/test_workbench_browser.py). Each test has a database of its own."""

from __future__ import annotations

import pytest

from service.store import models as m
from tests.test_workbench import alert, csrf_of, in_database, page_of, signed_in_client

ARTICLE = "presstv-manila-talks-2017-08-07"
CITE = f"/workbench/sources/{ARTICLE}/cite"
STATEMENT = "ri-seoul-proposals-lacked-sincerity"
# An article of the test's own whose text has a character outside the Basic Multilingual Plane (two UTF-16 units, one
# code point) before the passage cited, and an accented one inside it.
ASTRAL_TEXT = "Headline \U0001d54f of the day.\n\nThe minister met her counterpart vis-\u00e0-vis the talks.\n"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def send(client, path: str = CITE, **fields):
    token = csrf_of(client.get(path))
    return client.post(path, data={"csrf_token": token, **fields})


def text_of(client, source: str) -> str:
    return client.get(f"/api/v1/sources/{source}/text").get_data(as_text=True)


def pending(app) -> list:
    return in_database(app, lambda: list(m.Change.select().where(m.Change.status == "pending")))


def test_the_text_is_shown_verbatim_with_each_paragraph_s_offset(curation):
    app, client, tokens = curation
    page = page_of(signed_in_client(app, tokens["curator"]).get(CITE))
    text = text_of(client, ARTICLE)
    paragraphs = page.cssselect("#cite-text p[data-start]")
    assert len(paragraphs) > 3
    for paragraph in paragraphs:
        at = int(paragraph.get("data-start"))
        assert text[at : at + len(paragraph.text_content())] == paragraph.text_content()
    assert int(page.cssselect("#cite-text")[0].get("data-characters")) == len(text)
    listing = page_of(signed_in_client(app, tokens["curator"]).get("/workbench/sources"))
    assert CITE in [a.get("href") for a in listing.cssselect("a.cite")]


def test_a_passage_given_by_its_offsets_is_cited_with_the_quote_the_text_holds(curation):
    app, client, tokens = curation
    text = text_of(client, ARTICLE)
    start = text.index("vis-\u00e0-vis") - 20  # a passage across the accented character
    end = start + 60
    curator = signed_in_client(app, tokens["curator"])
    checked = send(curator, start=str(start), end=str(end), fact="", action="check")
    assert checked.status_code == 200
    assert page_of(checked).cssselect("#selected-quote")[0].text_content() == text[start:end]
    assert pending(app) == []  # a check stores nothing
    answer = send(
        curator,
        start=str(start),
        end=str(end),
        fact=f"statement/{STATEMENT}",
        role="context",
        summary="Add the passage on the talks",
        action="propose",
    )
    assert answer.status_code == 303, alert(answer)
    (change,) = pending(app)
    assert answer.headers["Location"] == f"/workbench/changes/{change.id}"
    assert (change.kind, change.action, change.record_id) == ("statement", "update", STATEMENT)
    assert client.post(f"/api/v1/changes/{change.id}/approve", headers=bearer(tokens["editor"])).status_code == 200
    cited = client.get(f"/api/v1/statements/{STATEMENT}").get_json()["citations"][-1]
    assert (cited["source"], cited["start"], cited["end"], cited["quote"], cited["role"]) == (
        ARTICLE,
        start,
        end,
        text[start:end],
        "context",
    )


def test_offsets_are_code_points_even_past_a_character_of_two_utf16_units(curation):
    app, client, tokens = curation
    article = {"kind": "article", "title": "A headline with a symbol", "published_on": "2017-08-07"}
    body = {"kind": "source", "action": "create", "id": "astral-2017", "record": article, "text": ASTRAL_TEXT}
    made = client.post("/api/v1/changes", json={**body, "summary": "add"}, headers=bearer(tokens["curator"]))
    assert (
        client.post(f"/api/v1/changes/{made.get_json()['id']}/approve", headers=bearer(tokens["editor"])).status_code
        == 200
    )
    start = ASTRAL_TEXT.index("counterpart")
    end = ASTRAL_TEXT.index(" the talks")
    curator = signed_in_client(app, tokens["curator"])
    path = "/workbench/sources/astral-2017/cite"
    answer = send(
        curator, path, start=str(start), end=str(end), fact=f"statement/{STATEMENT}", summary="s", action="propose"
    )
    assert answer.status_code == 303, alert(answer)
    (change,) = pending(app)
    assert client.post(f"/api/v1/changes/{change.id}/approve", headers=bearer(tokens["editor"])).status_code == 200
    cited = client.get(f"/api/v1/statements/{STATEMENT}").get_json()["citations"][-1]
    assert cited["quote"] == "counterpart vis-\u00e0-vis" and (cited["start"], cited["end"]) == (start, end)


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"start": "abc", "end": "10"}, "start", "A whole number"),
        ({"start": "10", "end": "10"}, "end", "ends after it starts"),
        ({"start": "10", "end": "99999999"}, "end", "within the text"),
        ({"start": "0", "end": "6000"}, "end", "within the text"),
        ({"start": "-1", "end": "10"}, "start", "A whole number"),
        ({"fact": "topic/dialogue"}, "fact", "the kind one of"),
        ({"fact": "statement/no-such-statement"}, "fact", "There is no statement 'no-such-statement'"),
        ({"fact": "statement"}, "fact", "Name the fact as kind/id"),
        ({"role": "endorses"}, "role", "One of supports"),
        ({"summary": ""}, "summary", "edit summary"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_kept(curation, fields, field, words):
    app, _, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    typed = {"start": "0", "end": "20", "fact": f"statement/{STATEMENT}", "role": "supports", "summary": "s", **fields}
    answer = send(curator, **typed, action="propose")
    assert answer.status_code == 422
    page = page_of(answer)
    assert words in page.cssselect(f"#{field}-error")[0].text_content()
    assert page.cssselect(f"#{field}")[0].get("aria-invalid") == "true"
    if field in ("start", "end", "fact", "summary"):
        assert page.cssselect(f"#{field}")[0].get("value") == typed[field]  # as typed
    assert pending(app) == []


def test_a_passage_of_only_space_is_refused(curation):
    app, client, tokens = curation
    text = text_of(client, ARTICLE)
    gap = text.index("\n\n")
    answer = send(signed_in_client(app, tokens["curator"]), start=str(gap), end=str(gap + 2), fact="", action="check")
    assert answer.status_code == 422 and "only space" in page_of(answer).cssselect("#end-error")[0].text_content()


def test_a_passage_the_fact_cites_already_or_a_fact_awaiting_review_is_refused_saying_why(curation):
    app, client, tokens = curation
    cited = client.get(f"/api/v1/statements/{STATEMENT}").get_json()["citations"][0]
    curator = signed_in_client(app, tokens["curator"])
    again = send(
        curator,
        start=str(cited["start"]),
        end=str(cited["end"]),
        fact=f"statement/{STATEMENT}",
        summary="s",
        action="propose",
    )
    assert (
        again.status_code == 409
        and "cites this passage already" in page_of(again).cssselect("#fact-error")[0].text_content()
    )
    url = f"/api/v1/statements/{STATEMENT}"
    other = client.post(
        "/api/v1/changes",
        json={
            "kind": "statement",
            "action": "update",
            "id": STATEMENT,
            "summary": "x",
            "record": {"stance": "neutral"},
        },
        headers={**bearer(tokens["curator2"]), "If-Match": client.get(url).headers["ETag"]},
    )
    assert other.status_code == 201
    waiting = send(curator, start="0", end="20", fact=f"statement/{STATEMENT}", summary="s", action="propose")
    assert waiting.status_code == 412 and "awaiting review" in alert(waiting)
    assert page_of(waiting).cssselect("#start")[0].get("value") == "0"


def test_only_published_articles_are_cited_and_only_by_curators_and_editors(curation):
    app, client, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    reference = client.get("/api/v1/sources?kind=reference").get_json()[0]["id"]
    for path in (
        f"/workbench/sources/{reference}/cite",
        "/workbench/sources/no-such/cite",
        f"/workbench/sources/{'x' * 300}/cite",
    ):
        assert curator.get(path).status_code in (404, 422), path
    assert client.get(CITE).status_code == 303  # not signed in: to the sign-in page


def test_the_passage_names_the_account_it_carries_from_those_offered(curation):
    app, client, tokens = curation
    text = text_of(client, ARTICLE)
    quote = "vis-\u00e0-vis"
    start = text.index(quote)
    curator = signed_in_client(app, tokens["curator"])
    offered = [o.get("value") for o in page_of(curator.get(CITE)).cssselect("#account option")]
    assert offered[:2] == ["", f"source/{ARTICLE}"] and "event/wang-yi-remarks-manila-2017-08-07" in offered
    assert all(value.split("/")[0] in ("source", "event") for value in offered[1:])
    typed = {"start": str(start), "end": str(start + len(quote)), "summary": "s", "action": "propose"}
    forged = send(curator, **typed, fact=f"statement/{STATEMENT}", account="event/no-such-event")
    assert forged.status_code == 422 and page_of(forged).cssselect("#account")[0].get("aria-invalid") == "true"
    answer = send(curator, **typed, fact="statement/wang-yi-hopes-north-south-improve-relations", account=offered[2])
    assert answer.status_code == 303, alert(answer)
    (change,) = pending(app)
    assert client.post(f"/api/v1/changes/{change.id}/approve", headers=bearer(tokens["editor"])).status_code == 200
    cited = client.get("/api/v1/statements/wang-yi-hopes-north-south-improve-relations").get_json()["citations"][-1]
    kind, _, record = offered[2].partition("/")
    assert cited["account"] == {"type": kind, "id": record} and cited["quote"] == quote


def test_suggestions_are_marked_and_accepting_one_fills_in_its_form(curation):
    app, client, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    page = page_of(curator.get(CITE))
    text = text_of(client, ARTICLE)
    api = client.post("/api/v1/suggestions", json={"source": ARTICLE}, headers=bearer(tokens["curator"])).get_json()
    listed = page.cssselect("ol.suggestion-list li")
    assert len(listed) == len(api["suggestions"])  # the API's suggestions, the same function
    for mark in page.cssselect("#cite-text mark.suggested"):  # each mark is its suggestion's words, where they are
        (item,) = page.cssselect(f"#suggestion-{mark.get('data-suggestion')}")
        assert mark.text_content() in item.text_content()
    paragraphs = page.cssselect("#cite-text p[data-start]")
    for paragraph in paragraphs:  # the marks change nothing of the text or its offsets
        at = int(paragraph.get("data-start"))
        assert text[at : at + len(paragraph.text_content())] == paragraph.text_content()
    entity = next(s for s in api["suggestions"] if s["kind"] == "entity")
    number = api["suggestions"].index(entity) + 1
    accept = page.cssselect(f"#suggestion-{number} a.accept")[0].get("href")
    opened = page_of(curator.get(accept))
    assert opened.cssselect("#fact")[0].get("value") == f"entity/{entity['form']['id']}"
    assert opened.cssselect("#start")[0].get("value") == str(entity["start"])
    assert opened.cssselect("#selected-quote")[0].text_content() == entity["text"]
    dated = next(s for s in api["suggestions"] if s["kind"] == "date")
    number = api["suggestions"].index(dated) + 1
    form = page_of(curator.get(page.cssselect(f"#suggestion-{number} a.accept")[0].get("href")))
    assert form.cssselect("#date_earliest")[0].get("value") == dated["proposal"]["date_earliest"]
    assert form.cssselect("#date_derivation")[0].text_content() == (dated["proposal"]["date_derivation"] or "")
    assert form.cssselect("section.passage blockquote")[0].text_content() == dated["proposal"]["citations"][0]["quote"]
    assert pending(app) == []  # nothing is proposed by accepting
