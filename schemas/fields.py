"""A schema's fields, read through marshmallow's public `Schema.fields`: the one place the code asks a schema which
fields it has (the create and patch shapes, the fixture layout, the served columns, the CSV columns, the citable
fields), each caller saying which of them it wants."""

from __future__ import annotations

from functools import cache

import marshmallow as ma


@cache
def _bound_fields(schema: type[ma.Schema]) -> dict[str, ma.fields.Field]:
    return dict(schema().fields)


def fields_of(
    schema: type[ma.Schema] | ma.Schema,
    *,
    computed: bool = True,
    service_set: bool = True,
    identity: bool = True,
    citations: bool = True,
) -> dict[str, ma.fields.Field]:
    """A schema's fields by name, in declared order. Leave out what the service computes (`computed=False`: the
    dump-only fields), what the service sets itself (`service_set=False`: the load-only fields, such as an
    article's file name), the `id` (`identity=False`) or the `citations` (`citations=False`)."""
    bound = _bound_fields(schema) if isinstance(schema, type) else dict(schema.fields)
    return {
        name: field
        for name, field in bound.items()
        if (computed or not field.dump_only)
        and (service_set or not field.load_only)
        and (identity or name != "id")
        and (citations or name != "citations")
    }
