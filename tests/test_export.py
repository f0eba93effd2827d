"""`sanctions-kb export-fixtures DIR`: the published knowledge written back as fixtures and seeds that `check`
accepts and from which `init` rebuilds a database answering byte for byte the same."""

from __future__ import annotations

import json

from service import create_app
from service.cli import check_command, export_fixtures_command
from service.knowledge.kinds import KINDS
from service.knowledge.lifecycle import initialise_database
from service.knowledge.read import read_knowledge
from tests.helpers import FIXTURES_DIR, SEEDS_DIR, read_fixture, route_catalogue


def _export(runner, directory) -> None:
    result = runner.invoke(export_fixtures_command, [str(directory)])
    assert result.exit_code == 0, result.output
    # The records of the kinds' fixture files, in those files and each article's metadata file.
    fixtures = [FIXTURES_DIR / kind.fixture for kind in KINDS]
    records, files = (
        sum(len(read_fixture(path)) for path in fixtures),
        len(fixtures) + len(list(SEEDS_DIR.glob("*.json"))),
    )
    assert f"wrote {records} records in {files} files to {directory}/fixtures" in result.output


def test_the_export_holds_exactly_the_curated_records(runner, tmp_path):
    _export(runner, tmp_path)
    curated = read_knowledge(FIXTURES_DIR, SEEDS_DIR)
    exported = read_knowledge(tmp_path / "fixtures", tmp_path / "seeds")
    for kind in KINDS:
        by_id = sorted(curated.of(kind.name), key=lambda r: r["id"])
        assert sorted(exported.of(kind.name), key=lambda r: r["id"]) == by_id, kind.name
    assert exported.texts == curated.texts
    for path in SEEDS_DIR.glob("*.txt"):
        assert (tmp_path / "seeds" / path.name).read_bytes() == path.read_bytes()
    app = create_app({"KB_FIXTURES_DIR": str(tmp_path / "fixtures"), "KB_SEEDS_DIR": str(tmp_path / "seeds")})
    checked = app.test_cli_runner().invoke(check_command)
    assert checked.exit_code == 0 and checked.output.startswith(f"ok: {curated.fact_count} facts"), checked.output


ROUTES = route_catalogue()  # at import: building the catalogue's app re-binds the database proxy


def _every_url(client) -> list[str]:
    """Every list (whole, by pages of 100) and every record's URL, and each article's text."""
    urls = []
    for route in ROUTES:
        if (
            "GET" not in route["methods"]
            or route["secured"]
            or route["workbench"]  # the workbench's pages are a session's, not the knowledge's
            or route["url"].startswith(("/docs", "/openapi", "/favicon"))
        ):
            continue
        urls.append(route["url"])
        if route["is_list"] and "search" not in route["url"]:
            page, sep = 1, "&" if "?" in route["url"] else "?"
            while True:
                url = f"{route['url']}{sep}page_size=100&page={page}"
                response = client.get(url)
                urls.append(url)
                assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
                for record in response.get_json():
                    facts = route["url"].startswith("/api/v1/facts")  # (a source's `url` is where to read it)
                    urls.append(record["url"] if facts else _item_url(route["url"], record["id"]))
                if "next_page" not in json.loads(response.headers["X-Pagination"]):
                    break
                page += 1
    urls += [
        f"/api/v1/sources/{source}/text"
        for source in ("presstv-manila-talks-2017-08-07", "china-urges-n-korea-2017-08-12")
    ]
    return list(dict.fromkeys(urls))


def _item_url(list_url: str, record_id: str) -> str:
    base = list_url.split("?")[0]
    return base if base.endswith("/votes") else f"{base}/{record_id}"


def _answers(config: dict, urls: list[str] | None = None) -> tuple[list[str], dict[str, tuple]]:
    """Every answer of a fresh app on this configuration (the database proxy is the app's while it answers)."""
    client = create_app({**config, "TESTING": True}).test_client()
    urls = urls or _every_url(client)
    answers = {}
    for url in urls:
        response = client.get(url)
        headers = tuple(response.headers.get(name) for name in ("Content-Type", "X-Pagination", "Link"))
        answers[url] = (response.status_code, response.get_data(), headers)
    answers["/health counts"] = client.get("/health").get_json()["counts"]
    return urls, answers


def test_init_from_the_export_answers_byte_for_byte_the_same(app, runner, tmp_path, new_database_url):
    _export(runner, tmp_path)
    urls, original = _answers({"DATABASE_URL": app.config["DATABASE_URL"]})
    assert len(urls) > 200
    rebuilt = {
        "DATABASE_URL": new_database_url(),
        "KB_FIXTURES_DIR": str(tmp_path / "fixtures"),
        "KB_SEEDS_DIR": str(tmp_path / "seeds"),
    }
    with create_app(rebuilt).app_context():
        initialise_database()
    _, again = _answers(rebuilt, urls)
    for url in original:
        assert again[url] == original[url], url
