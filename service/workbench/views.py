"""The workbench's pages: sign in and out, the home of a signed-in curator or editor, and their own changes.

A client of the same functions the API uses (the token lookup, the review workflow's queries, the change records the
API answers), through a server-side session instead of a bearer token. Its sections are declared once (SECTIONS):
each slice of the workbench adds its own, with the roles it is for.
"""

from __future__ import annotations

import http
import math
from dataclasses import dataclass
from datetime import datetime

import marshmallow as ma
from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from schemas.queries import ChangeQueryArgs
from schemas.vocabulary import CHANGE_STATUSES

from ..knowledge.curation import change_counts, changes_by
from ..knowledge.kinds import BY_NAME, KINDS
from ..pages.views import as_date
from ..resources.changes import change_record
from ..store.sessions import client_key, end_session, open_session, record_failure, retry_after
from ..store.tokens import token_for
from ..web.api import ERROR_PAGES
from ..web.auth import GRANTS
from ..web.cache import SESSION_PATH
from ..web.guard import CONTROL_CHARACTER
from .auth import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    WORKBENCH_ROLES,
    clear_cookie,
    csrf_field,
    current_session,
    finish,
    load_session,
    page_headers,
    protect,
    refuse,
    set_cookie,
    signed_in,
)

workbench = Blueprint("workbench", __name__, url_prefix=SESSION_PATH, template_folder="templates")

HTML = "text/html"
# The longest token the sign-in form takes (a token is 47 characters): anything longer is not one.
MAX_TOKEN_LENGTH = 200
# Notices the sign-in page shows when sent there (`?notice=`).
NOTICES = {
    "signed-out": "You are signed out: the session has ended on the server.",
    "ended": "Your session has ended (it expired, or its token was revoked): sign in again.",
}
# The kinds a curator corrects through a form of their create shape (workbench/facts.py): those that cite passages.
CORRECTABLE = tuple(kind.name for kind in KINDS if "citations" in kind.schema._declared_fields)
RECENT_CHANGES = 5  # the latest of a person's changes the home page lists
DEFAULT_PAGE_SIZE = ChangeQueryArgs().fields["page_size"].load_default  # the API's


@dataclass(frozen=True)
class Section:
    """A part of the workbench: its title, what it is for, the roles it is for, and its view (None while the
    workbench does not have it yet: `api` says how to do it through the API meanwhile)."""

    title: str
    description: str
    roles: tuple[str, ...]
    endpoint: str | None = None
    api: str | None = None


SECTIONS = (
    Section(
        "Review queue",
        "Changes awaiting review, each with its diff and its passages: approve one, or reject it with a note.",
        ("editor",),
        endpoint="workbench.review_queue",
    ),
    Section(
        "Your changes",
        "What you proposed: awaiting review, published (with its revision) or rejected (with the editor's note).",
        ("curator",),
        endpoint="workbench.changes",
    ),
    Section(
        "Cite a passage",
        "Select a passage of an article and add it as a citation of a fact; an editor then reviews it.",
        ("curator",),
        endpoint="workbench.articles",
    ),
    Section(
        "Add an article",
        "Paste an article's text (stored verbatim) and its metadata, preview it as its page will show it, and "
        "propose it; an editor then reviews it.",
        ("curator",),
        endpoint="workbench.new_article",
    ),
)


def init_workbench(app) -> None:
    """Check the workbench's settings (a deployment with an unusable one does not start); answer every error under
    its path with a page (web/api.py asks for it)."""
    app.extensions[ERROR_PAGES] = error_page
    for name in ("KB_SESSION_LIFETIME", "KB_SESSION_IDLE_TIMEOUT", "KB_SIGN_IN_FAILURES", "KB_SIGN_IN_WINDOW"):
        value = app.config[name]
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")


@workbench.before_request
def _session_and_forgery():
    load_session()
    return protect()


@workbench.after_request
def _finish(response: Response) -> Response:
    return finish(response)


@workbench.context_processor
def _forms() -> dict:
    return {
        "csrf_field": csrf_field,
        "workbench_session": current_session(),
        "sections_for": sections_for,
        "correctable": CORRECTABLE,
    }


def error_page(error: HTTPException) -> Response:
    """A refused or failed request under the workbench's path, as a page for a person (the API answers problem
    details): its views' refusals, the input guard's, routing's (404, 405)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    detail = data.get("message") or error.description or error.name
    headers = dict(getattr(error, "extra_headers", {}) or {})
    headers.update(data.get("headers") or {})
    headers.update({name: value for name, value in error.get_headers() if name.lower() != "content-type"})
    title = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else "Error"
    response = Response(
        render_template("workbench/error.html", status=status, title=title, detail=detail),
        status=status,
        mimetype=HTML,
    )
    for name, value in headers.items():
        response.headers[name] = value
    return page_headers(response)


@workbench.app_template_filter("duration")
def duration(seconds: int) -> str:
    """Seconds as a reader says them, in the largest whole unit: 12 hours, 90 minutes, 45 seconds."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


@workbench.app_template_filter("as_moment")
def as_moment(moment: datetime) -> str:
    """A UTC time as a reader writes it: 7 December 2026, 15:33."""
    return f"{as_date(moment.date())}, {moment:%H:%M}"


def sections_for(role: str) -> list[Section]:
    """The sections a role may use, in the order they are declared."""
    return [section for section in SECTIONS if GRANTS[role] & set(section.roles)]


def _page(template: str, code: int = 200, headers: dict[str, str] | None = None, **context) -> Response:
    response = Response(render_template(template, **context), status=code, mimetype=HTML)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@workbench.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """The sign-in form (to the home page when signed in already); sent, it opens a session."""
    if request.method == "POST":
        return _open_session()
    if current_session() is not None:
        return redirect(url_for("workbench.home"), 303)
    return _sign_in_form(notice=NOTICES.get(request.args.get("notice", "")))


def _sign_in_form(status: int = 200, error: str | None = None, notice: str | None = None, **headers) -> Response:
    read_only = bool(current_app.config.get("KB_READ_ONLY"))
    return _page(
        "workbench/sign_in.html",
        code=status,
        headers=headers,
        error=error,
        notice=notice,
        read_only=read_only,
    )


def _open_session() -> BaseResponse:
    """Open a session with a curator's or an editor's token."""
    config = current_app.config
    if config.get("KB_READ_ONLY"):
        refuse(403, "this deployment is read-only (KB_READ_ONLY): it takes no changes, so it has no workbench")
    client = client_key(request.remote_addr)
    wait = retry_after(client, config["KB_SIGN_IN_FAILURES"], config["KB_SIGN_IN_WINDOW"])
    if wait is not None:
        minutes = math.ceil(wait / 60)
        return _sign_in_form(
            429,
            f"Too many failed sign-ins from your address: try again in {minutes} minute{'s' if minutes > 1 else ''}.",
            **{"Retry-After": str(wait)},
        )
    secret = request.form.get("token", "").strip()
    if not secret:
        return _sign_in_form(400, "Enter your token.")
    usable = len(secret) <= MAX_TOKEN_LENGTH and not CONTROL_CHARACTER.search(secret)
    token = token_for(secret) if usable else None
    if token is None:
        # The same words whatever was wrong (unknown, revoked, mistyped): the answer never says whether a token exists.
        record_failure(client, config["KB_SIGN_IN_WINDOW"])
        return _sign_in_form(403, "That token was not accepted. Check it and try again.")
    if token.role not in WORKBENCH_ROLES:
        return _sign_in_form(
            403, f"A token of the role {token.role} cannot sign in here: the workbench is for curators and editors."
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        end_session(old)  # a new session, never one the browser held before (no session fixation)
    session_id = open_session(token, config["KB_SESSION_LIFETIME"], config["KB_SESSION_IDLE_TIMEOUT"])
    response = redirect(url_for("workbench.home"), 303)
    set_cookie(response, SESSION_COOKIE, session_id, config["KB_SESSION_LIFETIME"])
    clear_cookie(response, SIGN_IN_COOKIE)
    g.pop("dead_session_cookie", None)
    return response


@workbench.post("/sign-out")
def sign_out():
    """End the session on the server, and clear its cookie."""
    end_session(g.workbench_session_id)
    response = redirect(url_for("workbench.sign_in", notice="signed-out"), 303)
    clear_cookie(response, SESSION_COOKIE)
    return response


@workbench.get("/")
@signed_in()
def home():
    """Who is signed in, what they can do here, and their latest changes."""
    session = current_session()
    assert session is not None
    return _page(
        "workbench/home.html",
        counts=change_counts(author=session.name),
        recent=[_shown(change) for change in changes_by(author=session.name).limit(RECENT_CHANGES)],
    )


@workbench.get("/changes")
@signed_in()
def changes():
    """The signed-in person's own changes, newest first: all, or those of one status."""
    session = current_session()
    assert session is not None
    try:
        args = ChangeQueryArgs().load(request.args.to_dict())
    except ma.ValidationError as error:
        problems = "; ".join(
            f"{name}: {' '.join(map(str, messages))}" for name, messages in error.messages_dict.items()
        )
        refuse(422, f"This list takes status ({', '.join(CHANGE_STATUSES)}), page and page_size: {problems}")
    status = args.get("status")
    counts = change_counts(author=session.name)
    total = sum(counts.values()) if status is None else counts[status]
    pages = max(1, math.ceil(total / args["page_size"]))
    if args["page"] > pages:
        refuse(404, f"page {args['page']} is out of range: there {'is' if pages == 1 else 'are'} {pages}")
    query = changes_by(author=session.name, status=status).paginate(args["page"], args["page_size"])
    return _page(
        "workbench/changes.html",
        counts=counts,
        listed_status=status,
        statuses=CHANGE_STATUSES,
        shown=[_shown(change) for change in query],
        page=args["page"],
        pages=pages,
        # (the page size in the pager's links only when it is not the default)
        page_size=args["page_size"] if args["page_size"] != DEFAULT_PAGE_SIZE else None,
        total=total,
    )


def _shown(change) -> dict:
    """A change as the API answers it, with the page of its record where it has one and was published."""
    record = change_record(change)
    kind = BY_NAME.get(change.kind)
    published = change.status == "published" and change.action != "delete"
    record["page"] = None
    if kind is not None and kind.page is not None and published:
        record["page"] = request.root_path + kind.page_of(change.record_id)
    return record


from . import articles, cite, facts, review  # noqa: E402, F401  (their views are the blueprint's too)
