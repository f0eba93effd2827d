"""/sources: articles and references, and each article's verbatim text."""

from tests.helpers import SEEDS_DIR

PRESS_TV = "presstv-manila-talks-2017-08-07"
AGGREGATOR = "china-urges-n-korea-2017-08-12"


def test_lists_articles_and_references(client):
    sources = client.get("/api/v1/sources?page_size=100").get_json()
    kinds = {s["id"]: s["kind"] for s in sources}
    assert kinds[PRESS_TV] == "article" and kinds[AGGREGATOR] == "article"
    assert "reference" in kinds.values()
    assert [s["id"] for s in sources] == sorted(kinds)
    references = client.get("/api/v1/sources?kind=reference&page_size=100").get_json()
    assert references and all(s["kind"] == "reference" and s["url"] and s["sha256"] is None for s in references)


def test_article_metadata_uses_the_byline_not_the_page_date(client):
    source = client.get(f"/api/v1/sources/{AGGREGATOR}").get_json()
    assert source["published_on"] == "2017-08-12"
    assert source["author"] == "Melinda Barton"
    assert "12 August, 2017, 18:31" in source["dateline"]
    assert "14 December" in source["date_derivation"]
    press_tv = client.get(f"/api/v1/sources/{PRESS_TV}").get_json()
    assert press_tv["published_on"] == "2017-08-07"
    assert press_tv["dateline"] == "Mon Aug 7, 2017 7:19AM"
    assert len(press_tv["sha256"]) == 64


def test_text_is_the_seed_byte_for_byte(client):
    for source_id, name in ((PRESS_TV, "001_538f4130def33c1f.txt"), (AGGREGATOR, "000_04aad605d0849ab7.txt")):
        response = client.get(f"/api/v1/sources/{source_id}/text")
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        assert response.mimetype_params["charset"] == "utf-8"
        assert response.get_data() == (SEEDS_DIR / name).read_bytes()


def test_reference_has_no_text(client):
    reference = client.get("/api/v1/sources?kind=reference").get_json()[0]
    response = client.get(f"/api/v1/sources/{reference['id']}/text")
    assert response.status_code == 404
    assert "reference to public record" in response.get_json(force=True)["detail"]


def test_bad_kind_filter(client):
    response = client.get("/api/v1/sources?kind=blog")
    assert response.status_code == 422
    assert "article, reference" in response.get_json(force=True)["detail"]


def test_every_source_has_what_a_reference_manager_needs_where_it_is_known(client):
    """A date or `unknown`, never a day guessed; an accessed date only with the URL it dates; a title as published or,
    where no copy shows the headline, the curators' bracketed description, which the note explains."""
    sources = client.get("/api/v1/sources?page_size=100").get_json()
    for source in sources:
        where = source["id"]
        assert (source["published_on"] is None) == (source["date_precision"] == "unknown"), where
        assert source["date_precision"] in ("day", "unknown"), where
        if source["accessed_on"] is not None:
            assert source["url"] and source["accessed_on"] >= (source["published_on"] or ""), where
        title = source["title"]
        assert not title.startswith("(") and "headline not" not in title and "URL slug" not in title, where
        if title.startswith("["):
            assert title.endswith("]") and "the curators' description, in square brackets" in source["note"], where
    assert any(s["published_on"] is None for s in sources) and any(s["accessed_on"] for s in sources)
    assert any(s["title"].startswith("[") for s in sources)


def test_a_source_date_is_a_day_or_unknown_and_an_accessed_date_needs_its_url():
    import marshmallow as ma
    import pytest

    from schemas.facts import SourceSchema

    reference = {"id": "a-reference", "kind": "reference", "title": "A page", "url": "https://example.org/a"}
    assert SourceSchema().load(reference)["date_precision"] == "unknown"  # no date given: unknown
    assert SourceSchema().load({**reference, "published_on": "2017-08-06"})["date_precision"] == "day"
    for wrong, field in (
        ({"published_on": "2017-08-06", "date_precision": "unknown"}, "published_on"),
        ({"date_precision": "day"}, "date_precision"),
        ({"url": None, "accessed_on": "2026-12-07"}, "accessed_on"),
        ({"published_on": "2017-08-06", "accessed_on": "2017-08-05"}, "accessed_on"),
    ):
        with pytest.raises(ma.ValidationError) as refused:
            SourceSchema().load({**reference, **wrong})
        assert field in refused.value.messages, (wrong, refused.value.messages)
