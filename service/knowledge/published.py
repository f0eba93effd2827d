"""The published knowledge: a record as its fixture holds it, the whole read back from the database and verified
as fixtures are, and this process's copy of the whole for the data version it was read at."""

from __future__ import annotations

import threading

from ..store import models as m
from .fixtures import fixture_files, published_records
from .kinds import Kind
from .read import Knowledge, read_knowledge_files


def published_record(kind: Kind, record_id: str) -> dict | None:
    """The record as a fixture holds it, as published now; None if there is none."""
    return next((r for r in published_records(kind.name)[kind.name] if r["id"] == record_id), None)


def published_knowledge() -> Knowledge:
    """The knowledge the database serves, read back and verified as fixtures are."""
    return read_knowledge_files(fixture_files())


class PublishedCopy:
    """This process's copy of the published knowledge, for the data version it was read at (proposals and
    publications start from it rather than reading everything back for each change)."""

    def __init__(self):
        self._held: tuple[str, Knowledge] | None = None
        self._guard = threading.Lock()

    def current(self) -> Knowledge:
        """The published knowledge now (call under the review workflow's lock, so the version cannot move
        meanwhile)."""
        version = m.Dataset.select(m.Dataset.version).scalar()
        with self._guard:
            held = self._held
        if held is not None and held[0] == version:
            return held[1]
        knowledge = published_knowledge()
        self.keep(version, knowledge)
        return knowledge

    def keep(self, version: str, knowledge: Knowledge) -> None:
        with self._guard:
            self._held = (version, knowledge)


PUBLISHED = PublishedCopy()
