"""Every record a page can link to, with its label and its page: read once in each worker, then kept up to date
by what each publication touched."""

from __future__ import annotations

import gc
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from flask import request
from peewee import ModelSelect, Tuple

from ..knowledge.kinds import BY_NAME, KINDS, LISTED_FACTS
from ..store import models as m
from ..store.db import tuples
from ..store.version import DataState, touched_between
from ..web.cache import depends_on

# The kinds with a page of their own, at /{plural}/{id} (the API's URL without /api/v1).
PAGE_KINDS = tuple(kind for kind in KINDS if kind.url)
# The kinds /facts lists (one row each in the fact table), which / counts.
FACT_KINDS = frozenset(kind.name for kind in LISTED_FACTS)
# Records served inside another's page, at an anchor of it: (kind, the parent's kind).
INNER_KINDS = {kind.name: kind.owner.kind for kind in KINDS if kind.owner}

# Fields that name other records, and the kinds they may name: the registry's references, plus the fields of
# embedded objects (an attribution chain's relays, a source's derivations, a citation's source).
REFERENCE_FIELDS: dict[str, tuple[str, ...]] = {"relay": ("entity",), "source": ("source",), "disputes": ("dispute",)}
for _kind in KINDS:
    for _reference in _kind.references:
        REFERENCE_FIELDS.setdefault(_reference.field, _reference.targets)
REFERENCE_FIELDS["participants"] = ("entity",)
REFERENCE_FIELDS["topics"] = ("topic",)
REFERENCE_FIELDS["reported_via"] = ("entity",)


@dataclass(frozen=True)
class Entry:
    kind: str
    id: str
    label: str
    parent: tuple[str, str] | None = None  # (kind, id) of the record whose page shows it
    shows: tuple[tuple[str, str], ...] = ()  # the documents its label is made from, when not (only) its own

    @property
    def documents(self) -> tuple[tuple[str, str], ...]:
        """The documents (kind, id) whose change can change this entry: a page showing it depends on them."""
        return self.shows or ((self.kind, self.id),)

    @property
    def url(self) -> str:
        """Its page, under the path prefix the service is mounted at (a role, vote or claim: its section)."""
        if self.parent is not None:
            kind, record_id = self.parent
            return f"{request.root_path}{BY_NAME[kind].page_of(record_id)}#{self.kind}-{self.id}"
        # What url_for("pages.<kind>", ...) builds, without its cost (a page lists hundreds of links).
        return f"{request.root_path}{BY_NAME[self.kind].page_of(self.id)}"


Key = tuple[str, str]
REMOVED = None  # in Entries.changes: the entry is gone
# How many changed entries a directory keeps over the entries it shares with the directories before it; past this
# many, the next is copied whole (a copy of 200,000 entries costs about 20 ms, a change a few microseconds).
CHANGES_KEPT = 20_000


class Entries:
    """The entries of a directory: those it shares, unchanged, with the directories of earlier states (never written
    again), and its own changes over them, so that following a publication costs what it changed, not a copy."""

    def __init__(self, shared: dict[Key, Entry] | None = None, changes: dict[Key, Entry | None] | None = None):
        self.shared: dict[Key, Entry] = {} if shared is None else shared
        self.changes: dict[Key, Entry | None] = {} if changes is None else changes

    def fork(self) -> Entries:
        """Entries to change without changing these: its own changes, over the same shared entries."""
        if len(self.changes) > CHANGES_KEPT:
            return Entries(self.as_dict())
        return Entries(self.shared, dict(self.changes))

    def get(self, key: Key) -> Entry | None:
        if key in self.changes:
            return self.changes[key]
        return self.shared.get(key)

    def __getitem__(self, key: Key) -> Entry:
        entry = self.get(key)
        if entry is None:
            raise KeyError(key)
        return entry

    def __setitem__(self, key: Key, entry: Entry) -> None:
        self.changes[key] = entry

    def pop(self, key: Key) -> Entry | None:
        """Remove an entry; the entry removed, None if there was none."""
        entry = self.get(key)
        if entry is not None:
            self.changes[key] = REMOVED
        return entry

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def items(self) -> Iterator[tuple[Key, Entry]]:
        changes = self.changes
        for key, entry in self.shared.items():
            if key not in changes:
                yield key, entry
        for key, changed in changes.items():
            if changed is not None:
                yield key, changed

    def values(self) -> Iterator[Entry]:
        return (entry for _, entry in self.items())

    def __iter__(self) -> Iterator[Key]:
        return (key for key, _ in self.items())

    def as_dict(self) -> dict[Key, Entry]:
        return dict(self.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entries) and self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]


class Directory:
    """(kind, id) -> Entry for every record of the knowledge, and whether a statement's attribution is doubtful.

    Read whole once; then, as revisions are published, brought up to date by the documents each touched (`after`),
    so that a publication costs the pages what it changed rather than a read of every record."""

    def __init__(
        self, entries: Entries | None = None, doubts: dict[str, str] | None = None, tallies: Counter[str] | None = None
    ):
        self.entries: Entries = Entries() if entries is None else entries
        self.doubts: dict[str, str] = {} if doubts is None else doubts
        # How many facts of each kind /facts lists: counted once, then kept by each publication's entries.
        self.tallies: Counter[str] = Counter() if tallies is None else tallies
        if entries is None:
            self._read(None)
            self.entries = Entries(self.entries.as_dict())  # all shared from now on
            self.tallies.update(kind for kind, _ in self.entries if kind in FACT_KINDS)

    def after(self, documents: set[tuple[str, str]]) -> Directory:
        """A new directory: this one with the entries of the records behind these documents read again (those of
        records gone removed). A touched entity's document stands for its roles and the votes of its member, a
        resolution's for its votes, a dispute's for its claims: their labels show it, or they are served in it."""
        changed = Directory(self.entries.fork(), dict(self.doubts), Counter(self.tallies))
        keys = changed._behind(documents)
        for key in keys:
            if changed.entries.pop(key) is not None and key[0] in FACT_KINDS:
                changed.tallies[key[0]] -= 1
            if key[0] == "statement":
                changed.doubts.pop(key[1], None)
        changed._read(keys)
        changed.tallies.update(key[0] for key in keys if key[0] in FACT_KINDS and key in changed.entries)
        return changed

    def _behind(self, documents: set[tuple[str, str]]) -> set[tuple[str, str]]:
        keys = set(documents)
        owners = {kind: sorted(i for k, i in documents if k == kind) for kind in set(INNER_KINDS.values())}
        if any(owners.values()):  # (the records served in a page gone with it are no longer in the tables)
            keys |= {key for key, entry in self.entries.items() if entry.parent in documents}
        keys |= {("role", i) for (i,) in tuples(m.Role.select(m.Role.id).where(m.Role.entity.in_(owners["entity"])))}
        votes = m.MemberVote.select(m.MemberVote.id).where(
            m.MemberVote.member.in_(owners["entity"]) | m.MemberVote.resolution.in_(owners["resolution"])
        )
        keys |= {("vote", i) for (i,) in tuples(votes)}
        keys |= {
            ("claim", i) for (i,) in tuples(m.Claim.select(m.Claim.id).where(m.Claim.dispute.in_(owners["dispute"])))
        }
        for kind in LISTED_FACTS:  # a statement's label names its speaker
            for field_name in kind.label_names:
                column, id_field = kind.model._meta.fields[field_name], kind.model._meta.fields["id"]
                named = kind.model.select(id_field).where(column.in_(owners["entity"]))
                keys |= {(kind.name, i) for (i,) in tuples(named)}
        return keys

    def _read(self, keys: set[tuple[str, str]] | None) -> None:
        """Read the entries of every record (None), or of these records (kind, id) again."""
        entries = self.entries

        def select(kind: str, query, id_field):
            """The query for every record of the kind, or for those of `keys`; None when none is wanted."""
            if keys is None:
                return query
            ids = sorted(i for k, i in keys if k == kind)
            return query.where(id_field.in_(ids)) if ids else None

        def rows(query) -> list[tuple]:
            return [] if query is None else list(tuples(query))

        facts: ModelSelect[m.Fact] | None = m.Fact.select(m.Fact.fact_type, m.Fact.fact_id, m.Fact.label)
        if keys is not None:
            listed = {kind.name for kind in LISTED_FACTS}
            wanted = sorted((k, i) for k, i in keys if k in listed)
            facts = (
                m.Fact.select(m.Fact.fact_type, m.Fact.fact_id, m.Fact.label).where(
                    Tuple(m.Fact.fact_type, m.Fact.fact_id).in_(wanted)
                )
                if wanted
                else None
            )
        for fact_type, fact_id, label in rows(facts):
            entries[(fact_type, fact_id)] = Entry(fact_type, fact_id, label)
        for kind in LISTED_FACTS:  # a label showing an entity's name shows that entity's document too
            for field_name in kind.label_names:
                column, id_field = kind.model._meta.fields[field_name], kind.model._meta.fields["id"]
                naming = select(kind.name, kind.model.select(id_field, column).where(column.is_null(False)), id_field)
                for record_id, entity_id in rows(naming):
                    labelled = entries.get((kind.name, record_id))
                    if labelled is not None:
                        shows = (*labelled.documents, ("entity", entity_id))
                        entries[(kind.name, record_id)] = Entry(kind.name, record_id, labelled.label, shows=shows)
        for source_id, title in rows(select("source", m.Source.select(m.Source.id, m.Source.title), m.Source.id)):
            entries[("source", source_id)] = Entry("source", source_id, title)
        for (topic_id,) in rows(select("topic", m.Topic.select(m.Topic.id), m.Topic.id)):
            entries[("topic", topic_id)] = Entry("topic", topic_id, topic_id.replace("-", " "))
        disputes = select("dispute", m.Dispute.select(m.Dispute.id, m.Dispute.subject), m.Dispute.id)
        for dispute_id, subject in rows(disputes):
            entries[("dispute", dispute_id)] = Entry("dispute", dispute_id, subject)

        def name(entity_id: str) -> str:
            entity = entries.get(("entity", entity_id))
            return entity.label if entity is not None else entity_id

        roles = select("role", m.Role.select(m.Role.id, m.Role.entity, m.Role.title), m.Role.id)
        for role_id, entity_id, title in rows(roles):
            label = f"{name(entity_id)}: {title}"
            entries[("role", role_id)] = Entry("role", role_id, label, ("entity", entity_id), (("entity", entity_id),))
        votes = m.MemberVote.select(m.MemberVote.id, m.MemberVote.resolution, m.MemberVote.member, m.MemberVote.vote)
        for vote_id, resolution_id, member_id, vote in rows(select("vote", votes, m.MemberVote.id)):
            resolution = entries.get(("resolution", resolution_id))
            on = resolution.label if resolution else resolution_id
            label = f"{name(member_id)} voted {vote} on {on}"
            shows = (("resolution", resolution_id), ("entity", member_id))
            entries[("vote", vote_id)] = Entry("vote", vote_id, label, ("resolution", resolution_id), shows)
        claims = select("claim", m.Claim.select(m.Claim.id, m.Claim.dispute, m.Claim.claim), m.Claim.id)
        for claim_id, dispute_id, claim in rows(claims):
            entries[("claim", claim_id)] = Entry(
                "claim", claim_id, claim, ("dispute", dispute_id), (("dispute", dispute_id),)
            )
        doubts = m.Statement.select(m.Statement.id, m.Statement.attribution_note).where(
            m.Statement.attribution == "ambiguous"
        )
        self.doubts.update(rows(select("statement", doubts, m.Statement.id)))

    def peek(self, kind: str, record_id: str) -> Entry | None:
        """The entry of a record, noting nothing: the caller notes what it shows (`depends_on`)."""
        return self.entries.get((kind, record_id))

    def get(self, kind: str, record_id: str) -> Entry | None:
        """The entry of a record (None when there is none); the answer being made depends on what it shows."""
        entry = self.entries.get((kind, record_id))
        depends_on([("doc", *key) for key in (entry.documents if entry is not None else ((kind, record_id),))])
        return entry

    def named_by(self, field: str, value) -> Entry | None:
        """The record a field's value names, if the field names records and the value is one's id."""
        if not isinstance(value, str):
            return None
        for kind in REFERENCE_FIELDS.get(field, ()):
            entry = self.get(kind, value)
            if entry is not None:
                return entry
        return None


_lock = threading.Lock()
_current: tuple[str, DataState, Directory] | None = None  # the database, the state it is read at, the directory


def directory_for(database: str, state: DataState) -> Directory:
    """The directory of a database's knowledge at `state`, each worker keeping the latest: read whole on first
    use or after a load, brought up to date by what the revisions since touched otherwise. Called inside the page's
    read transaction, which read `state` too."""
    global _current
    with _lock:
        if _current is not None and _current[:2] == (database, state):
            return _current[2]
        directory = None
        if _current is not None and _current[0] == database:
            held = _current[1]
            if held.epoch == state.epoch and held.position < state.position:
                touched = touched_between(held.position, state.position)
                if touched is not None:
                    documents = {(kind, i) for t in touched.values() for kind, i in t.get("documents", [])}
                    directory = _current[2].after(documents)
        if directory is None:
            directory = Directory()
            # Its entries live until the next full read: out of the cyclic collector's reach, a full collection
            # does not walk every one of them (100-150 ms, the whole worker paused, on 200,000 facts). They hold
            # no cycles: each is freed by its count of references when the directory goes.
            gc.freeze()
        _current = (database, state, directory)
        return _current[2]
