"""Text rules shared by verification, loading and the views: folding for matching, and quote verification."""

import unicodedata


def verify_quote(text: str, quote: str, start: int, end: int) -> str | None:
    """Return why `text[start:end] == quote` does not hold, or None when it does."""
    if text[start:end] == quote:
        return None
    found = text.find(quote)
    if found < 0:
        return f"quote is not in the source: {quote!r}"
    return f"offsets {start}:{end} do not match the quote, which is at {found}:{found + len(quote)}"


def fold_name(value: str) -> str:
    """Fold a name for matching: no accents, no case, hyphens and punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())
