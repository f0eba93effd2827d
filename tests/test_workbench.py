"""The workbench (service/workbench): signing in and out with a server-side session, the cookies, forgery protection,
slowed failed sign-ins, and the signed-in person's own changes, as a browser without script meets them.

Every test that signs in works on a database of its own (the `curation` fixture): sessions and failed sign-ins are
rows. The same module runs on PostgreSQL through scripts/test-postgres.sh.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from datetime import timedelta

import html5lib
import lxml.html
import pytest

from service import create_app
from service.store import models as m
from service.store.db import db
from service.store.sessions import now
from service.store.tokens import issue_token, revoke_token, token_for
from service.web.cache import response_cache
from service.workbench.auth import SIGN_IN_FORM_SECONDS

SIGN_IN = "/workbench/sign-in"
HOME = "/workbench/"
CHANGES = "/workbench/changes"
SIGN_OUT = "/workbench/sign-out"


def page_of(response) -> lxml.html.HtmlElement:
    assert response.mimetype == "text/html", response.get_data(as_text=True)[:300]
    return lxml.html.fromstring(response.get_data(as_text=True))


def csrf_of(response) -> str:
    (field,) = page_of(response).cssselect('form[method="post"] input[name="csrf_token"]')[:1]
    return field.get("value")


def alert(response) -> str:
    return " ".join(e.text_content().strip() for e in page_of(response).cssselect('[role="alert"]'))


def set_cookies(response) -> dict[str, str]:
    """Each cookie the answer sets, by name, with its attributes as sent."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("kb_session", path="/workbench")
    return cookie.value if cookie is not None else None


def sign_in(client, token: str, **kwargs):
    """Fetch the sign-in form, send it with `token`; the answer to the sending."""
    form = client.get(SIGN_IN, **kwargs)
    assert form.status_code == 200, form.get_data(as_text=True)[:300]
    return client.post(SIGN_IN, data={"token": token, "csrf_token": csrf_of(form)}, **kwargs)


def signed_in_client(app, token: str):
    client = app.test_client()
    answer = sign_in(client, token)
    assert answer.status_code == 303 and answer.headers["Location"] == HOME, answer.get_data(as_text=True)[:500]
    return client


def rows(app, model) -> list:
    with app.app_context(), db.connection_context():
        return list(model.select())


def in_database(app, work):
    with app.app_context(), db.connection_context():
        return work()


def name_of(app, token: str) -> str:
    return in_database(app, lambda: token_for(token).name)


def test_the_sign_in_page_is_a_form_for_a_token_that_scripts_never_see(curation):
    app, client, _ = curation
    response = client.get(SIGN_IN)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    policy = response.headers["Content-Security-Policy"]
    assert "form-action 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = page_of(response)
    (form,) = page.cssselect("form.workbench-form")
    assert form.get("method") == "post" and form.get("action") == SIGN_IN
    (token,) = form.cssselect('input[name="token"]')
    assert token.get("type") == "password" and token.get("value") is None
    (label,) = page.cssselect('label[for="token"]')
    assert label.text_content() == "Your token"
    assert not page.cssselect("script:not([src]), style, [style]")  # nothing inline
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(response.get_data(as_text=True))
    assert not parser.errors
    # The form's CSRF token is bound to a short-lived pre-session cookie, which no script can read.
    pre_session = set_cookies(response)["kb_sign_in"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/workbench", f"Max-Age={SIGN_IN_FORM_SECONDS}"):
        assert attribute in pre_session.split("; "), pre_session
    assert "Secure" not in pre_session.split("; ")  # plain HTTP here: a Secure cookie would never come back
    # Reloading the form keeps the pre-session, and with it the token: two tabs of the form both work.
    again = client.get(SIGN_IN)
    assert "kb_sign_in" not in set_cookies(again) and csrf_of(again) == csrf_of(response)
    assert not rows(app, m.WorkbenchSession)


def test_signing_in_opens_a_session_the_database_knows_only_by_its_digest(curation):
    app, client, tokens = curation
    response = sign_in(client, tokens["curator"])
    assert response.status_code == 303 and response.headers["Location"] == HOME
    cookie = set_cookies(response)["kb_session"]
    attributes = cookie.split("; ")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/workbench", f"Max-Age={app.config['KB_SESSION_LIFETIME']}"):
        assert attribute in attributes, cookie
    assert any(a.startswith("Expires=") for a in attributes) and "Secure" not in attributes
    assert "kb_sign_in=;" in set_cookies(response)["kb_sign_in"]  # the pre-session is spent
    session_id = session_cookie(client)
    assert len(session_id) >= 43  # 256 random bits
    (row,) = rows(app, m.WorkbenchSession)
    assert row.digest == hashlib.sha256(session_id.encode()).hexdigest() and session_id not in row.digest
    assert row.token.name == name_of(app, tokens["curator"])
    assert row.last_seen_at == row.created_at
    assert row.expires_at - row.created_at == timedelta(seconds=app.config["KB_SESSION_LIFETIME"])
    assert row.idle_expires_at - row.created_at == timedelta(seconds=app.config["KB_SESSION_IDLE_TIMEOUT"])
    home = client.get(HOME)
    assert home.status_code == 200 and home.headers["Cache-Control"] == "no-store"
    page = page_of(home)
    assert page.cssselect("h1")[0].text_content() == f"Signed in as {row.token.name}"
    assert "curator: proposes changes" in page.cssselect("dl.meta")[0].text_content()
    for answer in (response, home):
        assert tokens["curator"] not in answer.get_data(as_text=True)
        assert session_id not in answer.get_data(as_text=True)
    # Signed in, the sign-in page sends to the home page.
    assert client.get(SIGN_IN).headers["Location"] == HOME


def test_the_cookies_are_secure_over_tls_and_behind_a_trusted_proxy_that_terminates_it(curation, loaded_database):
    app, _, tokens = curation
    over_tls = app.test_client()
    answer = sign_in(over_tls, tokens["curator"], base_url="https://kb.example.org")
    assert "Secure" in set_cookies(answer)["kb_session"].split("; ")
    url = app.config["DATABASE_URL"]
    proxied = create_app({"DATABASE_URL": url, "TESTING": True, "KB_PROXY_HOPS": 1}).test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    form = proxied.get(SIGN_IN, headers=forwarded)
    assert "Secure" in set_cookies(form)["kb_sign_in"].split("; ")
    # A request straight to the service, with nobody trusted to say how it came: the header is not believed.
    direct = app.test_client().get(SIGN_IN, headers=forwarded)
    assert "Secure" not in set_cookies(direct)["kb_sign_in"].split("; ")


def test_signing_out_ends_the_session_on_the_server(curation):
    app, _, tokens = curation
    client = signed_in_client(app, tokens["curator"])
    session_id = session_cookie(client)
    home = client.get(HOME)
    out = client.post(SIGN_OUT, data={"csrf_token": csrf_of(home)})
    assert out.status_code == 303 and out.headers["Location"] == f"{SIGN_IN}?notice=signed-out"
    assert "kb_session=;" in set_cookies(out)["kb_session"]
    assert not rows(app, m.WorkbenchSession)
    notice = client.get(out.headers["Location"])
    assert "You are signed out" in page_of(notice).cssselect('[role="status"]')[0].text_content()
    # The old cookie, sent again by anyone who kept it, opens nothing: the server no longer knows the session.
    thief = app.test_client()
    for url in (HOME, CHANGES):
        thief.set_cookie("kb_session", session_id, path="/workbench")
        answer = thief.get(url)
        assert answer.status_code == 303 and answer.headers["Location"] == f"{SIGN_IN}?notice=ended"
        assert "kb_session=;" in set_cookies(answer)["kb_session"]  # and the dead cookie is cleared
    refused = thief.post(SIGN_OUT, data={"csrf_token": csrf_of(home)})
    assert refused.status_code == 303  # signing out of no session: already done


def test_a_revoked_token_ends_its_sessions(curation):
    app, _, tokens = curation
    curator = signed_in_client(app, tokens["curator"])
    editor = signed_in_client(app, tokens["editor"])
    assert len(rows(app, m.WorkbenchSession)) == 2
    in_database(app, lambda: revoke_token(name_of(app, tokens["curator"])))
    assert [row.token.role for row in rows(app, m.WorkbenchSession)] == ["editor"]
    assert curator.get(HOME).headers["Location"] == f"{SIGN_IN}?notice=ended"
    assert editor.get(HOME).status_code == 200
    # Revoked, the token cannot open a session again, and is refused as an unknown one is.
    assert sign_in(app.test_client(), tokens["curator"]).status_code == 403


def test_a_session_of_a_revoked_token_is_refused_even_if_its_row_remained(curation):
    app, _, tokens = curation
    client = signed_in_client(app, tokens["curator"])
    name = name_of(app, tokens["curator"])
    in_database(app, lambda: m.Token.update(revoked_at=now()).where(m.Token.name == name).execute())
    assert client.get(HOME).headers["Location"] == f"{SIGN_IN}?notice=ended"


@pytest.mark.parametrize("expiry", ["idle_expires_at", "expires_at"])
def test_a_session_ends_at_its_idle_and_its_absolute_expiry(curation, expiry):
    app, _, tokens = curation
    client = signed_in_client(app, tokens["curator"])
    past = now() - timedelta(seconds=1)
    in_database(app, lambda: m.WorkbenchSession.update(**{expiry: past}).execute())
    answer = client.get(HOME)
    assert answer.headers["Location"] == f"{SIGN_IN}?notice=ended"
    assert not rows(app, m.WorkbenchSession)  # deleted as it was found


def test_a_request_moves_the_idle_expiry_on_but_never_past_the_absolute_one(curation):
    app, _, tokens = curation
    client = signed_in_client(app, tokens["curator"])
    earlier = now() - timedelta(minutes=5)
    in_database(
        app,
        lambda: m.WorkbenchSession.update(
            last_seen_at=earlier, idle_expires_at=earlier + timedelta(minutes=60)
        ).execute(),
    )
    assert client.get(HOME).status_code == 200
    (row,) = rows(app, m.WorkbenchSession)
    assert row.last_seen_at > earlier
    assert row.idle_expires_at == row.last_seen_at + timedelta(seconds=app.config["KB_SESSION_IDLE_TIMEOUT"])
    soon = now() + timedelta(minutes=10)
    in_database(app, lambda: m.WorkbenchSession.update(last_seen_at=earlier, expires_at=soon).execute())
    assert client.get(HOME).status_code == 200
    (row,) = rows(app, m.WorkbenchSession)
    assert row.idle_expires_at == soon


def test_the_lifetimes_are_settings(curation):
    app, _, tokens = curation
    short = create_app(
        {"DATABASE_URL": app.config["DATABASE_URL"], "KB_SESSION_LIFETIME": 600, "KB_SESSION_IDLE_TIMEOUT": 120}
    )
    answer = sign_in(short.test_client(), tokens["curator"])
    assert "Max-Age=600" in set_cookies(answer)["kb_session"].split("; ")
    (row,) = rows(app, m.WorkbenchSession)
    assert (row.expires_at - row.created_at, row.idle_expires_at - row.created_at) == (
        timedelta(seconds=600),
        timedelta(seconds=120),
    )
    page = page_of(short.test_client().get(SIGN_IN)).cssselect("header.page-head")[0].text_content()
    assert "after 2 minutes without a request, or 10 minutes after you signed in" in page
    for name, value in (("KB_SESSION_LIFETIME", 0), ("KB_SIGN_IN_FAILURES", -1), ("KB_SIGN_IN_WINDOW", "x")):
        with pytest.raises(ValueError, match=name):
            create_app({"DATABASE_URL": app.config["DATABASE_URL"], name: value})


def test_every_refused_token_gets_the_same_answer(curation):
    """Unknown, revoked, mistyped, malformed or absurd: the same status and the same page, so that the answer never
    says whether a token exists; none of them opens a session."""
    app, _, tokens = curation
    client = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "KB_SIGN_IN_FAILURES": 100}).test_client()
    revoked = in_database(app, lambda: issue_token("soon-revoked", "curator"))
    in_database(app, lambda: revoke_token("soon-revoked"))
    candidates = [
        "skb_" + "A" * 43,  # well-formed, unknown
        revoked,
        tokens["curator"][:-1],  # one character short
        tokens["curator"] + "x",
        "not-a-token",
        "skb_" + "x" * 500,
        "skb_\x00abc",
        "ﬁ\u202eskb_",
    ]
    form = client.get(SIGN_IN)
    answers = [client.post(SIGN_IN, data={"token": token, "csrf_token": csrf_of(form)}) for token in candidates]
    assert {a.status_code for a in answers} == {403}
    assert len({a.get_data() for a in answers}) == 1
    assert alert(answers[0]) == "That token was not accepted. Check it and try again."
    assert not rows(app, m.WorkbenchSession)
    # An admin's token is real, but not for the workbench: refused, and said so to the one who holds it.
    admin = client.post(SIGN_IN, data={"token": tokens["admin"], "csrf_token": csrf_of(form)})
    assert admin.status_code == 403 and "the workbench is for curators and editors" in alert(admin)
    empty = client.post(SIGN_IN, data={"token": "  ", "csrf_token": csrf_of(form)})
    assert empty.status_code == 400 and alert(empty) == "Enter your token."
    assert not rows(app, m.WorkbenchSession)


def test_repeated_failed_sign_ins_from_one_address_are_slowed_in_every_worker(curation):
    app, _, tokens = curation
    url = app.config["DATABASE_URL"]
    settings = {"DATABASE_URL": url, "TESTING": True, "KB_SIGN_IN_FAILURES": 3, "KB_SIGN_IN_WINDOW": 600}
    first, second = create_app(settings), create_app(settings)  # two workers, one database
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    client = first.test_client()
    for _ in range(3):
        assert sign_in(client, "skb_" + "B" * 43, environ_base=attacker).status_code == 403
    assert len(rows(app, m.SignInFailure)) == 3
    # The fourth try is refused before the token is looked at: even the right token.
    for worker in (first, second):
        slowed = sign_in(worker.test_client(), tokens["curator"], environ_base=attacker)
        assert slowed.status_code == 429
        assert 0 < int(slowed.headers["Retry-After"]) <= 600
        assert "Too many failed sign-ins from your address: try again in 10 minutes." == alert(slowed)
    assert not rows(app, m.WorkbenchSession) and len(rows(app, m.SignInFailure)) == 3  # refusals count no more
    # Another address is not held up by this one's failures.
    assert (
        sign_in(second.test_client(), tokens["curator"], environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code
        == 303
    )
    # Once the failures have left the window, the address may try again.
    in_database(app, lambda: m.SignInFailure.update(failed_at=now() - timedelta(seconds=601)).execute())
    assert sign_in(client, tokens["curator"], environ_base=attacker).status_code == 303
    # A later failure clears the failures that left the window, anyone's: the table keeps only the window's.
    assert sign_in(first.test_client(), "skb_" + "C" * 43, environ_base=attacker).status_code == 403
    assert len(rows(app, m.SignInFailure)) == 1


def test_behind_a_trusted_proxy_failures_are_counted_by_the_forwarded_address(curation):
    app, _, _ = curation
    settings = {"DATABASE_URL": app.config["DATABASE_URL"], "KB_PROXY_HOPS": 1, "KB_SIGN_IN_FAILURES": 1}
    client = create_app(settings).test_client()
    forwarded = {"X-Forwarded-For": "192.0.2.44"}
    assert sign_in(client, "skb_" + "D" * 43, headers=forwarded).status_code == 403
    assert [row.client for row in rows(app, m.SignInFailure)] == ["192.0.2.44"]
    assert sign_in(client, "skb_" + "D" * 43, headers=forwarded).status_code == 429
    assert sign_in(client, "skb_" + "D" * 43, headers={"X-Forwarded-For": "192.0.2.45"}).status_code == 403


def test_a_form_without_the_csrf_token_or_with_another_is_refused(curation):
    app, client, tokens = curation
    form = client.get(SIGN_IN)
    for data in ({"token": tokens["curator"]}, {"token": tokens["curator"], "csrf_token": "0" * 64}):
        refused = client.post(SIGN_IN, data=data)
        assert refused.status_code == 403 and "CSRF token" in alert(refused)
    # The token of another browser's form (another pre-session) does not fit this browser's.
    other = app.test_client().get(SIGN_IN)
    assert csrf_of(other) != csrf_of(form)
    assert client.post(SIGN_IN, data={"token": tokens["curator"], "csrf_token": csrf_of(other)}).status_code == 403
    # Without the pre-session cookie (a browser that refuses it, or a page elsewhere posting here), nothing fits.
    bare = app.test_client()
    assert bare.post(SIGN_IN, data={"token": tokens["curator"], "csrf_token": csrf_of(form)}).status_code == 403
    assert not rows(app, m.WorkbenchSession) and not rows(app, m.SignInFailure)
    # Signed in, a form needs the session's own token: not the sign-in form's, not another session's.
    client = signed_in_client(app, tokens["curator"])
    other = signed_in_client(app, tokens["editor"])
    for data in ({}, {"csrf_token": csrf_of(form)}, {"csrf_token": csrf_of(other.get(HOME))}):
        refused = client.post(SIGN_OUT, data=data)
        assert refused.status_code == 403 and "CSRF token" in alert(refused)
    assert len(rows(app, m.WorkbenchSession)) == 2  # nothing was signed out
    # A script of the workbench's own pages sends it as a header instead.
    assert client.post(SIGN_OUT, headers={"X-CSRF-Token": csrf_of(client.get(HOME))}).status_code == 303
    assert len(rows(app, m.WorkbenchSession)) == 1


def test_a_pre_session_older_than_the_form_lasts_is_refused(curation):
    app, client, tokens = curation
    stale = f"{int(time.time()) - SIGN_IN_FORM_SECONDS - 1}.{'x' * 43}"
    client.set_cookie("kb_sign_in", stale, path="/workbench")
    form = client.get(SIGN_IN)  # a new pre-session replaces the stale one
    assert set_cookies(form)["kb_sign_in"] != f"kb_sign_in={stale}"
    client.set_cookie("kb_sign_in", stale, path="/workbench")
    refused = client.post(SIGN_IN, data={"token": tokens["curator"], "csrf_token": csrf_of(form)})
    assert refused.status_code == 403 and "has expired" in alert(refused)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},  # an older browser: no Fetch Metadata
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site's page for the workbench
        {"Origin": "null"},  # a sandboxed frame, a redirect from elsewhere
    ],
    ids=["origin-and-fetch-metadata", "origin", "fetch-metadata", "same-site", "null-origin"],
)
def test_a_cross_site_form_post_is_refused_even_with_a_valid_csrf_token(curation, headers):
    app, _, tokens = curation
    client = app.test_client()
    form = client.get(SIGN_IN)
    refused = client.post(SIGN_IN, data={"token": tokens["curator"], "csrf_token": csrf_of(form)}, headers=headers)
    assert refused.status_code == 403
    assert not rows(app, m.WorkbenchSession) and not rows(app, m.SignInFailure)
    client = signed_in_client(app, tokens["curator"])
    refused = client.post(SIGN_OUT, data={"csrf_token": csrf_of(client.get(HOME))}, headers=headers)
    assert refused.status_code == 403 and "only the workbench's own pages may send it" in alert(refused)
    assert len(rows(app, m.WorkbenchSession)) == 1


def test_a_same_origin_form_post_is_taken(curation):
    app, _, tokens = curation
    client = app.test_client()
    form = client.get(SIGN_IN)
    same = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert (
        client.post(SIGN_IN, data={"token": tokens["curator"], "csrf_token": csrf_of(form)}, headers=same).status_code
        == 303
    )


def test_behind_a_proxy_not_trusted_a_post_from_the_public_origin_says_what_to_set(curation):
    """The service sees http://localhost while the browser is on https://kb.example.org: refused, naming the fix."""
    app, client, tokens = curation
    form = client.get(SIGN_IN)
    refused = client.post(
        SIGN_IN,
        data={"token": tokens["curator"], "csrf_token": csrf_of(form)},
        headers={"Origin": "https://kb.example.org", "Sec-Fetch-Site": "same-origin"},
    )
    assert refused.status_code == 403 and "KB_PROXY_HOPS" in alert(refused)


def test_a_session_cookie_alone_does_not_authorise_the_json_api(curation):
    app, _, tokens = curation
    client = signed_in_client(app, tokens["editor"])
    cookie = {"Cookie": f"kb_session={session_cookie(client)}"}
    proposal = {
        "kind": "topic",
        "action": "create",
        "id": "cookie-topic",
        "summary": "s",
        "record": {"description": "A topic a cookie tried to propose."},
    }
    for method, url, body in (
        ("POST", "/api/v1/changes", proposal),
        ("GET", "/api/v1/changes", None),
        ("GET", "/api/v1/token", None),
    ):
        answer = app.test_client().open(url, method=method, json=body, headers=cookie)
        assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="sanctions-kb"'
    assert not rows(app, m.Change)
    # The API's bearer tokens work as they always did.
    bearer = {"Authorization": f"Bearer {tokens['editor']}"}
    assert app.test_client().post("/api/v1/changes", json=proposal, headers=bearer).status_code == 201


def test_workbench_answers_are_never_cached_nor_opened_to_other_origins(curation):
    app, _, tokens = curation
    anna = signed_in_client(app, tokens["curator"])
    assert anna.get(HOME).status_code == 200 and anna.get(CHANGES).status_code == 200
    anonymous = app.test_client()
    for url in (HOME, CHANGES):
        answer = anonymous.get(url)
        assert answer.status_code == 303 and answer.headers["Cache-Control"] == "no-store"
    stats = response_cache(app).stats()
    assert len(response_cache(app)) == 0 and stats.hits == stats.misses == 0  # never even looked up
    for url in (SIGN_IN, HOME):
        answer = anna.get(url, headers={"Origin": "https://other.example"})
        assert not [name for name in answer.headers.keys() if name.lower().startswith("access-control-")]
    preflight = anna.options(
        SIGN_OUT, headers={"Origin": "https://other.example", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_your_changes_are_the_changes_the_api_lists_for_your_token(curation):
    app, client, tokens = curation
    curator, editor = tokens["curator"], tokens["editor"]

    def propose(token, topic):
        answer = client.post(
            "/api/v1/changes",
            json={
                "kind": "topic",
                "action": "create",
                "id": topic,
                "summary": f"Add {topic}",
                "record": {"description": "d"},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()["id"]

    published, rejected, pending = (propose(curator, f"wb-topic-{n}") for n in range(3))
    theirs = propose(tokens["curator2"], "wb-topic-other")
    ours_by_editor = propose(editor, "wb-topic-editor")
    review = {"Authorization": f"Bearer {editor}"}
    assert client.post(f"/api/v1/changes/{published}/approve", headers=review).status_code == 200
    assert (
        client.post(
            f"/api/v1/changes/{rejected}/reject", json={"note": "Not a topic <b>we</b> use."}, headers=review
        ).status_code
        == 200
    )
    bearer = {"Authorization": f"Bearer {curator}"}
    api = client.get("/api/v1/changes?page_size=100", headers=bearer).get_json()
    assert [c["id"] for c in api] == [pending, rejected, published]

    signed_in = signed_in_client(app, curator)
    page = page_of(signed_in.get(CHANGES))
    listed = [int(li.get("id").removeprefix("change-")) for li in page.cssselect("ol.changes li")]
    assert listed == [c["id"] for c in api] and theirs not in listed and ours_by_editor not in listed
    statuses = [li.get("class").split()[1] for li in page.cssselect("ol.changes li")]
    assert statuses == [c["status"] for c in api]
    tabs = [a.text_content() for a in page.cssselect("nav.tabs a")]
    assert tabs == ["All (3)", "Pending (1)", "Published (1)", "Rejected (1)"]
    (note,) = page.cssselect(f"#change-{rejected} .review-note")
    assert note.text_content() == "The editor's note: Not a topic <b>we</b> use."  # shown as text, never as markup
    (link,) = page.cssselect(f"#change-{published} a.record-page")
    assert link.get("href") == "/topics/wb-topic-0" and signed_in.get(link.get("href")).status_code == 200
    assert not page.cssselect(f"#change-{pending} a.record-page")  # not published: no page yet
    for status in ("pending", "published", "rejected"):
        one = page_of(signed_in.get(f"{CHANGES}?status={status}"))
        wanted = [c["id"] for c in api if c["status"] == status]
        assert [int(li.get("id").removeprefix("change-")) for li in one.cssselect("ol.changes li")] == wanted
        assert one.cssselect('nav.tabs a[aria-current="page"]')[0].text_content().startswith(status.capitalize())
    home = page_of(signed_in.get(HOME))
    assert [int(li.get("id").removeprefix("change-")) for li in home.cssselect("ol.changes li")] == listed
    assert [a.text_content() for a in home.cssselect("p.counts a")] == ["1 pending", "1 published", "1 rejected"]
    # Pages of them, as the API pages them.
    paged = page_of(signed_in.get(f"{CHANGES}?page=2&page_size=2"))
    assert [int(li.get("id").removeprefix("change-")) for li in paged.cssselect("ol.changes li")] == [published]
    assert paged.cssselect('a[rel="prev"]')[0].get("href") == f"{CHANGES}?page=1&page_size=2"
    # An editor's own changes, not the whole queue the API shows an editor.
    editors = page_of(signed_in_client(app, editor).get(CHANGES))
    assert [int(li.get("id").removeprefix("change-")) for li in editors.cssselect("ol.changes li")] == [ours_by_editor]


def test_the_home_page_offers_each_role_what_it_may_do(curation):
    app, _, tokens = curation
    curator = page_of(signed_in_client(app, tokens["curator"]).get(HOME))
    editor = page_of(signed_in_client(app, tokens["editor"]).get(HOME))
    titles = lambda page: [  # noqa: E731
        e.text_content() for e in page.cssselect("ul.sections li > a, ul.sections li > .section-title")
    ]
    assert titles(curator) == ["Your changes", "Cite a passage", "Add an article"]
    assert titles(editor) == ["Review queue", "Your changes", "Cite a passage", "Add an article"]
    assert [a.get("href") for a in curator.cssselect("ul.sections li > a")] == [
        CHANGES,
        "/workbench/sources",
        "/workbench/articles/new",
    ]
    assert [a.get("href") for a in editor.cssselect("ul.sections li > a")] == [
        "/workbench/review",
        CHANGES,
        "/workbench/sources",
        "/workbench/articles/new",
    ]
    (sign_out,) = curator.cssselect("header.site form.sign-out")
    assert sign_out.get("method") == "post" and sign_out.get("action") == SIGN_OUT
    assert sign_out.cssselect('input[name="csrf_token"]') and sign_out.cssselect('button[type="submit"]')


@pytest.mark.parametrize(
    "query, status, words",
    [
        ("status=bogus", 422, "Must be one of: pending, published, rejected"),
        ("page=0", 422, "page"),
        ("page=abc", 422, "page"),
        ("page_size=1000", 422, "page_size"),
        ("colour=red", 422, "colour: Unknown field."),
        ("page=9", 404, "page 9 is out of range"),
    ],
)
def test_bad_input_is_an_error_page_never_a_failure(curation, query, status, words):
    app, _, tokens = curation
    client = signed_in_client(app, tokens["curator"])
    answer = client.get(f"{CHANGES}?{query}")
    assert answer.status_code == status and answer.headers["Cache-Control"] == "no-store"
    assert words in alert(answer)
    assert page_of(answer).cssselect("h1")[0].text_content()


def test_unusable_or_oversized_form_input_is_refused_as_a_page(curation):
    app, client, tokens = curation
    form = client.get(SIGN_IN)
    huge = client.post(
        SIGN_IN, data={"token": "x" * (2 * app.config["KB_MAX_BODY_BYTES"]), "csrf_token": csrf_of(form)}
    )
    assert huge.status_code == 413 and "KB_MAX_BODY_BYTES" in alert(huge)
    undecodable = client.post(
        SIGN_IN,
        data=b"token=%FF%FE&csrf_token=" + csrf_of(form).encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert undecodable.status_code == 403 and alert(undecodable).startswith("That token was not accepted")
    as_json = client.post(SIGN_IN, json={"token": tokens["curator"], "csrf_token": csrf_of(form)})
    assert as_json.status_code == 403 and "CSRF token" in alert(as_json)
    guarded = client.get(f"{SIGN_IN}?notice=%00")
    assert guarded.status_code == 422 and guarded.mimetype == "text/html"


def test_a_read_only_deployment_has_no_workbench(curation):
    app, _, tokens = curation
    read_only = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "KB_READ_ONLY": True}).test_client()
    form = read_only.get(SIGN_IN)
    assert form.status_code == 200 and not page_of(form).cssselect("form.workbench-form")
    assert "read-only" in page_of(form).cssselect('[role="status"]')[0].text_content()
    refused = read_only.post(SIGN_IN, data={"token": tokens["curator"]})
    assert refused.status_code == 403
    assert not rows(app, m.WorkbenchSession)


def test_signing_in_again_never_keeps_the_session_the_browser_held(curation):
    app, _, tokens = curation
    client = signed_in_client(app, tokens["curator"])
    first = session_cookie(client)
    client.set_cookie("kb_session", first, path="/workbench")
    form = client.get(SIGN_IN)
    assert form.status_code == 303  # signed in: to the home page
    client.delete_cookie("kb_session", path="/workbench")
    form = client.get(SIGN_IN)
    client.set_cookie("kb_session", first, path="/workbench")  # (an old session id planted in the browser)
    answer = client.post(SIGN_IN, data={"token": tokens["editor"], "csrf_token": csrf_of(form)})
    assert answer.status_code == 303
    assert session_cookie(client) != first
    assert [row.token.role for row in rows(app, m.WorkbenchSession)] == ["editor"]


def test_tokens_and_session_ids_are_never_logged(curation, caplog):
    app, _, tokens = curation
    caplog.set_level(logging.DEBUG)
    client = signed_in_client(app, tokens["curator"])
    session_id = session_cookie(client)
    client.get(HOME)
    client.get(CHANGES)
    sign_in(app.test_client(), tokens["curator"] + "x")
    client.post(SIGN_OUT, data={"csrf_token": csrf_of(client.get(HOME))})
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert tokens["curator"] not in logged and session_id not in logged
    assert re.search(r"skb_[A-Za-z0-9_-]{20,}", logged) is None


def test_every_error_under_the_workbench_is_a_page_and_the_apis_stay_problems(curation):
    app, client, _ = curation
    for method, url, status in (("GET", "/workbench/nope", 404), ("PUT", SIGN_IN, 405), ("GET", SIGN_OUT, 405)):
        answer = client.open(url, method=method)
        assert answer.status_code == status and answer.mimetype == "text/html"
        assert answer.headers["Cache-Control"] == "no-store"
        assert "form-action 'self'" in answer.headers["Content-Security-Policy"]
        assert str(status) in page_of(answer).cssselect(".eyebrow")[0].text_content() and alert(answer)
    assert client.get("/api/v1/nope").mimetype == "application/problem+json"
    assert client.get("/sources/nope").mimetype == "application/problem+json"


def test_the_csrf_token_is_taken_from_the_form_or_the_header_only(curation):
    app, _, tokens = curation
    client = app.test_client()
    form = client.get(SIGN_IN)
    in_query = client.post(f"{SIGN_IN}?csrf_token={csrf_of(form)}", data={"token": tokens["curator"]})
    assert in_query.status_code == 403 and "CSRF token" in alert(in_query)
    repeated = client.post(
        SIGN_IN, data={"token": [tokens["curator"], "skb_other"], "csrf_token": ["wrong", csrf_of(form)]}
    )
    assert repeated.status_code == 403  # the first of each is read, as a browser's form sends one
    assert not rows(app, m.WorkbenchSession)


def test_signing_in_over_a_dead_session_cookie_keeps_the_new_one(curation):
    app, _, tokens = curation
    client = app.test_client()
    form = client.get(SIGN_IN)
    client.set_cookie("kb_session", "an-ended-session-" + "x" * 30, path="/workbench")
    answer = client.post(SIGN_IN, data={"token": tokens["curator"], "csrf_token": csrf_of(form)})
    assert answer.status_code == 303
    (cookie,) = [h for h in answer.headers.getlist("Set-Cookie") if h.startswith("kb_session=")]
    assert not cookie.startswith("kb_session=;")  # set, not cleared after being set
    assert client.get(HOME).status_code == 200
