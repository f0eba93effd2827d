"""Slow and idle clients cannot stall the service: 64 connections trickling their request heads, one line a
second, while ordinary requests must still be answered promptly (the production server, as `serve` runs it)."""

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
        timings = []
        for number in range(20):
            started = time.monotonic()
            url = f"{server.url}/api/v1/entities?page_size={number % 5 + 1}"  # cached and fresh answers alike
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200
                response.read()
            timings.append(time.monotonic() - started)
        assert max(timings) < PROMPT, f"ordinary requests took up to {max(timings):.2f} s: {timings}"
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        server.stop()
