"""Suggestions on an article: what a curator may cite in it, for the workbench and for programs (bearer token)."""

from flask.views import MethodView

from schemas.suggestions import SuggestionRequestSchema, SuggestionsSchema

from ..knowledge.suggest import ArticleMetadata, name_index, suggest
from ..store import models as m
from ..web.auth import documented_requires
from ..web.blueprint import ResourceBlueprint
from ..web.lookup import abort

blp = ResourceBlueprint(
    "suggestions",
    __name__,
    url_prefix="/api/v1/suggestions",
    description="Suggestions on an article (bearer token): known entities, dates, figures and quoted speech found in "
    "its text, each with its exact span and what it would pre-fill; nothing is proposed or written.",
)


def _published_article(source_id: str) -> tuple[str, ArticleMetadata]:
    """A published article's text and metadata, or a 422 naming `source`."""
    source = m.Source.get_or_none(m.Source.id == source_id)
    if source is None or source.text is None:
        what = "no source" if source is None else "a reference, whose text is not held here"
        problem = f"{source_id!r} is {what}: give the article's `text`, or the id of a published article"
        abort(422, message=f"source: {problem}", errors={"json": {"source": [problem]}})
    return source.text, ArticleMetadata(source.dateline, source.published_on, None, source.id)


@blp.route("")
class Suggestions(MethodView):
    @documented_requires(blp, "curator")
    @blp.arguments(SuggestionRequestSchema)
    @blp.response(200, SuggestionsSchema)
    def post(self, article):
        """Suggest what to cite in an article

        Reads an article's text (sent as `text` with its metadata, or a published article named by `source`) and
        answers, in the order of the text: every known entity's name or alias (folded as names are matched; the
        longest wins, none overlapping), dates (relative ones such as 'on Sunday' or 'last month' worked out from
        `published_on`, else the day the `dateline` prints, with the derivation written out), figures (sums,
        percentages, fractions, a vote's tally, counts, with their value kind), and quoted speech with its candidate
        speakers, ranked. Each has its exact `start` and `end` in code points and a `proposal` that pre-fills the
        change it would make. Nothing is proposed or stored: the curator accepts or dismisses each one.
        """
        if article["text"] is None:
            text, metadata = _published_article(article["source"])
            metadata = ArticleMetadata(metadata.dateline, metadata.published_on, article["time_zone"], metadata.source)
        else:
            text = article["text"]
            metadata = ArticleMetadata(
                article["dateline"], article["published_on"], article["time_zone"], article["source"]
            )
        return suggest(text, metadata, name_index())
