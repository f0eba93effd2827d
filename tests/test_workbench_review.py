"""The workbench's review (service/workbench/review.py): the queue of pending changes, a change's page with its
diff, its passages and what approving it now would meet, and approving or rejecting it in the browser, through the
same workflow as the API. Each test works on a database of its own (the `curation` fixture)."""

from __future__ import annotations

import pytest

from service.store import models as m
from service.store.db import db
from tests.test_workbench import alert, csrf_of, page_of, signed_in_client

STATEMENT = "ri-seoul-proposals-lacked-sincerity"
QUEUE = "/workbench/review"


def bearer(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def propose(client, token, kind, action, record_id, record=None, **headers) -> int:
    body = {"kind": kind, "action": action, "id": record_id, "summary": f"{action} {record_id}"}
    if record is not None:
        body["record"] = record
    answer = client.post("/api/v1/changes", json=body, headers=bearer(token, **headers))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()["id"]


def etag(client, url: str) -> str:
    return client.get(url).headers["ETag"]


def api_change(client, tokens, change_id: int) -> dict:
    return client.get(f"/api/v1/changes/{change_id}", headers=bearer(tokens["editor"])).get_json()


def listed(page) -> list[int]:
    return [int(li.get("id").removeprefix("change-")) for li in page.cssselect("ol.changes li")]


def test_the_queue_lists_what_awaits_review_oldest_first_for_editors_only(curation):
    app, client, tokens = curation
    first, second, third = (
        propose(client, tokens["curator"], "topic", "create", f"q-{n}", {"description": "d"}) for n in range(3)
    )
    editor = bearer(tokens["editor"])
    assert client.post(f"/api/v1/changes/{second}/approve", headers=editor).status_code == 200
    reviewer = signed_in_client(app, tokens["editor"])
    queue = page_of(reviewer.get(QUEUE))
    assert listed(queue) == [first, third]  # the published one is no longer waiting
    links = [a.get("href") for a in queue.cssselect("ol.changes a.change-link")]
    assert links == [f"/workbench/changes/{first}", f"/workbench/changes/{third}"]
    paged = page_of(reviewer.get(f"{QUEUE}?page=2&page_size=1"))
    assert listed(paged) == [third] and paged.cssselect('a[rel="prev"]')[0].get("href") == f"{QUEUE}?page=1&page_size=1"
    home = page_of(reviewer.get("/workbench/"))
    assert home.cssselect('ul.sections a[href="/workbench/review"]')
    # A curator reviews nothing: the queue is refused as a page, and not offered.
    curator = signed_in_client(app, tokens["curator"])
    refused = curator.get(QUEUE)
    assert refused.status_code == 403 and "needs the role editor" in alert(refused)
    assert not page_of(curator.get("/workbench/")).cssselect('a[href="/workbench/review"]')
    for query, status in (("page=0", 422), ("status=pending", 422), ("page=5", 404)):
        assert reviewer.get(f"{QUEUE}?{query}").status_code == status, query


def test_a_change_shows_its_fields_before_and_after_and_each_passage_in_its_paragraph(curation):
    app, client, tokens = curation
    url = f"/api/v1/statements/{STATEMENT}"
    current = client.get(url).get_json()
    article = "presstv-manila-talks-2017-08-07"
    text = client.get(f"/api/v1/sources/{article}/text").get_data(as_text=True)
    quote = "Ri Yong-ho"
    start = text.index(quote)
    citation = {"source": article, "quote": quote, "start": start, "end": start + len(quote)}
    change = propose(
        client,
        tokens["curator"],
        "statement",
        "update",
        STATEMENT,
        {"stance": "neutral", "citations": [*(_as_curated(c) for c in current["citations"]), citation]},
        **{"If-Match": etag(client, url)},
    )
    page = page_of(signed_in_client(app, tokens["editor"]).get(f"/workbench/changes/{change}"))
    rows = {row.get("id").removeprefix("field-"): row for row in page.cssselect("table.diff tbody tr")}
    assert set(rows) == {"stance", "citations"}  # only what changes
    before, after = (cell.text_content() for cell in rows["stance"].cssselect("td"))
    assert (before, after) == ("opposes", "neutral")
    # The citations as the knowledge would hold them (defaults filled in), so only the new passage is a change.
    kept = len(current["citations"])
    summary = rows["citations"].cssselect("td.summary p")[0].text_content()
    assert summary.startswith(f"Adds citation {kept + 1}; keeps {kept} as they were.")
    passages = page.cssselect("ol.passages li")
    assert len(passages) == len(current["citations"]) + 1
    assert [li.get("id") for li in page.cssselect("ol.passages li.new")] == [f"citation-{len(passages)}"]
    for li, given in zip(passages, [*current["citations"], citation], strict=True):
        if client.get(f"/api/v1/sources/{given['source']}").get_json()["kind"] != "article":
            # A reference: no text is kept, so a quote is shown as given, and the page says why.
            note = li.cssselect(".passage-note")[0].text_content()
            if given.get("quote"):
                assert li.cssselect("blockquote.quote")[0].text_content() == given["quote"] and "a reference" in note
            else:
                assert not li.cssselect("blockquote") and note == "No quote: it cites the source as a whole."
            continue
        text = client.get(f"/api/v1/sources/{given['source']}/text").get_data(as_text=True)
        (mark,) = li.cssselect("blockquote.paragraph mark")
        assert mark.text_content() == given["quote"]  # the exact passage, marked in its paragraph
        paragraph = li.cssselect("blockquote.paragraph")[0].text_content()
        at = text.index(paragraph)  # the whole paragraph around it: from a blank line (or the start) to the next
        assert text[given["start"] : given["end"]] == given["quote"] and at <= given["start"]
        assert (at == 0 or text[:at].endswith("\n\n")) and text[at + len(paragraph) :][:2] in ("", "\n\n")
    assert len(passages[-1].cssselect("blockquote.paragraph")[0].text_content()) > len(quote)
    check = page.cssselect("#check-result")[0].text_content()
    assert "It verifies against the knowledge as published now" in check


def _as_curated(citation: dict) -> dict:
    """A citation as the API serves it, as a change sends it (what a curator writes)."""
    return {key: value for key, value in citation.items() if value not in (None, [])}


def test_an_editor_approves_in_the_browser_and_it_is_published(curation):
    app, client, tokens = curation
    change = propose(client, tokens["curator"], "topic", "create", "wb-approved", {"description": "Approved here."})
    reviewer = signed_in_client(app, tokens["editor"])
    form = reviewer.get(f"/workbench/changes/{change}")
    done = reviewer.post(f"/workbench/changes/{change}/approve", data={"csrf_token": csrf_of(form)})
    assert done.status_code == 303 and done.headers["Location"] == f"/workbench/changes/{change}?done=approved"
    shown = reviewer.get(done.headers["Location"])
    assert "Approved: the change is published." in page_of(shown).cssselect('[role="status"]')[0].text_content()
    assert not page_of(shown).cssselect("form.approve")  # nothing left to review
    record = api_change(client, tokens, change)
    assert record["status"] == "published" and record["reviewer"].startswith("editor-")
    assert client.get("/api/v1/topics/wb-approved").get_json()["description"] == "Approved here."
    # Approving it again is refused as the API refuses it, on the page.
    again = reviewer.post(f"/workbench/changes/{change}/approve", data={"csrf_token": csrf_of(form)})
    assert again.status_code == 409 and "is published, not pending review" in alert(again)


def test_no_one_reviews_their_own_change_in_the_browser_either(curation):
    app, client, tokens = curation
    change = propose(client, tokens["editor"], "topic", "create", "wb-own", {"description": "d"})
    own = signed_in_client(app, tokens["editor"])
    page = own.get(f"/workbench/changes/{change}")
    assert not page_of(page).cssselect("form.approve, form.reject")
    assert "awaiting review by an editor other than you" in page.get_data(as_text=True)
    for action, data in (("approve", {}), ("reject", {"note": "mine"})):
        answer = own.post(f"/workbench/changes/{change}/{action}", data={"csrf_token": csrf_of(page), **data})
        assert answer.status_code == 403 and "an editor other than its author" in alert(answer), action
    assert api_change(client, tokens, change)["status"] == "pending"
    assert client.get("/api/v1/topics/wb-own").status_code == 404


def test_a_rejection_needs_a_note_and_keeps_what_was_typed(curation):
    app, client, tokens = curation
    change = propose(client, tokens["curator"], "topic", "create", "wb-rejected", {"description": "d"})
    reviewer = signed_in_client(app, tokens["editor"])
    token = csrf_of(reviewer.get(f"/workbench/changes/{change}"))
    for typed, words in (
        ("  \n ", "Say why you reject it: its author reads the note."),
        ("x" * 1001, "Length must be between 1 and 1000."),
    ):
        refused = reviewer.post(f"/workbench/changes/{change}/reject", data={"csrf_token": token, "note": typed})
        assert refused.status_code == 422
        (field,) = page_of(refused).cssselect("form.reject textarea#note")
        assert field.get("aria-invalid") == "true" and field.text_content() == typed  # nothing typed is lost
        assert page_of(refused).cssselect("#note-error")[0].text_content() == words
    assert api_change(client, tokens, change)["status"] == "pending"
    note = "Not a topic <b>we</b> use."
    done = reviewer.post(f"/workbench/changes/{change}/reject", data={"csrf_token": token, "note": note})
    assert done.status_code == 303
    record = api_change(client, tokens, change)
    assert record["status"] == "rejected" and record["review_note"] == note
    author = signed_in_client(app, tokens["curator"])
    shown = page_of(author.get(f"/workbench/changes/{change}"))
    assert shown.cssselect("dd.review-note")[0].text_content() == note  # as text, never as markup
    assert client.get("/api/v1/topics/wb-rejected").status_code == 404


def test_a_change_the_knowledge_has_moved_past_says_so_before_and_when_approved(curation):
    app, client, tokens = curation
    editor = bearer(tokens["editor"])
    made = propose(client, tokens["curator"], "topic", "create", "wb-short-lived", {"description": "d"})
    assert client.post(f"/api/v1/changes/{made}/approve", headers=editor).status_code == 200
    url = f"/api/v1/statements/{STATEMENT}"
    topics = client.get(url).get_json()["topics"]
    waiting = propose(
        client,
        tokens["curator"],
        "statement",
        "update",
        STATEMENT,
        {"topics": [*topics, "wb-short-lived"]},
        **{"If-Match": etag(client, url)},
    )
    gone = propose(
        client,
        tokens["curator2"],
        "topic",
        "delete",
        "wb-short-lived",
        **{"If-Match": etag(client, "/api/v1/topics/wb-short-lived")},
    )
    assert client.post(f"/api/v1/changes/{gone}/approve", headers=editor).status_code == 200
    reviewer = signed_in_client(app, tokens["editor"])
    page = reviewer.get(f"/workbench/changes/{waiting}")
    check = page_of(page).cssselect("#check-result")[0].text_content()
    assert "Approving it now would be refused" in check and "wb-short-lived" in check
    refused = reviewer.post(f"/workbench/changes/{waiting}/approve", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 409 and "wb-short-lived" in alert(refused)
    assert api_change(client, tokens, waiting)["status"] == "pending"
    assert "wb-short-lived" not in client.get(url).get_json()["topics"]


def test_a_curator_sees_their_own_changes_only_and_no_forms(curation):
    app, client, tokens = curation
    theirs = propose(client, tokens["curator2"], "topic", "create", "wb-theirs", {"description": "d"})
    mine = propose(client, tokens["curator"], "topic", "create", "wb-mine", {"description": "d"})
    curator = signed_in_client(app, tokens["curator"])
    page = curator.get(f"/workbench/changes/{mine}")
    assert page.status_code == 200 and not page_of(page).cssselect("form.approve, form.reject, #check-result")
    hidden, missing = curator.get(f"/workbench/changes/{theirs}"), curator.get("/workbench/changes/999")
    assert hidden.status_code == missing.status_code == 404
    assert alert(hidden).replace(str(theirs), "N") == alert(missing).replace("999", "N")  # whether it exists: unsaid
    listing = page_of(curator.get("/workbench/changes"))
    assert [a.get("href") for a in listing.cssselect("a.change-link")] == [f"/workbench/changes/{mine}"]
    token = csrf_of(page)
    assert curator.post(f"/workbench/changes/{mine}/approve", data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize("change_id", ["abc", "1e3", "-1", "99999999999999999999", "%00", "1%2F..%2F2"])
def test_any_change_id_is_a_page_never_a_failure(curation, change_id):
    app, _, tokens = curation
    answer = signed_in_client(app, tokens["editor"]).get(f"/workbench/changes/{change_id}")
    assert answer.status_code in (404, 422) and answer.mimetype == "text/html"


def test_a_review_without_the_session_s_csrf_token_is_refused_and_changes_nothing(curation):
    app, client, tokens = curation
    change = propose(client, tokens["curator"], "topic", "create", "wb-forged", {"description": "d"})
    reviewer = signed_in_client(app, tokens["editor"])
    answer = reviewer.post(f"/workbench/changes/{change}/approve", data={})
    assert answer.status_code == 403 and "CSRF" in alert(answer)
    with app.app_context(), db.connection_context():
        assert m.Change.get_by_id(change).status == "pending"


def _published_twice(client, tokens, topic: str) -> tuple[int, int]:
    """A topic created and then updated, both approved: its two revisions' change ids."""
    editor = bearer(tokens["editor"])
    made = propose(client, tokens["curator"], "topic", "create", topic, {"description": "First words."})
    assert client.post(f"/api/v1/changes/{made}/approve", headers=editor).status_code == 200
    url = f"/api/v1/topics/{topic}"
    edited = propose(
        client,
        tokens["curator"],
        "topic",
        "update",
        topic,
        {"description": "Better words."},
        **{"If-Match": etag(client, url)},
    )
    assert client.post(f"/api/v1/changes/{edited}/approve", headers=editor).status_code == 200
    return made, edited


def test_a_record_s_history_lists_its_revisions_with_their_diffs(curation):
    app, client, tokens = curation
    made, edited = _published_twice(client, tokens, "wb-history")
    revisions = [api_change(client, tokens, change)["revision"] for change in (edited, made)]
    curator = signed_in_client(app, tokens["curator"])
    from_change = page_of(curator.get(f"/workbench/changes/{edited}")).cssselect("a.history")[0].get("href")
    assert from_change == "/workbench/history/topic/wb-history"
    page = page_of(curator.get(from_change))
    assert [li.get("id") for li in page.cssselect("ol.revisions > li")] == [f"revision-{n}" for n in revisions]
    latest, first = page.cssselect("ol.revisions > li")
    cells = [td.text_content() for td in latest.cssselect("tr.field-description td")]
    assert cells == ["First words.", "Better words."]
    assert [td.text_content() for td in first.cssselect("tr.field-description td")] == ["(absent)", "First words."]
    assert [a.get("href") for a in page.cssselect("a.change-link")] == [
        f"/workbench/changes/{c}" for c in (edited, made)
    ]
    assert not page.cssselect("form.revert")  # a curator does not revert
    token = csrf_of(curator.get(f"/workbench/changes/{edited}"))
    refused = curator.post(
        f"{from_change}/revert", data={"csrf_token": token, "revision": revisions[0], "summary": "x"}
    )
    assert refused.status_code == 403
    for path in ("/workbench/history/bogus/wb-history", "/workbench/history/topic/never-changed"):
        missing = curator.get(path)
        assert missing.status_code == 404 and "no history of that record" in alert(missing), path
    untouched = page_of(curator.get("/workbench/history/topic/dialogue"))  # a record as loaded: no revision yet
    assert untouched.cssselect("#no-revisions") and not untouched.cssselect("ol.revisions > li")
    too_long = curator.get(f"/workbench/history/topic/{'x' * 300}")  # the input guard's refusal, as a page
    assert too_long.status_code == 422 and too_long.mimetype == "text/html"


def test_an_editor_proposes_reverting_the_latest_revision_from_the_history(curation):
    app, client, tokens = curation
    _, edited = _published_twice(client, tokens, "wb-reverted")
    latest = api_change(client, tokens, edited)["revision"]
    history = "/workbench/history/topic/wb-reverted"
    reviewer = signed_in_client(app, tokens["editor"])
    page = reviewer.get(history)
    (form,) = page_of(page).cssselect("form.revert")  # on the latest revision only
    assert form.cssselect('input[name="revision"]')[0].get("value") == str(latest)
    token = csrf_of(page)
    empty = reviewer.post(f"{history}/revert", data={"csrf_token": token, "revision": latest, "summary": "  "})
    assert empty.status_code == 422
    (field,) = page_of(empty).cssselect("#summary")
    assert field.get("aria-invalid") == "true" and field.get("value") == "  "
    stale = reviewer.post(f"{history}/revert", data={"csrf_token": token, "revision": latest - 1, "summary": "Undo it"})
    assert stale.status_code == 409 and "is not this record's latest" in alert(stale)
    assert page_of(stale).cssselect("#summary")[0].get("value") == "Undo it"  # what was typed is kept
    assert (
        reviewer.post(f"{history}/revert", data={"csrf_token": token, "revision": "x1", "summary": "Undo"}).status_code
        == 422
    )
    done = reviewer.post(
        f"{history}/revert",
        data={"csrf_token": token, "revision": latest, "summary": "Undo: the first words were right."},
    )
    assert done.status_code == 303
    change_id = int(done.headers["Location"].rsplit("/", 1)[1])
    proposed = api_change(client, tokens, change_id)
    assert proposed["status"] == "pending" and proposed["reverts"] == latest and proposed["action"] == "update"
    assert client.get("/api/v1/topics/wb-reverted").get_json()["description"] == "Better words."  # not until reviewed
    again = reviewer.post(f"{history}/revert", data={"csrf_token": token, "revision": latest, "summary": "Twice"})
    assert again.status_code == 412 and "awaiting review" in alert(again)
