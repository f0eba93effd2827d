"""The pages for people: each article with its cited passages highlighted, each fact with its evidence in context.

Rendered from the stored documents (the JSON the API serves, parsed) and the articles' texts, in one read
transaction, then kept by the response cache like any answer (keyed by the data version).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from peewee import SQL, fn

from ..knowledge.curation import last_deletion
from ..knowledge.kinds import BY_NAME, KINDS
from ..store import models as m
from ..store.db import db, dicts, order_key, tuples
from ..store.reads import unnoted
from ..store.version import EMPTY, DataState
from ..store.version import QUERY as STATE_QUERY
from ..web.cache import depends_on, reading_documents
from ..web.http import PATH_SAFE, is_web_url, service_location
from ..web.pagination import make_cursor
from .directory import PAGE_KINDS, Directory, directory_for
from .evidence import CitedFact, Passage, paragraph_around, paragraphs_of, share_cited

pages = Blueprint("pages", __name__, template_folder="templates")
STATIC = Path(__file__).with_name("static")

HTML = "text/html"
# What the pages may load: only this service's own style sheet and script; nothing from another site.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The API's docs page (Swagger UI): the same, but for what Swagger UI needs of this service: to fetch the OpenAPI
# document and send "Try it out" requests (connect-src), and the icons its style sheet holds as data: URLs.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"  # flask-smorest's /docs (OPENAPI_SWAGGER_UI_PATH)
KIND_ORDER = {kind.name: position for position, kind in enumerate(KINDS)}
# The most records a page lists in one list (the statements about a topic, a kind's facts on /, the facts citing one
# passage): the page says how many there are and where the API lists them all.
SHOWN_AT_MOST = 100
# Fields a fact page shows in its own sections rather than in the list of fields.
SECTION_FIELDS = ("id", "citations", "support", "roles", "claims")
# The statements a page lists after a record's evidence, by the record's kind: its anchor, its heading ({label}:
# the record's), the API's filter that lists the same statements (if it has one), and which statements they are.
STATEMENT_LISTS: dict[str, tuple[tuple, ...]] = {}


def _lists_statements(kind: str, *lists: tuple) -> None:
    STATEMENT_LISTS[kind] = lists


_lists_statements(
    "topic",
    (
        "about",
        "Statements on this topic",
        "topic",
        lambda i: m.Statement.id.in_(
            m.StatementTopic.select(m.StatementTopic.statement).where(m.StatementTopic.topic == i)
        ),
    ),
)
_lists_statements(
    "entity",
    ("by", "Statements by {label}", "speaker", lambda i: m.Statement.speaker == i),
    (
        "relayed",
        "Statements {label} relays",
        None,
        lambda i: m.Statement.id.in_(
            m.StatementReporter.select(m.StatementReporter.statement).where(m.StatementReporter.entity == i)
        ),
    ),
)
_lists_statements("event", ("at", "Statements made at this event", None, lambda i: m.Statement.event == i))


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@pages.app_template_filter("as_date")
def as_date(value, precision: str = "day") -> str:
    """An ISO date (text or a date) as a reader writes it, to its precision: 12 August 2017, August 2017, 2017."""
    year, month, day = str(value).split("-")
    if precision == "year":
        return year
    if precision == "month":
        return f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day)} {MONTHS[int(month) - 1]} {year}"


@pages.app_template_test("web_url")
def web_url(value) -> bool:
    """`{% if url is web_url %}`: a URL the pages link to (http or https); any other is shown as text."""
    return is_web_url(value)


@pages.app_template_filter("field_name")
def field_name(name: str) -> str:
    """A field's name as words: said_on -> said on."""
    return name.replace("_", " ")


@pages.before_request
def without_a_query():
    """A page takes no parameters: a URL with a query (a tracking tag, a typo) is sent to the page's own URL,
    so that every page has one address (and one cached answer)."""
    if request.query_string:  # (a blueprint's hook runs only for a request routed to one of its views)
        return redirect(service_location(quote(request.path, safe=PATH_SAFE)), 301)
    return None


def page(template: str, policy: str = CONTENT_SECURITY_POLICY, **context) -> Response:
    response = Response(render_template(template, **context), mimetype=HTML)
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@pages.record_once
def _serve_the_docs_page(state) -> None:
    """Answer /docs with docs_page rather than flask-smorest's own view, whose template starts Swagger UI with an
    inline script (which a policy allowing only this service's scripts refuses)."""
    if DOCS_ENDPOINT in state.app.view_functions:
        state.app.view_functions[DOCS_ENDPOINT] = docs_page


def docs_page() -> Response:
    """The API's documentation (Swagger UI, served by the service), as the pages are: a Content-Security-Policy
    allowing only what the page needs of this service, and nosniff."""
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return page(
        "pages/docs.html",
        policy=DOCS_CONTENT_SECURITY_POLICY,
        title=api.spec.title,
        spec_url=url_for("api-docs.openapi_json"),
        swagger_ui_url=current_app.config["OPENAPI_SWAGGER_UI_URL"],
        swagger_ui_config=current_app.config.get("OPENAPI_SWAGGER_UI_CONFIG", {}),
    )


def _directory() -> Directory:
    """The directory of the knowledge this read transaction sees (its version read in the same transaction)."""
    with unnoted():  # a page depends on the entries it shows (Directory.get), not on what the directory reads
        row = db.execute_sql(STATE_QUERY).fetchone()
        return directory_for(db.obj.database, DataState(*row) if row else EMPTY)


def _document(kind: str, record_id: str) -> dict:
    with reading_documents(("doc", kind, record_id)):
        body = (
            m.Document.select(m.Document.body)
            .where((m.Document.kind == kind) & (m.Document.record_id == record_id))
            .scalar()
        )
    if body is None:
        deleted = last_deletion(kind, record_id)
        if deleted is not None:
            abort(410, description=f"the {kind} {record_id!r} was deleted by revision {deleted}")
        abort(404, description=f"no {kind} with id {record_id!r}")
    return json.loads(body)


# The pages' style sheet and script, read once: small, and answered from memory (ETag from their bytes).
ASSETS = {
    path.name: (path.read_bytes(), {".css": "text/css", ".js": "text/javascript"}[path.suffix])
    for path in sorted(STATIC.iterdir())
    if path.suffix in (".css", ".js")
}


@pages.get("/assets/<path:asset>")
def asset(asset: str):
    """The pages' style sheet and script."""
    if asset not in ASSETS:
        abort(404, description=f"no asset {asset!r}: there are {', '.join(sorted(ASSETS))}")
    body, mimetype = ASSETS[asset]
    return Response(body, mimetype=mimetype)


@pages.get("/")
def index():
    """The articles, the references and every fact, as links to their pages."""
    with db.atomic():
        directory = _directory()
        sources = list(
            dicts(
                m.Source.select(
                    m.Source.id, m.Source.kind, m.Source.title, m.Source.publisher, m.Source.published_on
                ).order_by(m.Source.sort_key)
            )
        )
        cited = {s["id"]: _quoted(s["id"]) for s in sources if s["kind"] == "article"}
        # The kinds in the order /facts meets them (its sort key is "kind id"), each counted by the directory, which
        # keeps its tallies from the fact rows each publication touched (so / depends on those rows).
        totals = {kind: count for kind, count in sorted(directory.tallies.items(), key=lambda kc: f"{kc[0]} ") if count}
        depends_on([("table", m.Fact._meta.table_name)])
        facts: dict[str, list] = {}
        following: dict[str, str] = {}
        for kind in totals:  # each kind's first SHOWN_AT_MOST facts, in the order of /facts: a range of its index,
            query = (  # whose keys are "kind id" (a filter on the kind would have the planner sort the kind's rows)
                m.Fact.select(m.Fact.fact_id)
                .where((order_key(m.Fact.sort_key) > f"{kind} ") & (order_key(m.Fact.sort_key) < f"{kind}!"))
                .order_by(order_key(m.Fact.sort_key))
            )
            shown = list(tuples(query.limit(SHOWN_AT_MOST)))
            facts[kind] = [directory.get(kind, i) for (i,) in shown]
            if totals[kind] > len(shown):  # /facts's next page of the kind, by the cursor it would give
                cursor = make_cursor(2, f"{kind} {shown[-1][0]}")
                following[kind] = (
                    f"{_facts_of(kind)}&{urlencode({'page': 2, 'page_size': SHOWN_AT_MOST, 'cursor': cursor})}"
                )
    articles = [s for s in sources if s["kind"] == "article"]
    references = [s for s in sources if s["kind"] != "article"]
    return page(
        "pages/index.html",
        articles=articles,
        references=references,
        cited=cited,
        facts=facts,
        totals=totals,
        following=following,
        plural=_plural,
        api_list=lambda kind: f"{request.root_path}/api/v1/{BY_NAME[kind].plural}",
    )


def _facts_of(kind: str) -> str:
    return f"{request.root_path}/api/v1/facts?type={quote(kind, safe='')}"


def _quoted(source_id: str) -> int:
    """How many citations quote a passage of a source: counted in the index of its passages, not its rows."""
    quoting = (m.Citation.source == source_id) & m.Citation.start.is_null(False)
    return m.Citation.select(fn.COUNT(SQL("*"))).where(quoting).scalar()


# A citation as the article page lists it under its passage, in the order of the index of passages.
CITATION_COLUMNS = (
    m.Citation.fact_type,
    m.Citation.fact_id,
    m.Citation.role,
    m.Citation.fields,
    m.Citation.wording,
)
PASSAGE_ORDER = (m.Citation.fact_type, m.Citation.fact_id, m.Citation.position)


def _cited_fact(directory: Directory, row: tuple) -> CitedFact:
    fact_type, fact_id, role, fields, wording = row
    entry = directory.peek(fact_type, fact_id)  # (what the page shows of it is noted once it is listed)
    assert entry is not None  # every cited fact is in the directory
    doubt = directory.doubts.get(fact_id) if fact_type == "statement" else None
    return CitedFact(fact_type, entry.label, entry.url, role, tuple(fields or ()), wording, doubt, entry.documents)


def source_page(record_id: str):
    """An article with every cited passage highlighted, or a reference with the facts that cite it."""
    with db.atomic():
        source = _document("source", record_id)
        directory = _directory()
        text = m.Source.select(m.Source.text).where(m.Source.id == record_id).scalar()
        of_source = m.Citation.source == record_id
        # What the summary counts, from the index of the source's citations: its citations, its facts per kind.
        citations = m.Citation.select(fn.COUNT(SQL("*"))).where(of_source).scalar()
        distinct = m.Citation.select(m.Citation.fact_type, fn.COUNT(m.Citation.fact_id.distinct())).where(of_source)
        per_kind = dict(tuples(distinct.group_by(m.Citation.fact_type)))
        if text is None:  # a reference: no text here, only the facts it is cited for
            facts = _facts_citing(record_id, directory)
        else:
            passages = _passages(record_id, text, directory)
    summary = {
        "facts": sum(per_kind.values()),
        "per_kind": sorted(per_kind.items(), key=lambda item: KIND_ORDER[item[0]]),
        "citations": citations,
    }
    derivations = [(d, directory.get("source", d["source"])) for d in source["derived_from"]]
    if text is None:
        if len(facts) > SHOWN_AT_MOST:  # which come first goes by every citing fact's label
            depends_on(("kind", kind) for kind in per_kind)
            del facts[SHOWN_AT_MOST:]
        depends_on(("doc", *key) for fact in facts for key in fact.documents)
        return page(
            "pages/reference.html",
            source=source,
            facts=facts,
            summary=summary,
            derivations=derivations,
            plural=_plural,
            api_url=_source_filter(record_id),
        )
    depends_on(("doc", *key) for passage in passages for fact in passage.facts for key in fact.documents)
    if any(passage.more for passage in passages):  # a fact not listed can still make its passage doubtful
        depends_on([("kind", "statement")])
    summary.update(
        passages=len(passages),
        doubtful=sum(1 for p in passages if p.doubtful),
        share=share_cited(text, passages),
        characters=len(text),
    )
    return page(
        "pages/article.html",
        source=source,
        paragraphs=paragraphs_of(text, passages),
        passages=passages,
        summary=summary,
        derivations=derivations,
        plural=_plural,
        api_url=_source_filter(record_id),
    )


def _source_filter(source_id: str) -> str:
    """The API's list of the statements citing a source (every list of facts filters by source)."""
    return f"{request.root_path}/api/v1/statements?source={quote(source_id, safe='')}"


def _passages(source_id: str, text: str, directory: Directory) -> list[Passage]:
    """The article's cited passages, read passage by passage from the index of its citations: each with its
    first SHOWN_AT_MOST citing facts, how many more there are, and whether one of those is doubtful."""
    quoting = (m.Citation.source == source_id) & m.Citation.start.is_null(False)
    spans = (
        m.Citation.select(m.Citation.start, m.Citation.end, fn.COUNT(SQL("*")))
        .where(quoting)
        .group_by(m.Citation.start, m.Citation.end)
        .order_by(m.Citation.start, m.Citation.end)
    )
    counted = list(tuples(spans))
    # The passages a doubtful statement cites (the directory keeps which statements are: few of them).
    doubtful_spans: set[tuple[int, int]] = set()
    doubted = sorted(directory.doubts)
    for at in range(0, len(doubted), 500):
        cites = m.Citation.select(m.Citation.start, m.Citation.end).where(
            quoting & (m.Citation.fact_type == "statement") & m.Citation.fact_id.in_(doubted[at : at + 500])
        )
        doubtful_spans.update(tuples(cites))
    passages = []
    for start, end, count in counted:
        listed = (
            m.Citation.select(*CITATION_COLUMNS)
            .where(quoting & (m.Citation.start == start) & (m.Citation.end == end))
            .order_by(*PASSAGE_ORDER)
            .limit(SHOWN_AT_MOST)
        )
        passage = Passage(start, end, text[start:end], [_cited_fact(directory, row) for row in tuples(listed)])
        passage.more = count - len(passage.facts)
        passage.more_doubtful = passage.more > 0 and (start, end) in doubtful_spans
        passages.append(passage)
    return sorted(passages, key=lambda p: (p.start, -p.end))


def _facts_citing(source_id: str, directory: Directory) -> list[CitedFact]:
    """The facts a reference is cited for (each once), by kind then label."""
    rows = (
        m.Citation.select(*CITATION_COLUMNS)
        .where(m.Citation.source == source_id)
        .order_by(m.Citation.start, m.Citation.end, *PASSAGE_ORDER)
    )
    distinct = {(fact.kind, fact.url): fact for fact in (_cited_fact(directory, row) for row in tuples(rows))}
    return sorted(distinct.values(), key=lambda f: (KIND_ORDER[f.kind], f.label))


def fact_page(record_id: str, kind: str):
    """A fact: its fields, then each citation with its passage in its paragraph, linked to the article there."""
    with db.atomic():
        record = _document(kind, record_id)
        directory = _directory()
        inner = _inner_records(kind, record)
        cited_sources = {c["source"] for r in (record, *(i for _, i in inner)) for c in r.get("citations", ())}
        sources = {
            row["id"]: row
            for row in dicts(
                m.Source.select(
                    m.Source.id,
                    m.Source.kind,
                    m.Source.title,
                    m.Source.publisher,
                    m.Source.author,
                    m.Source.published_on,
                    m.Source.date_precision,
                    m.Source.url,
                    m.Source.text,
                ).where(m.Source.id.in_(sorted(cited_sources)))
            )
        }
        entry = directory.get(kind, record_id)
        label = entry.label if entry else record_id
        statements = _statement_lists(kind, record_id, label)
    return page(
        "pages/fact.html",
        kind=kind,
        record=record,
        label=label,
        inner=inner,
        evidence=lambda r: _evidence(r, sources, directory),
        fields=_fields,
        directory=directory,
        plural=_plural,
        api_url=request.root_path + BY_NAME[kind].url_of(record_id),
        statements=statements,
    )


def _documents(kind: str, model, condition, limit: int | None = None) -> list[dict]:
    """The stored documents (as the API serves them) of one kind's records that `condition` selects from its
    table, in the API's order (the first `limit` of them, if given)."""
    rows = (
        m.Document.select(m.Document.body)
        .join(model, on=(m.Document.record_id == model.id))
        .where((m.Document.kind == kind) & condition)
        .order_by(model.sort_key)
        .limit(limit)
    )
    with reading_documents(("kind", kind)):
        return [json.loads(body) for (body,) in tuples(rows)]


def _statement_lists(kind: str, record_id: str, label: str) -> list[dict]:
    """The statements about a topic, by or relayed by an entity, or made at an event, each list with the API's
    URL for it where the API filters by it."""
    lists = []
    for relation, heading, parameter, condition in STATEMENT_LISTS.get(kind, ()):
        statements = _documents("statement", m.Statement, condition(record_id), SHOWN_AT_MOST)
        total = len(statements)
        if total == SHOWN_AT_MOST:
            total = m.Statement.select().where(condition(record_id)).count()
        if statements:
            api = (
                f"{request.root_path}/api/v1/statements?{parameter}={quote(record_id, safe='')}" if parameter else None
            )
            following = None
            if api is not None and total > len(statements):  # the API's next page, by the cursor it would give
                after = m.Statement.select(m.Statement.sort_key).where(m.Statement.id == statements[-1]["id"]).scalar()
                cursor = make_cursor(2, after)
                following = f"{api}&{urlencode({'page': 2, 'page_size': SHOWN_AT_MOST, 'cursor': cursor})}"
            lists.append(
                {
                    "relation": relation,
                    "heading": heading.format(label=label),
                    "api_url": api,
                    "next_url": following,
                    "statements": statements,
                    "total": total,
                }
            )
    return lists


def _inner_records(kind: str, record: dict) -> list[tuple[str, dict]]:
    """The records shown inside this one's page, each with a section and an anchor of its own."""
    if kind == "entity":
        return [("role", role) for role in record.get("roles", ())]
    if kind == "dispute":
        return [("claim", claim) for claim in record.get("claims", ())]
    if kind == "resolution":
        return [("vote", vote) for vote in _documents("vote", m.MemberVote, m.MemberVote.resolution == record["id"])]
    return []


def _fields(record: dict) -> list[tuple[str, object]]:
    """The record's fields in the API's order, but those the page shows in sections of their own."""
    return [(name, value) for name, value in record.items() if name not in SECTION_FIELDS]


def _evidence(record: dict, sources: dict[str, dict], directory) -> list[dict]:
    """Each citation of a record with its source, the account it carries where named, and for a quote the paragraph
    around it, cut before, at, after."""
    evidence = []
    for citation in record.get("citations", ()):
        source = sources[citation["source"]]
        item = {"citation": citation, "source": source}
        account = citation["account"]
        if account is not None and account["type"] == "event":
            item["account"] = directory.get("event", account["id"])
        elif account is not None:
            item["reprints"] = None if account["id"] == source["id"] else account["id"]
        if citation["start"] is not None and source["text"] is not None:
            text, start, end = source["text"], citation["start"], citation["end"]
            before, after = paragraph_around(text, start, end)
            item.update(before=text[before:start], quote=text[start:end], after=text[end:after])
            item["href"] = url_for("pages.source", source_id=source["id"], _anchor=f"span-{start}-{end}")
        evidence.append(item)
    return evidence


def _plural(kind: str, count: int) -> str:
    return kind if count == 1 else BY_NAME[kind].plural


def _page_of(kind: str):
    """The view of one kind's pages, taking the id under the name the API's URL gives it (`statement_id`)."""

    def view(**arguments):
        (record_id,) = arguments.values()
        return source_page(record_id) if kind == "source" else fact_page(record_id, kind)

    view.__name__ = view.__qualname__ = f"{kind}_page"
    view.__doc__ = source_page.__doc__ if kind == "source" else fact_page.__doc__
    return view


for _kind in PAGE_KINDS:
    assert _kind.page is not None  # PAGE_KINDS are the kinds with a URL, so with a page
    pages.add_url_rule(_kind.page.replace("{id}", f"<string:{_kind.name}_id>"), _kind.name, _page_of(_kind.name))
