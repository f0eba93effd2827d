"""Query-string arguments of the list endpoints."""

import marshmallow as ma
from marshmallow import validate

from .vocabulary import ATTRIBUTIONS, ENTITY_KINDS, EVENT_KINDS, MEASURE_KINDS, SOURCE_KINDS, STANCES, VOTES


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
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "The next page's cursor, from the previous page's `Link: rel=\"next\"` or X-Pagination "
            "`next_cursor`, sent with that page's number: the page is then read in the same time at any depth. "
            "Opaque; a cursor for another page is refused.",
            "example": "WzEsIiJd",
        },
    )


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
        validate=validate.Length(min=1, max=200), metadata={"description": description, "example": example}
    )


def _text(description: str, example: str) -> ma.fields.String:
    return ma.fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": description, "example": example}
    )


class DateRangeArgs(KeysetPageArgs):
    from_ = ma.fields.Date(
        data_key="from", metadata={"description": "Only on or after this date (YYYY-MM-DD).", "example": "2017-08-05"}
    )
    to = ma.fields.Date(metadata={"description": "Only on or before this date (YYYY-MM-DD).", "example": "2017-08-07"})

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
    metric = _text("Only figures of this metric.", "annual-foreign-revenue")


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
    q = _text(
        "Statements whose quote, summary or speaker as written contains this text, ignoring case, accents and punctuation.",
        "sincerity",
    )


class SearchQueryArgs(PageArgs):
    q = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "Search words. Quoted phrases, OR, and -word to exclude are understood; any other text is taken literally.",
            "example": "six-party talks",
        },
    )
    type = _choice(("statement", "entity", "measure", "event"), "Only hits of this type.", "statement")
