"""The workbench's fact forms: a new fact of any kind citing a passage selected on "Cite a passage", and a
correction of an existing fact. Both are generated from the kind's create shape (workbench/forms.py) and go through
the review workflow: a create with the passage as its citation, an update as a merge patch of the fields changed."""

from __future__ import annotations

import hashlib
import json

from flask import redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from schemas.limits import MAX_ID_LENGTH, MAX_SUMMARY_LENGTH
from schemas.vocabulary import MENTION_ROLES

from ..knowledge.curation import ChangeConflict, ChangeRefused, propose
from ..knowledge.kinds import BY_NAME
from ..knowledge.published import published_record
from ..resources.changes import REFUSAL_STATUS, last_change
from ..store import models as m
from .auth import current_session, refuse, signed_in
from .cite import CITING_KINDS, accounts, choose_article
from .forms import Control, Filled, as_typed, controls, id_problem, problems_by_field, read
from .views import _page, workbench


@workbench.route("/new/<kind_name>", methods=["GET", "POST"])
@signed_in("curator")
def new_fact(kind_name: str) -> BaseResponse:
    """A new fact of this kind, citing the passage the query (GET) or the form (POST) names."""
    kind_name = _citing_kind(kind_name)
    fields = controls(kind_name)
    source = request.values
    if request.method == "GET" and not source:
        return choose_article(f"A new {kind_name} cites a passage: choose the article, then select the passage.")
    citation = _passage(source.get("source", ""), source.get("start", ""), source.get("end", ""))
    role = source.get("role", "supports")
    account = source.get("account", "")
    if role not in MENTION_ROLES or (account and account not in dict(accounts(citation["source"]))):
        refuse(422, "The passage's role or account is not one the cite page offers: select the passage again.")
    citation["role"] = role
    if account:
        account_type, _, account_id = account.partition("/")
        citation["account"] = {"type": account_type, "id": account_id}
    if request.method == "GET":  # (an accepted suggestion fills in what it read: `f.<field>`)
        prefilled = Filled(values={c.name: source.get(f"f.{c.name}", "") for c in fields})
        return _new_page(kind_name, fields, prefilled, citation, {"role": role, "account": account})
    filled = read(kind_name, request.form, fields)
    record_id = request.form.get("id", "").strip()
    summary = request.form.get("change_summary", "").strip()
    id_error = id_problem(kind_name, record_id)
    if id_error:
        filled.errors["id"] = id_error
    if not summary or len(summary) > MAX_SUMMARY_LENGTH:
        filled.errors["change_summary"] = f"An edit summary for the reviewer, of 1 to {MAX_SUMMARY_LENGTH} characters."
    filled.values.update(id=request.form.get("id", ""), change_summary=request.form.get("change_summary", ""))
    carried = {"role": role, "account": account}
    if filled.errors:
        return _new_page(kind_name, fields, filled, citation, carried, status=422)
    session = current_session()
    assert session is not None
    try:
        change = propose(
            kind_name, "create", record_id, {**filled.record, "citations": [citation]}, summary, session.name
        )
    except ChangeRefused as error:
        filled.errors.update(problems_by_field(error.problems, ["id", *(c.name for c in fields)]))
        status = REFUSAL_STATUS[type(error)]
        return _new_page(kind_name, fields, filled, citation, carried, status=status, problems=error.problems)
    return redirect(url_for("workbench.change", change_id=change.id), 303)


@workbench.route("/edit/<kind_name>/<record_id>", methods=["GET", "POST"])
@signed_in("curator")
def edit_fact(kind_name: str, record_id: str) -> BaseResponse:
    """A correction of a published fact: its fields as they are, to change; sent, a merge patch of what changed."""
    kind_name = _citing_kind(kind_name)
    current = published_record(BY_NAME[kind_name], record_id) if len(record_id) <= MAX_ID_LENGTH else None
    if current is None:
        refuse(404, f"There is no published {kind_name} with that id to correct.")
    fields = controls(kind_name)
    if request.method == "GET":
        shown = Filled(values={c.name: as_typed(c, current.get(c.name)) for c in fields})
        return _edit_page(kind_name, record_id, fields, shown, _digest(current))
    filled = read(kind_name, request.form, fields)
    summary = request.form.get("change_summary", "").strip()
    filled.values["change_summary"] = request.form.get("change_summary", "")
    if not summary or len(summary) > MAX_SUMMARY_LENGTH:
        filled.errors["change_summary"] = f"An edit summary for the reviewer, of 1 to {MAX_SUMMARY_LENGTH} characters."
    seen = request.form.get("seen", "")
    if _digest(current) != seen:  # someone changed it since the form was opened: say who, offer a reload
        problem = f"someone changed this {kind_name} since you opened the form{last_change(kind_name, record_id)}"
        return _edit_page(kind_name, record_id, fields, filled, seen, status=412, problems=[problem], stale=True)
    if filled.errors:
        return _edit_page(kind_name, record_id, fields, filled, seen, status=422)
    patch = {c.name: filled.record.get(c.name) for c in fields if filled.record.get(c.name) != current.get(c.name)}
    if not patch:
        filled.errors["change_summary"] = "Nothing changed: correct a field first."
        return _edit_page(kind_name, record_id, fields, filled, seen, status=422)

    def unchanged_since_the_form(_: str, now: dict) -> None:
        if _digest(now) != seen:
            raise ChangeConflict(
                [f"someone changed this {kind_name} since you opened the form{last_change(kind_name, record_id)}"]
            )

    session = current_session()
    assert session is not None
    try:
        change = propose(kind_name, "update", record_id, patch, summary, session.name, unchanged_since_the_form)
    except ChangeConflict as error:
        if _digest(current) != seen:  # the concurrent edit: 412, with a way to reload the record as it is now
            return _edit_page(
                kind_name, record_id, fields, filled, seen, status=412, problems=error.problems, stale=True
            )
        return _edit_page(kind_name, record_id, fields, filled, seen, status=409, problems=error.problems)
    except ChangeRefused as error:
        filled.errors.update(problems_by_field(error.problems, [c.name for c in fields]))
        status = REFUSAL_STATUS[type(error)]
        return _edit_page(kind_name, record_id, fields, filled, seen, status=status, problems=error.problems)
    return redirect(url_for("workbench.change", change_id=change.id), 303)


def _citing_kind(kind_name: str) -> str:
    if kind_name not in CITING_KINDS:
        refuse(404, f"There is no form for that kind: the kinds that cite passages are {', '.join(CITING_KINDS)}.")
    return kind_name


def _passage(source_id: str, start: str, end: str) -> dict:
    text = None
    if len(source_id) <= MAX_ID_LENGTH:
        text = m.Source.select(m.Source.text).where((m.Source.id == source_id) & (m.Source.kind == "article")).scalar()
    numbers = [int(v) for v in (start, end) if v.isdigit() and len(v) < 10]
    if text is None or len(numbers) != 2 or not numbers[0] < numbers[1] <= len(text):
        refuse(422, "A new fact cites the passage selected on an article: select it there again.")
    first, last = numbers
    return {"source": source_id, "quote": text[first:last], "start": first, "end": last}


def _digest(record: dict) -> str:
    """What the form saw of the record, to know whether someone changed it since."""
    return hashlib.sha256(json.dumps(record, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _new_page(
    kind_name: str,
    fields: list[Control],
    filled: Filled,
    citation: dict,
    carried: dict,
    status: int = 200,
    problems: list[str] | None = None,
) -> BaseResponse:
    return _page(
        "workbench/fact_form.html",
        code=status,
        mode="new",
        kind_name=kind_name,
        fields=fields,
        filled=filled,
        citation=citation,
        carried=carried,
        problems=problems,
        summary_length=MAX_SUMMARY_LENGTH,
        action=url_for("workbench.new_fact", kind_name=kind_name),
    )


def _edit_page(
    kind_name: str,
    record_id: str,
    fields: list[Control],
    filled: Filled,
    seen: str,
    status: int = 200,
    problems: list[str] | None = None,
    stale: bool = False,
) -> BaseResponse:
    return _page(
        "workbench/fact_form.html",
        code=status,
        mode="edit",
        kind_name=kind_name,
        record_id=record_id,
        fields=fields,
        filled=filled,
        seen=seen,
        stale=stale,
        problems=problems,
        summary_length=MAX_SUMMARY_LENGTH,
        action=url_for("workbench.edit_fact", kind_name=kind_name, record_id=record_id),
    )
