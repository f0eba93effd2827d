"""The one rule for names that become paths: an article's text file in seeds/."""

import re

import marshmallow as ma

# One path segment: no separator, no leading dot (so neither "." nor ".." nor a hidden file), ending in .txt so that
# it never names the article's metadata file (<stem>.json) beside it; 255 bytes at most, every file system's limit.
ARTICLE_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,250}\.txt$", re.ASCII)
ARTICLE_FILE_RULE = (
    "a plain text file name in seeds/: letters, digits, '_', '-' and '.', not starting with '.', ending in .txt"
)


def is_article_file(name: object) -> bool:
    """Whether `name` is an article's text file name that stays inside seeds/."""
    return isinstance(name, str) and ARTICLE_FILE.fullmatch(name) is not None


def validate_article_file(name: str) -> None:
    """marshmallow validator for `SourceSchema.file`."""
    if not is_article_file(name):
        raise ma.ValidationError(f"must be {ARTICLE_FILE_RULE}")
