"""Schemas of the suggestions on an article (POST /api/v1/suggestions): the request and the answer."""

import marshmallow as ma
from marshmallow import validate

from .dates import time_zones
from .facts import DateOf, Name, Slug, Term
from .limits import MAX_ARTICLE_LENGTH, article_text

SUGGESTION_KINDS = ("entity", "date", "figure", "quotation")
CANDIDATE_BASES = ("named", "according_to", "quoted_as_saying", "pronoun", "previous_quotation", "mentioned")


class SuggestionRequestSchema(ma.Schema):
    """An article to read: its text and metadata, or a published article by id."""

    text = ma.fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=MAX_ARTICLE_LENGTH), article_text],
        metadata={
            "description": f"The article's text, as it will be stored (at most {MAX_ARTICLE_LENGTH:,} code points; no "
            "control character but tab and line breaks). Leave it out to read the published article `source`.",
            "example": "Mon Aug 7, 2017 7:19AM\n\nKang Kyung-wha shook hands with Ri Yong-ho in Manila on Sunday.",
        },
    )
    source = Slug(
        "With `text`: the id the article has or will have, which the proposals' citations name (null without). "
        "Without `text`: a published article, whose text and metadata are read.",
        "presstv-manila-talks-2017-08-07",
        load_default=None,
        allow_none=True,
    )
    dateline = Name(
        "The dateline as printed; relative dates count from the day it prints when `published_on` is not given.",
        "Mon Aug 7, 2017 7:19AM",
        load_default=None,
        allow_none=True,
    )
    published_on = DateOf("The publication date, which relative dates count from.", "2017-08-07", load_default=None)
    date_precision = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(("day", "unknown")),
        metadata={
            "description": "How precise `published_on` is: `day` (the default when it is given) or `unknown` (no "
            "`published_on`).",
            "example": "day",
            "enum": ["day", "unknown"],
        },
    )
    time_zone = Term(
        "The IANA time zone of the article's calendar, where known: the dates' `time_zone`.",
        "Asia/Manila",
        allow_none=True,
        load_default=None,
    )

    @ma.validates_schema
    def _one_article(self, data: dict, **kwargs) -> None:
        if data.get("text") is None:
            if data.get("source") is None:
                raise ma.ValidationError(
                    "give the article's `text`, or the id of a published article as `source`", "text"
                )
            for name in ("dateline", "published_on", "date_precision"):
                if data.get(name) is not None:
                    raise ma.ValidationError(
                        f"a published article's own {name} is read: send `{name}` only with `text`", name
                    )
        precision = data.get("date_precision")
        if precision == "unknown" and data.get("published_on") is not None:
            raise ma.ValidationError("a publication date of precision 'unknown' has no `published_on`", "published_on")
        zone = data.get("time_zone")
        if zone is not None and zone not in time_zones():
            raise ma.ValidationError(f"{zone!r} is not an IANA time zone name such as 'Asia/Manila'", "time_zone")


class FormSchema(ma.Schema):
    """The form a suggestion pre-fills: a change proposing a new record, or one citing the passage on a record."""

    kind = ma.fields.String(
        metadata={
            "description": "The record kind of the change (a `kind` of POST /api/v1/changes).",
            "example": "entity",
        }
    )
    action = ma.fields.String(
        metadata={
            "description": "`update` (cite the passage on the existing record `id`) or `create` (a new record).",
            "example": "update",
            "enum": ["create", "update"],
        }
    )
    id = ma.fields.String(
        allow_none=True,
        metadata={"description": "The existing record, for `update`; null for `create`.", "example": "ri-yong-ho"},
    )
    label = ma.fields.String(
        metadata={"description": "What the form is for, in words (the entity's name).", "example": "Ri Yong-ho"}
    )


class CandidateSchema(ma.Schema):
    """Someone who may have said a quotation."""

    entity = ma.fields.String(
        allow_none=True,
        metadata={"description": "The entity's id; null when the words name no known entity.", "example": "wang-yi"},
    )
    name = ma.fields.String(
        allow_none=True, metadata={"description": "The entity's name; null with `entity`.", "example": "Wang Yi"}
    )
    as_written = ma.fields.String(
        metadata={"description": "How the text names the speaker (a `speaker_as_written`).", "example": "Wang"}
    )
    start = ma.fields.Integer(metadata={"description": "Where the text names the speaker.", "example": 1816})
    end = ma.fields.Integer(metadata={"description": "The end of those words (exclusive).", "example": 1820})
    basis = ma.fields.String(
        metadata={
            "description": "Why it is a candidate, strongest first: `named` (the subject of a speech verb: 'Wang said', "
            "'said Wang'), `according_to`, `quoted_as_saying` ('quoted Ri as saying'), `pronoun` ('he said': the "
            "last person named before it), `previous_quotation` (no attribution: the speaker of the quotation "
            "before), `mentioned` (a person or body its sentence names).",
            "example": "named",
            "enum": list(CANDIDATE_BASES),
        }
    )


class SuggestionSchema(ma.Schema):
    """Something in the article a curator may cite: its exact span, and what accepting it pre-fills."""

    kind = ma.fields.String(
        metadata={
            "description": "`entity` (a known entity's name or alias), `date`, `figure` or `quotation` (quoted speech).",
            "example": "entity",
            "enum": list(SUGGESTION_KINDS),
        }
    )
    start = ma.fields.Integer(
        metadata={"description": "Where it starts in the text, in code points (Python `str` indices).", "example": 525}
    )
    end = ma.fields.Integer(metadata={"description": "Where it ends (exclusive): `text[start:end]`.", "example": 535})
    text = ma.fields.String(metadata={"description": "The text at `start:end`, verbatim.", "example": "Ri Yong-ho"})
    form = ma.fields.Nested(
        FormSchema,
        metadata={
            "description": "The form it pre-fills.",
            "example": {"kind": "entity", "action": "update", "id": "ri-yong-ho", "label": "Ri Yong-ho"},
        },
    )
    proposal = ma.fields.Dict(
        metadata={
            "description": "Fields of the form's `<Kind>Create` shape to pre-fill (never a whole record: the curator "
            "completes it): `citations` always, with the passage; a date's `date_earliest`, `date_latest`, "
            "`date_precision`, `date_derivation`, `time_zone`; a figure's `value_kind`, `value`, `value_max`, `unit`, "
            "`as_stated`, `approximate` (and `metric` for a vote's tally); a quotation's `speaker`, "
            "`speaker_as_written`, `quote`, `attribution`, `attribution_note`, `attribution_chain`.",
            "example": {
                "citations": [
                    {"source": "presstv-manila-talks-2017-08-07", "quote": "Ri Yong-ho", "start": 525, "end": 535}
                ]
            },
        }
    )
    candidates = ma.fields.List(
        ma.fields.Nested(CandidateSchema),
        metadata={"description": "For a quotation: who may have said it, best first; empty otherwise."},
    )
    note = ma.fields.String(
        allow_none=True,
        metadata={"description": "What the curator should know about it, or null.", "example": None},
    )


class AnchorSchema(ma.Schema):
    """The day the article's relative dates count from."""

    date = ma.fields.String(metadata={"description": "The day (ISO 8601).", "example": "2017-08-07"})
    words = ma.fields.String(
        metadata={"description": "How the derivations name it.", "example": "dateline Mon 7 Aug 2017"}
    )
    note = ma.fields.String(
        allow_none=True,
        metadata={"description": "Why this day, where the dateline and the publication date differ.", "example": None},
    )


class SuggestionsSchema(ma.Schema):
    """The suggestions on one article, in the order of its text."""

    anchor = ma.fields.Nested(
        AnchorSchema,
        allow_none=True,
        metadata={
            "description": "The day relative dates count from; null when neither date is known (then no relative "
            "date is suggested).",
            "example": {"date": "2017-08-07", "words": "dateline Mon 7 Aug 2017", "note": None},
        },
    )
    counts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={
            "description": "How many suggestions of each kind.",
            "example": {"entity": 102, "date": 7, "figure": 7, "quotation": 8},
        },
    )
    suggestions = ma.fields.List(
        ma.fields.Nested(SuggestionSchema),
        metadata={"description": "Every suggestion, by `start`, then `end`, then kind."},
    )
