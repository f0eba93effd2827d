"""The resources' Blueprint: list and item helpers, so a view only builds its query from its filters."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import marshmallow as ma
from flask_smorest import Blueprint, abort

from ..knowledge.kinds import Kind
from ..knowledge.records import records_of
from .pagination import PAGINATION_HEADERS, paginate


class ResourceBlueprint(Blueprint):
    """flask-smorest's Blueprint with the two shapes every resource has.

    - `@blp.list_of(kind, QueryArgs)`: the view takes the parsed query arguments and returns an ordered query;
      the helper refuses unknown parameters, pages the query (X-Pagination, Link, 404 past the end) and turns
      the page's rows into records, embedded links and citations included.
    - `@blp.item_of(kind)`: the view returns a query for one record; the helper answers it, or 404 naming the id.
    """

    def list_of(
        self, kind: Kind | type[ma.Schema], args_schema: type[ma.Schema], records: Callable[[list], list] | None = None
    ):
        schema = kind.schema if isinstance(kind, Kind) else kind
        to_records = records or (lambda rows: records_of(kind, rows))

        def decorator(view):
            @self.arguments(args_schema, location="query", unknown="raise")
            @self.response(200, schema(many=True), headers=PAGINATION_HEADERS)
            @wraps(view)
            def listed(*args, **kwargs):
                rows, headers = paginate(view(*args, **kwargs), args[-1])
                return to_records(rows), headers

            return listed

        return decorator

    def item_of(self, kind: Kind):
        def decorator(view):
            @self.response(200, kind.schema)
            @self.alt_response(404, response="NOT_FOUND")
            @wraps(view)
            def item(*args, **kwargs):
                row = view(*args, **kwargs).first()
                if row is None:
                    (record_id,) = kwargs.values()
                    abort(404, message=f"no {kind.name} with id {record_id!r}")
                return records_of(kind, [row])[0]

            return item

        return decorator
