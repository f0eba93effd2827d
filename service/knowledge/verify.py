"""Verify one record against what it names: its citations against the sources' texts, its references against the
records they name. Verification reads through a `Catalogue`, so the fixture bundle and, later, the database can
both serve it (a single write is verified the same way as a whole load)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from schemas.fields import fields_of
from schemas.vocabulary import ACCOUNT_EVENT_KINDS

from .kinds import Kind, Reference
from .text import fold_name, verify_quote


class Catalogue(Protocol):
    """What verification needs to look up."""

    def record(self, kind: str, record_id: str) -> dict | None:
        """The record of this kind with this id, or None."""

    def text(self, source_id: str) -> str | None:
        """The verbatim text of an article, or None for a reference or an unknown source."""


def verify_record(kind: Kind, record: dict, catalogue: Catalogue, where: str) -> list[str]:
    """Every problem with one record, each prefixed with `where`; [] when it verifies."""
    problems = []
    if kind.cited:
        problems += _citation_problems(kind, record, catalogue, where)
    for reference in kind.references:
        value = record[reference.field]
        for target in value if isinstance(value, list) else [value]:
            if target is not None:
                problem = _reference_problem(reference, target, catalogue)
                if problem:
                    problems.append(f"{where}: {reference.field} {target!r} {problem}")
    for check in kind.extra_checks:
        problems += check(where, record, catalogue)
    return problems


def _reference_problem(reference: Reference, target: str, catalogue: Catalogue) -> str | None:
    found = {name: catalogue.record(name, target) for name in reference.targets}
    if not any(found.values()):
        if len(reference.targets) > 1:
            return "is neither " + " nor ".join(_a(name) for name in reference.targets)
        if reference.targets == ("entity",):
            return "is not an entity in entities.json"
        return f"is not a known {reference.targets[0]}"
    entity = found.get("entity")
    if entity and reference.entity_kinds and entity["kind"] not in reference.entity_kinds:
        return f"is a {entity['kind']}, expected {' or '.join(reference.entity_kinds)}"
    return None


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def citable_fields(kind: Kind) -> frozenset[str]:
    """The fields of a kind a citation can be the source for."""
    return frozenset(fields_of(kind.schema, computed=False, service_set=False, identity=False, citations=False))


def _citation_problems(kind: Kind, record: dict, catalogue: Catalogue, where: str) -> list[str]:
    problems = []
    if not any(c["role"] == "supports" for c in record["citations"]):
        problems.append(f"{where}: no citation supports the fact (every role is context, corrects or contradicts)")
    fields = citable_fields(kind)
    for number, citation in enumerate(record["citations"], 1):
        at = f"{where}: citation {number}"
        unknown = [name for name in citation["fields"] if name not in fields]
        if unknown:
            problems.append(f"{at}: fields {unknown} are not fields of a {kind.name} ({', '.join(sorted(fields))})")
        source = catalogue.record("source", citation["source"])
        if source is None:
            problems.append(f"{at}: source {citation['source']!r} does not exist")
            continue
        if citation["account"] is not None:
            problems += _account_problems(at, citation["account"], source, catalogue)
        if source["kind"] == "reference":
            if citation["quote"] is not None:
                problems.append(f"{at}: a reference source has no text here, so its citation takes no quote")
            continue
        if citation["quote"] is None:
            problems.append(f"{at}: a citation of article {source['id']!r} must quote it")
            continue
        problem = verify_quote(
            catalogue.text(source["id"]) or "", citation["quote"], citation["start"], citation["end"]
        )
        if problem:
            problems.append(f"{at}: {problem} (source {source['id']!r})")
    return problems


def _account_problems(at: str, account: dict, source: dict, catalogue: Catalogue) -> list[str]:
    """The account a passage carries: an event of an utterance or a document, no later than the source; or the
    source itself or one it derives from."""
    if account["type"] == "source":
        parents = [d["source"] for d in source["derived_from"]]
        if account["id"] == source["id"] or account["id"] in parents:
            return []
        return [
            f"{at}: account source {account['id']!r} is neither the cited source {source['id']!r} nor one it "
            "derives from (its derived_from)"
        ]
    event = catalogue.record("event", account["id"])
    if event is None:
        return [f"{at}: account event {account['id']!r} is not a known event"]
    if event["kind"] not in ACCOUNT_EVENT_KINDS:
        return [
            f"{at}: account event {event['id']!r} is a {event['kind']} event, not an account a source can carry (an "
            f"utterance or a document: {', '.join(ACCOUNT_EVENT_KINDS)})"
        ]
    began, published = event["date_earliest"], source["published_on"]
    if began is not None and published is not None and began > published:
        return [
            f"{at}: source {source['id']!r} was published on {published.isoformat()}, before account event "
            f"{event['id']!r} began ({began.isoformat()}): a source cannot carry a later account"
        ]
    return []


def knowledge_problems(records: dict[str, list[dict]], where: Callable[[str, dict], str]) -> list[str]:
    """Problems that only show across records: a dispute with fewer than two claims (a contradiction that cites
    nothing), sources that derive from each other in a cycle, a country code or a name or alias that names two
    entities, a member with two votes on one resolution."""
    problems = []
    claims: dict[str, int] = {}
    for claim in records.get("claim", []):
        claims[claim["dispute"]] = claims.get(claim["dispute"], 0) + 1
    for dispute in records.get("dispute", []):
        count = claims.get(dispute["id"], 0)
        if count < 2:
            problems.append(
                f"{where('dispute', dispute)}: a dispute needs at least two claims, each with its citations; it has "
                f"{count}, so it {'cites nothing' if count == 0 else 'has only one side'}"
            )
    parents = {s["id"]: [d["source"] for d in s["derived_from"]] for s in records.get("source", [])}
    for source in records.get("source", []):
        seen, todo = set(), list(parents[source["id"]])
        while todo:
            parent = todo.pop()
            if parent == source["id"]:
                problems.append(f"{where('source', source)}: derives from itself through derived_from (a cycle)")
                break
            if parent not in seen:
                seen.add(parent)
                todo += parents.get(parent, [])
    coded: dict[str, str] = {}
    for entity in records.get("entity", []):
        code = entity.get("country_code")
        other = coded.setdefault(code, entity["id"]) if code is not None else entity["id"]
        if other != entity["id"]:
            problems.append(f"{where('entity', entity)}: country_code {code!r} is also entity {other!r}'s")
    identified: dict[tuple[str, str], str] = {}
    for entity in records.get("entity", []):
        for identifier in entity.get("identifiers", []):
            key = (identifier["scheme"], identifier["value"])
            other = identified.setdefault(key, entity["id"])
            if other != entity["id"]:
                problems.append(
                    f"{where('entity', entity)}: {key[0]} identifier {key[1]!r} is also entity {other!r}'s "
                    "(an identifier belongs to one entity)"
                )
    voted: dict[tuple[str, str], str] = {}
    for vote in records.get("vote", []):
        other = voted.setdefault((vote["resolution"], vote["member"]), vote["id"])
        if other != vote["id"]:
            problems.append(
                f"{where('vote', vote)}: member {vote['member']!r} already has vote {other!r} on resolution "
                f"{vote['resolution']!r}"
            )
    named: dict[str, str] = {}
    for entity in records.get("entity", []):
        for name in dict.fromkeys(fold_name(n) for n in [entity["name"], *entity["aliases"]]):
            other = named.setdefault(name, entity["id"])
            if other != entity["id"]:
                problems.append(f"{where('entity', entity)}: the name {name!r} also names entity {other!r}")
    return problems
