"""The benchmark script's own parts that decide what it measures: the read mix's URLs and the percentiles."""

import importlib.util
from pathlib import Path

import pytest

from service import create_app
from service.config import PROJECT_ROOT
from tests.helpers import ENGINE

sqlite_only = pytest.mark.skipif(ENGINE != "sqlite", reason="the benchmark reads a SQLite file")


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", PROJECT_ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@sqlite_only
def test_the_read_mix_is_distinct_urls_of_every_category_each_answering_200(bench, loaded_database):
    urls = bench.read_urls(Path(loaded_database.removeprefix("sqlite:///")), 300)
    paths = [url for _, url in urls]
    assert len(set(paths)) == len(paths)
    assert 250 <= len(paths) <= 300
    categories = {category for category, _ in urls}
    assert categories == {"item", "page", "list", "search"}
    assert any(path.startswith("/api/v1/statements?") and "cursor=" in path for path in paths)
    assert {path.split("?")[0].split("/")[3] for _, path in urls if path.startswith("/api/v1/")} >= {
        "statements",
        "entities",
        "sources",
        "topics",
        "search",
    }
    client = create_app({"DATABASE_URL": loaded_database, "TESTING": True}).test_client()
    refused = [(path, status) for path in paths if (status := client.get(path).status_code) != 200]
    assert refused == []


@sqlite_only
def test_the_read_mix_is_the_same_from_run_to_run(bench, loaded_database):
    database = Path(loaded_database.removeprefix("sqlite:///"))
    assert bench.read_urls(database, 300) == bench.read_urls(database, 300)


def test_percentiles_are_nearest_rank(bench):
    values = [float(n) for n in range(10, 0, -1)]
    assert bench.percentile(values, 90) == 9.0
    assert bench.percentile(values, 50) == 5.0
    assert bench.percentile(values, 100) == 10.0
    assert bench.percentile([4.0], 90) == 4.0
