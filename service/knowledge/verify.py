"""Verify one record against what it names: its citations against the sources' texts, its references against the
records they name. Verification reads through a `Catalogue`, so the fixture bundle and, later, the database can
both serve it (a single write is verified the same way as a whole load)."""

from __future__ import annotations

from typing import Protocol

from .kinds import Kind, Reference
from .text import verify_quote


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
        problems += _citation_problems(record, catalogue, where)
    for reference in kind.references:
        value = record[reference.field]
        for target in value if isinstance(value, list) else [value]:
            if target is not None:
                problem = _reference_problem(reference, target, catalogue)
                if problem:
                    problems.append(f"{where}: {reference.field} {target!r} {problem}")
    if kind.date_field and (record[kind.date_field] is None) != (record["date_precision"] == "unknown"):
        problems.append(f"{where}: date_precision 'unknown' goes with a null date, and only with one")
    for check in kind.extra_checks:
        problem = check(where, record)
        if problem:
            problems.append(problem)
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


def _citation_problems(record: dict, catalogue: Catalogue, where: str) -> list[str]:
    problems = []
    for number, citation in enumerate(record["citations"], 1):
        at = f"{where}: citation {number}"
        source = catalogue.record("source", citation["source"])
        if source is None:
            problems.append(f"{at}: source {citation['source']!r} does not exist")
            continue
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
