"""Schemas of the service's own responses: errors, health and search hits."""

import marshmallow as ma
import marshmallow.validate  # noqa: F401  (ma.validate)

from .limits import MAX_ID_LENGTH, MAX_REVIEW_NOTE_LENGTH, MAX_SUMMARY_LENGTH, storable
from .vocabulary import CHANGE_STATUSES, FACT_TYPES, KIND_NAMED, SEARCH_TYPES
from .writes import RECORD_REFS, RECORD_SCHEMAS

# Kinds of record a change can create, update or delete (knowledge/kinds.py), in the registry's order.
CHANGE_KINDS = tuple(RECORD_SCHEMAS)


def _one_of(words: tuple[str, ...]) -> str:
    """Words as prose: "a, b or c"."""
    return f"{', '.join(words[:-1])} or {words[-1]}"


class ProblemSchema(ma.Schema):
    """An error, as RFC 9457 problem details (media type application/problem+json)."""

    type = ma.fields.String(
        metadata={
            "description": "A URI naming the kind of problem; `about:blank` for plain HTTP errors.",
            "example": "about:blank",
        }
    )
    title = ma.fields.String(metadata={"description": "Short summary of the HTTP status.", "example": "Not Found"})
    status = ma.fields.Integer(metadata={"description": "The HTTP status code.", "example": 404})
    detail = ma.fields.String(
        metadata={
            "description": "What went wrong with this request, in words.",
            "example": "no entity with id 'kim-jong-il'",
        }
    )
    instance = ma.fields.String(
        metadata={"description": "The path of the request that failed.", "example": "/api/v1/entities/kim-jong-il"}
    )
    errors = ma.fields.Dict(
        metadata={
            "description": "For invalid input: messages by location and parameter name.",
            "example": {"query": {"kind": ["Must be one of: person, country, organization, place."]}},
        }
    )


class HealthSchema(ma.Schema):
    """Whether the service can answer, and how much knowledge it holds."""

    status = ma.fields.String(metadata={"description": "`ok` when the database answered.", "example": "ok"})
    database = ma.fields.String(metadata={"description": "`reachable` when a query succeeded.", "example": "reachable"})
    engine = ma.fields.String(metadata={"description": "The database engine in use.", "example": "sqlite"})
    facts = ma.fields.Integer(metadata={"description": "Number of facts loaded (all kinds).", "example": 180})
    version = ma.fields.String(
        metadata={
            "description": "The release of the service's code answering (semantic versioning: a new major version "
            "changes an answer in a way clients may not expect; docs/versioning.md). It says nothing about the "
            "knowledge served: that is `data_version`.",
            "example": "2.0.0",
        }
    )
    data_version = ma.fields.String(
        metadata={
            "description": "The data version served: it changes with every publication and every reload "
            "(`/api/v1/revisions?since_version=` gives the revisions since one).",
            "example": "5f0c3e9b8d7a6c5b4a3928171605f4e3d2c1b0a99887766554433221100ffeed",
        }
    )
    counts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={
            "description": "Number of records of each kind.",
            "example": {KIND_NAMED["entity"].plural: 40, KIND_NAMED["statement"].plural: 30},
        },
    )


class SearchHitSchema(ma.Schema):
    """One full-text search hit."""

    type = ma.fields.String(
        metadata={
            "description": f"Kind of record: {_one_of(SEARCH_TYPES)}.",
            "example": "statement",
            "enum": list(SEARCH_TYPES),
        }
    )
    id = ma.fields.String(
        metadata={
            "description": "Id of the record; fetch it at `url`.",
            "example": "lavrov-strong-commitment-resume-six-party-talks",
        }
    )
    label = ma.fields.String(
        metadata={
            "description": "A human label for the record.",
            "example": "Lavrov: strong commitment to resume six-party talks",
        }
    )
    snippet = ma.fields.String(
        metadata={
            "description": "Matching text with matches wrapped in [brackets].",
            "example": "There is a strong commitment to resume [six]-[party] [talks]",
        }
    )
    url = ma.fields.String(
        metadata={
            "description": "API path of the record.",
            "example": "/api/v1/statements/lavrov-strong-commitment-resume-six-party-talks",
        }
    )
    score = ma.fields.Float(metadata={"description": "Relevance; higher is better.", "example": 4.2})


class FactSummarySchema(ma.Schema):
    """A fact, how many sources support it and how many of them independently, and its disputes."""

    type = ma.fields.String(
        metadata={
            "description": f"Kind of fact: {_one_of(FACT_TYPES)}.",
            "example": "event",
            "enum": list(FACT_TYPES),
        }
    )
    id = ma.fields.String(
        metadata={"description": "Id of the fact; fetch it at `url`.", "example": "kang-ri-handshake-2017-08-06"}
    )
    label = ma.fields.String(
        metadata={
            "description": "A human label for the fact. A statement's starts with its speaker's name, or 'Unidentified "
            "speaker' when the knowledge identifies none, never with the pronoun a source may write.",
            "example": "Kang Kyung-wha and Ri Yong-ho shake hands in Manila",
        }
    )
    url = ma.fields.String(
        metadata={"description": "API path of the fact.", "example": "/api/v1/events/kang-ri-handshake-2017-08-06"}
    )
    sources = ma.fields.Integer(metadata={"description": "Distinct sources with a supporting citation.", "example": 2})
    independent_sources = ma.fields.Integer(
        metadata={
            "description": "The most supporting sources no two of which derive from a common source.",
            "example": 2,
        }
    )
    disputes = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Ids of the disputes this fact is part of (see /disputes).", "example": []},
    )


class TokenHolderSchema(ma.Schema):
    """Who the presented bearer token belongs to (never the token itself)."""

    name = ma.fields.String(
        metadata={"description": "The token's name, as given when it was created.", "example": "desk-anna"}
    )
    role = ma.fields.String(
        metadata={
            "description": "`curator` (proposes changes), `editor` (reviews them, and proposes) or `admin` (manages tokens).",
            "example": "curator",
            "enum": ["curator", "editor", "admin"],
        }
    )
    created_at = ma.fields.String(
        metadata={"description": "When the token was created (UTC, ISO 8601).", "example": "2026-12-02T01:50:00"}
    )


def _edit_summary(description: str, example: str) -> ma.fields.String:
    """Every change carries an edit summary (shown in its revision)."""
    return ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=MAX_SUMMARY_LENGTH), storable],
        metadata={"description": description, "example": example},
    )


class ChangeProposalSchema(ma.Schema):
    """A change to propose: a record to create, a JSON merge patch to apply, or a record to delete."""

    kind = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(CHANGE_KINDS),
        metadata={
            "description": f"The kind of record. One of: {', '.join(CHANGE_KINDS)}.",
            "example": "statement",
            "enum": list(CHANGE_KINDS),
        },
    )
    action = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(("create", "update", "delete")),
        metadata={
            "description": "`create` a record, `update` one with a JSON merge patch (RFC 7396) or `delete` one; "
            "update and delete need `If-Match` with the record's current ETag.",
            "example": "create",
            "enum": ["create", "update", "delete"],
        },
    )
    id = ma.fields.String(
        required=True,
        validate=[
            ma.validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="must be a lowercase slug such as 'ri-yong-ho'"),
            # The longest id a URL may name (the URL guard's limit), so the record can be read where it is published.
            ma.validate.Length(max=MAX_ID_LENGTH),
        ],
        metadata={"description": "The record's id (stable forever).", "example": "kang-urges-ri-dialogue-2017-08-06"},
    )
    record = ma.fields.Dict(
        load_default=None,
        metadata={
            "description": "For create: the whole record, as a fixture holds it (see the kind's schema); for update: "
            "the merge patch. A quoted citation may leave out `start` and `end`: they are found in the source. "
            "Omitted for delete. The shapes are `<Kind>Create` and `<Kind>Patch` (the `kind` says which kind).",
            "example": {"speaker": "kang-kyung-wha"},
            "anyOf": RECORD_REFS,
        },
    )
    text = ma.fields.String(
        load_default=None,
        validate=storable,
        metadata={
            "description": "For an article (kind `source`, record kind `article`): its text, stored verbatim with its "
            "SHA-256; it cannot change once a fact cites it. As long as the request body's limit allows "
            "(`KB_MAX_BODY_BYTES`, 1 MiB by default).",
            "example": None,
        },
    )
    summary = _edit_summary("The edit summary: what changes and why.", "Add Kang's appeal to Ri, from Press TV.")

    @ma.validates_schema
    def _record_fits_the_action(self, data, **kwargs):
        action, record = data.get("action"), data.get("record")
        if action in ("create", "update") and record is None:
            raise ma.ValidationError(
                (
                    "a create needs `record`: the whole record"
                    if action == "create"
                    else "an update needs `record`: the merge patch ({} to change only an article's text)"
                ),
                "record",
            )
        if action == "update" and record == {} and data.get("text") is None:
            raise ma.ValidationError(
                "the merge patch is empty and no `text` is given: the update changes nothing", "record"
            )
        if action == "delete" and (record is not None or data.get("text") is not None):
            raise ma.ValidationError("a delete takes no `record` or `text`", "record")


class ChangeSchema(ma.Schema):
    """A change proposed through the curation API, and what became of it."""

    id = ma.fields.Integer(metadata={"description": "Number of the change.", "example": 1})
    kind = ma.fields.String(metadata={"description": "The kind of record.", "example": "statement"})
    record_id = ma.fields.String(
        metadata={"description": "The record's id.", "example": "kang-urges-ri-dialogue-2017-08-06"}
    )
    action = ma.fields.String(metadata={"description": "create, update or delete.", "example": "create"})
    status = ma.fields.String(
        metadata={
            "description": "`pending` review, `published` (approved by an editor other than its author) or `rejected`.",
            "example": "pending",
            "enum": list(CHANGE_STATUSES),
        }
    )
    summary = ma.fields.String(metadata={"description": "The edit summary.", "example": "Add Kang's appeal to Ri."})
    author = ma.fields.String(metadata={"description": "The proposing token's name.", "example": "desk-anna"})
    created_at = ma.fields.String(
        metadata={"description": "When it was proposed (UTC).", "example": "2026-12-02T02:30:00"}
    )
    reviewer = ma.fields.String(
        allow_none=True, metadata={"description": "The reviewing editor's token name.", "example": None}
    )
    review_note = ma.fields.String(allow_none=True, metadata={"description": "Why it was rejected.", "example": None})
    reviewed_at = ma.fields.String(
        allow_none=True, metadata={"description": "When it was reviewed (UTC).", "example": None}
    )
    revision = ma.fields.Integer(
        allow_none=True, metadata={"description": "Its revision number once published (1, 2, 3...).", "example": None}
    )
    before = ma.fields.Dict(
        allow_none=True, metadata={"description": "The record as published before the change.", "example": None}
    )
    record = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "The record as proposed (offsets filled in); null for a delete.", "example": {}},
    )
    after = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": "Once published: the record as published after the change (what its URL then served, "
            "as a fixture holds it); null for a delete or before publication.",
            "example": None,
        },
    )
    version = ma.fields.String(
        allow_none=True,
        metadata={"description": "Once published: the data version its publication made.", "example": None},
    )
    reverts = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "The revision this change undoes, if it is a revert.", "example": None},
    )


class RevertSchema(ma.Schema):
    """An editor's proposal to undo a published revision."""

    summary = _edit_summary(
        "The edit summary: why the revision is undone.", "Revert: the quote is Yonhap's paraphrase."
    )


class ReviewSchema(ma.Schema):
    """An editor's rejection of a change."""

    note = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=MAX_REVIEW_NOTE_LENGTH), storable],
        metadata={
            "description": "Why the change is rejected.",
            "example": "The quote is Yonhap's paraphrase, not Kang's words.",
        },
    )


class ExportSchema(ma.Schema):
    """One bulk export of the whole knowledge: where it is and what it holds."""

    name = ma.fields.String(metadata={"description": "The export's name.", "example": "records.ndjson"})
    url = ma.fields.String(
        metadata={"description": "Where to download it (GET).", "example": "/api/v1/exports/records.ndjson"}
    )
    media_type = ma.fields.String(
        metadata={"description": "Its media type (Content-Type).", "example": "application/x-ndjson"}
    )
    description = ma.fields.String(
        metadata={
            "description": "What it holds.",
            "example": "Every record as the API serves it, citations included, one JSON object a line.",
        }
    )
