"""Forms generated from a kind's create shape (`<Kind>Create` in the spec, schemas/writes.py): a new fact citing a
selected passage, and a correction of an existing fact. Each field of the shape becomes one control, by its type:
a choice a select, a date a date input, a whole number a number input, a list of ids a comma-separated input with
the search's picker, anything nested (an attribution chain, roles) a JSON text area. The values typed are kept as
typed; what they give is checked by the same shape, field by field, then by the review workflow."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import marshmallow as ma

from schemas.writes import RECORD_SHAPES

from ..knowledge.kinds import BY_NAME

LONG_TEXT = 300  # a string field allowing more characters than this is a text area


@dataclass(frozen=True)
class Control:
    """One field of a kind's form: its name, how it is typed, whether it must be given, its choices, its help."""

    name: str
    widget: str  # text, textarea, date, number, select, list, json, boolean
    required: bool
    description: str
    choices: tuple[str, ...] = ()
    picks: tuple[str, ...] = ()  # the kinds of record it names (the picker searches them)
    maxlength: int | None = None


@dataclass
class Filled:
    """A form as typed (`values`, by field name), the record it gives, and its problems by field."""

    values: dict[str, str] = field(default_factory=dict)
    record: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def controls(kind_name: str, skip: tuple[str, ...] = ("citations",)) -> list[Control]:
    """The kind's create shape as form controls, in the shape's order (the citations are the passage's)."""
    shape = RECORD_SHAPES[kind_name][0]
    references = {ref.field: ref.targets for ref in BY_NAME[kind_name].references}
    found = []
    for name, spec in shape._declared_fields.items():
        if name in skip:
            continue
        description = str(spec.metadata.get("description", ""))
        picks = references.get(name, ())
        found.append(_control(name, spec, description, picks))
    return found


def _control(name: str, spec: ma.fields.Field, description: str, picks: tuple[str, ...]) -> Control:
    required = bool(spec.required)
    if isinstance(spec, ma.fields.Date):
        return Control(name, "date", required, description)
    if isinstance(spec, ma.fields.Boolean):
        return Control(name, "boolean", required, description)
    if isinstance(spec, ma.fields.Integer | ma.fields.Float | ma.fields.Decimal):
        return Control(name, "number", required, description)
    if isinstance(spec, ma.fields.List) and isinstance(spec.inner, ma.fields.String):
        return Control(name, "list", required, description, picks=picks)
    if isinstance(spec, ma.fields.String):
        choices = next((tuple(v.choices) for v in spec.validators if isinstance(v, ma.validate.OneOf)), ())
        if choices:
            return Control(name, "select", required, description, choices=choices)
        longest = next((v.max for v in spec.validators if isinstance(v, ma.validate.Length) and v.max), None)
        widget = "textarea" if longest is None or longest > LONG_TEXT else "text"
        return Control(name, widget, required, description, picks=picks, maxlength=longest)
    return Control(name, "json", required, description)


def as_typed(control: Control, value) -> str:
    """A record's value as its control shows it."""
    if value is None:
        return ""
    if control.widget == "list":
        return ", ".join(map(str, value))
    if control.widget == "json":
        return json.dumps(value, ensure_ascii=False, indent=2)
    if control.widget == "boolean":
        return "true" if value else "false"
    return str(value)


def read(kind_name: str, form, fields: list[Control]) -> Filled:
    """The record a sent form gives (a field left empty is absent), each value converted by its control's type and
    checked by the kind's create shape; problems by field name."""
    filled = Filled(values={c.name: form.get(c.name, "") for c in fields})
    for control in fields:
        typed = filled.values[control.name].strip()
        if not typed:
            continue
        try:
            filled.record[control.name] = _value(control, typed)
        except ValueError as error:
            filled.errors[control.name] = str(error)
    shape = RECORD_SHAPES[kind_name][0]
    try:
        shape(partial=tuple(c.name for c in fields if not c.required)).load(
            {k: v for k, v in filled.record.items() if k not in filled.errors}, partial=True
        )
    except ma.ValidationError as error:
        for name, messages in error.normalized_messages().items():
            if name in filled.values:
                filled.errors.setdefault(str(name), words(messages))
    for control in fields:
        if control.required and control.name not in filled.record and control.name not in filled.errors:
            filled.errors[control.name] = "Required."
    return filled


def _value(control: Control, typed: str):
    if control.widget == "number":
        try:
            return int(typed)
        except ValueError:
            try:
                return float(typed)
            except ValueError:
                raise ValueError("Not a number.") from None
    if control.widget == "boolean":
        if typed not in ("true", "false"):
            raise ValueError("Choose yes or no.")
        return typed == "true"
    if control.widget == "list":
        return [part.strip() for part in typed.split(",") if part.strip()]
    if control.widget == "json":
        try:
            return json.loads(typed)
        except json.JSONDecodeError as error:
            raise ValueError(f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}).") from None
    return typed


def words(messages) -> str:
    """marshmallow's messages (a list, or a dict by field) as one line of words."""
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {words(value)}" for key, value in messages.items())
    if isinstance(messages, list):
        return " ".join(words(message) for message in messages)
    return str(messages)


def id_problem(kind_name: str, record_id: str) -> str | None:
    """What the kind's schema says of a record id (a slug of bounded length), or None when it is one."""
    try:
        BY_NAME[kind_name].schema().fields["id"].deserialize(record_id)
    except ma.ValidationError as error:
        return words(error.messages)
    return None


def problems_by_field(problems: list[str], names) -> dict[str, str]:
    """The workflow's problems (worded as `check` words them) placed next to the fields they name."""
    placed: dict[str, str] = {}
    for name in names:
        for problem in problems:
            if f"{name} " in problem or f"{name}:" in problem or f'"{name}"' in problem or f"'{name}'" in problem:
                placed.setdefault(name, problem)
    return placed
