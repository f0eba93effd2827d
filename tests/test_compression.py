"""gzip for clients that take it: the same bytes once decompressed, on a miss and on a cached hit; its own ETag,
either variant's answering 304; streamed answers compressed as they are sent and never cached; and Cache-Control
per class of answer, on 200 and 304 alike. Then the same through the production server (granian)."""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.error
import urllib.request

import pytest
from flask import Response

from service import create_app
from service.web.cache import response_cache
from tests.gate_support import LiveServer
from tests.helpers import assert_problem

GZIP = {"Accept-Encoding": "gzip"}
STATEMENT = "/api/v1/statements/wang-yi-hopes-north-south-improve-relations"
UNKNOWN_PARAMETERS = "&".join(f"unknown_parameter_{n}=x" for n in range(40))
ANSWERS = {
    "a large list": "/api/v1/entities?page_size=100",
    "one record": STATEMENT,
    "the spec": "/openapi.json",
    "a large problem": f"/api/v1/entities?{UNKNOWN_PARAMETERS}",
}
SMALL = "/api/v1/topics/dialogue"


def fresh(loaded_database: str, **settings):
    """A client of a new app: an empty response cache, so its first answer to a URL is a miss."""
    return create_app({"DATABASE_URL": loaded_database, "TESTING": True, **settings}).test_client()


def vary(response) -> set[str]:
    return {value.strip().lower() for line in response.headers.getlist("Vary") for value in line.split(",")}


def gzip_tag(etag: str) -> str:
    return etag[:-1] + '-gzip"'


@pytest.mark.parametrize("url", ANSWERS.values(), ids=ANSWERS.keys())
def test_the_gzip_answer_is_the_identity_answer_compressed_on_a_miss_and_on_a_hit(loaded_database, url):
    client = fresh(loaded_database)
    compressed_miss = client.get(url, headers=GZIP)
    identity_hit = client.get(url)
    compressed_hit = client.get(url, headers=GZIP)
    identity_miss = fresh(loaded_database).get(url)
    assert identity_hit.get_data() == identity_miss.get_data()
    identity = identity_miss.get_data()
    assert len(identity) > 1024
    for compressed in (compressed_miss, compressed_hit):
        assert compressed.status_code == identity_miss.status_code
        assert compressed.headers["Content-Encoding"] == "gzip"
        assert len(compressed.get_data()) < len(identity)
        assert gzip.decompress(compressed.get_data()) == identity
        assert compressed.headers["Content-Type"] == identity_miss.headers["Content-Type"]
    assert compressed_hit.get_data() == compressed_miss.get_data(), "compressed once, the same bytes on a hit"
    for answer in (compressed_miss, compressed_hit, identity_hit, identity_miss):
        assert int(answer.headers["Content-Length"]) == len(answer.get_data())
        assert "accept-encoding" in vary(answer)
    for identity_answer in (identity_hit, identity_miss):
        assert "Content-Encoding" not in identity_answer.headers
    if identity_miss.status_code == 200:
        assert (
            compressed_miss.headers["ETag"] == compressed_hit.headers["ETag"] == gzip_tag(identity_miss.headers["ETag"])
        )
    else:
        assert_problem(identity_miss, 422, "unknown_parameter_39")


@pytest.mark.parametrize("accepted", [GZIP, {}], ids=["gzip", "identity"])
def test_head_answers_carry_the_headers_of_get(loaded_database, accepted):
    client = fresh(loaded_database)
    head_miss = client.head(STATEMENT, headers=accepted)
    got = client.get(STATEMENT, headers=accepted)
    head_hit = client.head(STATEMENT, headers=accepted)
    for head in (head_miss, head_hit):
        assert head.get_data() == b""
        for name in ("Content-Type", "Content-Length", "Content-Encoding", "ETag", "Cache-Control", "Vary"):
            assert head.headers.get(name) == got.headers.get(name), name
    assert int(got.headers["Content-Length"]) == len(got.get_data())


def test_the_cache_keeps_the_compressed_variant_and_counts_it(loaded_database):
    client = fresh(loaded_database)
    cache = response_cache(client.application)
    client.get(STATEMENT)
    answer = cache.answers()[0]
    assert answer.gzipped is not None and gzip.decompress(answer.gzipped.body) == answer.body
    assert cache.stats().bytes == answer.size >= len(answer.body) + len(answer.gzipped.body)
    served = client.get(STATEMENT, headers=GZIP)
    assert served.get_data() == answer.gzipped.body and len(cache) == 1


def test_without_the_cache_answers_are_compressed_for_the_clients_that_take_gzip_only(loaded_database):
    client = fresh(loaded_database, KB_CACHE_BYTES=0)
    identity = client.get(STATEMENT)
    compressed = client.get(STATEMENT, headers=GZIP)
    assert "Content-Encoding" not in identity.headers and compressed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.get_data()) == identity.get_data()
    assert compressed.headers["ETag"] == gzip_tag(identity.headers["ETag"])
    assert len(response_cache(client.application)) == 0


def test_a_small_answer_is_sent_as_it_is(client):
    for _ in range(2):  # a miss, then a hit
        small = client.get(SMALL, headers=GZIP)
        assert small.status_code == 200 and len(small.get_data()) < 1024
        assert "Content-Encoding" not in small.headers and small.get_json()["id"] == "dialogue"
        assert "accept-encoding" in vary(small), "a compressible type: the answer could vary"


def test_the_size_threshold_is_a_setting(loaded_database):
    everything = fresh(loaded_database, KB_GZIP_MIN_BYTES=0).get(SMALL, headers=GZIP)
    assert everything.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(everything.get_data()))["id"] == "dialogue"
    nothing = fresh(loaded_database, KB_GZIP_MIN_BYTES="off").get(STATEMENT, headers=GZIP)
    assert "Content-Encoding" not in nothing.headers and nothing.get_json()["id"] in STATEMENT


@pytest.mark.parametrize(
    "accept_encoding, compressed",
    [
        ("gzip", True),
        ("GZIP", True),
        ("br, gzip;q=0.5", True),
        ("*", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("identity", False),
        ("br, deflate", False),
        ("", False),
    ],
)
def test_accept_encoding_is_honoured_with_its_qualities(loaded_database, accept_encoding, compressed):
    client = fresh(loaded_database)
    for _ in range(2):  # a miss, then a hit
        answer = client.get(STATEMENT, headers={"Accept-Encoding": accept_encoding})
        assert ("Content-Encoding" in answer.headers) is compressed
        body = gzip.decompress(answer.get_data()) if compressed else answer.get_data()
        assert json.loads(body)["id"] == STATEMENT.rsplit("/", 1)[1]


@pytest.mark.parametrize("cached", [False, True], ids=["app", "cache"])
def test_either_variants_etag_answers_304_with_the_headers_of_the_200(loaded_database, cached):
    warm = fresh(loaded_database)
    identity, compressed = warm.get(STATEMENT), warm.get(STATEMENT, headers=GZIP)
    tags = {"identity": identity.headers["ETag"], "gzip": compressed.headers["ETag"]}
    assert tags["gzip"] == gzip_tag(tags["identity"]) != tags["identity"]
    for accepted, selected in ((GZIP, "gzip"), ({}, "identity")):
        for held in tags.values():
            client = warm if cached else fresh(loaded_database)
            answer = client.get(STATEMENT, headers={**accepted, "If-None-Match": held})
            assert answer.status_code == 304 and answer.get_data() == b""
            assert answer.headers["ETag"] == tags[selected], "the tag a 200 to this request would carry"
            assert answer.headers["Cache-Control"] == "public, no-cache"
            assert "accept-encoding" in vary(answer)
    assert warm.get(STATEMENT, headers={**GZIP, "If-None-Match": '"other-gzip"'}).status_code == 200


def test_a_change_proposed_with_the_gzip_variants_tag_is_accepted(curation):
    """If-Match names the record: its identity's tag or its gzip variant's."""
    app, client, tokens = curation
    etag = client.get(STATEMENT, headers=GZIP).headers["ETag"]
    assert etag.endswith('-gzip"')
    body = {
        "kind": "statement",
        "action": "update",
        "id": STATEMENT.rsplit("/", 1)[1],
        "summary": "neutral",
        "record": {"stance": "neutral"},
    }
    headers = {"Authorization": f"Bearer {tokens['curator']}"}
    stale = client.post("/api/v1/changes", json=body, headers={**headers, "If-Match": '"stale-gzip"'})
    assert_problem(stale, 412)
    proposed = client.post("/api/v1/changes", json=body, headers={**headers, "If-Match": etag})
    assert proposed.status_code == 201, proposed.get_data(as_text=True)


def streaming_app(loaded_database):
    """An app with a streamed route, as a bulk export is: 200 chunks of 4 KiB made one at a time."""
    app = create_app({"DATABASE_URL": loaded_database, "TESTING": True})
    produced: list[int] = []

    def chunks():
        for number in range(200):
            produced.append(number)
            # hex digits: compressible, but not to nothing, so zlib sends output while it reads
            yield "".join(hashlib.sha256(f"{number}-{n}".encode()).hexdigest() for n in range(64)).encode()

    @app.get("/test/stream")
    def stream():
        response = Response(chunks(), mimetype="application/x-ndjson")
        response.headers["ETag"] = '"stream-1"'
        return response

    return app, produced


def test_a_streamed_answer_is_compressed_as_it_is_sent_and_never_cached(loaded_database):
    app, produced = streaming_app(loaded_database)
    client = app.test_client()
    identity = client.get("/test/stream").get_data()
    assert len(produced) == 200 and len(identity) == 200 * 4096
    produced.clear()

    streamed = client.get("/test/stream", headers={**GZIP, "Origin": "http://localhost:8080"}, buffered=False)
    assert streamed.headers["Content-Encoding"] == "gzip" and "Content-Length" not in streamed.headers
    assert streamed.headers["ETag"] == '"stream-1-gzip"'
    assert streamed.headers["Cache-Control"] == "public, no-cache"
    assert streamed.headers["Access-Control-Allow-Origin"] == "*" and "accept-encoding" in vary(streamed)
    pieces = iter(streamed.response)
    first = next(piece for piece in pieces if piece)
    assert len(produced) < 200, f"the first compressed bytes came only after {len(produced)} of 200 chunks"
    body = first + b"".join(pieces)
    streamed.close()
    assert len(produced) == 200 and gzip.decompress(body) == identity and len(body) < len(identity)
    assert len(response_cache(app)) == 0

    produced.clear()
    for held in ('"stream-1"', '"stream-1-gzip"'):
        not_modified = client.get("/test/stream", headers={**GZIP, "If-None-Match": held})
        assert not_modified.status_code == 304 and not_modified.headers["ETag"] == '"stream-1-gzip"'
        assert not_modified.headers["Cache-Control"] == "public, no-cache"
    assert produced == [], "a 304 reads none of the stream"
    head = client.head("/test/stream", headers=GZIP)
    assert head.headers["Content-Encoding"] == "gzip" and head.headers["ETag"] == '"stream-1-gzip"'


def test_cache_control_by_class_of_answer(curator_client, curator_token):
    client = curator_client
    bearer = {"Authorization": f"Bearer {curator_token}"}
    expected = {
        STATEMENT: "public, no-cache",
        "/api/v1/entities?page_size=5": "public, no-cache",
        "/openapi.json": "public, no-cache",
        "/health": "no-store",
        "/api/v1/entities/no-such-entity": "no-store",
        "/api/v1/entities?colour=red": "no-store",
    }
    for url, policy in expected.items():
        for _ in range(2):  # the app's answer, then the cache's (for those it keeps)
            answer = client.get(url, headers=GZIP)
            assert answer.headers["Cache-Control"] == policy, url
            if answer.status_code == 200:
                again = client.get(url, headers={**GZIP, "If-None-Match": answer.headers["ETag"]})
                assert again.status_code == 304 and again.headers["Cache-Control"] == policy, url
    assert client.get("/api/v1/token", headers=bearer).headers["Cache-Control"] == "no-store"  # its own
    assert client.get("/api/v1/entities?page_size=5", headers=bearer).headers["Cache-Control"] == "private, no-store"
    assert client.post("/api/v1/changes", json={}, headers=bearer).headers["Cache-Control"] == "private, no-store"
    assert client.post("/api/v1/changes", json={}).headers["Cache-Control"] == "no-store"
    with client.get("/docs/assets/swagger-ui.css") as asset:
        assert "public" in asset.headers["Cache-Control"] and "max-age=3600" in asset.headers["Cache-Control"]


# The production server ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("compression-server"))
    server.env["WEB_CONCURRENCY"] = "1"  # one worker: its second answer to a URL is a cached hit
    server.start()
    yield server
    server.stop()


def fetch(url: str, **headers):
    """Status, headers (looked up by any case: granian sends them lower-cased) and the body as sent."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:  # a 304 is an "error" to urllib
        return error.code, error.headers, error.read()


def test_through_the_production_server(production):
    url = f"{production.url}/api/v1/entities?page_size=50"
    answers = [fetch(url, **{"Accept-Encoding": "gzip", "Origin": "http://localhost:8080"}) for _ in range(2)]
    status, identity_headers, identity = fetch(url)
    assert status == 200 and "Content-Encoding" not in identity_headers
    for status, headers, body in answers:  # a miss, then a hit
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert int(headers["Content-Length"]) == len(body) < len(identity)
        assert gzip.decompress(body) == identity
        assert headers["ETag"] == gzip_tag(identity_headers["ETag"])
        assert headers["Cache-Control"] == "public, no-cache" and "Accept-Encoding" in headers["Vary"]
        assert headers["Access-Control-Allow-Origin"] == "*"
    assert answers[0][2] == answers[1][2]
    status, headers, body = fetch(url, **{"Accept-Encoding": "gzip", "If-None-Match": identity_headers["ETag"]})
    assert (status, body, headers["ETag"], headers["Cache-Control"]) == (
        304,
        b"",
        gzip_tag(identity_headers["ETag"]),
        "public, no-cache",
    )

    preflight = urllib.request.Request(
        url, method="OPTIONS", headers={"Origin": "http://localhost:8080", "Access-Control-Request-Method": "GET"}
    )
    with urllib.request.urlopen(preflight, timeout=10) as granted:
        assert granted.status == 204 and granted.headers["Access-Control-Allow-Origin"] == "*"

    # A streamed answer (a file of the docs page, 1 MB): compressed as it is sent, no Content-Length.
    asset = f"{production.url}/docs/assets/swagger-ui-bundle.js"
    status, headers, body = fetch(asset, **GZIP)
    _, _, plain = fetch(asset)
    assert status == 200 and headers["Content-Encoding"] == "gzip" and "Content-Length" not in headers
    assert gzip.decompress(body) == plain and len(body) < len(plain) / 2
