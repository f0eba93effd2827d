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
"""

from __future__ import annotations

import argparse
import json
import os
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
from pathlib import Path

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
    def __init__(self, name: str, command: list[str], env: dict, health: str):
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [part.replace("{port}", str(self.port)) for part in command],
            env={**env, "GRANIAN_PORT": str(self.port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.base + health, self.process)
        self.peak_rss = rss_mb(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def deep_page(database: Path, depth: int = 10_000) -> tuple[int, str]:
    """The deepest page up to `depth` of 20 statements, and its URL with the cursor its previous page links to."""
    sys.path.insert(0, str(ROOT))
    from service.web.pagination import make_cursor

    with sqlite3.connect(database) as connection:
        total = connection.execute('SELECT count(*) FROM "statement"').fetchone()[0]
        page = max(2, min(depth, -(-total // 20)))
        (after,) = connection.execute(
            'SELECT "sort_key" FROM "statement" ORDER BY "sort_key" LIMIT 1 OFFSET ?', ((page - 1) * 20 - 1,)
        ).fetchone()
    return page, f"/api/v1/statements?page_size=20&page={page}&cursor={make_cursor(page, after)}"


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
            urllib.request.Request(self.base + path, data=data, headers=headers), timeout=60
        ) as r:
            return json.load(r)

    def run(self) -> None:
        number = 0
        while not self.stop.wait(self.interval):
            number += 1
            started = time.monotonic()
            try:
                etag = urllib.request.urlopen(self.base + self.RECORD, timeout=10).headers["ETag"]
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
    args = parser.parse_args()
    binary = ensure_wrk()
    bin_dir = Path(sys.executable).parent
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
