"""The presented bearer token: whose it is and what it may do (tokens are made with `sanctions-kb token`)."""

from flask import g
from flask.views import MethodView

from schemas import TokenHolderSchema

from ..web.auth import documented_requires
from ..web.blueprint import ResourceBlueprint, takes_no_query

blp = ResourceBlueprint(
    "token",
    __name__,
    url_prefix="/api/v1/token",
    description="The curation API's bearer tokens: check whose token you hold and its role.",
)


@blp.route("")
class TokenHolder(MethodView):
    @documented_requires(blp, "curator", "admin")
    @blp.response(
        200, TokenHolderSchema, headers={"Cache-Control": {"description": "`no-store`.", "schema": {"type": "string"}}}
    )
    @takes_no_query(blp)
    def get(self):
        """Get the token's holder

        The name and role of the bearer token sent in `Authorization: Bearer ...` (any active token);
        401 without a valid one. The answer is private: never cached, by the service or anyone else.
        """
        token = g.token
        return {"name": token.name, "role": token.role, "created_at": token.created_at.isoformat()}, {
            "Cache-Control": "no-store"
        }
