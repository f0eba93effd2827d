"""Turn rows into API records, one path for every kind: the served columns, then embedded records, link lists
and citations, each fetched in one query for the whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from peewee import Model
from playhouse.shortcuts import model_to_dict

from schemas.fields import fields_of

from ..store import models as m
from ..store.db import dicts, order_key, tuples
from .kinds import Kind, kind_named


def api_records(kind: Kind, rows: Iterable[Model], lineage: Lineage | None = None) -> list[dict]:
    """The API records of these rows of `kind`, in the rows' order (`lineage`: the sources' derivations, read
    once for many calls)."""
    rows = list(rows)
    records = [model_to_dict(row, recurse=False, only=kind.columns) for row in rows]
    ids = [record["id"] for record in records]
    for embedded in kind.embedded:
        inner = kind_named(embedded.kind)
        owner = getattr(inner.model, embedded.owner)
        found: dict[str, list[dict]] = defaultdict(list)
        if ids:
            query = inner.select().where(owner.in_(ids)).order_by(owner, order_key(inner.model._meta.fields["id"]))
            for record in api_records(inner, query, lineage):
                found[record[embedded.owner]].append(record)
        for record in records:
            record[embedded.field] = found.get(record["id"], [])
    for link in kind.links:
        targets = links_of(link.model, link.owner, link.target, ids)
        for record in records:
            record[link.field] = targets.get(record["id"], [])
    if kind.cited:
        cited = citations_of(kind.name, ids)
        lineage = lineage or Lineage.read()
        for record in records:
            record["citations"] = cited.get(record["id"], [])
            record["support"] = lineage.support(record["citations"])
    if "disputes" in fields_of(kind.schema):
        disputed = disputes_of(kind.name, ids)
        for record in records:
            record["disputes"] = disputed.get(record["id"], [])
    return records


class Lineage:
    """Which sources derive from which, and so which accounts are independent (fixtures/FORMAT.md, "Independent
    sources"). An account is the original utterance or document a supporting passage carries, as its citation
    names it (`account`) or else its source's own. Its origins: an event's, itself; a source's, the source and
    every source it derives from (`derived_from`); a source's own reporting named as such (the account is the
    citing source itself), that source alone. Two accounts are independent when they share no origin."""

    def __init__(self, sources: dict[str, tuple[str, list[str]]]):
        self.kinds = {source_id: kind for source_id, (kind, _) in sources.items()}
        self._parents = {source_id: parents for source_id, (_, parents) in sources.items()}
        self._ancestors: dict[str, frozenset[str]] = {}

    @classmethod
    def read(cls) -> Lineage:
        rows = tuples(m.Source.select(m.Source.id, m.Source.kind, m.Source.derived_from))
        return cls({source_id: (kind, [d["source"] for d in derived]) for source_id, kind, derived in rows})

    def ancestors(self, source_id: str) -> frozenset[str]:
        if source_id not in self._ancestors:
            self._ancestors[source_id] = frozenset()  # a cycle stops here (verification refuses cycles)
            found = {source_id}
            for parent in self._parents.get(source_id, []):
                found |= self.ancestors(parent)
            self._ancestors[source_id] = frozenset(found)
        return self._ancestors[source_id]

    def origins(self, source_id: str, account: dict | None = None) -> frozenset[tuple[str, str]]:
        """What a passage of this source carrying `account` ({type, id}; None: the source's own) goes back to."""
        if account is None:
            return frozenset(("source", ancestor) for ancestor in self.ancestors(source_id))
        if account["type"] == "source" and account["id"] != source_id:
            return frozenset(("source", ancestor) for ancestor in self.ancestors(account["id"]))
        return frozenset({(account["type"], account["id"])})

    def independent(self, source_ids: list[str], accounts: dict[str, list[dict | None]] | None = None) -> int:
        """The most of these sources that can be taken together, each for one of the accounts it carries
        (`accounts`, by source; its own when not given), no two of those accounts sharing an origin."""
        options = [
            list(dict.fromkeys(self.origins(source_id, account) for account in (accounts or {}).get(source_id, [None])))
            for source_id in source_ids
        ]
        best = 0

        def extend(start: int, taken: frozenset, size: int) -> None:
            nonlocal best
            best = max(best, size)
            for index in range(start, len(options)):
                if size + len(options) - index <= best:
                    return
                for origins in options[index]:
                    if not origins & taken:
                        extend(index + 1, taken | origins, size + 1)

        extend(0, frozenset(), 0)
        return best

    def support(self, citations: list[dict]) -> dict:
        """Supporting sources, independent ones among them (by the accounts their passages carry), articles and
        references."""
        accounts: dict[str, list[dict | None]] = {}
        for citation in citations:
            if citation["role"] == "supports":
                accounts.setdefault(citation["source"], []).append(citation.get("account"))
        sources = list(accounts)
        articles = sum(1 for source_id in sources if self.kinds.get(source_id) == "article")
        return {
            "sources": len(sources),
            "independent_sources": self.independent(sources, accounts),
            "articles": articles,
            "references": len(sources) - articles,
        }


def disputes_of(fact_type: str, ids: Iterable[str]) -> dict[str, list[str]]:
    """The ids of the disputes about each of these facts, in one query, by dispute id."""
    ids = list(ids)
    found: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return found
    query = (
        m.DisputeFact.select(m.DisputeFact.fact_id, m.DisputeFact.dispute)
        .where((m.DisputeFact.fact_type == fact_type) & m.DisputeFact.fact_id.in_(ids))
        .order_by(m.DisputeFact.fact_id, order_key(m.DisputeFact.dispute))
    )
    for fact_id, dispute_id in tuples(query):
        found[fact_id].append(dispute_id)
    return found


def citations_of(fact_type: str, ids: Iterable[str]) -> dict[str, list[dict]]:
    """Citations of many facts of one type, in one query, each list in curated order."""
    ids = list(ids)
    found: dict[str, list[dict]] = defaultdict(list)
    if not ids:
        return found
    query = (
        m.Citation.select(
            m.Citation.fact_id,
            m.Citation.source,
            m.Citation.quote,
            m.Citation.start,
            m.Citation.end,
            m.Citation.role,
            m.Citation.fields,
            m.Citation.wording,
            m.Citation.account_type,
            m.Citation.account_id,
        )
        .where((m.Citation.fact_type == fact_type) & (m.Citation.fact_id.in_(ids)))
        .order_by(m.Citation.fact_id, m.Citation.position)
    )
    for citation in dicts(query):  # in the order selected: the citation's fields as served
        kind, account = citation.pop("account_type"), citation.pop("account_id")
        citation["account"] = {"type": kind, "id": account} if kind is not None else None
        found[citation.pop("fact_id")].append(citation)
    return found


def links_of(model: type[Model], owner: str, target: str, ids: Iterable[str]) -> dict[str, list[str]]:
    """For link tables (event participants, statement topics...): owner id -> target ids, in curated order."""
    ids = list(ids)
    found: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return found
    owner_field, target_field = getattr(model, owner), getattr(model, target)
    query = model.select(owner_field, target_field).where(owner_field.in_(ids))
    for owner_id, target_id in tuples(query.order_by(owner_field, model._meta.fields["position"])):
        found[owner_id].append(target_id)
    return found
