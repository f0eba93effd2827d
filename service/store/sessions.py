"""Workbench sessions: opened with a token, stored only as a SHA-256 digest of their id, ended on sign-out, at their
expiry or when their token is revoked; and failed sign-ins, counted per client address.

Like the tokens (store/tokens.py), sessions and failed sign-ins are not knowledge: they write only their own tables,
each in one statement or one transaction, so they do not take the write lock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from peewee import fn

from . import models as m
from .db import db
from .tokens import digest

# A session id is 256 random bits (as a token is), so its digest is a plain SHA-256: nothing to search back to.
SESSION_ID_BYTES = 32
# A request moves a session's last sight on only when the one recorded is this old: a session read by every request
# is not written by every request, and its idle expiry is late by at most this much.
LAST_SEEN_EVERY = timedelta(seconds=60)
# The longest client address kept (an IPv6 address with a zone is under 64 characters).
MAX_CLIENT_LENGTH = 100


@dataclass(frozen=True)
class Session:
    """A live session: whose it is (the token's name and role) and when it ends."""

    id: int
    name: str
    role: str
    created_at: datetime
    expires_at: datetime
    idle_expires_at: datetime


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def open_session(token: m.Token, lifetime: int, idle_timeout: int) -> str:
    """Open a session for an active token; return its id, which is stored nowhere (the browser's cookie holds it).
    Sessions past their expiry, anyone's, are deleted at the same time, so the table holds only live ones."""
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    moment = now()
    with db.atomic():
        end_expired_sessions(moment)
        m.WorkbenchSession.create(
            digest=digest(session_id),
            token=token.id,
            created_at=moment,
            last_seen_at=moment,
            expires_at=moment + timedelta(seconds=lifetime),
            idle_expires_at=min(moment + timedelta(seconds=idle_timeout), moment + timedelta(seconds=lifetime)),
        )
    return session_id


def session_for(session_id: str, idle_timeout: int) -> Session | None:
    """The live session with this id, its idle expiry moved on by this request; None for an unknown, expired or
    malformed id, or one whose token was revoked (an expired session is deleted as it is found)."""
    if not session_id or len(session_id) > 100:
        return None
    row = (
        m.WorkbenchSession.select(m.WorkbenchSession, m.Token)
        .join(m.Token)
        .where((m.WorkbenchSession.digest == digest(session_id)) & m.Token.revoked_at.is_null())
        .first()
    )
    if row is None:
        return None
    moment = now()
    if moment >= row.expires_at or moment >= row.idle_expires_at:
        m.WorkbenchSession.delete().where(m.WorkbenchSession.id == row.id).execute()
        return None
    idle_expires_at = row.idle_expires_at
    if moment - row.last_seen_at >= LAST_SEEN_EVERY:
        idle_expires_at = min(moment + timedelta(seconds=idle_timeout), row.expires_at)
        m.WorkbenchSession.update(last_seen_at=moment, idle_expires_at=idle_expires_at).where(
            m.WorkbenchSession.id == row.id
        ).execute()
    return Session(row.id, row.token.name, row.token.role, row.created_at, row.expires_at, idle_expires_at)


def end_session(session_id: str) -> bool:
    """Delete the session with this id (sign-out); whether there was one."""
    if not session_id or len(session_id) > 100:
        return False
    return bool(m.WorkbenchSession.delete().where(m.WorkbenchSession.digest == digest(session_id)).execute())


def end_expired_sessions(moment: datetime | None = None) -> int:
    moment = moment or now()
    expired = (m.WorkbenchSession.expires_at <= moment) | (m.WorkbenchSession.idle_expires_at <= moment)
    return m.WorkbenchSession.delete().where(expired).execute()


def client_key(address: str | None) -> str:
    """A client address as failures are counted by (the address the request came from, or that trusted proxies
    forwarded: KB_PROXY_HOPS)."""
    return (address or "unknown")[:MAX_CLIENT_LENGTH]


def retry_after(client: str, allowed: int, window: int) -> int | None:
    """Seconds before this client may try to sign in again when it failed `allowed` times within the last `window`
    seconds (the oldest of those failures then leaves the window); None when it may try now."""
    moment = now()
    since = moment - timedelta(seconds=window)
    failures = m.SignInFailure.select(fn.COUNT(m.SignInFailure.id), fn.MIN(m.SignInFailure.failed_at)).where(
        (m.SignInFailure.client == client) & (m.SignInFailure.failed_at > since)
    )
    count, oldest = failures.scalar(as_tuple=True)
    if count < allowed:
        return None
    if isinstance(oldest, str):  # (SQLite answers an aggregate of a datetime column as text)
        oldest = datetime.fromisoformat(oldest)
    return max(1, int((oldest + timedelta(seconds=window) - moment).total_seconds()))


def record_failure(client: str, window: int) -> None:
    """Count a failed sign-in from this client; failures that left the window, anyone's, are deleted meanwhile."""
    moment = now()
    with db.atomic():
        m.SignInFailure.delete().where(m.SignInFailure.failed_at <= moment - timedelta(seconds=window)).execute()
        m.SignInFailure.create(client=client, failed_at=moment)
