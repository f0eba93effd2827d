"""Schemas of the service's own responses: errors, health and search hits."""

import marshmallow as ma


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
    counts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "Number of records of each kind.", "example": {"entities": 40, "statements": 30}},
    )


class SearchHitSchema(ma.Schema):
    """One full-text search hit."""

    type = ma.fields.String(
        metadata={
            "description": "Kind of record: statement, entity, measure, event or dispute.",
            "example": "statement",
            "enum": ["statement", "entity", "measure", "event", "dispute"],
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
            "description": "Kind of fact: entity, resolution, measure, figure, event or statement.",
            "example": "event",
            "enum": ["entity", "resolution", "measure", "figure", "event", "statement"],
        }
    )
    id = ma.fields.String(
        metadata={"description": "Id of the fact; fetch it at `url`.", "example": "kang-ri-handshake-2017-08-06"}
    )
    label = ma.fields.String(
        metadata={
            "description": "A human label for the fact.",
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
