"""The workbench's fact forms (service/workbench/facts.py and forms.py): a new fact of any kind citing a selected
passage, and a correction of a published fact, each a form generated from the kind's create shape, through the
review workflow. Each test has a database of its own."""

from __future__ import annotations

import pytest

from schemas.writes import RECORD_SHAPES
from service.store import models as m
from service.workbench.views import CORRECTABLE as CITING_KINDS
from tests.test_workbench import alert, csrf_of, in_database, page_of, signed_in_client

ARTICLE = "presstv-manila-talks-2017-08-07"
STATEMENT = "ri-seoul-proposals-lacked-sincerity"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def pending(app) -> list:
    return in_database(app, lambda: list(m.Change.select().where(m.Change.status == "pending")))


def passage(client, words: str) -> dict:
    text = client.get(f"/api/v1/sources/{ARTICLE}/text").get_data(as_text=True)
    start = text.index(words)
    return {"source": ARTICLE, "start": str(start), "end": str(start + len(words)), "role": "supports"}


@pytest.mark.parametrize("kind", CITING_KINDS)
def test_every_citing_kind_has_a_form_of_its_create_shape(curation, kind):
    app, client, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    query = "&".join(f"{k}={v}" for k, v in passage(client, "Ri Yong-ho").items())
    page = page_of(curator.get(f"/workbench/new/{kind}?{query}"))
    names = {c.get("name") for c in page.cssselect("form.fact-form [name]")} - {"csrf_token"}
    shape = set(RECORD_SHAPES[kind][0]._declared_fields) - {"citations"}
    assert shape <= names  # a control for each field of the shape; the citations are the passage's
    assert names - shape == {"id", "change_summary", "source", "start", "end", "role", "account"}
    for control in page.cssselect(
        "form.fact-form input:not([type=hidden]), form.fact-form select, form.fact-form textarea"
    ):
        assert page.cssselect(f'label[for="{control.get("id")}"]'), control.get("id")
    assert page.cssselect("section.passage blockquote")[0].text_content() == "Ri Yong-ho"


def test_a_new_statement_from_a_passage_is_proposed_with_the_passage_as_its_citation(curation):
    app, client, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    words = "Ri Yong-ho"
    where = passage(client, words)
    query = "&".join(f"{k}={v}" for k, v in where.items())
    form = curator.get(f"/workbench/new/statement?{query}")
    (speaker,) = page_of(form).cssselect("#speaker")
    assert speaker.get("data-picks") == "entity" and speaker.get("list") == "speaker-options"
    fields = {
        "id": "ri-named-in-manila",
        "speaker": "ri-yong-ho",
        "speaker_as_written": "Ri Yong-ho",
        "said_on": "",
        "date_precision": "unknown",
        "topics": "dialogue, inter-korean-relations",
        "stance": "neutral",
        "summary": "Ri is named among those at the Manila meetings.",
        "attribution": "direct",
        "attribution_chain": "[]",
    }
    sent = curator.post(
        "/workbench/new/statement",
        data={"csrf_token": csrf_of(form), **where, **fields, "change_summary": "Add a statement"},
    )
    assert sent.status_code == 303, alert(sent)
    (change,) = pending(app)
    assert client.post(f"/api/v1/changes/{change.id}/approve", headers=bearer(tokens["editor"])).status_code == 200
    made = client.get("/api/v1/statements/ri-named-in-manila").get_json()
    assert made["topics"] == ["dialogue", "inter-korean-relations"] and made["stance"] == "neutral"
    (cited,) = made["citations"]
    assert (cited["source"], cited["quote"], cited["start"], cited["end"]) == (
        ARTICLE,
        words,
        int(where["start"]),
        int(where["end"]),
    )


def test_a_bad_form_is_refused_field_by_field_and_kept(curation):
    app, client, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    where = passage(client, "Ri Yong-ho")
    query = "&".join(f"{k}={v}" for k, v in where.items())
    form = curator.get(f"/workbench/new/statement?{query}")
    typed = {
        "id": "Bad Id",
        "said_on": "2017-02-30",
        "stance": "maybe",
        "attribution_chain": "[{not json",
        "change_summary": "s",
    }
    answer = curator.post("/workbench/new/statement", data={"csrf_token": csrf_of(form), **where, **typed})
    assert answer.status_code == 422
    page = page_of(answer)
    for name in ("id", "said_on", "stance", "attribution_chain"):
        assert page.cssselect(f"#{name}")[0].get("aria-invalid") == "true", name
        assert page.cssselect(f"#{name}-error"), name
    assert "Not valid JSON" in page.cssselect("#attribution_chain-error")[0].text_content()
    assert page.cssselect("#attribution_chain")[0].text_content() == "[{not json"
    assert page.cssselect("#said_on")[0].get("value") == "2017-02-30"
    assert pending(app) == []
    forged = curator.get(f"/workbench/new/statement?source={ARTICLE}&start=5&end=1")
    assert forged.status_code == 422  # a passage is selected on the article, never made up


def test_a_correction_proposes_only_the_fields_changed(curation):
    app, client, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    url = f"/workbench/edit/statement/{STATEMENT}"
    form = curator.get(url)
    page = page_of(form)
    current = client.get(f"/api/v1/statements/{STATEMENT}").get_json()
    assert page.cssselect("#stance option[selected]")[0].get("value") == current["stance"]
    assert page.cssselect("#topics")[0].get("value") == ", ".join(current["topics"])
    values = form_values(page)
    values.update(stance="neutral", change_summary="The stance is neutral: he rejects the proposals, not talks")
    sent = curator.post(url, data=values)
    assert sent.status_code == 303, alert(sent)
    (change,) = pending(app)
    api = client.get(f"/api/v1/changes/{change.id}", headers=bearer(tokens["editor"])).get_json()
    changed = {k for k in api["record"] if api["record"][k] != api["before"].get(k)}
    assert changed == {"stance"}


def form_values(page) -> dict:
    """What a browser sends of the fact form as it is shown."""
    return {
        control.get("name"): (
            control.text_content()
            if control.tag == "textarea"
            else (
                control.cssselect("option[selected]")[0].get("value") if control.cssselect("option[selected]") else ""
            )
            if control.tag == "select"
            else control.get("value") or ""
        )
        for control in page.cssselect("form.fact-form [name]")
    }


def test_a_correction_made_stale_by_another_s_change_is_a_412_that_names_them_and_offers_a_reload(curation):
    app, client, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    url = f"/workbench/edit/statement/{STATEMENT}"
    page = page_of(curator.get(url))
    seen = page.cssselect('input[name="seen"]')[0].get("value")
    token = csrf_of(curator.get(url))
    api = f"/api/v1/statements/{STATEMENT}"
    other = client.post(
        "/api/v1/changes",
        json={
            "kind": "statement",
            "action": "update",
            "id": STATEMENT,
            "summary": "Neutral",
            "record": {"stance": "neutral"},
        },
        headers={**bearer(tokens["curator2"]), "If-Match": client.get(api).headers["ETag"]},
    )
    assert (
        client.post(f"/api/v1/changes/{other.get_json()['id']}/approve", headers=bearer(tokens["editor"])).status_code
        == 200
    )
    typed = {**form_values(page), "csrf_token": token, "seen": seen, "stance": "supports", "change_summary": "Mine"}
    stale = curator.post(url, data=typed)
    assert stale.status_code == 412
    words = alert(stale)
    assert "someone changed this statement since you opened the form" in words and "revision 1" in words
    assert page_of(stale).cssselect("a#reload")[0].get("href") == url
    assert page_of(stale).cssselect("#change_summary")[0].get("value") == "Mine"  # kept
