"""Query-string arguments of the list endpoints."""

import datetime as dt

import marshmallow as ma
from marshmallow import validate

from .identifiers import parse_identifier
from .limits import MAX_ID_LENGTH as MAX_PARAMETER_LENGTH  # what the URL guard takes (service/web/guard.py)
from .vocabulary import (
    ATTRIBUTIONS,
    CHANGE_STATUSES,
    DATE_MATCHES,
    DISPUTE_KINDS,
    DISPUTE_STATUSES,
    DISPUTED_KINDS,
    ENTITY_KINDS,
    EVENT_KINDS,
    FACT_TYPES,
    MEASURE_KINDS,
    SEARCH_TYPES,
    SOURCE_KINDS,
    STANCES,
    VOTES,
)


class PageArgs(ma.Schema):
    """Pagination parameters, shared by every list endpoint."""

    page = ma.fields.Integer(
        load_default=1, validate=validate.Range(min=1), metadata={"description": "Page number, from 1.", "example": 1}
    )
    page_size = ma.fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Items per page, 1 to 100 (default 20).", "example": 20},
    )


class KeysetPageArgs(PageArgs):
    """Pagination of the lists of records: by page number, or by the cursor the previous page gave."""

    cursor = ma.fields.String(
        validate=validate.Length(min=1, max=MAX_PARAMETER_LENGTH),
        metadata={
            "description": "The next page's cursor, from the previous page's `Link: rel=\"next\"` or X-Pagination "
            "`next_cursor`, sent with that page's number: the page is then read in the same time at any depth. "
            "Opaque; a cursor for another page is refused.",
            "example": "WzEsIiJd",
        },
    )


def _names_an_identifier(text: str) -> None:
    """marshmallow validator: `?identifier=` names an identifier in a known scheme, in that scheme's form."""
    try:
        parse_identifier(text)
    except ValueError as error:
        raise ma.ValidationError(str(error)) from None


def _choice(choices: tuple[str, ...], description: str, example: str) -> ma.fields.String:
    return ma.fields.String(
        validate=validate.OneOf(choices),
        metadata={
            "description": f"{description} One of: {', '.join(choices)}.",
            "example": example,
            "enum": list(choices),
        },
    )


def _id(description: str, example: str) -> ma.fields.String:
    return ma.fields.String(
        validate=validate.Length(min=1, max=MAX_PARAMETER_LENGTH),
        metadata={"description": description, "example": example},
    )


def _text(description: str, example: str) -> ma.fields.String:
    return ma.fields.String(
        validate=validate.Length(min=1, max=MAX_PARAMETER_LENGTH),
        metadata={"description": description, "example": example},
    )


class DateRangeArgs(KeysetPageArgs):
    from_ = ma.fields.Date(
        data_key="from",
        metadata={
            "description": "Start of the date range (YYYY-MM-DD, inclusive); see `date_match`.",
            "example": "2017-08-05",
        },
    )
    to = ma.fields.Date(
        metadata={
            "description": "End of the date range (YYYY-MM-DD, inclusive); see `date_match`.",
            "example": "2017-08-07",
        }
    )
    date_match = ma.fields.String(
        load_default="overlaps",
        validate=validate.OneOf(DATE_MATCHES),
        metadata={
            "description": "How a record's date interval (`date_earliest` to `date_latest`) meets the range: "
            "`overlaps` (default: it may have happened in the range: an interval sharing at least one day with it) "
            "or `within` (it certainly happened in the range: the whole interval inside it). Records of unknown "
            "date are left out when a range is given. One of: overlaps, within.",
            "example": "overlaps",
            "enum": list(DATE_MATCHES),
        },
    )

    @ma.validates_schema
    def _ordered(self, data: dict, **kwargs) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ma.ValidationError("'from' must not be after 'to'", "from")


class SourceQueryArgs(KeysetPageArgs):
    kind = _choice(SOURCE_KINDS, "Only sources of this kind.", "article")


class EntityQueryArgs(KeysetPageArgs):
    kind = _choice(ENTITY_KINDS, "Only entities of this kind.", "person")
    country = _id("Only entities of this country (a country's entity id).", "north-korea")
    q = _text("Names and aliases containing this text, ignoring case, hyphens and accents.", "ri yong ho")
    identifier = ma.fields.String(
        validate=[validate.Length(min=1, max=MAX_PARAMETER_LENGTH), _names_an_identifier],
        metadata={
            "description": "The entity with this external identifier: `scheme:value` (`wikidata:Q423`, "
            "`wikipedia:https://en.wikipedia.org/wiki/North_Korea`, `unsc:KPi.066`), or the bare value, matched "
            "in every scheme whose form it has (`Q423`). Exact, case-sensitive.",
            "example": "wikidata:Q423",
        },
    )


class TopicQueryArgs(KeysetPageArgs):
    pass


class ResolutionQueryArgs(KeysetPageArgs):
    pass


class VoteQueryArgs(KeysetPageArgs):
    vote = _choice(VOTES, "Only members that voted this way.", "yes")


class MeasureQueryArgs(KeysetPageArgs):
    resolution = _id("Only measures of this resolution (its id).", "unsc-resolution-2371")
    kind = _choice(MEASURE_KINDS, "Only measures of this kind.", "export_ban")
    commodity = _text("Only export or import bans of this commodity (case-insensitive).", "coal")


class FigureQueryArgs(KeysetPageArgs):
    subject = _id("Only figures about this entity or resolution (its id).", "north-korea")
    metric = _text("Only figures of this metric.", "annual-export-revenue")


class EventQueryArgs(DateRangeArgs):
    kind = _choice(EVENT_KINDS, "Only events of this kind.", "meeting")
    participant = _id("Only events this entity took part in (its id).", "rex-tillerson")
    place = _id("Only events at this place (its entity id).", "manila")


class StatementQueryArgs(DateRangeArgs):
    speaker = _id("Only statements by this speaker (entity id).", "wang-yi")
    topic = _id("Only statements on this topic (see /topics).", "dialogue")
    stance = _choice(STANCES, "Only statements with this stance on their first topic.", "supports")
    source = _id("Only statements cited from this source (its id).", "presstv-manila-talks-2017-08-07")
    attribution = _choice(ATTRIBUTIONS, "Only statements whose attribution is this.", "ambiguous")
    hands = ma.fields.Integer(
        validate=validate.Range(min=1, max=20),
        metadata={
            "description": "Only statements that reached the source through this many hands, the source included "
            "(1 first-hand, 2 second-hand, 3 third-hand).",
            "example": 3,
        },
    )
    via_unnamed = ma.fields.Boolean(
        metadata={
            "description": "`true`: only statements whose attribution chain passes through an unnamed person (an "
            "unnamed official, a spokesman); `false`: only those whose chain does not.",
            "example": True,
        }
    )
    q = _text(
        "Statements whose quote, summary or speaker as written contains this text, ignoring case, accents and punctuation.",
        "sincerity",
    )


class DisputeQueryArgs(KeysetPageArgs):
    kind = _choice(DISPUTE_KINDS, "Only disputes of this kind.", "correction")
    status = _choice(DISPUTE_STATUSES, "Only disputes with this status.", "resolved")
    fact = _id(
        "Only disputes about this fact (its id; with `fact_type` when ids of two kinds coincide).",
        "unsc-resolution-2371",
    )
    fact_type = _choice(DISPUTED_KINDS, "Only disputes about a fact of this kind.", "resolution")


class FactQueryArgs(KeysetPageArgs):
    type = _choice(FACT_TYPES, "Only facts of this kind.", "event")
    min_independent_sources = ma.fields.Integer(
        validate=validate.Range(min=0, max=100),
        metadata={
            "description": "Only facts supported by at least this many independent sources (see `support`).",
            "example": 2,
        },
    )
    disputed = ma.fields.Boolean(
        metadata={
            "description": "`true`: only facts that are part of a dispute; `false`: only the others.",
            "example": True,
        }
    )


class ChangeQueryArgs(PageArgs):
    status = _choice(CHANGE_STATUSES, "Only changes with this status.", "pending")


class RevisionQueryArgs(PageArgs):
    after = ma.fields.Integer(
        validate=validate.Range(min=0),
        metadata={
            "description": "Only revisions after this revision number (the change feed since then).",
            "example": 0,
        },
    )
    kind = _text("Only revisions of records of this kind.", "statement")
    record = _id("Only revisions of the record with this id.", "ri-seoul-proposals-lacked-sincerity")
    since = ma.fields.AwareDateTime(
        default_timezone=dt.UTC,
        metadata={
            "description": "Only revisions published at or after this time (ISO 8601; UTC when no offset is given).",
            "example": "2026-12-02T00:00:00Z",
        },
    )
    since_version = ma.fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Only revisions published after the one that made this data version (`data_version` "
            "of /health, or a revision's `version`). A version no revision made or started from is a 422: "
            "use `after` with the last revision number you read.",
            "example": "5f0c3e9b8d7a6c5b4a3928171605f4e3d2c1b0a99887766554433221100ffeed",
        },
    )


class SearchQueryArgs(PageArgs):
    q = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_PARAMETER_LENGTH),
        metadata={
            "description": "Search words. Quoted phrases, OR, and -word to exclude are understood; any other text is taken literally.",
            "example": "six-party talks",
        },
    )
    type = _choice(SEARCH_TYPES, "Only hits of this type.", "statement")


class NoArgs(ma.Schema):
    """No query parameters: an operation that takes none refuses any (422), as the lists refuse unknown ones."""
