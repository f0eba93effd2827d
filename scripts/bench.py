#!/usr/bin/env python3
"""Requests per second of a list endpoint under load, with 2 and 4 gunicorn workers, on SQLite and PostgreSQL.

A load generator (wrk, Debian's package; installed with apt-get if missing) drives the real service (gunicorn,
fixtures loaded) on a loopback port; each configuration is measured RUNS times for DURATION seconds after a
warm-up, and the median is reported. Everything stays on 127.0.0.1 and every run is bounded in time.

    .venv/bin/python scripts/bench.py [--runs 3] [--duration 10] [--connections 16] [--engines sqlite,postgresql]
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/v1/statements?page_size=20"
POSTGRES = os.environ.get("KB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk")


def psql(statement: str) -> None:
    subprocess.run(["psql", "-q", "-d", f"{POSTGRES}/postgres", "-c", statement], check=True)


def measure(engine: str, workers: int, args, wrk: str, workdir: Path) -> list[float]:
    if engine == "sqlite":
        url = f"sqlite:///{workdir / f'bench-{workers}.sqlite3'}"
    else:
        psql("DROP DATABASE IF EXISTS sanctions_kb_bench WITH (FORCE)")
        psql("CREATE DATABASE sanctions_kb_bench")
        url = f"{POSTGRES.replace('postgresql://', 'postgresql+pool://')}/sanctions_kb_bench?max_connections=8"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_ACCESS_LOG": "",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    subprocess.run([str(Path(sys.executable).with_name("sanctions-kb")), "init"], env=env, check=True, cwd=ROOT)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:service.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "service.wsgi:app",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        subprocess.run([wrk, "-t2", f"-c{args.connections}", "-d2s", base + PATH], check=True, capture_output=True)
        results = []
        for _ in range(args.runs):
            out = subprocess.run(
                [wrk, "-t2", f"-c{args.connections}", f"-d{args.duration}s", base + PATH],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            if re.search(r"Non-2xx or 3xx responses", out):
                raise SystemExit(f"errors under load:\n{out}")
            results.append(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        if engine == "postgresql":
            psql("DROP DATABASE IF EXISTS sanctions_kb_bench WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    wrk = ensure_wrk()
    print(f"GET {PATH}, wrk -t2 -c{args.connections} -d{args.duration}s, {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'engine':<12}{'workers':>8}{'median req/s':>14}   runs")
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            for workers in (2, 4):
                runs = measure(engine, workers, args, wrk, Path(tmp))
                print(
                    f"{engine:<12}{workers:>8}{statistics.median(runs):>14.1f}   {', '.join(f'{r:.1f}' for r in runs)}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
