"""The workbench's "Add an article": paste an article's text (stored verbatim) and fill in its metadata, preview it
as its evidence page will show it, and propose it: a change like any other, which an editor reviews. The form is the
source's create shape (`SourceCreate` in the spec); the proposal goes through the API's workflow."""

from __future__ import annotations

from dataclasses import dataclass, field

import marshmallow as ma
from flask import redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from schemas.limits import MAX_SUMMARY_LENGTH
from schemas.vocabulary import DATE_PRECISIONS, DERIVATIONS
from schemas.writes import RECORD_SHAPES

from ..knowledge.curation import ChangeRefused, propose
from ..pages.evidence import paragraphs_of
from ..resources.changes import REFUSAL_STATUS
from ..store import models as m
from ..store.db import tuples
from .auth import current_session, signed_in
from .forms import id_problem, words
from .views import _page, workbench

# The metadata fields the form asks for, in its order (the create shape has each; `kind` is `article` here).
FIELDS = (
    "title",
    "publisher",
    "author",
    "published_on",
    "date_precision",
    "date_derivation",
    "dateline",
    "url",
    "accessed_on",
    "note",
)
DERIVATION_ROWS = 2  # how many "derives from" rows the form offers (a source rarely derives from more)
# The longest article text the form takes, in characters (the API's body limit bounds it too).
MAX_TEXT_LENGTH = 200_000


@dataclass
class ArticleForm:
    """What the curator typed, kept as typed (a refusal shows it again), and the problems found, by field."""

    values: dict[str, str] = field(default_factory=dict)
    derivations: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@workbench.route("/articles/new", methods=["GET", "POST"])
@signed_in("curator")
def new_article() -> BaseResponse:
    """The form; sent with `preview`, it shows the article as its page will; sent with `propose`, it proposes it."""
    if request.method == "GET":
        return _form_page(ArticleForm(derivations=[{} for _ in range(DERIVATION_ROWS)]))
    form = _typed()
    record, text = _checked(form)
    if form.errors or record is None:
        return _form_page(form, status=422)
    if request.form.get("action") != "propose":
        return _form_page(form, preview=_preview(form.values["id"], record, text))
    session = current_session()
    assert session is not None
    try:
        change = propose("source", "create", form.values["id"], record, form.values["summary"], session.name, text=text)
    except ChangeRefused as error:
        form.problems = error.problems
        for name in (*FIELDS, "derived_from", "id"):
            for problem in error.problems:
                if f"{name} " in problem or f"{name}:" in problem or f'"{name}"' in problem:
                    form.errors.setdefault(name, problem)
        return _form_page(form, status=REFUSAL_STATUS[type(error)])
    return redirect(url_for("workbench.change", change_id=change.id), 303)


def _typed() -> ArticleForm:
    """The form's values as sent (each bounded by the input guard and the schema that checks them next)."""
    values = {name: request.form.get(name, "") for name in ("id", "summary", "text", *FIELDS)}
    derivations = [
        {part: request.form.get(f"derived_from-{n}-{part}", "") for part in ("source", "relation", "note")}
        for n in range(DERIVATION_ROWS)
    ]
    return ArticleForm(values=values, derivations=derivations)


def _checked(form: ArticleForm) -> tuple[dict | None, str]:
    """The record the form gives, checked field by field by the source's create shape; the problems, by field, in
    `form.errors`."""
    values = form.values
    # A browser sends a textarea's line breaks as CR LF whatever was pasted: the text is kept with LF, as the seeds.
    text = values["text"].replace("\r\n", "\n")
    if not text.strip():
        form.errors["text"] = "Paste the article's text."
    elif len(text) > MAX_TEXT_LENGTH:
        form.errors["text"] = f"At most {MAX_TEXT_LENGTH:,} characters."
    summary = values["summary"].strip()
    if not summary:
        form.errors["summary"] = "Say what this change does, for its reviewer (an edit summary)."
    elif len(summary) > MAX_SUMMARY_LENGTH:
        form.errors["summary"] = f"At most {MAX_SUMMARY_LENGTH} characters."
    values["summary"] = summary
    record: dict = {"kind": "article"}
    for name in FIELDS:
        value = values[name].strip()
        if value:
            record[name] = value
    derived = []
    for n, row in enumerate(form.derivations):
        if not any(part.strip() for part in row.values()):
            continue
        derivation = {"source": row["source"].strip(), "relation": row["relation"].strip()}
        if row["note"].strip():
            derivation["note"] = row["note"].strip()
        if not derivation["source"] or not derivation["relation"]:
            form.errors[f"derived_from-{n}"] = "Choose the source it derives from and how."
        derived.append(derivation)
    if derived:
        record["derived_from"] = derived
    shape = RECORD_SHAPES["source"][0]
    try:
        shape().load(record)
    except ma.ValidationError as error:
        for name, messages in error.normalized_messages().items():
            form.errors.setdefault(str(name), words(messages))
    id_errors = id_problem("source", values["id"].strip())
    if id_errors:
        form.errors["id"] = id_errors
    values["id"] = values["id"].strip()
    return (None if form.errors else record), text


@dataclass(frozen=True)
class Preview:
    """The article as its evidence page will show it: its metadata and its paragraphs."""

    record: dict
    paragraphs: list
    characters: int
    derivations: list[tuple[dict, str | None]]


def _preview(record_id: str, record: dict, text: str) -> Preview:
    titles = _source_titles()
    derivations = [(d, titles.get(d["source"])) for d in record.get("derived_from", [])]
    return Preview({"id": record_id, **record}, paragraphs_of(text, []), len(text), derivations)


def _source_titles() -> dict[str, str]:
    return dict(tuples(m.Source.select(m.Source.id, m.Source.title).order_by(m.Source.id)))


def _form_page(form: ArticleForm, status: int = 200, preview: Preview | None = None) -> BaseResponse:
    return _page(
        "workbench/new_article.html",
        code=status,
        form=form,
        preview=preview,
        sources=sorted(_source_titles().items(), key=lambda item: item[1].lower()),
        precisions=DATE_PRECISIONS,
        relations=DERIVATIONS,
        summary_length=MAX_SUMMARY_LENGTH,
        text_length=MAX_TEXT_LENGTH,
    )
