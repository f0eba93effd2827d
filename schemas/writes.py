"""What a change's `record` holds, kind by kind, for the API's documentation: a create takes the fields a fixture
holds (what `GET` answers, without what the service computes, and without `id`, which the change names); an
update takes a JSON merge patch of the same fields, each optional, `null` removing one. The service checks both
with the kind's own schema, as it checks the fixtures."""

import copy

import marshmallow as ma

from .facts import record_schema_of
from .fields import fields_of
from .kinds import KIND_TABLE

# Each kind of record a change can create, update or delete, with its schema, in the table's order.
RECORD_SCHEMAS: dict[str, type[ma.Schema]] = {kind.name: record_schema_of(kind.name) for kind in KIND_TABLE}


def settable_fields(schema: type[ma.Schema]) -> list[str]:
    """The fields a change may set on a record of this schema: what a fixture holds, less the id (the change names
    it), what the service computes (dump-only) and what the service sets itself (load-only: an article's text file
    name is made from its id, so no name a curator sends ever reaches the file system)."""
    return list(fields_of(schema, computed=False, service_set=False, identity=False))


def _shape(schema: type[ma.Schema], patch: bool) -> type[ma.Schema]:
    name = schema.__name__.removesuffix("Schema") + ("Patch" if patch else "Create")
    fields = {}
    for field_name in settable_fields(schema):
        field = fields_of(schema)[field_name]
        field = copy.deepcopy(field)
        if patch:
            field.required, field.allow_none = False, True
        fields[field_name] = field
    doc = (
        f"An update's merge patch for a {schema.__name__.removesuffix('Schema').lower()}: any of its fields; null "
        "removes one."
        if patch
        else f"A new {schema.__name__.removesuffix('Schema').lower()}, as a fixture holds it (without its id)."
    )
    return type(f"{name}Schema", (ma.Schema,), {**fields, "__doc__": doc})


# kind -> (the create's schema, the update's), named <Kind>Create and <Kind>Patch in the spec.
RECORD_SHAPES: dict[str, tuple[type[ma.Schema], type[ma.Schema]]] = {
    kind: (_shape(schema, patch=False), _shape(schema, patch=True)) for kind, schema in RECORD_SCHEMAS.items()
}


def shape_name(schema: type[ma.Schema]) -> str:
    return schema.__name__.removesuffix("Schema")


RECORD_REFS = [
    {"$ref": f"#/components/schemas/{shape_name(shape)}"} for pair in RECORD_SHAPES.values() for shape in pair
]
