#!/usr/bin/env python3
"""The load benchmark: sanctions-kb against Datasette on the same SQLite file and a constant-response ceiling.

Servers, each on its own loopback port, started fresh:
- `kb`: the service as `sanctions-kb serve` runs it (granian, WEB_CONCURRENCY workers, cache on);
- `kb-nocache`: the same with KB_CACHE_BYTES=0 (every answer read from the stored documents);
- `datasette`: Datasette (the `bench` extra) serving an immutable copy of the same SQLite file;
- `ceiling`: a Flask app that answers a constant body, under the same granian settings as `kb`.

wrk (Debian's package, installed if missing) drives each request for DURATION seconds after a warm-up, the
servers interleaved within each of ROUNDS rounds; the table gives medians of requests/s and of p50/p99 latency,
and the ratios to Datasette and to the ceiling measured in the same run. RSS is the server's whole process tree.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python scripts/bench.py                                   # shipped knowledge
    .venv/bin/python scripts/synth.py --facts 200000 --database /tmp/kb-200k.sqlite3
    .venv/bin/python scripts/bench.py --database /tmp/kb-200k.sqlite3   # the same on 200,000 facts

Writes, and reads under writes, instead (each on a copy of the database, which they change):

- `--writes N`: what one reviewed write costs a client of the production server, N times for a topic's description
  and a statement's summary: GET the record and its ETag, propose the update as a curator (POST /api/v1/changes
  with If-Match), approve it as an editor, GET it back (checked); median, p90, max and first of each step in ms.
- `--reads-under-writes SECONDS`: the read mix, about URLS distinct URLs from the database (items of every kind,
  their HTML pages, lists, filters, pages by cursor, searches), each asked once on a fresh server (the first
  requests' latency), then asked until every worker answers each from its cache (the warm-up: a run measures warm
  caches), then cycled through by wrk (a Lua script) for SECONDS with no writer and SECONDS with the
  Writer publishing a change a second: req/s, p50/p99, and the response cache's hit rate. The server is the
  production app (granian, the gateway, the service's settings) with two headers more, X-Cache and X-Worker, that
  this benchmark adds to count hits and tell the workers apart (COUNTED_APP); the service sends neither.

    .venv/bin/python scripts/bench.py --writes 20 --reads-under-writes 20
    .venv/bin/python scripts/bench.py --writes 20 --reads-under-writes 20 --database /tmp/kb-20k.sqlite3
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATEMENT = "ri-seoul-proposals-lacked-sincerity"
ARTICLE = "presstv-manila-talks-2017-08-07"
PAGES = (
    f"/sources/{ARTICLE}",
    "/sources/china-urges-n-korea-2017-08-12",
    f"/statements/{STATEMENT}",
    "/entities/ri-yong-ho",
)
CEILING_APP = textwrap.dedent(
    """
    from flask import Flask, Response

    app = Flask(__name__)
    BODY = b'{"id": "constant"}\\n'


    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def constant(path):
        return Response(BODY, mimetype="application/json")
    """
)
# The production app (service/asgi.py) with one header more, for the reads-under-writes scenario only: X-Cache says
# whether the response cache gave the answer (hit: from memory, a miss's wait for another request's render
# included), the app rendered an answer the cache may keep (miss), or neither (bypass: an error, an authenticated
# request, an answer never cached), and X-Worker which worker (its process id) answered. The service itself sends
# no such header.
COUNTED_APP = textwrap.dedent(
    """
    import os

    from service.asgi import app
    from service.web.cache import cache_key, from_memory

    served = app.wsgi_app


    def counted(environ, start_response):
        def start(status, headers, exc_info=None):
            state = "hit" if from_memory(environ) is not None else "miss" if cache_key(environ) else "bypass"
            return start_response(status, [*headers, ("X-Cache", state), ("X-Worker", str(os.getpid()))], exc_info)

        return served(environ, start)


    app.wsgi_app = counted
    """
)
# wrk's script for a many-URL load: each thread cycles through the URLs from its own place in the list, counts the
# answers by X-Cache and by status, and the whole run is printed as one JSON line.
READ_MIX_LUA = textwrap.dedent(
    """
    local paths = {%s}
    local threads = {}

    function setup(thread)
       thread:set("first", #threads * 7919)
       table.insert(threads, thread)
    end

    function init(args)
       at = first
       hits, misses, bypassed, failed = 0, 0, 0, 0
    end

    function request()
       at = at %% #paths + 1
       return wrk.format("GET", paths[at])
    end

    function response(status, headers, body)
       if status ~= 200 then failed = failed + 1 end
       local state = headers["x-cache"] or headers["X-Cache"]
       if state == "hit" then hits = hits + 1
       elseif state == "miss" then misses = misses + 1
       else bypassed = bypassed + 1 end
    end

    function done(summary, latency, requests)
       local h, m, b, f = 0, 0, 0, 0
       for _, thread in ipairs(threads) do
          h = h + thread:get("hits")
          m = m + thread:get("misses")
          b = b + thread:get("bypassed")
          f = f + thread:get("failed")
       end
       local e = summary.errors
       io.write(string.format(
          'READ_MIX {"requests": %%d, "seconds": %%f, "p50_us": %%f, "p99_us": %%f, "hits": %%d, "misses": %%d, ' ..
          '"bypassed": %%d, "failed": %%d, "errors": %%d, "timeouts": %%d}\\n',
          summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), h, m, b, f,
          e.connect + e.read + e.write, e.timeout))
    end
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk")


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,rss="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for line in out.split("\n"):
        if line.strip():
            p, parent, kb = map(int, line.split())
            children.setdefault(parent, []).append(p)
            rss[p] = kb
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total / 1024


class Server:
    def __init__(self, name: str, command: list[str], env: dict, health: str, timeout: float = 60):
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [part.replace("{port}", str(self.port)) for part in command],
            env={**env, "GRANIAN_PORT": str(self.port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.base + health, self.process, timeout)
        self.peak_rss = rss_mb(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def statement_pages(database: Path) -> int:
    """How many pages of 20 statements the knowledge has."""
    with sqlite3.connect(database) as connection:
        return -(-connection.execute('SELECT count(*) FROM "statement"').fetchone()[0] // 20)


def page_by_cursor(database: Path, page: int) -> str:
    """The URL of page `page` of 20 statements, with the cursor its previous page links to."""
    sys.path.insert(0, str(ROOT))
    from service.web.pagination import make_cursor

    with sqlite3.connect(database) as connection:
        (after,) = connection.execute(
            'SELECT "sort_key" FROM "statement" ORDER BY "sort_key" LIMIT 1 OFFSET ?', ((page - 1) * 20 - 1,)
        ).fetchone()
    return f"/api/v1/statements?page_size=20&page={page}&cursor={make_cursor(page, after)}"


def deep_page(database: Path, depth: int = 10_000) -> tuple[int, str]:
    """The deepest page up to `depth` of 20 statements, and its URL with the cursor its previous page links to."""
    page = max(2, min(depth, statement_pages(database)))
    return page, page_by_cursor(database, page)


def one_at_a_time(url: str, count: int) -> list[float]:
    """Milliseconds each of `count` sequential GETs of `url` took to answer in full."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
        times.append((time.perf_counter() - start) * 1000)
    return times


def wrk(binary: str, url: str, args, headers: tuple[str, ...] = ()) -> dict:
    command = [binary, "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise SystemExit(f"errors under load on {url}:\n{out}")

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
    }


class Writer(threading.Thread):
    """Publishes a change every `interval` seconds through the curation API, as a curator and an editor would:
    GET the record's ETag, propose an update with If-Match, approve it."""

    RECORD = "/api/v1/figures/tillerson-manila-diplomacy-days"
    TIMEOUT = 600  # seconds for each request: on 200,000 facts a proposal takes about a minute

    def __init__(self, base: str, curator: str, editor: str, interval: float):
        super().__init__(daemon=True)
        self.base, self.curator, self.editor, self.interval = base, curator, editor, interval
        self.stop = threading.Event()
        self.seconds: list[float] = []
        self.failures = 0

    def _post(self, path: str, token: str, body: dict | None = None, etag: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if etag:
            headers["If-Match"] = etag
        data = json.dumps(body or {}).encode()
        with urllib.request.urlopen(
            urllib.request.Request(self.base + path, data=data, headers=headers), timeout=self.TIMEOUT
        ) as r:
            return json.load(r)

    def run(self) -> None:
        number = 0
        while not self.stop.wait(self.interval):
            number += 1
            started = time.monotonic()
            try:
                etag = urllib.request.urlopen(self.base + self.RECORD, timeout=self.TIMEOUT).headers["ETag"]
                change = self._post(
                    "/api/v1/changes",
                    self.curator,
                    {
                        "kind": "figure",
                        "action": "update",
                        "id": self.RECORD.rsplit("/", 1)[1],
                        "record": {"description": f"Benchmark write {number}: not knowledge."},
                        "summary": f"benchmark write {number}",
                    },
                    etag,
                )
                self._post(f"/api/v1/changes/{change['id']}/approve", self.editor)
                self.seconds.append(time.monotonic() - started)
            except (OSError, ValueError):
                self.failures += 1


def percentile(values: list[float], percent: float) -> float:
    """The nearest-rank percentile: the smallest value at least `percent` % of the values are at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * percent / 100) - 1)]


def knowledge_copy(database: Path | None, tmp: Path, bin_dir: Path) -> Path:
    """A SQLite file in `tmp` holding the knowledge of `database` (default: the shipped knowledge, loaded), for a
    run that writes: the database given is never written."""
    copy = tmp / "kb-written.sqlite3"
    if database is None:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{copy}"}
        subprocess.run([str(bin_dir / "sanctions-kb"), "init"], env=env, check=True, capture_output=True)
    else:
        source, target = sqlite3.connect(database), sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    return copy


def mint_token(bin_dir: Path, env: dict, role: str) -> str:
    """A new bearer token of `role`, made as an admin makes one (`sanctions-kb token create`)."""
    name = f"bench-{role}-{os.getpid()}-{time.monotonic_ns()}"
    command = [str(bin_dir / "sanctions-kb"), "token", "create", "--name", name, "--role", role]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout.strip()


class Client:
    """One kept-alive HTTP connection to a server, timing each request as its client sees it (in ms)."""

    def __init__(self, base: str):
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=600)

    def request(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, dict, bytes, float]:
        """The status, headers (lowercased names), body and milliseconds of one request."""
        data = json.dumps(body).encode() if body is not None else None
        sent = {**(headers or {}), **({"Content-Type": "application/json"} if data is not None else {})}
        started = time.perf_counter()
        self.connection.request(method, path, body=data, headers=sent)
        response = self.connection.getresponse()
        content = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content, elapsed

    def close(self) -> None:
        self.connection.close()


WRITE_STEPS = ("read", "propose", "approve", "read back")


def write_costs(
    base: str, curator: str, editor: str, targets: dict[str, tuple[str, str, str]], repetitions: int
) -> dict:
    """What one reviewed write costs a client, `repetitions` times for each target (name -> (kind, URL, what):
    `what` a field whose text is replaced, or one of CHANGES): GET the record and its ETag, propose the update as a
    curator (If-Match), approve it as an editor, GET it back (checked). Milliseconds by target and step."""
    client = Client(base)
    times: dict[str, dict[str, list[float]]] = {name: {step: [] for step in WRITE_STEPS} for name in targets}
    try:
        for number in range(1, repetitions + 1):
            for name, (kind, path, what) in targets.items():
                text = f"Benchmark write {number} of {repetitions}: not knowledge."
                status, headers, current, read = client.request("GET", path)
                if status != 200:
                    raise SystemExit(f"GET {path}: {status}")
                patch, shows = CHANGES[what](json.loads(current), number) if what in CHANGES else ({what: text}, None)
                status, _, body, proposed = client.request(
                    "POST",
                    "/api/v1/changes",
                    {
                        "kind": kind,
                        "action": "update",
                        "id": path.rsplit("/", 1)[1],
                        "record": patch,
                        "summary": f"benchmark write {number}",
                    },
                    {"Authorization": f"Bearer {curator}", "If-Match": headers["etag"]},
                )
                if status != 201:
                    raise SystemExit(f"proposing a change to {path}: {status} {body[:500]!r}")
                change = json.loads(body)["id"]
                status, _, body, approved = client.request(
                    "POST", f"/api/v1/changes/{change}/approve", None, {"Authorization": f"Bearer {editor}"}
                )
                if status != 200 or json.loads(body)["status"] != "published":
                    raise SystemExit(f"approving change {change}: {status} {body[:500]!r}")
                status, after, body, read_back = client.request("GET", path)
                answer = json.loads(body) if status == 200 else {}
                published = shows(answer) if shows is not None else answer.get(what) == text
                if status != 200 or not published or after["etag"] == headers["etag"]:
                    raise SystemExit(f"GET {path} after change {change}: {status}, not the text published")
                for step, ms in zip(WRITE_STEPS, (read, proposed, approved, read_back), strict=True):
                    times[name][step].append(ms)
            print(f"write {number}/{repetitions} done", file=sys.stderr, flush=True)
    finally:
        client.close()
    return times


def read_urls(database: Path, count: int, seed: int = 2017) -> list[tuple[str, str]]:
    """About `count` distinct (category, URL) pairs read from the database, in a fixed random order: items of every
    kind with a URL, their HTML pages, lists (first pages, filters, a page reached by its cursor) and searches."""
    sys.path.insert(0, str(ROOT))
    from service.knowledge.kinds import KINDS

    chosen = random.Random(seed)
    served = [kind for kind in KINDS if kind.url]
    with sqlite3.connect(database) as connection:

        def column(sql: str) -> list[str]:
            return [row[0] for row in connection.execute(sql)]

        ids = {kind.name: column(f'SELECT "id" FROM "{kind.model._meta.table_name}" ORDER BY "id"') for kind in served}
        speakers = column('SELECT DISTINCT "speaker_id" FROM "statement" WHERE "speaker_id" IS NOT NULL ORDER BY 1')
        sources = ids["source"]
        names = column('SELECT "name" FROM "entity" ORDER BY "id"')

    def spread(share: float, url: Callable[[Any, str], str]) -> list[str]:
        """`share` of `count` records' URLs, taken from each kind in turn while it has records left."""
        pools = {kind.name: chosen.sample(ids[kind.name], len(ids[kind.name])) for kind in served}
        picked: list[str] = []
        while len(picked) < count * share and any(pools.values()):
            for kind in served:
                if pools[kind.name] and len(picked) < count * share:
                    picked.append(url(kind, pools[kind.name].pop()))
        return picked

    items = spread(0.35, lambda kind, record: kind.url_of(record))
    pages = spread(0.2, lambda kind, record: kind.page_of(record))
    lists = [f"/api/v1/{kind.plural}?page_size={size}" for kind in served for size in (20, 50)]
    lists += [f"/api/v1/statements?topic={topic}" for topic in ids["topic"]]
    lists += [f"/api/v1/statements?stance={stance}" for stance in ("supports", "opposes", "conditional", "neutral")]
    lists += [f"/api/v1/statements?speaker={s}" for s in chosen.sample(speakers, min(20, len(speakers)))]
    lists += [f"/api/v1/statements?source={s}" for s in chosen.sample(sources, min(20, len(sources)))]
    lists += [f"/api/v1/statements?from=2017-{m:02d}-01&to=2017-{m:02d}-28" for m in range(1, 13)]
    lists += [f"/api/v1/entities?kind={kind}" for kind in ("person", "country", "organization", "place")]
    words = sorted({word.lower() for name in names for word in re.findall(r"[A-Za-z]{4,}", name)})
    words = chosen.sample(words, min(len(words), int(count * 0.1))) + ["sincerity", "sanctions", "talks", "coal"]
    searches = [f"/api/v1/search?q={word}" for word in words] + [f"/api/v1/statements?q={word}" for word in words]
    chosen.shuffle(lists)
    chosen.shuffle(searches)
    # Pages reached by their cursors always come in (the list share is cut from the front).
    lists[:0] = [page_by_cursor(database, page) for page in (2, 10, 100, 1000) if page <= statement_pages(database)]
    mix = [("item", u) for u in items] + [("page", u) for u in pages]
    mix += [("list", u) for u in lists[: int(count * 0.25)]] + [("search", u) for u in searches[: int(count * 0.2)]]
    chosen.shuffle(mix)
    return mix


def first_requests(base: str, urls: list[tuple[str, str]]) -> dict[str, list[tuple[float, int, str]]]:
    """Each URL asked once, one request at a time, by category: the milliseconds it took, its body's bytes and the
    URL (every answer must be a 200)."""
    client = Client(base)
    found: dict[str, list[tuple[float, int, str]]] = {}
    try:
        for category, url in urls:
            status, _, body, ms = client.request("GET", url)
            if status != 200:
                raise SystemExit(f"GET {url}: {status} (the read mix holds only URLs that answer 200)")
            found.setdefault(category, []).append((ms, len(body), url))
    finally:
        client.close()
    return found


def warm_up(base: str, urls: list[tuple[str, str]], workers: int, passes: int = 20) -> tuple[int, int]:
    """Ask every URL until each worker has answered it from its cache, so that a run measures warm caches: in each
    pass, 2 connections per worker (new ones, which the server spreads over its workers) each ask every URL some
    worker has not yet answered from memory. The passes made and the URLs still cold after `passes` (an answer
    its worker does not keep: larger than its cache)."""
    warm: dict[str, set[str]] = {url: set() for _, url in urls}
    lock = threading.Lock()
    for made in range(1, passes + 1):
        cold = [url for url, answered in warm.items() if len(answered) < workers]
        if not cold:
            return made - 1, 0

        def ask(first: int, cold: list[str] = cold) -> None:
            client = Client(base)
            try:
                for url in cold[first:] + cold[:first]:
                    status, headers, _, _ = client.request("GET", url)
                    if status == 200 and headers.get("x-cache") == "hit":
                        with lock:
                            warm[url].add(headers["x-worker"])
            finally:
                client.close()

        askers = [threading.Thread(target=ask, args=(n * len(cold) // (2 * workers),)) for n in range(2 * workers)]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join()
    return passes, sum(1 for answered in warm.values() if len(answered) < workers)


READ_TIMEOUT = 30  # seconds wrk waits for an answer before counting a timeout (its default, 2, hides slow answers)


def read_mix(binary: str, base: str, script: Path, seconds: int, connections: int) -> dict:
    """wrk's figures for `seconds` of the read mix of `script`: requests/s, p50/p99 ms, answers by X-Cache."""
    command = [
        binary,
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        f"{READ_TIMEOUT}s",
        "-s",
        str(script),
        base,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = re.search(r"^READ_MIX (.*)$", out, re.M)
    if line is None:
        raise SystemExit(f"wrk gave no figures for the read mix:\n{out}")
    found = json.loads(line.group(1))
    if found["failed"] or found["errors"]:
        raise SystemExit(f"errors under the read mix:\n{out}")
    return {
        "rps": found["requests"] / found["seconds"],
        "p50": found["p50_us"] / 1000,
        "p99": found["p99_us"] / 1000,
        **{key: found[key] for key in ("requests", "hits", "misses", "bypassed", "timeouts")},
    }


def _recite(record: dict, number: int) -> tuple[dict, object]:
    """A statement's citation reworded (its `wording`, the curator's note on the passage)."""
    wording = f"Benchmark wording {number}: not knowledge."
    citations = [{**record["citations"][0], "wording": wording}, *record["citations"][1:]]
    return {"citations": citations}, lambda answer: answer["citations"][0]["wording"] == wording


def _rename(record: dict, number: int) -> tuple[dict, object]:
    """An entity renamed: every statement it speaks shows the name in its search entry, so the publication
    reaches all of them (on the synthetic databases, about a sixteenth of the statements)."""
    name = f"{record['name'].split(' (')[0]} ({number})"
    return {"name": name}, lambda answer: answer["name"] == name


CHANGES = {"a citation": _recite, "a rename": _rename}
# What --writes changes, each as (name, kind, id, field or change): a topic's text, a statement's summary and one of
# its citations, and the rename of an entity that speaks many statements (its cost grows with what it reaches).
WRITTEN = (
    ("topic text", "topic", "dialogue", "description"),
    ("statement summary", "statement", STATEMENT, "summary"),
    ("statement citation", "statement", STATEMENT, "a citation"),
    ("entity rename", "entity", "rex-tillerson", "a rename"),
)


def kb_environment(database: Path, workers: int) -> dict[str, str]:
    """The environment a `kb` server of these scenarios runs with (its settings otherwise the service's defaults)."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database.resolve()}",
        "WEB_CONCURRENCY": str(workers),
        "GRANIAN_HOST": "127.0.0.1",
        "GRANIAN_LOG_ACCESS_ENABLED": "false",
        "GRANIAN_LOG_LEVEL": "warning",
    }


def facts_in(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT facts FROM dataset").fetchone()[0]


def require_facts(server: Server, facts: int) -> None:
    """Exit unless the server serves `facts` facts (the knowledge measured is the one asked for)."""
    with urllib.request.urlopen(server.base + "/health", timeout=60) as response:
        served = json.load(response)["facts"]
    if served != facts:
        raise SystemExit(f"the server holds {served} facts, not the {facts} of the database given")


def write_scenario(args, database: Path, bin_dir: Path) -> dict:
    """`--writes N`: the write costs, against the production server on `database` (a copy).

    The server is the one `sanctions-kb serve` runs (python -m service.server), without the init `serve` does
    first: that init would load the shipped fixtures over a synthetic database (scripts/synth.py)."""
    env = kb_environment(database, args.workers)
    facts = facts_in(database)
    curator, editor = mint_token(bin_dir, env, "curator"), mint_token(bin_dir, env, "editor")
    server = Server("kb", [sys.executable, "-m", "service.server"], env, "/health", timeout=args.start_timeout)
    sys.path.insert(0, str(ROOT))
    from service.knowledge.kinds import BY_NAME

    targets = {name: (kind, BY_NAME[kind].url_of(record_id), what) for name, kind, record_id, what in WRITTEN}
    try:
        require_facts(server, facts)
        times = write_costs(server.base, curator, editor, targets, args.writes)
        require_facts(server, facts)
        return times
    finally:
        server.stop()


def reads_under_writes_scenario(args, database: Path, bin_dir: Path, binary: str, tmp: Path) -> dict:
    """`--reads-under-writes SECONDS`: the read mix's first requests on a fresh server, then its load without and
    with a writer, against the production app (with X-Cache) on `database` (a copy)."""
    sys.path.insert(0, str(ROOT))
    from service.server import server_environment

    urls = [(category, url) for category, url in read_urls(database, args.urls) if category not in args.without]
    script = tmp / "read_mix.lua"
    script.write_text(READ_MIX_LUA % ", ".join(json.dumps(url) for _, url in urls), encoding="utf-8")
    (tmp / "kb_counted.py").write_text(COUNTED_APP, encoding="utf-8")
    env = server_environment({**kb_environment(database, args.workers), "PYTHONPATH": f"{tmp}{os.pathsep}{ROOT}"})
    curator, editor = mint_token(bin_dir, env, "curator"), mint_token(bin_dir, env, "editor")
    server = Server("kb", [str(bin_dir / "granian"), "kb_counted:app"], env, "/health", timeout=args.start_timeout)
    found: dict = {"urls": urls}
    try:
        require_facts(server, facts_in(database))
        found["first"] = first_requests(server.base, urls)
        found["warm-up"] = warm_up(server.base, urls, args.workers)  # every URL in every worker's cache, if it fits
        found["no writer"] = read_mix(binary, server.base, script, args.reads_under_writes, args.connections)
        writer = Writer(server.base, curator, editor, 1.0)
        writer.start()
        try:
            found["writer"] = read_mix(binary, server.base, script, args.reads_under_writes, args.connections)
            published = len(writer.seconds)
        finally:
            writer.stop.set()
            writer.join(timeout=600)
        found["writer"].update(published=published, failed=writer.failures, seconds=writer.seconds)
        found["rss"] = rss_mb(server.process.pid)
    finally:
        server.stop()
    return found


def report_writes(times: dict, repetitions: int) -> None:
    print(f"\nreviewed writes, {repetitions} of each, one at a time on one kept-alive connection (ms)\n")
    print("| record | step | median | p90 | max | first |")
    print("|---|---|---|---|---|---|")
    for name, steps in times.items():
        for step, values in steps.items():
            print(
                f"| {name} | {step} | {statistics.median(values):.1f} | {percentile(values, 90):.1f} | "
                f"{max(values):.1f} | {values[0]:.1f} |"
            )


def report_reads_under_writes(found: dict, args) -> None:
    counts: dict[str, int] = {}
    for category, _ in found["urls"]:
        counts[category] = counts.get(category, 0) + 1
    plural = {"item": "items", "page": "pages", "list": "lists", "search": "searches"}
    shown = ", ".join(f"{n} {plural[category]}" for category, n in sorted(counts.items()))
    print(
        f"\nfirst requests: each of {len(found['urls'])} URLs ({shown}) asked once, one at a time, fresh server (ms)\n"
    )
    print("| URLs | median | p90 | max | body KB, median | MB in all |\n|---|---|---|---|---|---|")
    every = [answer for answers in found["first"].values() for answer in answers]
    for category, answers in [*sorted(found["first"].items()), ("all", every)]:
        ms, size = [a[0] for a in answers], [a[1] for a in answers]
        print(
            f"| {category} | {statistics.median(ms):.1f} | {percentile(ms, 90):.1f} | {max(ms):.1f} | "
            f"{statistics.median(size) / 1024:.1f} | {sum(size) / 2**20:.1f} |"
        )
    slowest = sorted(every, reverse=True)[:3]
    print("\nslowest: " + ", ".join(f"{url} ({ms:.0f} ms, {size / 1024:.0f} KB)" for ms, size, url in slowest))
    print(
        f"\nthe read mix: wrk -t2 -c{args.connections} -d{args.reads_under_writes}s cycling through the "
        f"{len(found['urls'])} URLs, after a warm-up of {found['warm-up'][0]} passes that left "
        f"{found['warm-up'][1]} URLs cold in a worker (every other answered from every worker's cache); X-Cache counts\n"
    )
    print(
        f"| load | req/s | p50 ms | p99 ms | cache hits | misses | neither | over {READ_TIMEOUT} s |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    for load in ("no writer", "writer"):
        r = found[load]
        print(
            f"| {load} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['hits'] / r['requests']:.1%} | "
            f"{r['misses']:,} | {r['bypassed']:,} | {r['timeouts']:,} |"
        )
    w = found["writer"]
    times = w["seconds"] or [0.0]
    print(
        f"\nwriter: {w['published']} changes published in the {args.reads_under_writes} s (one a second asked), "
        f"each in a median {statistics.median(times):.2f} s (max {max(times):.2f} s); {w['failed']} failed; "
        f"kb RSS after: {found['rss']:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", type=Path, help="a loaded SQLite file (default: the shipped knowledge)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--soak", type=int, default=0, help="then load kb for this many seconds and report RSS")
    parser.add_argument(
        "--writes-per-second",
        type=float,
        default=0,
        help="meanwhile, publish this many changes a second through the curation API (proposed and approved)",
    )
    scenarios = parser.add_argument_group(
        "writes, and reads under writes (instead of the read benchmark; on a copy of the database)"
    )
    scenarios.add_argument(
        "--writes",
        type=int,
        default=0,
        metavar="N",
        help="time N reviewed writes of a topic and of a statement (read, propose, approve, read back)",
    )
    scenarios.add_argument(
        "--reads-under-writes",
        type=int,
        default=0,
        metavar="SECONDS",
        help="the read mix's first requests, then its load for SECONDS without and with a writer",
    )
    scenarios.add_argument("--urls", type=int, default=300, help="distinct URLs in the read mix (about)")
    scenarios.add_argument(
        "--without",
        action="append",
        default=[],
        choices=("item", "list", "page", "search"),
        help="leave this category of URLs out of the read mix (repeatable)",
    )
    scenarios.add_argument(
        "--start-timeout", type=float, default=600, help="seconds a server may take to answer /health"
    )
    args = parser.parse_args()
    binary = ensure_wrk()
    bin_dir = Path(sys.executable).parent
    if args.writes or args.reads_under_writes:
        with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
            database = knowledge_copy(args.database, Path(tmp), bin_dir)
            print(
                f"{facts_in(database)} facts; {args.workers} workers; {os.cpu_count()} cores shared with the clients",
                flush=True,
            )
            if args.writes:
                report_writes(write_scenario(args, database, bin_dir), args.writes)
            if args.reads_under_writes:
                report_reads_under_writes(reads_under_writes_scenario(args, database, bin_dir, binary, Path(tmp)), args)
        return
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        tmp = Path(tmp)
        database = args.database
        if database is None:
            database = tmp / "kb.sqlite3"
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
            subprocess.run([str(bin_dir / "sanctions-kb"), "init"], env=env, check=True, capture_output=True)
        copy = tmp / "datasette.db"
        with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        (tmp / "ceiling_app.py").write_text(CEILING_APP, encoding="utf-8")
        base_env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database.resolve()}",
            "WEB_CONCURRENCY": str(args.workers),
            "GRANIAN_HOST": "127.0.0.1",
            "GRANIAN_LOG_ACCESS_ENABLED": "false",
            "GRANIAN_LOG_LEVEL": "warning",
        }
        server = [sys.executable, "-m", "service.server"]
        granian = [str(bin_dir / "granian"), "--interface", "wsgi", "--workers", str(args.workers)]
        granian += ["--blocking-threads", "2", "--host", "127.0.0.1", "--port", "{port}", "--no-access-log"]
        servers = {
            "kb": Server("kb", server, base_env, "/health"),
            "kb-nocache": Server("kb-nocache", server, {**base_env, "KB_CACHE_BYTES": "0"}, "/health"),
            "datasette": Server(
                "datasette",
                [str(bin_dir / "datasette"), "serve", "-i", str(copy), "-h", "127.0.0.1", "-p", "{port}"],
                base_env,
                "/-/versions.json",
            ),
            "ceiling": Server("ceiling", [*granian, "ceiling_app:app"], {**base_env, "PYTHONPATH": str(tmp)}, "/"),
        }
        item = f"/api/v1/statements/{STATEMENT}"
        deep = deep_page(database)
        etag = urllib.request.urlopen(servers["kb"].base + item).headers["ETag"]
        requests = {
            "one statement by id": {
                "kb": (item,),
                "kb-nocache": (item,),
                "datasette": (f"/datasette/statement/{STATEMENT}.json",),
                "ceiling": ("/one",),
            },
            "20 statements": {
                "kb": ("/api/v1/statements?page_size=20",),
                "kb-nocache": ("/api/v1/statements?page_size=20",),
                "datasette": ("/datasette/statement.json?_size=20",),
                "ceiling": ("/twenty",),
            },
            f"20 statements, page {deep[0]:,} by cursor": {"kb": (deep[1],), "kb-nocache": (deep[1],)},
            "304 for one statement": {"kb": (item, f"If-None-Match: {etag}")},
            "search 'sincerity'": {
                "kb": ("/api/v1/search?q=sincerity",),
                "kb-nocache": ("/api/v1/search?q=sincerity",),
            },
            "statements ?q=sincerity": {
                "kb": ("/api/v1/statements?q=sincerity",),
                "kb-nocache": ("/api/v1/statements?q=sincerity",),
            },
            # The HTML pages, against Datasette's HTML page of the same row (the article's holds its text).
            "article page (HTML)": {
                "kb": (f"/sources/{ARTICLE}",),
                "kb-nocache": (f"/sources/{ARTICLE}",),
                "datasette": (f"/datasette/source/{ARTICLE}",),
            },
            "statement page (HTML)": {
                "kb": (f"/statements/{STATEMENT}",),
                "kb-nocache": (f"/statements/{STATEMENT}",),
                "datasette": (f"/datasette/statement/{STATEMENT}",),
            },
        }
        facts = sqlite3.connect(database).execute("SELECT facts FROM dataset").fetchone()[0]
        writer = None
        if args.writes_per_second:
            tokens = [
                subprocess.run(
                    [str(bin_dir / "sanctions-kb"), "token", "create", "--name", f"bench-{role}", "--role", role],
                    env=base_env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
                for role in ("curator", "editor")
            ]
            writer = Writer(servers["kb"].base, *tokens, 1 / args.writes_per_second)
            writer.start()
        results: dict[tuple[str, str], list[dict]] = {}
        try:
            for targets in requests.values():  # warm every server and cache once
                for target, (path, *_) in targets.items():
                    subprocess.run([binary, "-t1", "-c4", "-d1s", servers[target].base + path], capture_output=True)
            for round_number in range(args.rounds):
                for name, targets in requests.items():
                    for target, (path, *headers) in targets.items():
                        result = wrk(binary, servers[target].base + path, args, tuple(headers))
                        results.setdefault((name, target), []).append(result)
                        servers[target].peak_rss = max(servers[target].peak_rss, rss_mb(servers[target].process.pid))
                print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr, flush=True)
            # Time to render a page, one request at a time, with no cache: what a reader waits for on a miss.
            page_times = {path: one_at_a_time(servers["kb-nocache"].base + path, 40) for path in PAGES}
            soak = None
            if args.soak:
                start_rss = rss_mb(servers["kb"].process.pid)
                soak_args = argparse.Namespace(**{**vars(args), "duration": args.soak})
                wrk(binary, servers["kb"].base + "/api/v1/statements?page_size=20", soak_args)
                soak = (start_rss, rss_mb(servers["kb"].process.pid))
        finally:
            if writer is not None:
                writer.stop.set()
                writer.join(timeout=60)
            for s in servers.values():
                s.stop()

    def median(name: str, target: str, key: str) -> float | None:
        runs = results.get((name, target))
        return statistics.median(r[key] for r in runs) if runs else None

    print(
        f"\n{facts} facts; wrk -t2 -c{args.connections} -d{args.duration}s, {args.rounds} interleaved rounds, "
        f"medians; {args.workers} workers; {os.cpu_count()} cores shared with wrk\n"
    )
    print("| request | server | req/s | p50 ms | p99 ms | x Datasette | of ceiling |")
    print("|---|---|---|---|---|---|---|")
    for name, targets in requests.items():
        for target in targets:
            rps = median(name, target, "rps")
            base = median(name, "datasette", "rps")
            ceiling = median(name, "ceiling", "rps")
            versus = f"{rps / base:.1f}x" if base and target.startswith("kb") else ""
            share = f"{rps / ceiling:.0%}" if ceiling and target.startswith("kb") else ""
            print(
                f"| {name} | {target} | {rps:,.0f} | {median(name, target, 'p50'):.2f} | "
                f"{median(name, target, 'p99'):.2f} | {versus} | {share} |"
            )
    print("\n| page, rendered on every request (kb-nocache), one request at a time | median ms | max ms |")
    print("|---|---|---|")
    for path, times in page_times.items():
        print(f"| {path} | {statistics.median(times):.1f} | {max(times):.1f} |")
    print("\n| server | peak RSS, whole process tree |\n|---|---|")
    for s in servers.values():
        print(f"| {s.name} | {s.peak_rss:.0f} MB |")
    if soak:
        print(f"\nsoak: kb RSS {soak[0]:.0f} MB before, {soak[1]:.0f} MB after {args.soak} s of load")
    if writer is not None:
        times = writer.seconds or [0.0]
        print(
            f"\nwriter: {len(writer.seconds)} changes published during the runs (one every "
            f"{1 / args.writes_per_second:g} s asked), each proposed and approved in a median "
            f"{statistics.median(times):.2f} s (max {max(times):.2f} s); {writer.failures} failed"
        )


if __name__ == "__main__":
    main()
