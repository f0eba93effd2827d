"""An article's cited passages laid over its text: paragraphs cut into segments, each covered by the same passages.

Offsets are code points, as the citations give them, and Python slices strings by code points: a segment's text
is exactly `text[start:end]`, so a passage's segments joined are exactly its quote. The paragraphs and the
separators between them, joined, are the article's text byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")  # a blank line (and whatever space follows it) ends a paragraph
MAX_DEPTH = 4  # the deepest overlap the page shades differently ("4 or more passages")


@dataclass(frozen=True)
class CitedFact:
    """One citation of a passage: the fact it is cited for, what the passage does for it, and any doubt about it."""

    kind: str  # the fact's kind (statement, event, role, ...)
    label: str
    url: str  # its page
    role: str  # supports | context | corrects | contradicts
    fields: tuple[str, ...] = ()
    wording: str | None = None
    doubt: str | None = None  # the curator's note when the fact is a statement whose attribution is ambiguous
    # The documents its label is made from (a page listing it depends on them).
    documents: tuple[tuple[str, str], ...] = field(default=(), compare=False)


@dataclass
class Passage:
    """A distinct cited span of the text and every citation of it."""

    start: int
    end: int
    quote: str
    facts: list[CitedFact] = field(default_factory=list)
    more: int = 0  # the citations of it beyond those listed (a page lists at most so many)
    more_doubtful: bool = False  # whether one of those is doubtful

    @property
    def key(self) -> str:
        return f"{self.start}-{self.end}"

    @property
    def doubtful(self) -> bool:
        return self.more_doubtful or any(fact.doubt for fact in self.facts)

    def listing_at_most(self, count: int) -> None:
        """List only the first `count` citations, counting the others."""
        if len(self.facts) > count:
            hidden = self.facts[count:]
            self.more, self.more_doubtful = len(hidden), any(fact.doubt for fact in hidden)
            del self.facts[count:]


@dataclass(frozen=True)
class Segment:
    """A run of text covered by the same passages (none: uncited text); `opens` are the passages starting here."""

    start: int
    end: int
    text: str
    passages: tuple[Passage, ...] = ()
    opens: tuple[Passage, ...] = ()

    @property
    def depth(self) -> int:
        return min(len(self.passages), MAX_DEPTH)

    @property
    def doubtful(self) -> bool:
        return any(passage.doubtful for passage in self.passages)

    @property
    def innermost(self) -> Passage | None:
        """The shortest passage covering the segment: where its link leads."""
        return min(self.passages, key=lambda p: (p.end - p.start, p.start)) if self.passages else None


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    segments: tuple[Segment, ...]
    separator: str  # the text between this paragraph and the next, verbatim ("" after the last)


def passages_of(text: str, citations: list[tuple[int, int, CitedFact]]) -> list[Passage]:
    """The distinct spans cited, in the text's order (a longer one first where two start together)."""
    by_span: dict[tuple[int, int], Passage] = {}
    for start, end, fact in citations:
        passage = by_span.get((start, end))
        if passage is None:
            passage = by_span[(start, end)] = Passage(start, end, text[start:end])
        passage.facts.append(fact)
    return sorted(by_span.values(), key=lambda p: (p.start, -p.end))


def paragraphs_of(text: str, passages: list[Passage]) -> list[Paragraph]:
    """The text as paragraphs of segments: every passage boundary inside a paragraph starts a new segment."""
    bounds: list[tuple[int, int, str]] = []  # (start, end, separator after)
    position = 0
    for match in PARAGRAPH_BREAK.finditer(text):
        bounds.append((position, match.start(), match.group()))
        position = match.end()
    bounds.append((position, len(text), ""))
    cuts = sorted({p.start for p in passages} | {p.end for p in passages})
    paragraphs = []
    previous_end = 0
    for start, end, separator in bounds:
        points = [start, *(c for c in cuts if start < c < end), end]
        segments: list[Segment] = []
        for a, b in zip(points, points[1:], strict=False):
            if a == b:
                continue  # an empty paragraph (the text ends with a blank line)
            covering = tuple(p for p in passages if p.start <= a and b <= p.end)
            # A passage starting inside the break before this paragraph opens at its first segment.
            opened_from = previous_end if not segments else a
            opens = tuple(p for p in passages if opened_from <= p.start <= a and (p.start == a or not segments))
            segments.append(Segment(a, b, text[a:b], covering, opens))
        paragraphs.append(Paragraph(start, end, tuple(segments), separator))
        previous_end = end
    return paragraphs


def share_cited(text: str, passages: list[Passage]) -> float:
    """The fraction of the text's code points inside at least one passage."""
    if not text:
        return 0.0
    covered, reach = 0, 0
    for passage in passages:  # sorted by start
        start = max(passage.start, reach)
        if passage.end > start:
            covered += passage.end - start
        reach = max(reach, passage.end)
    return covered / len(text)


def paragraph_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph (or paragraphs) holding `text[start:end]`: from the blank line before it to the one after."""
    before = 0
    for match in PARAGRAPH_BREAK.finditer(text, 0, start):
        before = match.end()
    after = PARAGRAPH_BREAK.search(text, end)
    return before, after.start() if after else len(text)
