"""sanctions-kb: curated, cited facts about the UN Security Council's August 2017 sanctions on North Korea."""

# The one place the version is written (docs/versioning.md): pyproject.toml reads this literal statically, /health
# and `sanctions-kb --version` import it.
__version__ = "2.0.0"

from collections.abc import Mapping
from importlib import import_module

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from schemas.kinds import KIND_TABLE

from .config import Config
from .store.db import init_db
from .web.api import Api
from .web.cache import init_cache
from .web.guard import init_guard
from .web.http import init_http, init_proxies
from .web.limits import init_limits

# The resource modules, in the order their routes are documented: each kind served at a URL of its own (the
# vocabulary's order, a module named by its plural), then the service's own resources.
RESOURCE_MODULES = (
    *(kind.plural for kind in KIND_TABLE if kind.url),
    "facts",
    "search",
    "exports",
    "tokens",
    "changes",
    "suggestions",
    "health",
)


def create_app(config: Mapping | None = None) -> Flask:
    """Create the application: settings, database, API and its blueprints."""
    app = Flask(__name__)
    app.config.from_object(Config)
    app.config.update(config or {})
    assert isinstance(app.json, DefaultJSONProvider)
    app.json.sort_keys = False  # keep the schemas' field order: id first, citations last
    app.json.ensure_ascii = False  # quotes are shown as printed ("vis-à-vis", "…")
    init_guard(app)  # first: unusable input is refused before anything else runs
    init_limits(app)  # then a body too large, before it is read (its JSON is checked as it is parsed)
    init_cache(app)  # then a repeated GET is answered from memory, before a connection is opened
    init_http(app)  # around it, CORS on every answer; on the way out, Cache-Control, ETags and 304, gzip
    init_proxies(app)  # outermost: behind KB_PROXY_HOPS proxies, the cache and the links see the client's URL
    init_db(app)

    from .cli import register_commands
    from .pages.views import pages
    from .web.assets import assets
    from .workbench.views import init_workbench, workbench

    api = Api(app, spec_kwargs={"info": {"description": API_DESCRIPTION}})
    resources = {name: import_module(f".resources.{name}", __name__) for name in RESOURCE_MODULES}
    for module in resources.values():
        api.register_blueprint(module.blp)
    api.register_blueprint(resources["changes"].revisions)
    app.register_blueprint(assets)
    app.register_blueprint(pages)
    init_workbench(app)
    app.register_blueprint(workbench)
    register_commands(app)
    return app


API_DESCRIPTION = """\
Curated, cited facts about UN Security Council resolution 2371 (5 August 2017), the sanctions it put on
North Korea, and the diplomacy around it in Manila. Every fact embeds its `citations`: the source id
and the exact passage (`quote`) with its offsets (`start`, `end`, in Unicode code points) such that
`GET /api/v1/sources/{source}/text` sliced at `[start:end]` equals the quote. Facts taken from public
record rather than the articles cite a source of kind `reference`, with no quote.

**How sure**: each citation says what its passage does for the fact (`role`: supports, context, corrects,
contradicts), which fields it is the source for (`fields`), how the source words it (`wording`) and the original
account it carries (`account`: the event of a briefing, remarks, a statement or a report, when not the source's
own); each fact's `support` counts its supporting sources and how many of them are independent (distinct original
accounts: sources carrying one briefing or deriving from one source through `derived_from` count once). Contradictions and corrections are records at `/disputes`, listed in each
fact's `disputes`; `/facts` lists every fact with its support. Dates of events and statements are intervals
(`date_earliest` to `date_latest`, with `date_precision` and `time_zone`); `from`/`to` match them by `date_match`
(`overlaps` or `within`). A statement's `attribution_chain` gives the hands its words passed through (`hands`).

**Lists** return a JSON array, `page_size` (1-100, default 20) items at a time; page metadata is in
the `X-Pagination` header and links to other pages in the RFC 8288 `Link` header. An unknown query
parameter, an invalid value, an id that does not exist, or a page past the end is an error.

**Errors** are RFC 9457 problem details (`application/problem+json`) with `type`, `title`, `status`,
`detail` and `instance`; invalid input adds `errors`, by location and parameter. Every path and query
parameter value must be valid UTF-8 of at most 200 characters, with no control characters; any other is
refused with a 422 naming the parameter, whatever the endpoint.

**Pages for people**: each article's evidence view is at `/sources/{id}`: its text verbatim, every cited passage
highlighted (shaded by how many passages overlap there, marked where it supports a statement of ambiguous
attribution) and linked to the facts it supports, with the article's metadata and a summary of what is cited. Each
fact has a page at the API's URL without `/api/v1` (`/statements/{id}`, `/entities/{id}`...): its fields and, for
each citation, the passage in its paragraph, linked back to the article at that span. A record's JSON answer links
to its page in a `Link: <...>; rel="alternate"; type="text/html"` header. Start at [the index](/), or read
[an article](/sources/presstv-manila-talks-2017-08-07).

**Caching**: every successful GET carries an `ETag`; send it back in `If-None-Match` to get `304 Not Modified`.
Answers derived from the knowledge are `Cache-Control: public, no-cache` (it can change at any moment: revalidate
with the ETag); authenticated answers are `private, no-store`, errors and `/health` `no-store`.

**Browsers and compression**: the read API is open to pages of any origin (CORS: `Access-Control-Allow-Origin`,
with `ETag`, `Link` and `X-Pagination` exposed to scripts); writes and requests with `Authorization` are not,
unless the deployment lists the page's origin. Answers of 1 KiB or more by default (JSON, problem details,
NDJSON, CSV...) are gzip-compressed when `Accept-Encoding` takes gzip, with `Vary: Accept-Encoding`; the
compressed answer's ETag is the same tag with `-gzip` inside the quotes, and either tag is accepted by
`If-None-Match` and `If-Match`.
"""
