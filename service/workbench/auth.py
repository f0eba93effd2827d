"""Sessions and forgery protection for the workbench: who is signed in, the cookies, and the checks every
state-changing request passes.

- The session cookie holds a random id (256 bits) of which the database keeps only a SHA-256 digest
  (store/sessions.py); it is HttpOnly, SameSite=Strict, limited to the workbench's path, Secure when the request came
  over TLS (`request.is_secure`: behind a proxy that terminates TLS, once KB_PROXY_HOPS trusts its
  X-Forwarded-Proto), and expires with the session.
- Every request that is not a GET or HEAD is refused (403) when the browser says it comes from another site
  (`Sec-Fetch-Site`) or another origin (`Origin`), and when it does not carry the CSRF token of the page it was sent
  from: a form field (`csrf_token`) or, from a script, the `X-CSRF-Token` header. That token is an HMAC keyed by the
  session's id, so it is bound to the session and dies with it. The sign-in form has one too, bound the same way to a
  short-lived pre-session cookie, so that no other site can sign a browser in under a token of its choosing.
- Nothing secret is logged or put in a page: not the token, not the session id (only the HMAC of it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import NoReturn, TypeVar

from flask import current_app, g, redirect, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..store.sessions import Session, session_for
from ..web.auth import GRANTS
from ..web.cache import SESSION_PATH
from ..web.guard import echoed

AnyResponse = TypeVar("AnyResponse", bound=Response)
SESSION_COOKIE = "kb_session"
SIGN_IN_COOKIE = "kb_sign_in"  # the pre-session of the sign-in form: its CSRF token's key
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# What each CSRF token is the HMAC of, keyed by the session's id or the sign-in form's pre-session.
SESSION_CSRF = b"sanctions-kb workbench csrf"
SIGN_IN_CSRF = b"sanctions-kb workbench sign-in csrf"
# Seconds a sign-in form stays good for: its pre-session cookie expires then, and a later submission is refused.
SIGN_IN_FORM_SECONDS = 3600
# The roles that may sign in: those that may propose changes (an editor's grants include a curator's).
WORKBENCH_ROLES = tuple(role for role, granted in GRANTS.items() if "curator" in granted)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What `Sec-Fetch-Site` may say of a state-changing request: from a page of this origin, or the user's own doing.
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})
SIGN_IN_ENDPOINT = "workbench.sign_in"
SIGN_OUT_ENDPOINT = "workbench.sign_out"


class Refused(HTTPException):
    """A workbench request refused with a status and a message for the person (the workbench's error page shows it);
    `headers` go with the answer (Retry-After...)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        self.code = status
        super().__init__(description=message)
        self.extra_headers = headers or {}


def refuse(status: int, message: str, headers: dict[str, str] | None = None) -> NoReturn:
    raise Refused(status, message, headers)


def current_session() -> Session | None:
    """The session this request belongs to, or None."""
    return g.get("workbench_session")


def cookie_path() -> str:
    """The cookies' path: the workbench's, under the prefix the service is mounted at."""
    return request.root_path + SESSION_PATH


def set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=cookie_path(),
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )


def clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path=cookie_path(), secure=request.is_secure, httponly=True, samesite="Strict")


def _hmac(key: str, purpose: bytes) -> str:
    return hmac.new(key.encode(), purpose, hashlib.sha256).hexdigest()


def _sign_in_key() -> str | None:
    """The sign-in form's pre-session (`<issued at>.<random>`), if the browser holds one still good; else None."""
    value = request.cookies.get(SIGN_IN_COOKIE, "")
    issued, _, nonce = value.partition(".")
    if not issued.isdigit() or len(nonce) < 32 or len(value) > 100:
        return None
    return value if 0 <= time.time() - int(issued) < SIGN_IN_FORM_SECONDS else None


def csrf_token() -> str:
    """The CSRF token of this page's forms: bound to the session, or before one to the sign-in form's pre-session
    (which this answer then sets, if the browser holds none still good)."""
    if g.get("workbench_session_id"):
        return _hmac(g.workbench_session_id, SESSION_CSRF)
    key = _sign_in_key() or g.get("new_sign_in_key")
    if key is None:
        key = g.new_sign_in_key = f"{int(time.time())}.{secrets.token_urlsafe(32)}"
    return _hmac(key, SIGN_IN_CSRF)


def csrf_field() -> Markup:
    """The hidden field that carries the CSRF token, for every form that changes something."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(csrf_token()))


def load_session() -> None:
    """Find the request's session from its cookie (an unknown, expired or revoked one is cleared on the way out)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return
    session = session_for(session_id, current_app.config["KB_SESSION_IDLE_TIMEOUT"])
    if session is None:
        g.dead_session_cookie = True
        return
    g.workbench_session, g.workbench_session_id = session, session_id


def protect() -> Response | None:
    """Refuse a state-changing request from another site, or without the CSRF token of its session (of the sign-in
    form's pre-session, for a sign-in)."""
    if request.method in SAFE_METHODS:
        return None
    refuse_cross_site()
    if request.endpoint == SIGN_IN_ENDPOINT:
        key = _sign_in_key()
        expected = _hmac(key, SIGN_IN_CSRF) if key else None
        stale = "the sign-in form has expired (it lasts an hour) or this browser does not take its cookie"
    elif current_session() is None:
        if request.endpoint == SIGN_OUT_ENDPOINT:  # signed out already: what was asked for
            return redirect(url_for("workbench.sign_in", notice="signed-out"), 303)
        refuse(403, "your session has ended (signed out, expired, or its token revoked): sign in again")
    else:
        expected = csrf_token()
        stale = "the page this form came from belongs to another session"
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
        what = "carries no CSRF token" if not given else "carries a CSRF token that does not match"
        refuse(403, f"this form {what}: {stale}. Reload the page and send it again.")
    return None


def own_origin() -> str:
    return f"{request.scheme}://{request.host}".lower()


def refuse_cross_site() -> None:
    """403 for a request a browser says another site sent (Sec-Fetch-Site), or a page of another origin (Origin)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site.strip().lower() not in SAME_SITE_FETCHES:
        refuse(
            403,
            f"this request came from another site (Sec-Fetch-Site: {echoed(fetch_site)}): only the workbench's own pages may "
            "send it",
        )
    origin = request.headers.get("Origin")
    if origin is not None and origin.strip().rstrip("/").lower() != own_origin():
        refuse(
            403,
            f"this request came from a page of {echoed(origin)}, not of this service ({own_origin()}): only the workbench's "
            "own pages may send it (behind a proxy that terminates TLS or rewrites the host, set KB_PROXY_HOPS so "
            "that the service sees the address its users see)",
        )


def page_headers(response: AnyResponse) -> AnyResponse:
    """What every workbench answer sends: never stored by anyone, under the workbench's policy."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def finish(response: AnyResponse) -> AnyResponse:
    """Every answer of a workbench view: its headers, and the cookies to set or clear."""
    page_headers(response)
    if g.get("dead_session_cookie"):
        clear_cookie(response, SESSION_COOKIE)
    if g.get("new_sign_in_key"):
        set_cookie(response, SIGN_IN_COOKIE, g.new_sign_in_key, SIGN_IN_FORM_SECONDS)
    return response


# The pages' policy (service/pages/views.py), but that the workbench's forms are sent to this service, and its
# fact picker asks the search API as the curator types (connect-src).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def signed_in(*roles: str) -> Callable:
    """Let the view run for a session whose role grants one of `roles` (any workbench role when none are named):
    without a session, to the sign-in page; with a role that does not grant them, 403. The session is
    `current_session()`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            session = current_session()
            if session is None:
                notice = "ended" if g.get("dead_session_cookie") else None
                return redirect(url_for("workbench.sign_in", notice=notice), 303)
            if roles and not GRANTS[session.role] & set(roles):
                refuse(403, f"a {session.role} may not do this here; it needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)

        return guarded

    return decorator
