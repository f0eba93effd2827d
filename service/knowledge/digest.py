"""The data version: one value for the knowledge served, the same however it was reached (loaded from the curated
files, from an export, or by publications in any order), which a publication brings up to date in the time of its
change rather than of the whole knowledge.

Each record has a digest: SHAKE-256 of its kind, id and canonical JSON (the record as its fixture file holds it,
keys sorted; an article with its text), 2048 bits long. The knowledge's digest is the sum of its records' digests
modulo 2**2048: an incremental multiset hash (Bellare and Micciancio's AdHash), so the order records come in does
not matter, and a publication subtracts the digest of the record as it was and adds the record as it is. The data
version is SHA-256 of that sum and of the code that renders the knowledge (a release that renders a record
differently serves a new version).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import schemas

BITS = 2048
MODULUS = 1 << BITS


def record_digest(kind_name: str, record: dict, text: str | None = None) -> int:
    """The digest of one record as its fixture holds it (with its text, for an article)."""
    canonical = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    data = f"{kind_name}\0{canonical}" + ("" if text is None else f"\0{text}")
    return int.from_bytes(hashlib.shake_256(data.encode("utf-8")).digest(BITS // 8), "big")


def sum_of(digests: Iterable[int]) -> int:
    total = 0
    for digest in digests:
        total += digest
    return total % MODULUS


def moved(total: int, removed: Iterable[int], added: Iterable[int]) -> int:
    """The sum after removing and adding these records' digests."""
    return (total - sum(removed) + sum(added)) % MODULUS


def as_hex(total: int) -> str:
    return f"{total:0{BITS // 4}x}"


def from_hex(stored: str) -> int:
    return int(stored, 16) if stored else 0


def version_of(total: int) -> str:
    """The data version of knowledge whose records' digests sum to `total`."""
    return hashlib.sha256(code_fingerprint().encode() + b"\0" + as_hex(total).encode()).hexdigest()


@cache
def code_fingerprint() -> str:
    """A hash of the code that renders and serves the knowledge (service/ and schemas/), read once per process:
    part of every fingerprint and version, so a release that renders a record differently reloads it, and ETags
    change with it."""
    digest = hashlib.sha256()
    for package in (Path(__file__).resolve().parent.parent, Path(schemas.__file__).resolve().parent):
        for path in sorted(package.rglob("*.py")):
            digest.update(f"{package.name}/{path.relative_to(package).as_posix()}".encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()
