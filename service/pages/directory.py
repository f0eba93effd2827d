"""Every record a page can link to, with its label and its page: read once per data version in each worker."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import request

from ..knowledge.kinds import BY_NAME, KINDS
from ..store import models as m
from ..store.db import tuples

# The kinds with a page of their own, at /{plural}/{id} (the API's URL without /api/v1).
PAGE_KINDS = tuple(kind for kind in KINDS if kind.url)
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

    @property
    def url(self) -> str:
        """Its page, under the path prefix the service is mounted at (a role, vote or claim: its section)."""
        if self.parent is not None:
            kind, record_id = self.parent
            return f"{request.root_path}{BY_NAME[kind].page_of(record_id)}#{self.kind}-{self.id}"
        # What url_for("pages.<kind>", ...) builds, without its cost (a page lists hundreds of links).
        return f"{request.root_path}{BY_NAME[self.kind].page_of(self.id)}"


class Directory:
    """(kind, id) -> Entry for every record of the knowledge, and whether a statement's attribution is doubtful."""

    def __init__(self) -> None:
        entries: dict[tuple[str, str], Entry] = {}
        names: dict[str, str] = {}
        for fact_type, fact_id, label in tuples(m.Fact.select(m.Fact.fact_type, m.Fact.fact_id, m.Fact.label)):
            entries[(fact_type, fact_id)] = Entry(fact_type, fact_id, label)
            if fact_type == "entity":
                names[fact_id] = label
        for source_id, title in tuples(m.Source.select(m.Source.id, m.Source.title)):
            entries[("source", source_id)] = Entry("source", source_id, title)
        for (topic_id,) in tuples(m.Topic.select(m.Topic.id)):
            entries[("topic", topic_id)] = Entry("topic", topic_id, topic_id.replace("-", " "))
        for dispute_id, subject in tuples(m.Dispute.select(m.Dispute.id, m.Dispute.subject)):
            entries[("dispute", dispute_id)] = Entry("dispute", dispute_id, subject)
        for role_id, entity_id, title in tuples(m.Role.select(m.Role.id, m.Role.entity, m.Role.title)):
            label = f"{names.get(entity_id, entity_id)}: {title}"
            entries[("role", role_id)] = Entry("role", role_id, label, ("entity", entity_id))
        votes = m.MemberVote.select(m.MemberVote.id, m.MemberVote.resolution, m.MemberVote.member, m.MemberVote.vote)
        for vote_id, resolution_id, member_id, vote in tuples(votes):
            resolution = entries.get(("resolution", resolution_id))
            on = resolution.label if resolution else resolution_id
            label = f"{names.get(member_id, member_id)} voted {vote} on {on}"
            entries[("vote", vote_id)] = Entry("vote", vote_id, label, ("resolution", resolution_id))
        for claim_id, dispute_id, claim in tuples(m.Claim.select(m.Claim.id, m.Claim.dispute, m.Claim.claim)):
            entries[("claim", claim_id)] = Entry("claim", claim_id, claim, ("dispute", dispute_id))
        self.entries = entries
        self.doubts: dict[str, str] = dict(
            tuples(
                m.Statement.select(m.Statement.id, m.Statement.attribution_note).where(
                    m.Statement.attribution == "ambiguous"
                )
            )
        )

    def get(self, kind: str, record_id: str) -> Entry | None:
        return self.entries.get((kind, record_id))

    def named_by(self, field: str, value) -> Entry | None:
        """The record a field's value names, if the field names records and the value is one's id."""
        if not isinstance(value, str):
            return None
        for kind in REFERENCE_FIELDS.get(field, ()):
            entry = self.entries.get((kind, value))
            if entry is not None:
                return entry
        return None


_lock = threading.Lock()
_current: tuple[tuple[str, str], Directory] | None = None


def directory_for(database: str, version: str) -> Directory:
    """The directory of a database's knowledge at `version`, built on first use (each worker keeps the latest);
    called inside the page's read transaction, which read `version` too."""
    global _current
    with _lock:
        if _current is None or _current[0] != (database, version):
            _current = ((database, version), Directory())
        return _current[1]
