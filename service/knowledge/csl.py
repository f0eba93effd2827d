"""Sources as citations that reference managers import: CSL-JSON items (CSL 1.0.2) and BibTeX entries.

Both take one source as the API serves it (`GET /api/v1/sources/<id>`) and say only what the record says:

- Type. An article is one of the news articles kept here verbatim: `article-newspaper`. A reference at undocs.org,
  the UN's resolver of document symbols, is a UN document: `document`. Any other reference is a page read at its
  URL; whether it is a news story, a transcript or a ministry's readout is not recorded, so it gets the least
  specific type that is still right: `webpage`.
- Author. The record holds one string as printed, with no name order ("Choe Sang-Hun" is family name first), so it
  is a literal name, never split into family and given; no author when the record has none.
- Date. `published_on` to its precision: a day [[2017, 8, 5]], a month [[2017, 8]], a year [[2017]]; for a week,
  a season or a span the record holds one day, not the interval, so only its year, marked approximate; no date
  when it is null or of unknown precision.
- Accessed. `accessed_on`, the day a curator last read the page at the URL, as CSL's `accessed` and BibTeX's
  `urldate` (ISO 8601), only with the URL it dates; none when not recorded.
- BibTeX is what BibTeX's classic styles (plain, unsrt, alpha) and biblatex both read: `@article` (author, title,
  `journal`, year) when a news article has all that an @article requires, else `@misc` (the publisher as
  `howpublished`); the date as `year`, `month` (the month macro) and `day` (which biber joins into one date and
  BibTeX skips); an unknown date as biblatex's `date = {XXXX}` (biber requires a date, BibTeX skips it); `url`
  verbatim, `urldate`; non-ASCII text stays UTF-8; the characters LaTeX reads as commands are escaped, and the
  words of a title holding capitals are braced so that styles changing case keep them.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

# Hosts that resolve a UN document symbol (https://undocs.org/S/RES/2371(2017)).
UN_DOCUMENT_HOSTS = frozenset({"undocs.org", "www.undocs.org"})

# Where the publisher goes: the periodical or website holding the item, or the body issuing a document.
CSL_PUBLISHER_FIELDS = {"article-newspaper": "container-title", "document": "publisher", "webpage": "container-title"}
# An unknown date in biblatex's date syntax (EDTF: a year of unspecified digits): biber requires a date of every
# @misc and @article, and reads this one as none.
UNKNOWN_DATE = "XXXX"
# BibTeX's month macros, which every style (and biber) reads: a classic style prints the month's name.
MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# A date to its precision: how many of year, month, day it gives, and whether that is approximate.
DATE_PARTS = {
    "day": (3, False),
    "month": (2, False),
    "year": (1, False),
    "week": (1, True),
    "season": (1, True),
    "span": (1, True),
}

CITATION_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Characters LaTeX reads as commands. A brace is written with a phantom of its counterpart, so that the field's
# braces stay balanced for BibTeX and biber, which count braces whatever precedes them.
LATEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{\vphantom{\}}",
    "}": r"\vphantom{\{}\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# Pairs TeX's fonts print as one character (`--` as an en dash, two quotes as a curly double quote, ...), kept
# apart by an italic correction: an empty group would do in pdfTeX but not in LuaTeX.
LIGATURES = frozenset({"--", "``", "''", "!`", "?`", "<<", ">>", ",,"})
# White space and control characters, written as one space: BibTeX reads a run of white space as one, a blank line
# would end the paragraph inside a field, and a control character cannot be typeset.
BLANKS = re.compile(r"[\x00-\x20\x7f]+")
URL_UNSAFE = re.compile(r"[\s{}\\]")


def citation_type(source: dict) -> str:
    """The CSL item type of a source."""
    if source["kind"] == "article":
        return "article-newspaper"
    host = urlsplit(source.get("url") or "").hostname
    return "document" if host in UN_DOCUMENT_HOSTS else "webpage"


def _text(value) -> str | None:
    """A text field as a citation uses it: None for a missing or blank value."""
    return value if isinstance(value, str) and value.strip() else None


def _issued(source: dict) -> tuple[list[int], bool] | None:
    """The publication date as date parts to its precision, and whether it is approximate; None when unknown."""
    published, precision = source.get("published_on"), source.get("date_precision") or "day"
    if not published or precision == "unknown":
        return None
    if precision not in DATE_PARTS:
        raise ValueError(f"source {source['id']!r}: unknown date precision {precision!r}")
    day = date.fromisoformat(str(published))
    count, approximate = DATE_PARTS[precision]
    return [day.year, day.month, day.day][:count], approximate


def _accessed(source: dict) -> date | None:
    """The day the page at the source's URL was last read, when recorded and the source has a URL."""
    accessed = source.get("accessed_on")
    if not accessed or not _text(source.get("url")):
        return None
    return date.fromisoformat(str(accessed))


def csl_item(source: dict) -> dict:
    """One source as a CSL-JSON item."""
    kind = citation_type(source)
    item: dict = {"id": source["id"], "type": kind, "title": source["title"]}
    if author := _text(source.get("author")):
        item["author"] = [{"literal": author}]
    if publisher := _text(source.get("publisher")):
        item[CSL_PUBLISHER_FIELDS[kind]] = publisher
    if issued := _issued(source):
        parts, approximate = issued
        item["issued"] = {"date-parts": [parts], **({"circa": True} if approximate else {})}
    if url := _text(source.get("url")):
        item["URL"] = url
    if accessed := _accessed(source):
        item["accessed"] = {"date-parts": [[accessed.year, accessed.month, accessed.day]]}
    if dateline := _text(source.get("dateline")):
        item["note"] = f"Dateline: {dateline}"
    return item


def latex_text(text: str) -> str:
    """Text as the value of a BibTeX field: LaTeX's special characters escaped, ligatures broken, whitespace runs
    made one space (as BibTeX reads them), everything else as it is (UTF-8)."""
    out: list[str] = []
    previous = ""
    for character in BLANKS.sub(" ", text).strip():
        if previous + character in LIGATURES:
            out.append("\\/")
        out.append(LATEX_ESCAPES.get(character, character))
        previous = character
    return "".join(out)


def _protected_title(title: str) -> str:
    """A title with each word holding a capital braced, so that a style's sentence case leaves it as printed. A
    braced group that starts with a command would be one "special character" to BibTeX, whose letters it changes:
    such a word gets a second pair of braces."""
    words = []
    for word in BLANKS.sub(" ", title).strip().split(" "):
        escaped = latex_text(word)
        if word != word.lower():
            escaped = f"{{{{{escaped}}}}}" if escaped.startswith("\\") else f"{{{escaped}}}"
        words.append(escaped)
    return " ".join(words)


def _verbatim_url(url: str) -> str:
    """A URL for biblatex's verbatim `url` field: the characters a URL cannot hold as such and that would break the
    field (white space, braces, backslash) percent-encoded."""
    return URL_UNSAFE.sub(lambda m: "".join(f"%{byte:02X}" for byte in m.group().encode("utf-8")), url.strip())


def bibtex_entry(source: dict) -> str:
    """One source as a BibTeX entry keyed by its id, ending with a newline: an `@article` when it has what BibTeX's
    classic styles require of one (an author, the periodical, a year), else a `@misc`, with fields that BibTeX's
    classic styles and biblatex both read."""
    key = source["id"]
    if not CITATION_KEY.fullmatch(key):
        raise ValueError(f"source id {key!r} is not a citation key (a lowercase slug)")
    author, publisher, issued = _text(source.get("author")), _text(source.get("publisher")), _issued(source)
    article = citation_type(source) == "article-newspaper" and bool(author and publisher and issued)
    fields = []  # (name, the value as written: braced, or a macro)
    if author:
        fields.append(("author", "{{" + latex_text(author) + "}}"))  # braced: one name, never split
    fields.append(("title", "{" + _protected_title(source["title"]) + "}"))
    if publisher:
        fields.append(("journal" if article else "howpublished", "{" + latex_text(publisher) + "}"))
    if issued:
        parts, _ = issued  # BibTeX has no approximate date: a week's, a season's or a span's year is the year
        fields.append(("year", f"{{{parts[0]:04d}}}"))
        if len(parts) > 1:
            fields.append(("month", MONTH_MACROS[parts[1] - 1]))  # a macro: classic styles print the month's name
        if len(parts) > 2:
            fields.append(("day", f"{{{parts[2]}}}"))  # biber makes year, month and day one date; BibTeX skips it
    else:
        fields.append(("date", "{" + UNKNOWN_DATE + "}"))  # biblatex's "no date known"; BibTeX's styles skip it
    if url := _text(source.get("url")):
        fields.append(("url", "{" + _verbatim_url(url) + "}"))
    if accessed := _accessed(source):
        fields.append(("urldate", "{" + accessed.isoformat() + "}"))
    if dateline := _text(source.get("dateline")):
        fields.append(("note", "{" + latex_text(f"Dateline: {dateline}") + "}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{'article' if article else 'misc'}{{{key},\n{body}\n}}\n"
