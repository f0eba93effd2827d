"""Where things are in an article's text: its folding with each folded character's place in the text, its
paragraphs and sentences, and the passage a suggestion cites."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=4096)
def _folded_char(char: str) -> str:
    """One character folded as `text.fold_name` folds it, before separators are collapsed ('' for a combining mark,
    ' ' for a separator, possibly several characters for a ligature or a compatibility form)."""
    decomposed = unicodedata.normalize("NFKD", char)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(c if c.isalnum() else " " for c in plain)


@dataclass(frozen=True)
class FoldedText:
    """An article's text folded as names are folded (knowledge/text.fold_name), padded with a space at each end,
    every run of separators one space; `origin[i]` is the index in the text of the character folded character `i`
    came from, so that a match in the folded text is a span of the text itself, in code points."""

    folded: str
    origin: tuple[int, ...]
    text: str

    def span(self, first: int, last: int) -> tuple[int, int] | None:
        """The text's span of folded characters `first`..`last` (inclusive), or None when either end falls inside
        what one character of the text folds to (a ligature's second letter)."""
        origin = self.origin
        if origin[first - 1] == origin[first] or origin[last + 1] == origin[last]:
            return None
        start, end = origin[first], origin[last] + 1
        # A combining mark after the last letter ("Kōno" written decomposed) is part of the name.
        while end < len(self.text) and _folded_char(self.text[end]) == "":
            end += 1
        return start, end


def fold_text(text: str) -> FoldedText:
    """Fold `text` keeping track of where each folded character came from."""
    folded, origin = [" "], [-1]
    spaced = True
    for index, char in enumerate(text):
        for piece in _folded_char(char):
            if piece != " ":
                folded.append(piece)
                origin.append(index)
                spaced = False
            elif not spaced:
                folded.append(" ")
                origin.append(index)
                spaced = True
    if not spaced:
        folded.append(" ")
        origin.append(len(text))
    return FoldedText("".join(folded), tuple(origin), text)


# A paragraph break: a line break, then maybe blank lines.
PARAGRAPH_BREAK = re.compile(r"\r?\n(?:[ \t]*\r?\n)*")
# Where a sentence may end: its closing punctuation (and any closing quotation mark or bracket), then space.
SENTENCE_END = re.compile(r"[.!?]+[\"”’')\]]*(?=\s+[\"“‘(\[]?[A-Z0-9])")
# Words after which a full stop does not end a sentence (titles, months, initials are handled apart).
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen col lt sgt capt adm gov sen rep st jr sr no vs etc inc corp co ltd dept fig approx "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
WORD_BEFORE = re.compile(r"([A-Za-z]+)\.+$")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """The spans of the text's paragraphs (lines), without their surrounding white space; blank ones left out."""
    spans, start = [], 0
    for found in [*PARAGRAPH_BREAK.finditer(text), None]:
        end = found.start() if found else len(text)
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            offset = start + len(piece) - len(piece.lstrip())
            spans.append((offset, offset + len(stripped)))
        if found:
            start = found.end()
    return spans


def _ends_sentence(text: str, stop: int) -> bool:
    """Whether the full stop(s) ending at `stop` end a sentence: not after an initial ("N. Korea", "U.S.") or an
    abbreviation ("Aug. 3")."""
    if text[stop - 1] != ".":
        return True
    word = WORD_BEFORE.search(text, max(0, stop - 12), stop)
    if word is None:
        return True
    before = word.group(1)
    return not (len(before) == 1 and before.isupper()) and before.lower() not in ABBREVIATIONS


def sentences(text: str) -> list[tuple[int, int]]:
    """The spans of the text's sentences, paragraph by paragraph (a sentence never runs across a line break)."""
    spans = []
    for start, end in paragraphs(text):
        begin = start
        for found in SENTENCE_END.finditer(text, start, end):
            stop = found.end()
            if _ends_sentence(text, found.start() + len(found.group().rstrip("\"”’')]"))):
                spans.append((begin, stop))
                begin = stop + (len(text[stop:end]) - len(text[stop:end].lstrip()))
        if begin < end:
            spans.append((begin, end))
    return spans


# The longest passage a suggestion cites: a sentence longer than this (a text without full stops) is cut to the
# words around what is suggested, so that no answer grows with the square of the text.
MAX_PASSAGE = 1000
# Characters kept on each side of what is suggested when its sentence is cut.
MARGIN = 200


class Sentences:
    """The sentences of one text, found once, and the one holding a position."""

    def __init__(self, text: str):
        self.text = text
        self.spans = sentences(text)
        self._starts = [start for start, _ in self.spans]

    def around(self, start: int, end: int | None = None) -> tuple[int, int]:
        """The span from the start of the sentence holding `start` to the end of the one holding `end` (or the
        same one); the given span itself where it lies outside every sentence (white space)."""
        end = start + 1 if end is None else end
        first = bisect_right(self._starts, start) - 1
        last = bisect_right(self._starts, max(start, end - 1)) - 1
        if first < 0 or last < 0:
            return start, end
        begin, stop = min(start, self.spans[first][0]), max(end, self.spans[last][1])
        if stop - begin <= MAX_PASSAGE:
            return begin, stop
        return self._words_around(max(begin, start - MARGIN), start, end, min(stop, end + MARGIN))

    def _words_around(self, begin: int, start: int, end: int, stop: int) -> tuple[int, int]:
        """The span from `begin` to `stop` without the words cut at either end (what is suggested stays whole)."""
        text = self.text
        while begin < start and not text[begin - 1].isspace() and begin > 0:
            begin += 1
        while stop > end and stop < len(text) and not text[stop].isspace():
            stop -= 1
        while begin < start and text[begin].isspace():
            begin += 1
        while stop > end and text[stop - 1].isspace():
            stop -= 1
        return begin, stop
