"""Bearer-token authentication for the curation API: `@requires(role, ...)` on a view; reading stays public.

Every refusal says the same thing whatever the token was (missing, malformed, unknown or revoked), so an answer
never tells whether a token exists; the token itself is never logged or echoed.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from ..store.tokens import token_for
from .lookup import abort

SECURITY_SCHEME = "bearerAuth"
CHALLENGE = 'Bearer realm="sanctions-kb"'
# What each role may do; an editor can do what a curator can, an admin manages tokens.
GRANTS = {"curator": {"curator"}, "editor": {"curator", "editor"}, "admin": {"admin"}}


def presented_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def requires(*roles: str):
    """Let the view run only for an active token whose role grants one of `roles`: 401 without one, 403 when
    its role does not. The token is in `g.token` for the view."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if request.method not in ("GET", "HEAD") and current_app.config.get("KB_READ_ONLY"):
                abort(
                    403,
                    message="this deployment is read-only (KB_READ_ONLY): it serves the knowledge it was built "
                    "with and takes no changes; propose them to a curated deployment",
                )
            secret = presented_secret()
            token = token_for(secret) if secret else None
            if token is None:
                abort(
                    401,
                    message="this needs a valid bearer token: send 'Authorization: Bearer <token>'",
                    headers={"WWW-Authenticate": CHALLENGE},
                )
            if not GRANTS[token.role] & set(roles):
                abort(403, message=f"a {token.role} token may not do this; it needs the role {' or '.join(roles)}")
            g.token = token
            return view(*args, **kwargs)

        return guarded

    return decorator


def documented_requires(blp, *roles: str):
    """`requires(*roles)` with its documentation: the bearer security requirement and the 401 and 403 problems."""

    def decorator(view):
        guarded = requires(*roles)(view)
        guarded = blp.alt_response(
            403, response="DEFAULT_ERROR", description="Forbidden: the token's role may not do this."
        )(guarded)
        guarded = blp.alt_response(401, response="DEFAULT_ERROR", description="Unauthorized: no valid bearer token.")(
            guarded
        )
        return blp.doc(security=[{SECURITY_SCHEME: []}])(guarded)

    return decorator
