"""Curation API tokens: issued once, stored only as a SHA-256 digest, looked up by digest, revoked by name.

Issuing and revoking do not take the write lock (store/write_lock.py): they write only the token table, whose rows
no load or publication writes or reads to decide what it writes, each in one transaction whose uniqueness the
table's constraints keep, so the lock would order nothing that needs ordering. (The `token` commands take it only to
migrate the schema first.)"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from . import models as m
from .db import db

ROLES = ("curator", "editor", "admin")
PREFIX = "skb_"


class TokenError(Exception):
    """A token cannot be issued or revoked as asked (a name taken, an unknown name or role)."""


def digest(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash cannot be searched: there is no password to guess, and a slow
    # key-derivation function would only slow every authenticated request.
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def issue_token(name: str, role: str) -> str:
    """Create a token for `name` with `role`; return its secret, which is stored nowhere."""
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if not name.strip() or len(name) > 100:
        raise TokenError("a token's name is 1 to 100 characters")
    secret = PREFIX + secrets.token_urlsafe(32)
    with db.atomic():
        if m.Token.select().where(m.Token.name == name).exists():
            raise TokenError(f"a token named {name!r} already exists; revoke it or choose another name")
        m.Token.create(name=name, role=role, digest=digest(secret), created_at=_now())
    return secret


def revoke_token(name: str) -> None:
    """Refuse the token from the next request, and end the workbench sessions it opened."""
    with db.atomic():
        token = m.Token.get_or_none((m.Token.name == name) & m.Token.revoked_at.is_null())
        if token is None:
            raise TokenError(f"no active token named {name!r}")
        m.Token.update(revoked_at=_now()).where(m.Token.id == token.id).execute()
        # (A session is refused once its token is revoked whatever happens here: its lookup asks for an active one.)
        m.WorkbenchSession.delete().where(m.WorkbenchSession.token == token.id).execute()


def list_tokens() -> list[dict]:
    """Every token's name, role and dates; never its digest."""
    query = m.Token.select(m.Token.name, m.Token.role, m.Token.created_at, m.Token.revoked_at).order_by(m.Token.name)
    return [
        {
            "name": t.name,
            "role": t.role,
            "created_at": t.created_at.isoformat(),
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        }
        for t in query
    ]


def token_for(secret: str) -> m.Token | None:
    """The active token with this secret, or None (unknown, revoked or malformed alike)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    return m.Token.get_or_none((m.Token.digest == digest(secret)) & m.Token.revoked_at.is_null())
