"""The resources' Blueprint: list and item helpers, so a view only builds its query from its filters."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import marshmallow as ma
from flask import Response
from flask_smorest import Blueprint, abort

from schemas.queries import NoArgs

from ..knowledge.curation import last_deletion
from ..knowledge.kinds import BY_NAME, Kind
from ..knowledge.render import item_body, list_body
from ..store import models as m
from ..store.db import order_key, tuples
from .cache import reading_documents
from .conditional import etag_of
from .limits import LimitedParser
from .pagination import PAGE_LINK_HEADER, PAGINATION_HEADERS, paginate, service_url

JSON = "application/json"
# The query arguments of each kind's list, by kind name (a record served in its owner's list is read there).
LIST_ARGS: dict[str, type[ma.Schema]] = {}


def takes_no_query(blp: Blueprint):
    """An operation with no query parameters refuses any (422, as a list refuses one it does not take), and its
    spec says so; webargs hands the view the parsed (empty) query last, which is dropped."""

    def decorator(view):
        @wraps(view)
        def without_query(*args, **kwargs):
            return view(*args[:-1], **kwargs)

        return blp.arguments(NoArgs, location="query", unknown="raise")(without_query)

    return decorator


class ResourceBlueprint(Blueprint):
    """flask-smorest's Blueprint with the two shapes every resource has.

    - `@blp.list_of(kind, QueryArgs)`: the view takes the parsed query arguments and returns an ordered query of
      the kind's rows; the helper refuses unknown parameters, pages the query (X-Pagination, Link, 404 past the
      end) and answers the page's stored documents (rendered at load time) as a JSON array.
    - `@blp.item_of(kind)`: the view returns the id of the record asked for; the helper answers its stored
      document, or 404 naming the id, with a Link to the record's HTML page.

    For lists of something else than stored records (search hits, fact summaries), `list_of(Schema, QueryArgs,
    records=...)` turns each page's rows into dicts that the schema dumps; `keyset=` (the field the rows are
    ordered by, unique) gives such a list cursors too.
    """

    # A JSON body is parsed within the limits on what a client sends (web/limits.py).
    ARGUMENTS_PARSER = LimitedParser()

    def list_of(
        self,
        kind: Kind | type[ma.Schema],
        args_schema: type[ma.Schema],
        records: Callable[[list], list] | None = None,
        keyset=None,
    ):
        schema = kind.schema if isinstance(kind, Kind) else kind
        if isinstance(kind, Kind):
            LIST_ARGS.setdefault(kind.name, args_schema)

        def decorator(view):
            @self.arguments(args_schema, location="query", unknown="raise")
            @self.response(200, schema(many=True), headers=PAGINATION_HEADERS)
            @wraps(view)
            def listed(*args, **kwargs):
                query = view(*args, **kwargs)
                if records is not None:
                    rows, headers = paginate(query, args[-1], keyset=keyset)
                    return records(rows), headers
                assert isinstance(kind, Kind), "a list of something else than a kind's records takes records="
                body, headers = document_page(kind, query, args[-1])
                return Response(body, mimetype=JSON), headers

            return listed

        return decorator

    def item_of(self, kind: Kind):
        headers = {"Link": PAGE_LINK_HEADER} if kind.page else None

        def decorator(view):
            @self.response(200, kind.schema, headers=headers)
            @self.alt_response(404, response="NOT_FOUND")
            @self.alt_response(410, response="DEFAULT_ERROR", description="Gone: a published change deleted it.")
            @takes_no_query(self)
            @wraps(view)
            def item(*args, **kwargs):
                record_id = view(*args, **kwargs)
                document = stored_document(kind, record_id)
                if document is None:
                    deleted = last_deletion(kind.name, record_id)
                    if deleted is not None:
                        abort(
                            410,
                            message=f"the {kind.name} {record_id!r} was deleted by revision {deleted}: "
                            f"/api/v1/revisions?kind={kind.name}&record={record_id}",
                        )
                    abort(404, message=f"no {kind.name} with id {record_id!r}")
                assert document is not None  # (abort raised)
                response = Response(item_body(document), mimetype=JSON)
                if kind.page:  # its page for people (service/pages)
                    page = service_url(kind.page_of(record_id))
                    response.headers["Link"] = f'<{page}>; rel="alternate"; type="text/html"'
                return response

            return item

        return decorator


def stored_document(kind: Kind, record_id: str) -> str | None:
    """A record's stored document (what its item URL answers), or None; the answer depends on it alone."""
    with reading_documents(("doc", kind.name, record_id)):
        return (
            m.Document.select(m.Document.body)
            .where((m.Document.kind == kind.name) & (m.Document.record_id == record_id))
            .scalar()
        )


def document_page(kind: Kind, query, args: dict) -> tuple[bytes, dict[str, str]]:
    """One page of a list of a kind's records: the JSON array of their stored documents, and its headers."""
    # The page's ids in the list's order (an index range), then their documents by primary key: two simple reads
    # that each engine plans well at any size (a join let SQLite sort every document).
    key, sort_key = kind.model._meta.primary_key, kind.model._meta.fields["sort_key"]
    keys = query.select(key, sort_key).tuples()
    rows, headers = paginate(query, args, page_query=keys, keyset=sort_key)
    ids = [record_id for record_id, _ in rows]
    with reading_documents(("kind", kind.name)):
        bodies: dict[str, str] = dict(
            tuples(
                m.Document.select(m.Document.record_id, m.Document.body).where(
                    (m.Document.kind == kind.name) & m.Document.record_id.in_(ids)
                )
            )
            if ids
            else ()
        )
    return list_body([bodies[record_id] for record_id in ids]), headers


def current_etag(kind: Kind, record_id: str, record: dict) -> str | None:
    """The ETag a GET of the record's URL answers now (what a write's If-Match is checked against): its item's,
    or for a record served in its owner's list (a resolution's votes), that list's first page's; None when it
    answers no record."""
    owner = kind.owner
    if kind.url is not None or owner is None or owner.listed is None:
        # Its own document, or its owner's, which serves it inside (an entity's roles).
        served, served_id = (
            (kind, record_id) if owner is None or kind.url is not None else (BY_NAME[owner.kind], record[owner.field])
        )
        document = stored_document(served, served_id)
        return None if document is None else etag_of(item_body(document))
    query = kind.select().where(kind.model._meta.fields[owner.field] == record[owner.field])
    query = query.order_by(order_key(kind.model._meta.fields["sort_key"]))
    body, headers = document_page(kind, query, LIST_ARGS[kind.name]().load({}))
    return etag_of(body, headers["X-Pagination"])
