"""The limits on what a client may send: one place for the schemas, the request checks, the tests and the docs."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate

# A request body, in bytes, unless KB_MAX_BODY_BYTES says otherwise (service/config.py): 1 MiB holds the
# largest record with room to spare, and an article's text (a news article is some tens of kilobytes).
MAX_BODY_BYTES = 1024 * 1024
# Levels of JSON nesting in a body (the top-level object is 1). A record needs 4 (body, record, citations, a
# citation); Python's parser recurses once per level and fails at about 1,000.
MAX_JSON_DEPTH = 32
# Digits of an integer in a body. No stored number needs more (PostgreSQL's integer has 10, bigint 19); Python
# refuses to parse more than 4,300, and the cost of converting one grows with the square of its length.
MAX_INTEGER_DIGITS = 20
# The largest integer a record may hold: PostgreSQL's `integer` column (SQLite's hold 64 bits).
MAX_INTEGER = 2**31 - 1

# An id, the record's own and every reference to another record: what the URL guard lets through as a path or
# query parameter (service/web/guard.py takes its MAX_PARAMETER_LENGTH from here), so that every record can be
# read at its URL, and under PostgreSQL's varchar(255) columns, so that both engines take the same ids.
MAX_ID_LENGTH = 200
# A short term stored in a varchar(255) column: a resolution's symbol, a measure's commodity, a time zone.
MAX_TERM_LENGTH = 200
# A name or title: an entity's name and aliases, a source's title, publisher, author and dateline, a role's or an
# event's title, a figure as printed, a speaker as written, a dispute's subject.
MAX_NAME_LENGTH = 500
# Prose: a description, summary, note, quote, wording, reasoning or verdict. The longest curated one is about
# 1,500 characters (a reference's note); a quote is a passage, not an article.
MAX_TEXT_LENGTH = 5000
# A URL (browsers and proxies commonly stop at about 2,000 characters).
MAX_URL_LENGTH = 2000
URL_SCHEMES = frozenset({"http", "https"})
# Items of a list a record holds (citations, aliases, participants, topics, links of a chain...): room for every
# UN member state as an event's participants.
MAX_LIST_ITEMS = 200
# A change's edit summary and an editor's note on a rejected change.
MAX_SUMMARY_LENGTH = 500
MAX_REVIEW_NOTE_LENGTH = 1000

# Text no engine stores: NUL (PostgreSQL refuses it in text) and lone surrogates (JSON's "\ud800" escape makes
# one; it has no UTF-8 form, so neither engine can take it).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored as it is, or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if code == 0:
        return f"contains a NUL character (U+0000) at position {found.start()}, which no database engine stores"
    return (
        f"contains a lone surrogate (U+{code:04X}) at position {found.start()}, which is not a character: "
        "text must be valid Unicode (a surrogate pair's two halves escape one character)"
    )


class Storable(validate.Validator):
    """marshmallow validator: text every engine can store (no NUL, no lone surrogate)."""

    def __call__(self, value: str) -> str:
        if isinstance(value, str) and (problem := unstorable(value)):
            raise ma.ValidationError(problem)
        return value


storable = Storable()


# An article's text the suggestions read (POST /api/v1/suggestions), in code points: a long news article is some tens
# of thousands; the suggestions are worked out while the client waits.
MAX_ARTICLE_LENGTH = 200_000
# Control characters an article's text never holds: every C0 and C1 control but tab, line feed and carriage return.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class ArticleText(validate.Validator):
    """marshmallow validator: text an article may hold (storable, and no control character but tab and line
    breaks)."""

    def __call__(self, value: str) -> str:
        storable(value)
        if isinstance(value, str) and (found := CONTROL.search(value)):
            raise ma.ValidationError(
                f"contains a control character (U+{ord(found.group()):04X}) at position {found.start()}: an "
                "article's text holds no control character but tab and line breaks"
            )
        return value


article_text = ArticleText()
