"""Known entities in an article: every name and alias of the published entities, folded as the knowledge folds
names (knowledge/text.fold_name), found in the text with one Aho-Corasick pass."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from ...store import models as m
from ...store.db import dicts
from ...store.version import data_version
from ..text import fold_name
from .spans import FoldedText

# A name never runs across a blank line.
BLANK_LINE = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class KnownName:
    """One name or alias of an entity, as curated and folded."""

    entity: str
    entity_kind: str
    entity_name: str
    written: str
    folded: str


@dataclass(frozen=True)
class Mention:
    """A known entity's name or alias at `text[start:end]`."""

    start: int
    end: int
    entity: str
    entity_kind: str
    entity_name: str


class NameIndex:
    """The known names, ready to be found in any text."""

    def __init__(self, names: Iterable[KnownName]):
        self.written: dict[str, list[KnownName]] = {}
        for name in names:
            if name.folded:
                self.written.setdefault(name.folded, []).append(name)
        self._automaton = ahocorasick.Automaton()
        for folded in self.written:
            # Padded with the folded text's separators, so a name is found only as whole words.
            self._automaton.add_word(f" {folded} ", folded)
        if self.written:  # (an automaton with no word cannot be made)
            self._automaton.make_automaton()

    def mentions(self, folded: FoldedText) -> list[Mention]:
        """Every mention of a known name in the text, none overlapping another: the longest wins, then the first."""
        if not self.written:
            return []
        text = folded.text
        found = []
        for last, name in self._automaton.iter(folded.folded):
            first = last - len(name) - 1  # the padding space before the name
            span = folded.span(first + 1, last - 1)
            if span is None:
                continue
            start, end = span
            written = text[start:end]
            if BLANK_LINE.search(written) or _common_word(written, self.written[name]):
                continue
            found.append((start, end, self.written[name][0]))
        taken = bytearray(len(text))
        mentions = []
        for start, end, name in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            mentions.append(Mention(start, end, name.entity, name.entity_kind, name.entity_name))
        return sorted(mentions, key=lambda mention: mention.start)


def _common_word(written: str, names: list[KnownName]) -> bool:
    """Whether the text has the name in lower case where every curated form is capitalised: an ordinary word
    ("us", "moon", "the north"), not the name ("US", "Moon", "the North")."""
    return not any(c.isupper() for c in written) and all(any(c.isupper() for c in n.written) for n in names)


def known_names() -> list[KnownName]:
    """Every name and alias of the published entities, from the entity names index (folded), with the forms curated
    that fold to each."""
    query = (
        m.EntityName.select(
            m.EntityName.name.alias("folded"), m.Entity.id, m.Entity.kind, m.Entity.name, m.Entity.aliases
        )
        .join(m.Entity)
        .order_by(m.EntityName.entity, m.EntityName.position)
    )
    names: list[KnownName] = []
    for row in dicts(query):
        forms = [row["name"], *row["aliases"]]
        names.extend(
            KnownName(row["id"], row["kind"], row["name"], written, row["folded"])
            for written in forms
            if fold_name(written) == row["folded"]
        )
    return names


_lock = threading.Lock()
_index: tuple[str, NameIndex] | None = None


def name_index() -> NameIndex:
    """The index of the names the database holds now, built once per data version."""
    global _index
    version = data_version()
    with _lock:
        if _index is None or _index[0] != version:
            _index = (version, NameIndex(known_names()))
        return _index[1]
