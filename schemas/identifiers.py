"""External identifiers of entities: the schemes, the form of each scheme's values, and the lookup key."""

from __future__ import annotations

import re

# Each scheme and the one form its values take. Values are ASCII and never hold "|" or ":" after the scheme's own
# (the lookup key joins them with those), nor whitespace.
IDENTIFIER_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    # A Wikidata item: Q and its number, as Wikidata writes it.
    "wikidata": (re.compile(r"Q[1-9][0-9]{0,11}"), "a Wikidata item id such as 'Q423'"),
    # An article on a language edition of Wikipedia, percent-encoded (ASCII only), on wikipedia.org itself.
    "wikipedia": (
        re.compile(r"https://[a-z]{2,3}(?:-[a-z]{2,8})?\.wikipedia\.org/wiki/[A-Za-z0-9%_.,()'!*~\-]{1,140}"),
        "a Wikipedia article's https URL on a language edition of wikipedia.org, percent-encoded, such as "
        "'https://en.wikipedia.org/wiki/North_Korea'",
    ),
    # The UN Security Council's reference of a listed individual (i) or entity (e) on a sanctions list: the
    # list's two letters, i or e, a dot and three digits (KPi.066, KPe.001).
    "unsc": (re.compile(r"[A-Z]{2}[ie]\.[0-9]{3}"), "a UN Security Council sanctions list reference such as 'KPi.066'"),
}
IDENTIFIER_SCHEMES: tuple[str, ...] = tuple(IDENTIFIER_FORMS)
# An identifier value's length: the longest form above (a Wikipedia URL) fits, and so does `scheme:value` in a
# query parameter (schemas/limits.py: MAX_ID_LENGTH, 200), so that every identifier can be looked up.
MAX_IDENTIFIER_LENGTH = 180
# Identifiers an entity has: one per scheme.
MAX_IDENTIFIERS = len(IDENTIFIER_SCHEMES)


def identifier_problem(scheme: str, value: str) -> str | None:
    """Why `value` is not an identifier of `scheme`, or None."""
    form = IDENTIFIER_FORMS.get(scheme)
    if form is None:
        return f"unknown identifier scheme {scheme!r}: one of {', '.join(IDENTIFIER_SCHEMES)}"
    if len(value) > MAX_IDENTIFIER_LENGTH:
        return f"a {scheme} identifier has at most {MAX_IDENTIFIER_LENGTH} characters"
    if not form[0].fullmatch(value):
        return f"must be {form[1]}"
    return None


def identifier_term(scheme: str, value: str) -> str:
    """One identifier as the entity table's `identifier_key` holds it, delimited: `|wikidata:Q423|`."""
    return f"|{scheme}:{value}|"


def identifier_key(identifiers: list[dict]) -> str:
    """Every identifier of an entity as one delimited text, searched by exact substring (`identifier_term`)."""
    return "".join(identifier_term(i["scheme"], i["value"]) for i in identifiers)


def parse_identifier(text: str) -> list[tuple[str, str]]:
    """The identifiers a query names: `scheme:value`, or a bare value, which is matched in every scheme whose form
    it has. Raises ValueError (with the reason) when it names none."""
    scheme, colon, value = text.partition(":")
    if colon and scheme in IDENTIFIER_FORMS:
        problem = identifier_problem(scheme, value)
        if problem:
            raise ValueError(problem)
        return [(scheme, value)]
    if colon and re.fullmatch(r"[a-z]+", scheme) and scheme not in ("http", "https"):
        raise ValueError(f"unknown identifier scheme {scheme!r}: one of {', '.join(IDENTIFIER_SCHEMES)}")
    found = [(s, text) for s in IDENTIFIER_SCHEMES if identifier_problem(s, text) is None]
    if not found:
        forms = "; ".join(f"{s}: {form[1]}" for s, form in IDENTIFIER_FORMS.items())
        raise ValueError(f"names no identifier: give scheme:value or a value of one of the forms ({forms})")
    return found
