"""The facts of the knowledge base: one schema per kind, used for fixtures (load) and responses (dump)."""

import marshmallow as ma
from marshmallow import validate

from .vocabulary import (
    ATTRIBUTIONS,
    DATE_PRECISIONS,
    ENTITY_KINDS,
    EVENT_KINDS,
    MEASURE_KINDS,
    SLUG_PATTERN,
    SOURCE_KINDS,
    STANCES,
    UNITS,
    VOTES,
)

slug = validate.Regexp(SLUG_PATTERN, error="must be a lowercase slug such as 'ri-yong-ho'")


def Slug(description: str, example: str, **kwargs) -> ma.fields.String:  # noqa: N802 - a field factory
    """A reference to a record by its id."""
    return ma.fields.String(validate=slug, metadata={"description": description, "example": example}, **kwargs)


def Text(description: str, example, **kwargs) -> ma.fields.String:  # noqa: N802
    return ma.fields.String(metadata={"description": description, "example": example}, **kwargs)


def Choice(choices: tuple[str, ...], description: str, example: str, **kwargs) -> ma.fields.String:  # noqa: N802
    return ma.fields.String(
        validate=validate.OneOf(choices),
        metadata={
            "description": f"{description} One of: {', '.join(choices)}.",
            "example": example,
            "enum": list(choices),
        },
        **kwargs,
    )


def DateOf(description: str, example: str | None, **kwargs) -> ma.fields.Date:  # noqa: N802
    return ma.fields.Date(allow_none=True, metadata={"description": description, "example": example}, **kwargs)


class CitationSchema(ma.Schema):
    """A passage of a source that supports a fact: `text[start:end] == quote`."""

    source = Slug("Id of the cited source (see /sources).", "presstv-manila-talks-2017-08-07", required=True)
    quote = Text(
        "The supporting passage, copied verbatim from the source; null for a reference source, which has no text here.",
        "Council members, including Pyongyang's traditional allies, Beijing and Moscow, voted 15-0",
        allow_none=True,
        load_default=None,
    )
    start = ma.fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0),
        metadata={
            "description": "Offset of the quote's first character in the source text, in Unicode code points.",
            "example": 1878,
        },
    )
    end = ma.fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1),
        metadata={
            "description": "Offset just past the quote's last character: `text[start:end] == quote`.",
            "example": 1967,
        },
    )

    @ma.validates_schema
    def _offsets_match_quote(self, data: dict, **kwargs) -> None:
        quote, start, end = data.get("quote"), data.get("start"), data.get("end")
        if quote is None:
            if start is not None or end is not None:
                raise ma.ValidationError("start and end are only given with a quote", "start")
            return
        if start is None or end is None:
            raise ma.ValidationError("a quote needs its start and end offsets", "start")
        if end - start != len(quote):
            raise ma.ValidationError(
                f"end - start is {end - start} but the quote is {len(quote)} characters long", "end"
            )


def Citations() -> ma.fields.List:  # noqa: N802
    return ma.fields.List(
        ma.fields.Nested(CitationSchema),
        required=True,
        validate=validate.Length(min=1, error="every fact needs at least one citation"),
        metadata={"description": "The passages that support this fact; at least one."},
    )


def SlugList(description: str, example: list[str], **kwargs) -> ma.fields.List:  # noqa: N802
    return ma.fields.List(
        ma.fields.String(validate=slug), metadata={"description": description, "example": example}, **kwargs
    )


class SourceSchema(ma.Schema):
    """A source: an article (its text is in the project) or a reference to public record."""

    id = Slug("Stable id of the source.", "presstv-manila-talks-2017-08-07", required=True)
    kind = Choice(
        SOURCE_KINDS,
        "`article`: text held here and quoted; `reference`: public record, cited without quotes.",
        "article",
        required=True,
    )
    file = ma.fields.String(
        load_only=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "File name of the article's text in seeds/.", "example": "000_04aad605d0849ab7.txt"},
    )
    title = Text("Title as published.", "Philippine capital hosts high-level talks on North Korea", required=True)
    publisher = Text(
        "Who published it; null when the source does not say.", "Press TV", allow_none=True, load_default=None
    )
    author = Text("Author as printed; null when not given.", "Melinda Barton", allow_none=True, load_default=None)
    published_on = DateOf("Publication date as best established.", "2017-08-07", load_default=None)
    date_precision = Choice(DATE_PRECISIONS, "How precise published_on is.", "day", load_default="day")
    date_derivation = Text(
        "How the publication date was established.",
        "From the dateline 'Mon Aug 7, 2017 7:19AM'.",
        allow_none=True,
        load_default=None,
    )
    dateline = Text(
        "The date line exactly as printed in the source.", "Mon Aug 7, 2017 7:19AM", allow_none=True, load_default=None
    )
    url = Text(
        "Where the source can be read; null when unknown.",
        "https://undocs.org/S/RES/2371(2017)",
        allow_none=True,
        load_default=None,
    )
    sha256 = Text(
        "SHA-256 of the article's text file, hex; null for references.",
        "58bb022cf60e00f9b405d38bea9f7f27a6f9d52f0d8a9821cf25d9349248a348",
        allow_none=True,
        load_default=None,
        validate=validate.Regexp(r"^[0-9a-f]{64}$"),
    )
    note = Text(
        "Curator's note on the source.", "Republished by GlobalSecurity.org.", allow_none=True, load_default=None
    )

    @ma.validates_schema
    def _article_has_text(self, data: dict, **kwargs) -> None:
        if data.get("kind") == "article" and not (data.get("file") and data.get("sha256")):
            raise ma.ValidationError("an article names its text file and the file's sha256", "file")
        if data.get("kind") == "reference" and not data.get("url"):
            raise ma.ValidationError("a reference gives the URL where it can be checked", "url")


class TopicSchema(ma.Schema):
    """A term of the controlled vocabulary of statement topics."""

    id = Slug("Topic id, used in /statements?topic=.", "six-party-talks", required=True)
    description = Text(
        "What statements on this topic are about.",
        "Multilateral talks among the two Koreas, China, Japan, Russia and the United States.",
        required=True,
    )


class RoleSchema(ma.Schema):
    """A position a person held, as the sources describe it."""

    id = Slug("Stable id of the role.", "ri-yong-ho-foreign-minister", required=True)
    entity = Slug("The person holding the role.", "ri-yong-ho", required=True)
    title = Text("The title as the sources give it.", "Foreign Minister", required=True)
    organization = Slug("Organisation the role is in, if any.", "united-nations", allow_none=True, load_default=None)
    country = Slug("Country the role serves, if any.", "north-korea", allow_none=True, load_default=None)
    citations = Citations()


class EntitySchema(ma.Schema):
    """A person, country, organisation or place."""

    id = Slug("Stable id of the entity.", "ri-yong-ho", required=True)
    kind = Choice(ENTITY_KINDS, "What the entity is.", "person", required=True)
    name = Text("Canonical name.", "Ri Yong-ho", required=True)
    aliases = ma.fields.List(
        ma.fields.String(),
        load_default=list,
        metadata={"description": "Other names and spellings used in the sources.", "example": ["Ri Yong Ho", "Ri"]},
    )
    country = Slug(
        "Country the entity belongs to; null for countries and international bodies.",
        "north-korea",
        allow_none=True,
        load_default=None,
    )
    description = Text("One or two sentences on who or what this is.", "North Korea's foreign minister.", required=True)
    roles = ma.fields.List(
        ma.fields.Nested(RoleSchema),
        dump_only=True,
        metadata={"description": "Roles the person held, each with its citations."},
    )
    citations = Citations()


class ResolutionSchema(ma.Schema):
    """A resolution and how the Council voted on it."""

    id = Slug("Stable id of the resolution.", "unsc-resolution-2371", required=True)
    body = Slug("The body that adopted it.", "un-security-council", required=True)
    number = ma.fields.Integer(
        allow_none=True, load_default=None, metadata={"description": "Resolution number.", "example": 2371}
    )
    symbol = Text("Document symbol.", "S/RES/2371 (2017)", allow_none=True, load_default=None)
    adopted_on = DateOf("Date of adoption.", "2017-08-05", load_default=None)
    votes_for = ma.fields.Integer(
        allow_none=True, load_default=None, metadata={"description": "Members voting in favour.", "example": 15}
    )
    votes_against = ma.fields.Integer(
        allow_none=True, load_default=None, metadata={"description": "Members voting against.", "example": 0}
    )
    abstentions = ma.fields.Integer(
        allow_none=True, load_default=None, metadata={"description": "Members abstaining.", "example": 0}
    )
    drafted_by = Slug("Who drafted it.", "united-states", allow_none=True, load_default=None)
    purpose = Text(
        "Why it was adopted, as the sources put it.",
        "Sanctions over North Korea's first ICBM test launch.",
        allow_none=True,
        load_default=None,
    )
    citations = Citations()


class MemberVoteSchema(ma.Schema):
    """How one Council member voted on a resolution."""

    id = Slug("Stable id of the vote.", "unsc-resolution-2371-china", required=True)
    resolution = Slug("The resolution voted on.", "unsc-resolution-2371", required=True)
    member = Slug("The voting member (a country).", "china", required=True)
    vote = Choice(VOTES, "The member's vote.", "yes", required=True)
    citations = Citations()


class MeasureSchema(ma.Schema):
    """One measure a resolution imposes."""

    id = Slug("Stable id of the measure.", "unsc-2371-export-ban-coal", required=True)
    resolution = Slug("The resolution imposing it.", "unsc-resolution-2371", required=True)
    kind = Choice(MEASURE_KINDS, "What sort of measure.", "export_ban", required=True)
    commodity = Text(
        "For an export or import ban: the commodity banned; null otherwise.", "coal", allow_none=True, load_default=None
    )
    description = Text("What the measure does.", "Bans all exports of coal from North Korea.", required=True)
    citations = Citations()

    @ma.validates_schema
    def _ban_names_commodity(self, data: dict, **kwargs) -> None:
        if data.get("kind") in ("export_ban", "import_ban") and not data.get("commodity"):
            raise ma.ValidationError("an export or import ban names its commodity", "commodity")


class FigureSchema(ma.Schema):
    """A number stated in the sources."""

    id = Slug("Stable id of the figure.", "north-korea-foreign-revenue", required=True)
    subject = Slug("The entity or resolution the figure is about.", "north-korea", required=True)
    metric = Slug("What is measured.", "annual-foreign-revenue", required=True)
    value = ma.fields.Float(
        required=True, metadata={"description": "The value as a number, in `unit`.", "example": 3000000000}
    )
    unit = Choice(UNITS, "Unit of value.", "USD", required=True)
    as_stated = Text("The figure exactly as printed.", "$3 billion", required=True)
    approximate = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "True when the source gives a round or hedged figure.", "example": True},
    )
    description = Text(
        "What the figure means.",
        "North Korea's foreign revenue, which the sanctions aim to cut by a third.",
        allow_none=True,
        load_default=None,
    )
    citations = Citations()


class EventSchema(ma.Schema):
    """Something that happened: a meeting, a vote, a call, a test."""

    id = Slug("Stable id of the event.", "kang-ri-handshake-2017-08-06", required=True)
    kind = Choice(EVENT_KINDS, "What sort of event.", "encounter", required=True)
    title = Text("Short title.", "Kang Kyung-wha and Ri Yong-ho shake hands in Manila", required=True)
    occurred_on = DateOf("When it happened (see date_precision).", "2017-08-06", load_default=None)
    date_precision = Choice(DATE_PRECISIONS, "How precise occurred_on is.", "day", required=True)
    date_derivation = Text(
        "How the date was worked out from the source.",
        "'on Sunday' in an article datelined Mon Aug 7, 2017.",
        allow_none=True,
        load_default=None,
    )
    place = Slug("Where it happened.", "manila", allow_none=True, load_default=None)
    participants = SlugList("Entities taking part.", ["kang-kyung-wha", "ri-yong-ho"], load_default=list)
    description = Text(
        "What happened.", "The two foreign ministers briefly met before an ASEAN Regional Forum dinner.", required=True
    )
    citations = Citations()


class StatementSchema(ma.Schema):
    """A stated position: who said what, on which topic, with what stance."""

    id = Slug("Stable id of the statement.", "lavrov-strong-commitment-resume-six-party-talks", required=True)
    speaker = Slug(
        "The speaker's entity id; null when the source does not identify one.",
        "sergei-lavrov",
        allow_none=True,
        load_default=None,
    )
    speaker_as_written = Text("The speaker as the source names them.", "Lavrov", required=True)
    said_on = DateOf("When it was said (see date_precision).", "2017-08-07", load_default=None)
    date_precision = Choice(DATE_PRECISIONS, "How precise said_on is.", "day", required=True)
    date_derivation = Text(
        "How the date was worked out from the source.",
        "The article's dateline, Mon Aug 7, 2017.",
        allow_none=True,
        load_default=None,
    )
    topics = SlugList(
        "Topic ids; the stance is on the first.", ["six-party-talks"], required=True, validate=validate.Length(min=1)
    )
    stance = Choice(STANCES, "The speaker's stance on the first topic.", "supports", required=True)
    summary = Text(
        "The position in one sentence.",
        "Lavrov says there is a strong commitment to resume six-party talks.",
        required=True,
    )
    quote = Text(
        "The speaker's words, verbatim; null for a paraphrase.",
        "There is a strong commitment to resume six-party talks in search of political settlement",
        allow_none=True,
        load_default=None,
    )
    attribution = Choice(ATTRIBUTIONS, "How surely the source ties the words to the speaker.", "direct", required=True)
    attribution_note = Text(
        "Why the attribution is not direct, when it is not.", None, allow_none=True, load_default=None
    )
    reported_via = SlugList("Entities through which the statement reached the source.", ["yonhap"], load_default=list)
    event = Slug(
        "The event at which it was said, if known.",
        "asean-regional-forum-manila-2017",
        allow_none=True,
        load_default=None,
    )
    citations = Citations()

    @ma.validates_schema
    def _unclear_attribution_explained(self, data: dict, **kwargs) -> None:
        if data.get("attribution") in ("ambiguous", "unknown") and not data.get("attribution_note"):
            raise ma.ValidationError(
                "an ambiguous or unknown attribution needs an attribution_note saying why", "attribution_note"
            )
