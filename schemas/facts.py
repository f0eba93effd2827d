"""The facts of the knowledge base: one schema per kind, used for fixtures (load) and responses (dump)."""

import marshmallow as ma
from marshmallow import validate

from .dates import check_dated
from .files import validate_article_file
from .identifiers import IDENTIFIER_SCHEMES, MAX_IDENTIFIER_LENGTH, MAX_IDENTIFIERS, identifier_problem
from .limits import (
    MAX_ID_LENGTH,
    MAX_INTEGER,
    MAX_LIST_ITEMS,
    MAX_NAME_LENGTH,
    MAX_TERM_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_URL_LENGTH,
    URL_SCHEMES,
    storable,
)
from .vocabulary import (
    ACCOUNT_TYPES,
    ASSESSMENTS,
    ATTRIBUTION_STRENGTH,
    ATTRIBUTIONS,
    COVERAGE_SETS,
    DATE_PRECISIONS,
    DERIVATIONS,
    DISPUTE_KINDS,
    DISPUTE_STATUSES,
    DISPUTED_KINDS,
    ENTITY_KINDS,
    EVENT_KINDS,
    KIND_NAMED,
    MEASURE_KINDS,
    MENTION_ROLES,
    SLUG_PATTERN,
    SOURCE_KINDS,
    STANCES,
    UNITS,
    VALUE_KINDS,
    VOTES,
)

slug = validate.Regexp(SLUG_PATTERN, error="must be a lowercase slug such as 'ri-yong-ho'")
# An id is no longer than the URL guard lets through, so every record can be read at its URL, on either engine.
id_length = validate.Length(max=MAX_ID_LENGTH)
# What a list a record holds may have at most (the body limit bounds the rest).
list_length = validate.Length(max=MAX_LIST_ITEMS)


def distinct(values: list) -> None:
    """A list naming each record once (a link table holds each pair once)."""
    seen: set = set()
    for value in values:
        key = tuple(sorted(value.items())) if isinstance(value, dict) else value
        if key in seen:
            named = " ".join(repr(v) for v in value.values()) if isinstance(value, dict) else repr(value)
            raise ma.ValidationError(f"{named} appears twice")
        seen.add(key)


def Slug(description: str, example: str, **kwargs) -> ma.fields.String:  # noqa: N802 - a field factory
    """A reference to a record by its id."""
    return ma.fields.String(
        validate=[slug, id_length], metadata={"description": description, "example": example}, **kwargs
    )


def Text(description: str, example, max_length: int = MAX_TEXT_LENGTH, **kwargs) -> ma.fields.String:  # noqa: N802
    """Free text of at most `max_length` characters that every engine can store (schemas/limits.py)."""
    extra = kwargs.pop("validate", None)  # one more rule (a pattern, a minimum length)
    validators = [validate.Length(max=max_length), storable, *([extra] if extra else [])]
    return ma.fields.String(validate=validators, metadata={"description": description, "example": example}, **kwargs)


def Name(description: str, example, **kwargs) -> ma.fields.String:  # noqa: N802
    """A name or title (schemas/limits.py: MAX_NAME_LENGTH)."""
    return Text(description, example, max_length=MAX_NAME_LENGTH, **kwargs)


def Term(description: str, example, **kwargs) -> ma.fields.String:  # noqa: N802
    """A short term the database keeps in a varchar(255) column (schemas/limits.py: MAX_TERM_LENGTH)."""
    return Text(description, example, max_length=MAX_TERM_LENGTH, **kwargs)


def Count(description: str, example: int, minimum: int = 0, **kwargs) -> ma.fields.Integer:  # noqa: N802
    """A whole number a client sends: strict (2063.5 or "2063" is refused, never truncated or converted), at least
    `minimum`, and within what every engine's integer column holds."""
    return ma.fields.Integer(
        strict=True,
        validate=validate.Range(min=minimum, max=MAX_INTEGER),
        error_messages={"invalid": 'must be a whole number: a JSON integer such as 2063, not 2063.5 or "2063"'},
        metadata={"description": description, "example": example},
        **kwargs,
    )


def Flag(description: str, example: bool, **kwargs) -> ma.fields.Boolean:  # noqa: N802
    """A JSON boolean: true or false, not a string taken for one ("yes", "on", "false"...)."""
    return ma.fields.Boolean(
        truthy={True}, falsy={False}, metadata={"description": description, "example": example}, **kwargs
    )


_RECORD_SCHEMAS: dict[str, type[ma.Schema]] = {}


def record_schema(kind: str):
    """Declare the decorated class the schema of records of `kind` (a name in schemas/kinds.py)."""

    def register(schema: type[ma.Schema]) -> type[ma.Schema]:
        if kind not in KIND_NAMED or kind in _RECORD_SCHEMAS:
            raise ValueError(f"{schema.__name__}: {kind!r} is not a kind, or already has a schema")
        _RECORD_SCHEMAS[kind] = schema
        return schema

    return register


def record_schema_of(kind: str) -> type[ma.Schema]:
    """The schema of records of `kind`."""
    return _RECORD_SCHEMAS[kind]


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


def Day(what: str, example: str) -> ma.fields.Date:  # noqa: N802
    return DateOf(
        f"{what} The day, when it is known to the day (`date_precision` `day`); null otherwise: a coarser date is "
        "only an interval (`date_earliest`, `date_latest`).",
        example,
        load_default=None,
    )


def DateInterval() -> tuple[ma.fields.Date, ma.fields.Date]:  # noqa: N802
    return (
        DateOf("The earliest day it can have been.", "2017-08-06", load_default=None),
        DateOf(
            "The latest day it can have been (equal to `date_earliest` for a day).", "2017-08-06", load_default=None
        ),
    )


def Precision() -> ma.fields.String:  # noqa: N802
    return Choice(
        DATE_PRECISIONS,
        "How precise the date is: the interval is one day, a week (7 days), a calendar month, a season (three "
        "calendar months), a calendar year, any other span of days, or unknown (no interval).",
        "day",
        required=True,
    )


def TimeZone() -> ma.fields.String:  # noqa: N802
    return Term(
        "The IANA time zone whose calendar the date is in (the place's local time), where known; null otherwise.",
        "Asia/Manila",
        allow_none=True,
        load_default=None,
    )


class AccountSchema(ma.Schema):
    """The original account a cited passage carries: an event (an utterance or a document) or a source."""

    type = Choice(ACCOUNT_TYPES, "What carries the account: an event, or a source.", "event", required=True)
    id = Slug("The event's or the source's id.", "wang-yi-remarks-manila-2017-08-07", required=True)


class CitationSchema(ma.Schema):
    """A passage of a source that supports a fact: `text[start:end] == quote`."""

    source = Slug("Id of the cited source (see /sources).", "presstv-manila-talks-2017-08-07", required=True)
    quote = Text(
        "The supporting passage, copied verbatim from the source (at least one character); null for a reference "
        "source, which has no text here.",
        "Council members, including Pyongyang's traditional allies, Beijing and Moscow, voted 15-0",
        allow_none=True,
        load_default=None,
        validate=validate.Length(
            min=1, error="a quote is a passage of the source, at least one character (a reference's citation: null)"
        ),
    )
    start = Count(
        "Offset of the quote's first character in the source text, in Unicode code points.",
        1878,
        allow_none=True,
        load_default=None,
    )
    end = Count(
        "Offset just past the quote's last character: `text[start:end] == quote`.",
        1967,
        minimum=1,
        allow_none=True,
        load_default=None,
    )
    role = Choice(
        MENTION_ROLES,
        "What the passage does for the fact: `supports` it, gives `context`, `corrects` what another source says, "
        "or `contradicts` the fact (kept so the disagreement is on record; see /disputes).",
        "supports",
        load_default="supports",
    )
    # (marshmallow's metaclass takes a declared field out of the class body, so this never shadows Schema.fields)
    fields = ma.fields.List(  # type: ignore[assignment]
        ma.fields.String(validate=[id_length, storable]),
        load_default=list,
        validate=list_length,
        metadata={
            "description": "The fact's fields this passage is the source for; empty when it supports the fact as a "
            "whole. A reference giving the exact date of an event an article reports names `date_earliest`, ...",
            "example": ["occurred_on", "date_earliest", "date_latest"],
        },
    )
    wording = Text(
        "How this source words the fact, where that differs from the record (a curator's note); null otherwise.",
        "Calls it 'foreign revenue'; the resolution's figure is annual export revenue.",
        allow_none=True,
        load_default=None,
    )
    account = ma.fields.Nested(
        AccountSchema,
        allow_none=True,
        load_default=None,
        metadata={
            "description": "The original account this passage carries, where the source's own account with "
            "everything it derives from would say it wrongly: an event of an utterance or a document (a briefing, "
            "remarks, a statement, a report, a tweet) the passage reports; or a source: one the citing source "
            "derives from (the passage is what it reprints of it), or the citing source itself (the passage is its "
            "own reporting, not what it reprints). Sources carrying one account count once among a fact's "
            "independent sources (`support`). Null: the source's own account, with all it derives from.",
            "example": {"type": "event", "id": "wang-yi-remarks-manila-2017-08-07"},
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
        if end <= start:
            raise ma.ValidationError(f"end ({end}) must be greater than start ({start})", "end")
        if end - start != len(quote):
            raise ma.ValidationError(
                f"end - start is {end - start} but the quote is {len(quote)} characters long", "end"
            )


def Citations() -> ma.fields.List:  # noqa: N802
    return ma.fields.List(
        ma.fields.Nested(CitationSchema),
        required=True,
        validate=[validate.Length(min=1, error="every fact needs at least one citation"), list_length],
        metadata={"description": f"The passages that support this fact; at least one, at most {MAX_LIST_ITEMS}."},
    )


class SupportSchema(ma.Schema):
    """How well a fact is supported: its supporting sources, how many of them are independent of each other, and
    how many are articles and how many public record."""

    sources = ma.fields.Integer(metadata={"description": "Distinct sources with a supporting citation.", "example": 2})
    independent_sources = ma.fields.Integer(
        metadata={
            "description": "The most supporting sources that can be taken together, each for one original "
            "account it carries, no two accounts with a common origin: a citation's `account` (an event: a "
            "briefing, remarks, a statement, a report), or else the source with every source it derives from (a "
            "source's `derived_from`: wire copy, rewrite, transcript...).",
            "example": 2,
        }
    )
    articles = ma.fields.Integer(metadata={"description": "Supporting sources that are articles.", "example": 1})
    references = ma.fields.Integer(
        metadata={"description": "Supporting sources that are public-record references.", "example": 1}
    )


def Support() -> ma.fields.Nested:  # noqa: N802
    return ma.fields.Nested(
        SupportSchema,
        dump_only=True,
        metadata={
            "description": "How well the citations support the fact.",
            "example": {"sources": 2, "independent_sources": 2, "articles": 1, "references": 1},
        },
    )


def Disputes() -> ma.fields.List:  # noqa: N802
    return ma.fields.List(
        ma.fields.String(),
        dump_only=True,
        metadata={
            "description": "Ids of the disputes (contradictions, corrections) this fact is part of; see /disputes.",
            "example": ["icbm-launch-resolution-2371-answers"],
        },
    )


def SlugList(description: str, example: list[str], **kwargs) -> ma.fields.List:  # noqa: N802
    validators = [list_length, distinct, *([kwargs.pop("validate")] if "validate" in kwargs else [])]
    return ma.fields.List(
        ma.fields.String(validate=[slug, id_length]),
        validate=validators,
        metadata={"description": description, "example": example},
        **kwargs,
    )


class DerivationSchema(ma.Schema):
    """Another source this one derives from, so the two are not independent."""

    source = Slug("The source this one derives from.", "korea-herald-trump-tweets-support-2017-08-06", required=True)
    relation = Choice(
        DERIVATIONS,
        "How: reuses its `wire_copy`, is a `rewrite` of its text, a `republication`, a `transcript` of the same "
        "remarks, or a `summary` of it.",
        "wire_copy",
        required=True,
    )
    note = Text(
        "What shows it.",
        "Prints the AP sentence on six rounds of sanctions word for word.",
        allow_none=True,
        load_default=None,
    )


@record_schema("source")
class SourceSchema(ma.Schema):
    """A source: an article (its text is in the project) or a reference to public record."""

    id = Slug("Stable id of the source.", "presstv-manila-talks-2017-08-07", required=True)
    kind = Choice(
        SOURCE_KINDS,
        "`article`: text held here and quoted; `reference`: public record, cited without quotes.",
        "article",
        required=True,
    )
    # Set by the service, never by a change (schemas/writes.py leaves load-only fields out of the create and patch
    # shapes): the text's file name in seeds/, a plain name checked by schemas/files.py wherever it is read.
    file = ma.fields.String(
        load_only=True,
        load_default=None,
        allow_none=True,
        validate=validate_article_file,
        metadata={"description": "File name of the article's text in seeds/.", "example": "000_04aad605d0849ab7.txt"},
    )
    title = Name(
        "Title as published; a title in square brackets is the curators' description of a source whose headline no "
        "copy seen shows (its note says what was seen).",
        "Philippine capital hosts high-level talks on North Korea",
        required=True,
    )
    publisher = Name(
        "Who published it; null when the source does not say.", "Press TV", allow_none=True, load_default=None
    )
    author = Name("Author as printed; null when not given.", "Melinda Barton", allow_none=True, load_default=None)
    published_on = DateOf(
        "Publication date as best established; null when no copy seen shows it (`date_precision` `unknown`).",
        "2017-08-07",
        load_default=None,
    )
    date_precision = Choice(
        DATE_PRECISIONS,
        "How precise published_on is: `day` for a date, `unknown` when published_on is null (the default follows "
        "published_on).",
        "day",
    )
    date_derivation = Text(
        "How the publication date was established.",
        "From the dateline 'Mon Aug 7, 2017 7:19AM'.",
        allow_none=True,
        load_default=None,
    )
    dateline = Name(
        "The date line exactly as printed in the source.", "Mon Aug 7, 2017 7:19AM", allow_none=True, load_default=None
    )
    # Only the web's own schemes: a page renders the URL as a link, and javascript: or data: would run there.
    url = ma.fields.Url(
        schemes=URL_SCHEMES,
        allow_none=True,
        load_default=None,
        validate=[validate.Length(max=MAX_URL_LENGTH), storable],
        error_messages={"invalid": "must be an http or https URL, such as 'https://undocs.org/S/RES/2371(2017)'"},
        metadata={
            "description": "Where the source can be read (an http or https URL); null when unknown.",
            "example": "https://undocs.org/S/RES/2371(2017)",
        },
    )
    accessed_on = DateOf(
        "The day a curator last read the page at `url` (a stored copy of it), as a reference manager's accessed "
        "date; null when no reading of that page is recorded, and for a source without a URL.",
        "2026-12-07",
        load_default=None,
    )
    sha256 = Text(
        "SHA-256 of the article's text file, hex; null for references.",
        "58bb022cf60e00f9b405d38bea9f7f27a6f9d52f0d8a9821cf25d9349248a348",
        max_length=64,
        allow_none=True,
        load_default=None,
        validate=validate.Regexp(r"^[0-9a-f]{64}$"),
    )
    note = Text(
        "Curator's note on the source.", "Republished by GlobalSecurity.org.", allow_none=True, load_default=None
    )
    derived_from = ma.fields.List(
        ma.fields.Nested(DerivationSchema),
        load_default=list,
        validate=list_length,
        metadata={
            "description": "Sources this one derives from; empty when it is independent of every other source here."
        },
    )

    @ma.pre_load
    def _precision_follows_the_date(self, data, **kwargs):
        # A source that gives no precision has the one its date implies: a day when it gives the date, unknown
        # when it does not (a record that gives both is held to them below).
        if isinstance(data, dict) and data.get("date_precision") is None:
            return {**data, "date_precision": "day" if data.get("published_on") is not None else "unknown"}
        return data

    @ma.validates_schema
    def _dates_are_known_or_unknown(self, data: dict, **kwargs) -> None:
        published, precision = data.get("published_on"), data.get("date_precision")
        if precision == "unknown" and published is not None:
            raise ma.ValidationError("an unknown publication date has no published_on", "published_on")
        if precision != "unknown" and published is None:
            raise ma.ValidationError(
                f"published_on is null: its date_precision is 'unknown' (got {precision!r})", "date_precision"
            )
        accessed = data.get("accessed_on")
        if accessed is not None and not data.get("url"):
            raise ma.ValidationError("accessed_on is the day the page at url was read: give the url", "accessed_on")
        if accessed is not None and published is not None and accessed < published:
            raise ma.ValidationError(
                f"accessed_on ({accessed.isoformat()}) is before published_on ({published.isoformat()})", "accessed_on"
            )

    @ma.validates_schema
    def _article_has_text(self, data: dict, **kwargs) -> None:
        if data.get("kind") == "article" and not (data.get("file") and data.get("sha256")):
            raise ma.ValidationError("an article names its text file and the file's sha256", "file")
        if data.get("kind") == "reference" and not data.get("url"):
            raise ma.ValidationError("a reference gives the URL where it can be checked", "url")


@record_schema("topic")
class TopicSchema(ma.Schema):
    """A term of the controlled vocabulary of statement topics."""

    id = Slug("Topic id, used in /statements?topic=.", "six-party-talks", required=True)
    description = Text(
        "What statements on this topic are about.",
        "Multilateral talks among the two Koreas, China, Japan, Russia and the United States.",
        required=True,
    )


@record_schema("role")
class RoleSchema(ma.Schema):
    """A position a person held, as the sources describe it."""

    id = Slug("Stable id of the role.", "ri-yong-ho-foreign-minister", required=True)
    entity = Slug("The person holding the role.", "ri-yong-ho", required=True)
    title = Name("The title as the sources give it.", "Foreign Minister", required=True)
    organization = Slug("Organisation the role is in, if any.", "united-nations", allow_none=True, load_default=None)
    country = Slug("Country the role serves, if any.", "north-korea", allow_none=True, load_default=None)
    support = Support()
    citations = Citations()


class SeenInSchema(ma.Schema):
    """The stored public copy an identifier was read in."""

    url = ma.fields.Url(
        schemes={"https"},
        required=True,
        validate=[validate.Length(max=MAX_URL_LENGTH), storable],
        error_messages={"invalid": "must be an https URL, such as 'https://pypi.org/project/rigour/2.6.1/'"},
        metadata={
            "description": "Where the public copy is published (a package's release page, a document's URL).",
            "example": "https://pypi.org/project/rigour/2.6.1/",
        },
    )
    file = Name(
        "What in that copy holds the identifier: the file, and the entry in it.",
        "rigour 2.6.1 (wheel cp311-manylinux_2_17_x86_64), territory data read through rigour._core.territories_jsonl(): "
        "the territory 'kp' (North Korea), field qid",
        required=True,
    )


class IdentifierSchema(ma.Schema):
    """An identifier of the entity in another register, with the public copy it was read in."""

    scheme = Choice(
        IDENTIFIER_SCHEMES, "The register: Wikidata, Wikipedia, a UN Security Council list.", "wikidata", required=True
    )
    value = ma.fields.String(
        required=True,
        validate=[validate.Length(min=1, max=MAX_IDENTIFIER_LENGTH), storable],
        metadata={
            "description": "The identifier as the register writes it: a Wikidata item (`Q423`), a Wikipedia "
            "article's URL, a UN sanctions list reference (`KPi.066`).",
            "example": "Q423",
        },
    )
    seen_in = ma.fields.Nested(
        SeenInSchema,
        required=True,
        metadata={
            "description": "The stored public copy in which a curator read this identifier for the entity.",
            "example": {
                "url": "https://pypi.org/project/rigour/2.6.1/",
                "file": "rigour 2.6.1 (wheel cp311-manylinux_2_17_x86_64), territory data read through "
                "rigour._core.territories_jsonl(): the territory 'kp' (North Korea), field qid",
            },
        },
    )

    @ma.validates_schema
    def _value_has_the_scheme_form(self, data: dict, **kwargs) -> None:
        scheme, value = data.get("scheme"), data.get("value")
        if scheme in IDENTIFIER_SCHEMES and isinstance(value, str):
            problem = identifier_problem(scheme, value)
            if problem:
                raise ma.ValidationError(problem, "value")


def one_per_scheme(identifiers: list) -> None:
    """An entity has at most one identifier in each scheme."""
    seen: set = set()
    for identifier in identifiers:
        scheme = identifier.get("scheme") if isinstance(identifier, dict) else None
        if scheme in seen:
            raise ma.ValidationError(f"two {scheme} identifiers: an entity has at most one per scheme")
        seen.add(scheme)


@record_schema("entity")
class EntitySchema(ma.Schema):
    """A person, country, organisation or place."""

    id = Slug("Stable id of the entity.", "ri-yong-ho", required=True)
    kind = Choice(ENTITY_KINDS, "What the entity is.", "person", required=True)
    name = Name("Canonical name.", "Ri Yong-ho", required=True)
    aliases = ma.fields.List(
        ma.fields.String(validate=[validate.Length(max=MAX_NAME_LENGTH), storable]),
        load_default=list,
        validate=list_length,
        metadata={"description": "Other names and spellings used in the sources.", "example": ["Ri Yong Ho", "Ri"]},
    )
    country = Slug(
        "Country the entity belongs to; null for countries and international bodies.",
        "north-korea",
        allow_none=True,
        load_default=None,
    )
    country_code = Text(
        "A country's ISO 3166-1 alpha-2 code, upper case as ISO writes it (curated, unique); null for every "
        "entity that is not a country.",
        "KP",
        max_length=2,
        allow_none=True,
        load_default=None,
        validate=validate.Regexp(r"^[A-Z]{2}$", error="must be an ISO 3166-1 alpha-2 code such as 'KP'"),
    )
    identifiers = ma.fields.List(
        ma.fields.Nested(IdentifierSchema),
        load_default=list,
        validate=[validate.Length(max=MAX_IDENTIFIERS), one_per_scheme],
        metadata={
            "description": "The entity's identifiers in other registers (one per scheme, each belonging to this "
            "entity only), each with the stored public copy it was read in; empty when none was seen.",
            "example": [
                {
                    "scheme": "wikidata",
                    "value": "Q423",
                    "seen_in": {
                        "url": "https://pypi.org/project/rigour/2.6.1/",
                        "file": "rigour 2.6.1 (wheel cp311-manylinux_2_17_x86_64), territory data read through "
                        "rigour._core.territories_jsonl(): the territory 'kp' (North Korea), field qid",
                    },
                }
            ],
        },
    )
    named = Flag(
        "False for a person the sources do not name (an unnamed official, a spokesman).", True, load_default=True
    )
    description = Text("One or two sentences on who or what this is.", "North Korea's foreign minister.", required=True)
    roles = ma.fields.List(
        ma.fields.Nested(RoleSchema),
        dump_only=True,
        metadata={"description": "Roles the person held, each with its citations."},
    )
    disputes = Disputes()
    support = Support()
    citations = Citations()


class CoverageSchema(ma.Schema):
    """How much of a set of facts about a record the knowledge base holds."""

    set = Choice(COVERAGE_SETS, "Which set: the resolution's `measures` or its `votes`.", "measures", required=True)
    complete = Flag("True when every member of the set is recorded.", False, required=True)
    note = Text(
        "What the set holds and what it leaves out.",
        "Only the measures the articles mention; the resolution also designated individuals and entities.",
        required=True,
    )


@record_schema("resolution")
class ResolutionSchema(ma.Schema):
    """A resolution and how the Council voted on it."""

    id = Slug("Stable id of the resolution.", "unsc-resolution-2371", required=True)
    body = Slug("The body that adopted it.", "un-security-council", required=True)
    number = Count("Resolution number.", 2371, minimum=1, allow_none=True, load_default=None)
    symbol = Term("Document symbol.", "S/RES/2371 (2017)", allow_none=True, load_default=None)
    adopted_on = DateOf("Date of adoption.", "2017-08-05", load_default=None)
    votes_for = Count("Members voting in favour.", 15, allow_none=True, load_default=None)
    votes_against = Count("Members voting against.", 0, allow_none=True, load_default=None)
    abstentions = Count("Members abstaining.", 0, allow_none=True, load_default=None)
    drafted_by = Slug("Who drafted it.", "united-states", allow_none=True, load_default=None)
    purpose = Text(
        "Why it was adopted, as the sources put it.",
        "Sanctions over North Korea's first ICBM test launch.",
        allow_none=True,
        load_default=None,
    )
    coverage = ma.fields.List(
        ma.fields.Nested(CoverageSchema),
        load_default=list,
        validate=list_length,
        metadata={
            "description": "For each set of facts about the resolution (measures, votes): whether it is complete."
        },
    )
    disputes = Disputes()
    support = Support()
    citations = Citations()


@record_schema("vote")
class MemberVoteSchema(ma.Schema):
    """How one Council member voted on a resolution."""

    id = Slug("Stable id of the vote.", "unsc-resolution-2371-china", required=True)
    resolution = Slug("The resolution voted on.", "unsc-resolution-2371", required=True)
    member = Slug("The voting member (a country).", "china", required=True)
    vote = Choice(VOTES, "The member's vote.", "yes", required=True)
    support = Support()
    citations = Citations()


@record_schema("measure")
class MeasureSchema(ma.Schema):
    """One measure a resolution imposes."""

    id = Slug("Stable id of the measure.", "unsc-2371-export-ban-coal", required=True)
    resolution = Slug("The resolution imposing it.", "unsc-resolution-2371", required=True)
    kind = Choice(MEASURE_KINDS, "What sort of measure.", "export_ban", required=True)
    commodity = Term(
        "For an export or import ban: the commodity banned; null otherwise.", "coal", allow_none=True, load_default=None
    )
    target = Slug(
        "The entity the measure is imposed on (the country whose exports are banned, say); null when the knowledge "
        "base does not hold it (a designation's listed individuals and entities are not recorded).",
        "north-korea",
        allow_none=True,
        load_default=None,
    )
    description = Text("What the measure does.", "Bans all exports of coal from North Korea.", required=True)
    disputes = Disputes()
    support = Support()
    citations = Citations()

    @ma.validates_schema
    def _ban_names_commodity(self, data: dict, **kwargs) -> None:
        if data.get("kind") in ("export_ban", "import_ban") and not data.get("commodity"):
            raise ma.ValidationError("an export or import ban names its commodity", "commodity")


def _bound_problem(data: dict) -> tuple[str, str] | None:
    kind, value, high = data.get("value_kind"), data.get("value"), data.get("value_max")
    if kind is None or value is None:
        return None
    if kind == "range":
        if high is None or high <= value:
            return "value_max", "a range needs a value_max above its value"
    elif high is not None:
        return "value_max", f"only a range has a value_max; this value is {kind!r}"
    if kind == "exact" and data.get("approximate"):
        return "approximate", "an exact value is not approximate"
    if kind == "approximate" and not data.get("approximate"):
        return "approximate", "an approximate value has approximate true"
    return None


@record_schema("figure")
class FigureSchema(ma.Schema):
    """A number stated in the sources."""

    id = Slug("Stable id of the figure.", "north-korea-foreign-revenue", required=True)
    subject = Slug("The entity or resolution the figure is about.", "north-korea", required=True)
    metric = Slug("What is measured.", "annual-export-revenue", required=True)
    value_kind = Choice(
        VALUE_KINDS,
        "What `value` is: `exact`; `approximate` (a round or hedged number); a `lower_bound` ('more than a decade') or "
        "`upper_bound` ('far less than $1 billion'), the number being the bound; or a `range` from `value` to `value_max`.",
        "approximate",
        required=True,
    )
    value = ma.fields.Float(
        required=True,
        metadata={
            "description": "The number, in `unit`: the value itself, the bound, or a range's low end (see value_kind).",
            "example": 3000000000,
        },
    )
    value_max = ma.fields.Float(
        allow_none=True,
        load_default=None,
        metadata={"description": "A range's high end; null unless value_kind is `range`.", "example": None},
    )
    unit = Choice(UNITS, "Unit of value.", "USD", required=True)
    as_stated = Name("The figure exactly as printed.", "$3 billion", required=True)
    approximate = Flag("True when the source gives a round or hedged figure.", True, load_default=False)
    description = Text(
        "What the figure means.",
        "North Korea's foreign revenue, which the sanctions aim to cut by a third.",
        allow_none=True,
        load_default=None,
    )
    disputes = Disputes()
    support = Support()
    citations = Citations()

    @ma.validates_schema
    def _bound_fits_kind(self, data: dict, **kwargs) -> None:
        problem = _bound_problem(data)
        if problem:
            raise ma.ValidationError(problem[1], problem[0])


@record_schema("event")
class EventSchema(ma.Schema):
    """Something that happened: a meeting, a vote, a call, a test."""

    id = Slug("Stable id of the event.", "kang-ri-handshake-2017-08-06", required=True)
    kind = Choice(EVENT_KINDS, "What sort of event.", "encounter", required=True)
    title = Name("Short title.", "Kang Kyung-wha and Ri Yong-ho shake hands in Manila", required=True)
    occurred_on = Day("When it happened.", "2017-08-06")
    date_earliest, date_latest = DateInterval()
    date_precision = Precision()
    date_derivation = Text(
        "How the date was worked out from the source.",
        "'on Sunday' in an article datelined Mon Aug 7, 2017.",
        allow_none=True,
        load_default=None,
    )
    time_zone = TimeZone()
    place = Slug("Where it happened.", "manila", allow_none=True, load_default=None)
    participants = SlugList("Entities taking part.", ["kang-kyung-wha", "ri-yong-ho"], load_default=list)
    description = Text(
        "What happened.", "The two foreign ministers briefly met before an ASEAN Regional Forum dinner.", required=True
    )
    disputes = Disputes()
    support = Support()
    citations = Citations()

    @ma.post_load
    def _interval(self, data: dict, **kwargs) -> dict:
        return check_dated(data, "occurred_on")


@record_schema("statement")
class StatementSchema(ma.Schema):
    """A stated position: who said what, on which topic, with what stance."""

    id = Slug("Stable id of the statement.", "lavrov-strong-commitment-resume-six-party-talks", required=True)
    speaker = Slug(
        "The speaker's entity id; null when the source does not identify one.",
        "sergei-lavrov",
        allow_none=True,
        load_default=None,
    )
    speaker_as_written = Name("The speaker as the source names them.", "Lavrov", required=True)
    said_on = Day("When it was said.", "2017-08-07")
    date_earliest, date_latest = DateInterval()
    date_precision = Precision()
    date_derivation = Text(
        "How the date was worked out from the source.",
        "The article's dateline, Mon Aug 7, 2017.",
        allow_none=True,
        load_default=None,
    )
    time_zone = TimeZone()
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
    attribution_chain = ma.fields.List(
        ma.fields.Nested(lambda: ChainLinkSchema()),
        load_default=list,
        validate=list_length,
        metadata={
            "description": "The hands the words passed through between the speaker and the citing source, from the "
            "speaker outwards, each with how surely it ties the words to the hand before; empty when the source "
            "has them from the speaker."
        },
    )
    reported_via = SlugList(
        "Entities through which the statement reached the source: the relays of `attribution_chain`, in its order.",
        ["yonhap-unnamed-official", "yonhap"],
        dump_only=True,
    )
    hands = ma.fields.Function(
        lambda statement: len(statement["attribution_chain"]) + 1,
        metadata={
            "type": "integer",
            "description": "How many hands the words passed through to reach the source, the source included: 1 "
            "first-hand, 2 second-hand, 3 third-hand...",
            "example": 3,
        },
    )
    event = Slug(
        "The event at which it was said, if known.",
        "asean-regional-forum-manila-2017",
        allow_none=True,
        load_default=None,
    )
    disputes = Disputes()
    support = Support()
    citations = Citations()

    @ma.validates_schema
    def _unclear_attribution_explained(self, data: dict, **kwargs) -> None:
        if data.get("attribution") in ("ambiguous", "unknown") and not data.get("attribution_note"):
            raise ma.ValidationError(
                "an ambiguous or unknown attribution needs an attribution_note saying why", "attribution_note"
            )
        chain, attribution = data.get("attribution_chain") or [], data.get("attribution")
        if chain and attribution is not None:
            if attribution == "direct":
                raise ma.ValidationError(
                    "words relayed through an attribution_chain are not direct: use 'reported' (or weaker)",
                    "attribution",
                )
            weakest = max(chain, key=lambda link: ATTRIBUTION_STRENGTH[link["attribution"]])["attribution"]
            if ATTRIBUTION_STRENGTH[attribution] < ATTRIBUTION_STRENGTH[weakest]:
                raise ma.ValidationError(
                    f"the attribution is {attribution!r} but a link of its chain is only {weakest!r}: a statement is "
                    "at most as surely attributed as its weakest link",
                    "attribution",
                )
        relays = [link["relay"] for link in chain]
        if len(set(relays)) != len(relays):
            raise ma.ValidationError("a relay appears twice in the attribution_chain", "attribution_chain")

    @ma.post_load
    def _interval(self, data: dict, **kwargs) -> dict:
        data["reported_via"] = [link["relay"] for link in data["attribution_chain"]]
        return check_dated(data, "said_on")


class ChainLinkSchema(ma.Schema):
    """One hand a statement passed through on its way to the source."""

    relay = Slug(
        "The entity relaying the words (a news agency, an unnamed official...).",
        "yonhap-unnamed-official",
        required=True,
    )
    attribution = Choice(
        ATTRIBUTIONS,
        "How surely this hand ties the words to the one before it: `direct` (quotes them), `reported` (relays or "
        "paraphrases), `ambiguous`, `unknown`.",
        "direct",
        required=True,
    )
    note = Text(
        "The words that show the link.", "'an unnamed official quoted Ri as saying'", allow_none=True, load_default=None
    )


class FactRefSchema(ma.Schema):
    """A fact, by kind and id."""

    type = Choice(DISPUTED_KINDS, "The fact's kind.", "resolution", required=True)
    id = Slug("The fact's id.", "unsc-resolution-2371", required=True)


@record_schema("claim")
class ClaimSchema(ma.Schema):
    """One side of a dispute: what is claimed, where, and the evidence for it."""

    id = Slug("Stable id of the claim.", "icbm-launch-resolution-2371-answers-first-launch", required=True)
    dispute = Slug("The dispute it is a side of.", "icbm-launch-resolution-2371-answers", required=True)
    claim = Text(
        "What is claimed.", "The sanctions were imposed over North Korea's first ICBM test launch.", required=True
    )
    assessment = Choice(ASSESSMENTS, "The verdict on this claim.", "incorrect", required=True)
    support = Support()
    citations = Citations()


@record_schema("dispute")
class DisputeSchema(ma.Schema):
    """A contradiction between sources, or a correction of one, with the evidence on each side and the verdict."""

    id = Slug("Stable id of the dispute.", "icbm-launch-resolution-2371-answers", required=True)
    kind = Choice(
        DISPUTE_KINDS,
        "`contradiction`: the sources disagree; `correction`: a source is wrong, and another shows it.",
        "correction",
        required=True,
    )
    subject = Name("The question in dispute.", "Which ICBM launch was resolution 2371 adopted over?", required=True)
    status = Choice(
        DISPUTE_STATUSES,
        "`resolved` when there is a verdict, `open` when the evidence does not settle it.",
        "resolved",
        required=True,
    )
    verdict = Text(
        "What the knowledge base holds, when resolved; null while open.",
        "Both July 2017 launches: the resolution condemns the launches of 4 (3 July in New York) and 28 July.",
        allow_none=True,
        load_default=None,
    )
    reasoning = Text(
        "Why: how the evidence was weighed.", "The resolution's own text names both launches.", required=True
    )
    facts = ma.fields.List(
        ma.fields.Nested(FactRefSchema),
        required=True,
        validate=[validate.Length(min=1, error="a dispute names at least one fact it is about"), list_length, distinct],
        metadata={"description": "The facts the dispute is about; each lists the dispute in its `disputes`."},
    )
    claims = ma.fields.List(
        ma.fields.Nested(ClaimSchema),
        dump_only=True,
        metadata={"description": "The claims in dispute, each with its citations and assessment, by id."},
    )

    @ma.validates_schema
    def _resolved_has_verdict(self, data: dict, **kwargs) -> None:
        if (data.get("status") == "resolved") != (data.get("verdict") is not None):
            raise ma.ValidationError("a resolved dispute has a verdict, and an open one none", "verdict")
