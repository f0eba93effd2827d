"""The knowledge as FollowTheMoney (FtM) entities, the data model of the OpenSanctions toolchain."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from schemas.kinds import KIND_TABLE

Lookup = Callable[[str, str], dict | None]

ID_PREFIX = "sanctions-kb"
# The dataset every entity belongs to, as OpenSanctions' tools name datasets (lower case, digits, underscores).
DATASET = "sanctions_kb"
# FtM's topic of an entity a sanction is imposed on (followthemoney.types.topic).
SANCTIONED_TOPIC = "sanction"
ID_LIMIT = 200  # FtM's longest entity id (followthemoney.util.ENTITY_ID_LEN)
DIGEST_LENGTH = 40
# An ISO date's prefixes FtM takes, most precise first: a day, a month, a year.
DATE_PREFIXES = (10, 7, 4)
PRECISION_LENGTH = {"day": 10, "month": 7, "year": 4}

Values = str | Iterable[str | None] | None


def ftm_id(*parts: str) -> str:
    """The FtM id of a record's entity: the prefix, a kind and the record's id (and any further part), joined by
    hyphens; past FtM's length limit, its start and a digest of the whole."""
    text = "-".join((ID_PREFIX, *parts))
    if len(text) <= ID_LIMIT:
        return text
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
    return f"{text[: ID_LIMIT - DIGEST_LENGTH - 1].rstrip('-')}-{digest}"


def ftm_entity(schema: str, entity_id: str, properties: Iterable[tuple[str, Values]], target: bool = False) -> dict:
    """An entity in FtM's JSON form: properties in the order given, each with its values in order, once each (a
    property with no value is left out), its dataset, and whether it is one of the dataset's targets (an entity a
    sanction is imposed on, as OpenSanctions marks the entities its lists are about)."""
    found: dict[str, list[str]] = {}
    for name, values in properties:
        for value in [values] if values is None or isinstance(values, str) else values:
            if value:
                found.setdefault(name, [])
                if value not in found[name]:
                    found[name].append(value)
    return {"id": entity_id, "schema": schema, "properties": found, "datasets": [DATASET], "target": target}


# An entity's identifiers FtM has a property for on Thing (every schema an entity becomes): a UN sanctions list
# reference is FtM's Sanction.unscId, a property of a listing, not of the listed entity, so it stays out.
FTM_IDENTIFIER_PROPERTIES = {"wikidata": "wikidataId", "wikipedia": "wikipediaUrl"}


def _identifiers(identifiers: list[dict]) -> list[tuple[str, str]]:
    """An entity's identifiers as the FtM properties that carry them, in curated order."""
    return [
        (FTM_IDENTIFIER_PROPERTIES[i["scheme"]], i["value"])
        for i in identifiers
        if i["scheme"] in FTM_IDENTIFIER_PROPERTIES
    ]


def interval_date(day: str | None, earliest: str | None, latest: str | None) -> str | None:
    """The most precise ISO prefix that holds the whole date: the day when known, else the month or the year
    shared by both ends of the interval; None for an unknown date or an interval across years."""
    if day:
        return day
    if not earliest or not latest:
        return None
    return next((earliest[:length] for length in DATE_PREFIXES if earliest[:length] == latest[:length]), None)


# Dates that are a range of days rather than a calendar month or year: given as their first and last days.
RANGES = frozenset({"week", "season", "span"})


def dated(day: str | None, earliest: str | None, latest: str | None, precision: str | None) -> list[tuple[str, Values]]:
    """A record's date as FtM properties: a day, a month or a year as `date` (an ISO prefix); a week, a season or
    another span of days as `startDate` and `endDate`, its first and last possible days; nothing when unknown."""
    if not day and precision in RANGES and earliest and latest:
        return [("startDate", earliest), ("endDate", latest)]
    return [("date", interval_date(day, earliest, latest))]


def sanctioned_entities(measures: Iterable[dict]) -> frozenset[str]:
    """The ids of the entities the measures are imposed on (their curated `target`)."""
    return frozenset(measure["target"] for measure in measures if measure.get("target"))


def published_date(day: str | None, precision: str) -> str | None:
    """A source's publication date as precise as its `date_precision` says."""
    length = PRECISION_LENGTH.get(precision)
    return day[:length] if day and length else None


class FtmMapper:
    """Maps one served record at a time to its FtM entities, in FtM's JSON form.

    It keeps nothing between records: what a record needs of another it reads through `lookup(kind, id)` (that
    record's served document). The mapping, by kind:

    - source: an `Article` (title, author, publisher, publishedAt, sourceUrl, the curator's note), whether an
      article held here or a reference to public record: FtM's `Document` requires a `fileName`, which a source
      at a URL does not have, and `Article` is the Document that OpenSanctions makes for a published URL.
    - entity: a person is a `Person` (its `nationality` from its country's code, its roles' titles as `position`),
      an organisation an `Organization` (its `country`), a country a `LegalEntity` with its own code as `country`
      and `jurisdiction`. FtM has no schema for a state: `Territory` is an area, and it cannot take part in an
      `Event` (whose `involved` are LegalEntities) as countries do here. A place has no entity of its own: FtM
      gives an event's place as its `location` text (and `country`), and has no schema for a region such as
      "Korean Peninsula".
    - role (inside its person's document): a `Position` (the title, the country it serves, its organisation) and
      an `Occupancy` of it by the person.
    - measure: a `Sanction` of the entity it is imposed on (its curated `target`), with its resolution's body as
      authority, symbol as program, purpose as reason and adoption day as listingDate. A measure without a target
      (the designations, whose listed individuals and entities are not recorded) has no Sanction: FtM requires
      one's `entity`.
    - event: an `Event` (name, date, location, country, the participants `involved`, its kind as `keywords`).
    - statement: a `Documentation` of its speaker in the source of its words: the verbatim quote as `summary`,
      the curated summary as `description`, the date. A statement whose speaker is not identified has none.
    - resolution: no entity of its own (FtM has no schema for a resolution): its facts are on its measures'
      Sanctions, and its citations document the body that adopted it.
    - vote, figure, topic, dispute: nothing; FtM has no schema for a vote, a stated number, a vocabulary term or
      a contradiction between sources.

    Provenance: every citation of every mapped fact is a `Documentation` linking the source's Article to the fact's
    entity (`role` the citation's role, `summary` its quote, `description` the curator's note on the wording,
    `recordId` the fact as "kind:id", and the source's `sourceUrl` and `publisher`); the fact's entity names its
    supporting sources as `proof` and their URLs as `sourceUrl`. A Documentation's `entity` must be a Thing, which a
    Sanction or an Occupancy is not (both are FtM Intervals): their citations document the sanctioned entity and the
    Position, and carry the fact in `recordId`, as the Sanction and the Occupancy do. A citation's offsets and
    `fields` have no FtM property; `recordId` leads to the record, which serves them.

    Dates are as precise as the record's: a day, a month or a year as `date` (an ISO prefix, never an invented
    day); a week, a season or another span of days as `startDate` and `endDate`, the first and last days it can
    have been.

    Every entity names its dataset (`datasets`: sanctions_kb). The entities a measure is imposed on (`sanctioned`,
    from sanctioned_entities) carry FtM's `sanction` topic and are the dataset's targets (`target`: true), as
    OpenSanctions marks the entities its lists are about; every other entity is not a target. Ids are "sanctions-kb-<kind>-<record id>" (and a citation's position),
    FtM's id characters, at most FtM's 200.
    """

    def __init__(self, lookup: Lookup, sanctioned: frozenset[str] = frozenset()):
        self._lookup = lookup
        self._sanctioned = sanctioned  # entity ids a measure targets (sanctioned_entities)
        # Each kind the vocabulary maps to FtM (its `ftm`) by its method here, named after it.
        self._by_kind: dict[str, Callable[[dict], list[dict]]] = {
            kind.name: getattr(self, f"_{kind.name}") for kind in KIND_TABLE if kind.ftm
        }

    def entities(self, kind: str, record: dict) -> list[dict]:
        """The FtM entities of one served record of `kind`; [] for a kind FtM has no form for."""
        mapping = self._by_kind.get(kind)
        return mapping(record) if mapping else []

    # Kinds

    def _source(self, source: dict) -> list[dict]:
        return [
            ftm_entity(
                "Article",
                ftm_id("source", source["id"]),
                [
                    ("title", source["title"]),
                    ("author", source["author"]),
                    ("publisher", source["publisher"]),
                    ("publishedAt", published_date(source["published_on"], source["date_precision"])),
                    ("sourceUrl", source["url"]),
                    ("notes", source["note"]),
                ],
            )
        ]

    def _entity(self, entity: dict) -> list[dict]:
        kind, own = entity["kind"], ftm_id("entity", entity["id"])
        if kind == "person":
            schema = "Person"
            particular = [
                ("nationality", self._country_code(entity["country"])),
                ("position", [role["title"] for role in entity["roles"]]),
            ]
        elif kind == "organization":
            schema, particular = "Organization", [("country", self._country_code(entity["country"]))]
        elif kind == "country":
            code = _lower(entity["country_code"])
            schema, particular = "LegalEntity", [("country", code), ("jurisdiction", code)]
        else:  # a place: an event's location, not an entity of its own
            return []
        sanctioned = entity["id"] in self._sanctioned
        main = ftm_entity(
            schema,
            own,
            [
                ("name", entity["name"]),
                ("alias", entity["aliases"]),
                *particular,
                ("topics", SANCTIONED_TOPIC if sanctioned else None),
                ("description", entity["description"]),
                *_identifiers(entity["identifiers"]),
                *self._provenance(entity["citations"]),
            ],
            target=sanctioned,
        )
        found = [main, *self._citations("entity", entity["id"], entity["citations"], own)]
        for role in entity["roles"]:
            found += self._role(role, own)
        return found

    def _role(self, role: dict, holder: str) -> list[dict]:
        post = ftm_id("position", role["id"])
        provenance = self._provenance(role["citations"])
        return [
            ftm_entity(
                "Position",
                post,
                [
                    ("name", role["title"]),
                    ("country", self._country_code(role["country"])),
                    ("organization", self._thing(role["organization"])),
                    *provenance,
                ],
            ),
            ftm_entity(
                "Occupancy",
                ftm_id("occupancy", role["id"]),
                [("holder", holder), ("post", post), ("recordId", f"role:{role['id']}"), *provenance],
            ),
            *self._citations("role", role["id"], role["citations"], post),
        ]

    def _resolution(self, resolution: dict) -> list[dict]:
        body = self._thing(resolution["body"])
        return self._citations("resolution", resolution["id"], resolution["citations"], body) if body else []

    def _measure(self, measure: dict) -> list[dict]:
        target = self._thing(measure["target"])
        if target is None:
            return []
        resolution = self._lookup("resolution", measure["resolution"]) or {}
        body = self._lookup("entity", resolution.get("body") or "") or {}
        sanction = ftm_entity(
            "Sanction",
            ftm_id("measure", measure["id"]),
            [
                ("entity", target),
                ("authority", body.get("name")),
                ("program", resolution.get("symbol")),
                ("provisions", measure["description"]),
                ("reason", resolution.get("purpose")),
                ("listingDate", resolution.get("adopted_on")),
                ("recordId", f"measure:{measure['id']}"),
                *self._provenance(measure["citations"]),
            ],
        )
        return [sanction, *self._citations("measure", measure["id"], measure["citations"], target)]

    def _event(self, event: dict) -> list[dict]:
        own = ftm_id("event", event["id"])
        place = self._lookup("entity", event["place"]) if event["place"] else None
        country: str | None = None
        if place:
            country = place["id"] if place["kind"] == "country" else place["country"]
        main = ftm_entity(
            "Event",
            own,
            [
                ("name", event["title"]),
                *dated(event["occurred_on"], event["date_earliest"], event["date_latest"], event["date_precision"]),
                ("location", place and place["name"]),
                ("country", self._country_code(country)),
                ("involved", [self._thing(participant) for participant in event["participants"]]),
                ("keywords", event["kind"]),
                ("description", event["description"]),
                *self._provenance(event["citations"]),
            ],
        )
        return [main, *self._citations("event", event["id"], event["citations"], own)]

    def _statement(self, statement: dict) -> list[dict]:
        speaker = self._thing(statement["speaker"])
        if speaker is None:
            return []
        citations = statement["citations"]
        quote = statement["quote"]
        words = next((c for c in citations if quote and c["quote"] and quote in c["quote"]), None)
        words = words or next((c for c in citations if c["role"] == "supports"), citations[0])
        documentation = ftm_entity(
            "Documentation",
            ftm_id("statement", statement["id"]),
            [
                ("document", ftm_id("source", words["source"])),
                ("entity", speaker),
                ("role", "speaker"),
                ("summary", quote),
                ("description", statement["summary"]),
                *dated(
                    statement["said_on"],
                    statement["date_earliest"],
                    statement["date_latest"],
                    statement["date_precision"],
                ),
                ("recordId", f"statement:{statement['id']}"),
                *self._provenance(citations),
            ],
        )
        return [documentation, *self._citations("statement", statement["id"], citations, speaker)]

    # What several kinds share

    def _thing(self, entity_id: str | None) -> str | None:
        """The FtM id of an entity that has an entity of its own (not a place), or None."""
        entity = self._lookup("entity", entity_id) if entity_id else None
        return ftm_id("entity", entity["id"]) if entity and entity["kind"] != "place" else None

    def _country_code(self, entity_id: str | None) -> str | None:
        country = self._lookup("entity", entity_id) if entity_id else None
        return _lower(country["country_code"]) if country else None

    def _provenance(self, citations: list[dict]) -> list[tuple[str, Values]]:
        """A fact's supporting sources as `proof`, and where each can be read as `sourceUrl`, in citation order."""
        supporting = list(dict.fromkeys(c["source"] for c in citations if c["role"] == "supports"))
        sources = [self._lookup("source", source_id) or {} for source_id in supporting]
        return [
            ("proof", [ftm_id("source", source_id) for source_id in supporting]),
            ("sourceUrl", [source.get("url") for source in sources]),
        ]

    def _citations(self, kind: str, record_id: str, citations: list[dict], anchor: str) -> list[dict]:
        """Each citation of a fact as a Documentation of `anchor` (the fact's entity, or the Thing it is about)."""
        found = []
        for position, citation in enumerate(citations, 1):
            source = self._lookup("source", citation["source"]) or {}
            found.append(
                ftm_entity(
                    "Documentation",
                    ftm_id("citation", kind, record_id, str(position)),
                    [
                        ("document", ftm_id("source", citation["source"])),
                        ("entity", anchor),
                        ("role", citation["role"]),
                        ("summary", citation["quote"]),
                        ("description", citation["wording"]),
                        ("recordId", f"{kind}:{record_id}"),
                        ("sourceUrl", source.get("url")),
                        ("publisher", source.get("publisher")),
                    ],
                )
            )
        return found


def _lower(code: str | None) -> str | None:
    # ISO writes alpha-2 codes in upper case; FtM's country type holds them in lower case.
    return code.lower() if code else None
