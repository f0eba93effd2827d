"""The registry of record kinds: what each kind of source and fact does, for reading, verifying, loading, serving,
searching and counting. Its names, plurals, URLs and roles come from the vocabulary (schemas/kinds.py); here each
kind's behaviour attaches to its name.

Adding a fact kind: its entry in schemas/kinds.py, a model in store/models.py, a schema in schemas/facts.py, its
behaviour below, and a resource module with its filters (docs/architecture.md walks through it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from urllib.parse import quote

import marshmallow as ma
from peewee import Field, Model

from schemas.fields import fields_of
from schemas.identifiers import identifier_key
from schemas.kinds import KIND_TABLE, KindSpec
from schemas.vocabulary import ACCOUNT_EVENT_KINDS, KIND_NAMED
from schemas.writes import RECORD_SCHEMAS

from ..store import models as m
from .text import fold_name


@dataclass(frozen=True)
class Reference:
    """A field that names other records: it must name a record of one of `targets` (kind names); when the target
    is an entity, `entity_kinds` (if given) are the entity kinds it may be."""

    field: str
    targets: tuple[str, ...]
    entity_kinds: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Link:
    """A list field kept in a link table, in curated order: `record[field] == [target ids]`."""

    field: str
    model: type[Model]
    owner: str  # the link table's column naming the record
    target: str  # the link table's column naming each listed record


@dataclass(frozen=True)
class Embedded:
    """Records of another kind served inside this one (an entity's roles), ordered by id."""

    field: str
    kind: str
    owner: str  # the embedded kind's field naming this record


@dataclass(frozen=True, kw_only=True)
class Kind(KindSpec):
    """One kind of record: its declaration in the vocabulary, and everything it does."""

    model: type[Model]
    schema: type[ma.Schema]
    # The fields its lists are ordered by (a null date last); stored as one indexed `sort_key` column, which
    # also makes the keyset cursor of its pages.
    order: tuple[str, ...] = ("id",)
    references: tuple[Reference, ...] = ()
    links: tuple[Link, ...] = ()
    embedded: tuple[Embedded, ...] = ()  # from the kinds the vocabulary embeds in this one
    # Columns computed at load time from the record and the records it names (folded text for matching...).
    derived: Callable[[dict, object], dict] | None = None
    # Order rows are inserted in, when records of the kind refer to each other.
    insert_order: Callable[[dict], tuple] | None = None
    # Text of the kind's search document: (label, body), given the row and entity names by id.
    search_document: Callable[[Model, dict[str, str]], tuple[str, str]] | None = None
    # A human label of a record, for the kinds listed in /facts (each also served at its url): given the record as
    # served and the names of the entities its `label_names` fields name.
    label: Callable[[dict, Mapping[str, str]], str] | None = None
    # Fields naming entities whose names its label shows: a rename of one relabels the record (publication.py).
    label_names: tuple[str, ...] = ()
    # Checks of one record beyond its schema and references: (where, record, catalogue) -> problems.
    extra_checks: tuple[Callable[[str, dict, object], list[str]], ...] = field(default=())
    # Fields naming records whose content (beyond their ids) this kind's derived columns and document reflect: a
    # change to one of those records renders its referrers again (knowledge/publication.py).
    reads_through: tuple[str, ...] = ()
    # Fields naming entities whose names its search document shows.
    search_names: tuple[str, ...] = ()

    @cached_property
    def columns(self) -> tuple[Field, ...]:
        """The model's columns that the API serves: the schema's fields stored in this kind's own table."""
        served = fields_of(self.schema, computed=False, service_set=False, citations=False)
        return tuple(f for name, f in self.model._meta.fields.items() if name in served)

    @property
    def page(self) -> str | None:
        """Where one record's HTML page is, with {id}: its API URL without /api/v1 (service/pages)."""
        return self.url.removeprefix("/api/v1") if self.url else None

    def url_of(self, record_id: str) -> str:
        """One record's API path, its id percent-encoded."""
        assert self.url, f"a {self.name} has no URL of its own"
        return self.url.format(id=quote(record_id, safe=""))

    def page_of(self, record_id: str) -> str:
        """One record's page's path, its id percent-encoded."""
        assert self.page, f"a {self.name} has no page of its own"
        return self.page.format(id=quote(record_id, safe=""))

    def sort_key(self, record: dict) -> str:
        """The record's place in its lists as one string: the order fields joined by spaces (a space sorts before
        every character of an id, a date or a vocabulary word, so the string sorts as the tuple would), a
        missing date as "~" (after every date)."""
        return " ".join("~" if record[name] is None else str(record[name]) for name in self.order)

    def select(self):
        """A query of this kind's served columns (not load-time columns such as a source's text)."""
        return self.model.select(*self.columns)

    def owner_url(self, record: dict) -> str:
        """Where a record with no URL of its own is read: its owner's URL, or the owner's list of them."""
        owner = self.owner
        assert owner, f"a {self.name} is served at a URL of its own"
        url = BY_NAME[owner.kind].url
        assert url, f"a {owner.kind} has no URL of its own"
        return (url + (f"/{owner.listed}" if owner.listed else "")).format(id=record[owner.field])


def _statement_quote_within_passages(where: str, record: dict, catalogue) -> list[str]:
    if record["quote"] is None:
        return []
    if any(c["quote"] and record["quote"] in c["quote"] for c in record["citations"]):
        return []
    return [f"{where}: the statement's quote is not inside any of its cited passages: {record['quote']!r}"]


def _event_reports_carry_it(where: str, record: dict, catalogue) -> list[str]:
    """A record of an utterance or a document (an account: a briefing, remarks, a statement, a report, a tweet) is
    supported by reports of it, each carrying it (fixtures/FORMAT.md, "Independent sources")."""
    return _unaccounted(where, record, record["id"]) if record["kind"] in ACCOUNT_EVENT_KINDS else []


def _statement_reports_carry_its_event(where: str, record: dict, catalogue) -> list[str]:
    """What was said at an utterance (a briefing, remarks, a statement) reaches its sources as that account."""
    event = catalogue.record("event", record["event"]) if record["event"] is not None else None
    return _unaccounted(where, record, event["id"]) if event and event["kind"] in ACCOUNT_EVENT_KINDS else []


def _unaccounted(where: str, record: dict, event_id: str) -> list[str]:
    return [
        f"{where}: citation {number} reports {event_id!r}, an utterance or a document: name the account the passage "
        f"carries (account event {event_id!r}, or the one it relays)"
        for number, citation in enumerate(record["citations"], 1)
        if citation["role"] == "supports" and citation["account"] is None
    ]


def _source_derivations(where: str, record: dict, catalogue) -> list[str]:
    problems = []
    for derivation in record["derived_from"]:
        if derivation["source"] == record["id"]:
            problems.append(f"{where}: derived_from names the source itself")
            continue
        parent = catalogue.record("source", derivation["source"])
        if parent is None:
            problems.append(f"{where}: derived_from {derivation['source']!r} is not a known source")
        elif _later(parent, record):
            problems.append(
                f"{where}: derived_from {parent['id']!r}, published on {parent['published_on'].isoformat()}, after "
                f"this source ({record['published_on'].isoformat()}): a source cannot derive from a later one"
            )
    return problems


def _later(parent: dict, child: dict) -> bool:
    """Whether `parent` was published after `child`, both known to the day."""
    days = [s["published_on"] for s in (parent, child) if s["date_precision"] == "day"]
    return len(days) == 2 and None not in days and days[0] > days[1]


def _dispute_facts(where: str, record: dict, catalogue) -> list[str]:
    return [
        f"{where}: fact {ref['type']} {ref['id']!r} does not exist"
        for ref in record["facts"]
        if catalogue.record(ref["type"], ref["id"]) is None
    ]


def _country_code(where: str, record: dict, catalogue) -> list[str]:
    code = record["country_code"]
    if record["kind"] != "country":
        return [] if code is None else [f"{where}: a {record['kind']} has no country_code (only a country does)"]
    if code is None:
        return [f"{where}: a country gives its ISO 3166-1 alpha-2 country_code"]
    return []  # (that no two countries share one is checked across records: verify.knowledge_problems)


def _entity_columns(record: dict, catalogue) -> dict:
    return {
        "search_key": "|".join(fold_name(n) for n in [record["name"], *record["aliases"]]),
        "identifier_key": identifier_key(record["identifiers"]),
    }


def _statement_columns(record: dict, catalogue) -> dict:
    texts = (record["quote"] or "", record["summary"], record["speaker_as_written"])
    relays = [catalogue.record("entity", link["relay"]) for link in record["attribution_chain"]]
    return {
        "search_text": "|".join(fold_name(text) for text in texts),
        "hands": len(relays) + 1,
        "via_unnamed": any(relay is not None and not relay["named"] for relay in relays),
    }


def _entity_document(e: m.Entity, names: dict[str, str]) -> tuple[str, str]:
    return e.name, " ".join([*e.aliases, e.description])


def _measure_document(x: m.Measure, names: dict[str, str]) -> tuple[str, str]:
    return f"{x.kind.replace('_', ' ')}: {x.commodity or x.description}", x.description


def _event_document(ev: m.Event, names: dict[str, str]) -> tuple[str, str]:
    return ev.title, ev.description


def _dispute_document(d: m.Dispute, names: dict[str, str]) -> tuple[str, str]:
    claims = " ".join(
        c.claim for c in m.Claim.select(m.Claim.claim).where(m.Claim.dispute == d.id).order_by(m.Claim.id)
    )
    return d.subject, " ".join(filter(None, [d.verdict, d.reasoning, claims]))


# What a statement's label says when the knowledge identifies no speaker: the words the source uses for one ("He")
# stay in `speaker_as_written`, where a reader sees them as written.
UNIDENTIFIED_SPEAKER = "Unidentified speaker"


def statement_label(speaker_id: str | None, summary: str, names: Mapping[str, str]) -> str:
    """A statement's label (its /facts label, its page's heading, its search entry's): the speaker the knowledge
    identifies, by name, not by the pronoun a source may use for them, then the summary."""
    return f"{names[speaker_id] if speaker_id else UNIDENTIFIED_SPEAKER}: {summary}"


def _statement_document(s: m.Statement, names: dict[str, str]) -> tuple[str, str]:
    body = " ".join(filter(None, [s.quote, s.speaker_as_written, s.attribution_note]))
    return statement_label(s.speaker_id, s.summary, names), body


def _refers(field_name: str, *kinds: str) -> Reference:
    """A field naming a record of one of `kinds`."""
    return Reference(field_name, kinds)


def _entity(field_name: str, *kinds: str) -> Reference:
    """A field naming an entity, of one of the entity `kinds` if given."""
    return Reference(field_name, ("entity",), kinds or None)


def _kind(name: str, model: type[Model], **behaviour) -> Kind:
    """The kind `name` of the vocabulary with its model and behaviour; its schema is the one declared for it
    (schemas/facts.py), and it embeds the kinds the vocabulary serves inside it."""
    spec = KIND_NAMED[name]
    embedded = tuple(
        Embedded(inner.owner.embedded, inner.name, inner.owner.field)
        for inner in KIND_TABLE
        if inner.owner and inner.owner.kind == name and inner.owner.embedded
    )
    declared = {f.name: getattr(spec, f.name) for f in fields(KindSpec)}
    return Kind(**declared, model=model, schema=RECORD_SCHEMAS[name], embedded=embedded, **behaviour)


_ATTACHED: tuple[Kind, ...] = (
    _kind("source", m.Source, extra_checks=(_source_derivations,)),
    _kind(
        "entity",
        m.Entity,
        references=(_entity("country", "country"),),
        extra_checks=(_country_code,),
        derived=_entity_columns,
        label=lambda e, names: e["name"],
        insert_order=lambda e: (e["kind"] != "country", e["id"]),  # countries first: others point at them
        search_document=_entity_document,
    ),
    _kind(
        "role",
        m.Role,
        references=(
            _entity("entity", "person"),
            _entity("organization", "organization"),
            _entity("country", "country"),
        ),
    ),
    _kind(
        "resolution",
        m.Resolution,
        order=("adopted_on", "id"),
        label=lambda r, names: r["symbol"] or r["id"],
        references=(_entity("body", "organization"), _entity("drafted_by")),
    ),
    _kind(
        "vote",
        m.MemberVote,
        order=("member", "id"),
        references=(_refers("resolution", "resolution"), _entity("member", "country")),
    ),
    _kind(
        "measure",
        m.Measure,
        order=("resolution", "kind", "id"),
        references=(
            _refers("resolution", "resolution"),
            _entity("target", "country", "organization", "person"),
        ),
        search_document=_measure_document,
        label=lambda x, names: x["description"],
    ),
    _kind(
        "figure",
        m.Figure,
        order=("subject", "metric", "id"),
        references=(_refers("subject", "entity", "resolution"),),
        label=lambda f, names: f"{f['metric']}: {f['as_stated']}",
    ),
    _kind(
        "event",
        m.Event,
        order=("date_earliest", "date_latest", "id"),
        references=(_entity("place", "place", "country"), _entity("participants")),
        links=(Link("participants", m.EventParticipant, "event", "entity"),),
        search_document=_event_document,
        label=lambda ev, names: ev["title"],
        extra_checks=(_event_reports_carry_it,),
    ),
    _kind(
        "statement",
        m.Statement,
        order=("date_earliest", "date_latest", "id"),
        references=(
            _entity("speaker"),
            _refers("topics", "topic"),
            _entity("reported_via"),  # the attribution chain's relays
            _refers("event", "event"),
        ),
        links=(
            Link("topics", m.StatementTopic, "statement", "topic"),
            Link("reported_via", m.StatementReporter, "statement", "entity"),
        ),
        derived=_statement_columns,
        reads_through=("reported_via",),  # whether a relay is unnamed
        search_document=_statement_document,
        search_names=("speaker",),
        label=lambda st, names: statement_label(st["speaker"], st["summary"], names),
        label_names=("speaker",),
        extra_checks=(_statement_quote_within_passages, _statement_reports_carry_its_event),
    ),
    _kind("topic", m.Topic),
    _kind("dispute", m.Dispute, search_document=_dispute_document, extra_checks=(_dispute_facts,)),
    _kind("claim", m.Claim, references=(_refers("dispute", "dispute"),)),
)

# In the vocabulary's order: health counts them so, and rows are inserted so (a kind only points at kinds before
# it; link tables are filled once every kind's rows are in).
KINDS: tuple[Kind, ...] = tuple({k.name: k for k in _ATTACHED}[spec.name] for spec in KIND_TABLE)
BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
SEARCHED: tuple[Kind, ...] = tuple(kind for kind in KINDS if kind.search_rank is not None)
SERVED: tuple[Kind, ...] = tuple(kind for kind in KINDS if kind.served)
LISTED_FACTS: tuple[Kind, ...] = tuple(kind for kind in KINDS if kind.in_facts)

# What the vocabulary says a kind does must have its behaviour here.
_UNATTACHED = [f"{kind.name} is searched but has no search_document" for kind in SEARCHED if not kind.search_document]
_UNATTACHED += [f"{kind.name} is listed in /facts but has no label" for kind in LISTED_FACTS if not kind.label]
if _UNATTACHED:
    raise RuntimeError("; ".join(_UNATTACHED))


def kind_named(name: str) -> Kind:
    return BY_NAME[name]
