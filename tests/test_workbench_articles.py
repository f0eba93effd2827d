"""The workbench's "Add an article" (service/workbench/articles.py): the form, its preview, a proposal that keeps the
text verbatim, and refusals that keep everything typed and name each field. Each test has a database of its own."""

from __future__ import annotations

from service.store import models as m
from tests.test_workbench import alert, csrf_of, in_database, page_of, signed_in_client

NEW = "/workbench/articles/new"
TEXT = (
    "MANILA, Aug. 7 (Example Wire) - South Korea's Foreign Minister Kang Kyung-wha said on Monday that Seoul "
    "remains open to talks vis-à-vis the North.\n\n"
    "\u201cThe door is open,\u201d she told reporters.\n"
)


def filled(**changes) -> dict:
    form = {
        "title": "Kang: Seoul open to talks",
        "id": "example-wire-kang-2017-08-07",
        "publisher": "Example Wire",
        "author": "",
        "published_on": "2017-08-07",
        "date_precision": "day",
        "date_derivation": "From the dateline 'MANILA, Aug. 7'.",
        "dateline": "MANILA, Aug. 7",
        "url": "https://example.org/kang-open",
        "accessed_on": "2026-12-07",
        "note": "",
        "derived_from-0-source": "",
        "derived_from-0-relation": "",
        "derived_from-0-note": "",
        "derived_from-1-source": "",
        "derived_from-1-relation": "",
        "derived_from-1-note": "",
        # A browser sends a textarea's line breaks as CR LF.
        "text": TEXT.replace("\n", "\r\n"),
        "summary": "Add Example Wire's report of Kang in Manila",
    }
    return {**form, **changes}


def send(client, action: str, **changes):
    token = csrf_of(client.get(NEW))
    return client.post(NEW, data={"csrf_token": token, "action": action, **filled(**changes)})


def changes(app) -> list:
    return in_database(app, lambda: list(m.Change.select()))


def test_the_form_is_the_source_s_create_shape_with_a_label_for_every_field(curation):
    app, _, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    page = page_of(curator.get(NEW))
    (form,) = page.cssselect("form.article-form")
    assert form.get("method") == "post" and form.get("action") == NEW
    controls = form.cssselect("input:not([type=hidden]), select, textarea")
    names = {control.get("name") for control in controls}
    for name in ("title", "id", "publisher", "author", "published_on", "date_precision", "dateline", "url", "text"):
        assert name in names, name
    for control in controls:
        assert page.cssselect(f'label[for="{control.get("id")}"]'), control.get("id")  # every field has its label
    home = page_of(curator.get("/workbench/"))
    assert home.cssselect(f'ul.sections a[href="{NEW}"]')


def test_a_preview_shows_the_article_as_its_page_will_and_stores_nothing(curation):
    app, _, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    answer = send(curator, "preview")
    assert answer.status_code == 200, alert(answer)
    page = page_of(answer)
    (preview,) = page.cssselect("section.preview")
    assert preview.cssselect("h3")[0].text_content() == "Kang: Seoul open to talks"
    paragraphs = [p.text_content() for p in preview.cssselect("#preview-text p")]
    assert len(paragraphs) == 2 and "\n\n".join(paragraphs) == TEXT  # paragraph by paragraph, the text verbatim
    assert "Example Wire" in preview.cssselect("dl.meta")[0].text_content()
    # The form is there again, filled in as sent, ready to propose.
    assert page.cssselect("#title")[0].get("value") == "Kang: Seoul open to talks"
    assert changes(app) == []


def test_a_proposed_article_keeps_its_text_verbatim_and_waits_for_review(curation):
    app, client, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    answer = send(curator, "propose")
    assert answer.status_code == 303, alert(answer)
    (change,) = changes(app)
    assert answer.headers["Location"] == f"/workbench/changes/{change.id}"
    assert (change.kind, change.action, change.record_id, change.status) == (
        "source",
        "create",
        "example-wire-kang-2017-08-07",
        "pending",
    )
    editor = {"Authorization": f"Bearer {tokens['editor']}"}
    assert client.post(f"/api/v1/changes/{change.id}/approve", headers=editor).status_code == 200
    stored = client.get("/api/v1/sources/example-wire-kang-2017-08-07/text").get_data(as_text=True)
    assert stored == TEXT  # code point for code point, line breaks as pasted
    source = client.get("/api/v1/sources/example-wire-kang-2017-08-07").get_json()
    assert (source["kind"], source["published_on"], source["accessed_on"], source["author"]) == (
        "article",
        "2017-08-07",
        "2026-12-07",
        None,  # an empty field is no value, not an empty string
    )
    assert client.get("/sources/example-wire-kang-2017-08-07").status_code == 200


def test_bad_fields_are_refused_next_to_each_and_nothing_typed_is_lost(curation):
    app, _, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    answer = send(
        curator,
        "propose",
        id="Not A Slug!",
        url="javascript:alert(1)",
        published_on="2017-13-45",
        summary="",
        title="<script>alert(1)</script>",
    )
    assert answer.status_code == 422
    page = page_of(answer)
    for name in ("id", "url", "published_on", "summary"):
        (field,) = page.cssselect(f"#{name}")
        assert field.get("aria-invalid") == "true", name
        assert f"{name}-error" in field.get("aria-describedby"), name
        assert page.cssselect(f"#{name}-error")[0].text_content(), name
    assert page.cssselect("#id")[0].get("value") == "Not A Slug!"
    assert page.cssselect("#url")[0].get("value") == "javascript:alert(1)"
    assert page.cssselect("#title")[0].get("value") == "<script>alert(1)</script>"  # kept, as text
    assert "<script>alert(1)" not in answer.get_data(as_text=True)  # never as markup
    assert page.cssselect("#text")[0].text_content() == TEXT  # the text as sent (HTML reads CR LF as one break)
    assert changes(app) == []


def test_an_existing_id_or_an_unknown_derivation_is_refused_by_the_workflow_and_the_form_comes_back(curation):
    app, _, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    taken = send(curator, "propose", id="presstv-manila-talks-2017-08-07")
    assert taken.status_code == 409 and "already exists" in alert(taken)
    assert page_of(taken).cssselect("#id")[0].get("aria-invalid") == "true"
    tampered = send(
        curator, "propose", **{"derived_from-0-source": "no-such-source", "derived_from-0-relation": "rewrite"}
    )
    assert tampered.status_code == 422 and "no-such-source" in alert(tampered)
    half = send(curator, "propose", **{"derived_from-1-source": "presstv-manila-talks-2017-08-07"})
    assert half.status_code == 422
    assert (
        page_of(half).cssselect("#derived_from-1-error")[0].text_content()
        == "Choose the source it derives from and how."
    )
    assert page_of(half).cssselect("#derived_from-1-source option[selected]")[0].get("value") == (
        "presstv-manila-talks-2017-08-07"
    )
    assert changes(app) == []


def test_an_editor_may_add_one_too_and_a_signed_out_browser_is_sent_to_sign_in(curation):
    app, client, tokens = curation
    assert client.get(NEW).status_code == 303
    assert client.post(NEW, data=filled()).status_code == 403  # no session: no form is taken
    editor = signed_in_client(app, tokens["editor"])
    assert send(editor, "propose").status_code == 303
