"""Lookups that answer HTTP errors: 404 for an unknown id, 422 for a filter the data cannot satisfy."""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

import flask_smorest
from peewee import Model

# flask-smorest's abort (an HTTP error carrying its message, answered as problem details), typed: the library ships
# no type information, so a type checker cannot tell that it never returns.
abort: Callable[..., NoReturn] = flask_smorest.abort

RowModel = TypeVar("RowModel", bound=Model)


def get_or_404(model: type[RowModel], record_id: str, noun: str) -> RowModel:
    """Fetch one row by id or answer 404 naming what was not found."""
    row = model.get_or_none(model._meta.primary_key == record_id)
    if row is None:
        abort(404, message=f"no {noun} with id {record_id!r}")
    return row


def reject_filter(param: str, reason: str, explanation: str | None = None) -> NoReturn:
    """Answer 422 for a query parameter the schema accepted but the data cannot (in the webargs error shape)."""
    abort(
        422,
        message=f"Invalid request: query parameter '{param}': {explanation or reason}",
        errors={"query": {param: [reason]}},
    )


def require_known(param: str, value: str, model: type[Model], noun: str, kinds: tuple[str, ...] | None = None) -> None:
    """Answer 422 when a filter names an id that does not exist (rather than silently returning nothing)."""
    query = model.select().where(model._meta.primary_key == value)
    if kinds:
        query = query.where(model._meta.fields["kind"].in_(kinds))
    if not query.exists():
        reject_filter(param, f"no {noun} with id {value!r}")
