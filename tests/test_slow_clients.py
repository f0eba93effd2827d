"""Slow and idle clients cannot stall the service (the production server, as `serve` runs it): 64 connections
trickling their request heads, one line a second, or clients that stop reading the exports they asked for, while
ordinary requests must still be answered promptly."""

import socket
import threading
import time
import urllib.request

import pytest

from tests.gate_support import LiveServer

pytestmark = pytest.mark.gate

TRICKLERS = 64
PROMPT = 1.0  # seconds an ordinary request may take while the tricklers hold their connections


def trickle(port: int, stop: threading.Event, opened: list) -> None:
    """Open a connection and send a request head one short line a second, never finishing it."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(b"GET /api/v1/entities HTTP/1.1\r\nHost: localhost\r\n")
            opened.append(1)
            line = 0
            while not stop.wait(1.0):
                connection.sendall(f"X-Slow-{line}: {'x' * 10}\r\n".encode())
                line += 1
    except OSError:
        pass  # the server may drop a client that is too slow: that is its right


def ordinary_request_timings(server: LiveServer, plural: str) -> list[float]:
    """Seconds each of 20 ordinary reads of a list took (cached and fresh answers alike)."""
    timings = []
    for number in range(20):
        started = time.monotonic()
        with urllib.request.urlopen(f"{server.url}/api/v1/{plural}?page_size={number % 5 + 1}", timeout=5) as response:
            assert response.status == 200
            response.read()
        timings.append(time.monotonic() - started)
    return timings


def test_64_trickling_connections_do_not_delay_ordinary_requests(tmp_path):
    server = LiveServer(tmp_path)
    server.start()
    stop = threading.Event()
    opened: list = []
    threads = [
        threading.Thread(target=trickle, args=(server.port, stop, opened), daemon=True) for _ in range(TRICKLERS)
    ]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(opened) < TRICKLERS and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(opened) == TRICKLERS, f"only {len(opened)} slow connections could be opened"
        time.sleep(2.0)  # they have been trickling for a while: each has sent a few header lines
        timings = ordinary_request_timings(server, "entities")
        assert max(timings) < PROMPT, f"ordinary requests took up to {max(timings):.2f} s: {timings}"
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        server.stop()


def _synthetic_fixtures(directory, statements: int):
    """fixtures/ plus `statements` made-up statements (scripts/synth.py), so that an export outgrows socket buffers."""
    import importlib.util
    import json
    import shutil

    from tests.helpers import FIXTURES_DIR, PROJECT_ROOT

    spec = importlib.util.spec_from_file_location("synth", PROJECT_ROOT / "scripts" / "synth.py")
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    fixtures = directory / "fixtures"
    shutil.copytree(FIXTURES_DIR, fixtures)
    curated = json.loads((fixtures / "statements.json").read_text(encoding="utf-8"))
    made = synth.synthetic_statements(fixtures, 178 + statements)
    (fixtures / "statements.json").write_text(json.dumps(curated + made, ensure_ascii=False), encoding="utf-8")
    return fixtures


def _hold_export(port: int, opened: list, stop: threading.Event) -> None:
    """Ask for a large export and read only its status line, then nothing, as a client on a stalled link."""
    try:
        with socket.socket() as connection:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            connection.settimeout(10)
            connection.connect(("127.0.0.1", port))
            connection.sendall(b"GET /api/v1/exports/records.ndjson HTTP/1.1\r\nHost: localhost\r\n\r\n")
            opened.append(connection.recv(12).decode())  # "HTTP/1.1 200" or "HTTP/1.1 503"
            stop.wait(30)
    except OSError as error:
        opened.append(f"error {error}")


def test_clients_that_stop_reading_exports_do_not_stall_the_api(tmp_path):
    from tests.helpers import SEEDS_DIR

    server = LiveServer(tmp_path)
    server.env.update(
        {
            "KB_FIXTURES_DIR": str(_synthetic_fixtures(tmp_path, 10_000)),  # records.ndjson: about 10 MB
            "KB_SEEDS_DIR": str(SEEDS_DIR),
            "WEB_CONCURRENCY": "1",  # one worker, its two threads: the case where a held thread would show most
            "KB_EXPORT_STREAMS": "1",
        }
    )
    server.start(timeout=120)
    stop = threading.Event()
    opened: list = []
    holders = [threading.Thread(target=_hold_export, args=(server.port, opened, stop), daemon=True) for _ in range(3)]
    try:
        for holder in holders:
            holder.start()
            time.sleep(0.5)
        assert sorted(opened) == ["HTTP/1.1 200", "HTTP/1.1 503", "HTTP/1.1 503"], opened  # one sent, two told to retry
        timings = ordinary_request_timings(server, "statements")
        assert max(timings) < PROMPT, f"requests took up to {max(timings):.2f} s while exports were held: {timings}"
    finally:
        stop.set()
        for holder in holders:
            holder.join(timeout=5)
        server.stop()
