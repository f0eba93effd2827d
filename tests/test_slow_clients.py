"""Slow and idle clients cannot stall the service (the production server, as `serve` runs it): 64 connections
trickling their request heads, one line a second, 64 authenticated uploads that send one byte of their body and
nothing more, or clients that stop reading the exports they asked for, while ordinary requests must still be
answered promptly. A body that arrives too slowly is cut (408), one too large is refused before it is read (413)."""

import contextlib
import gzip
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest

from tests.gate_support import LiveServer
from tests.helpers import synthetic_fixtures, wait_until

pytestmark = pytest.mark.gate

TRICKLERS = 64
PROMPT = 1.0  # seconds an ordinary request may take while the tricklers hold their connections


def trickle(port: int, stop: threading.Event, opened: list, lines: list) -> None:
    """Open a connection and send a request head one short line a second, never finishing it."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(b"GET /api/v1/entities HTTP/1.1\r\nHost: localhost\r\n")
            opened.append(1)
            line = 0
            while not stop.wait(1.0):
                connection.sendall(f"X-Slow-{line}: {'x' * 10}\r\n".encode())
                line += 1
                lines.append(1)
    except OSError:
        pass  # the server may drop a client that is too slow: that is its right


@contextlib.contextmanager
def clients(count: int, client: Callable[[threading.Event, list], None], what: str) -> Iterator[None]:
    """`count` threads each running `client(stop, opened)`, which appends to `opened` once its connection is
    open; inside the block all of them are; on leaving, `stop` is set and they are joined."""
    stop = threading.Event()
    opened: list = []
    threads = [threading.Thread(target=client, args=(stop, opened), daemon=True) for _ in range(count)]
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: len(opened) == count, 10, f"{count} {what} open")
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)


def ordinary_request_timings(server: LiveServer, plural: str) -> list[float]:
    """Seconds each of 20 ordinary reads of a list took (cached and fresh answers alike); one not answered within
    3 s counts as infinitely slow."""
    timings = []
    for number in range(20):
        started = time.monotonic()
        try:
            url = f"{server.url}/api/v1/{plural}?page_size={number % 5 + 1}"
            with urllib.request.urlopen(url, timeout=3) as response:
                assert response.status == 200
                response.read()
        except TimeoutError:
            timings.append(float("inf"))
            continue
        timings.append(time.monotonic() - started)
    return timings


def test_64_trickling_connections_do_not_delay_ordinary_requests(tmp_path):
    server = LiveServer(tmp_path)
    server.start()
    lines: list = []
    try:
        with clients(TRICKLERS, lambda stop, opened: trickle(server.port, stop, opened, lines), "slow connections"):
            # They have been trickling for a while: each has sent a few header lines.
            wait_until(lambda: len(lines) >= 2 * TRICKLERS, 20, "every trickler sending two header lines")
            timings = ordinary_request_timings(server, "entities")
            assert max(timings) < PROMPT, f"ordinary requests took up to {max(timings):.2f} s: {timings}"
    finally:
        server.stop()


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
            "KB_FIXTURES_DIR": str(synthetic_fixtures(tmp_path, 10_000)),  # records.ndjson: about 10 MB
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
        for number, holder in enumerate(holders, 1):
            holder.start()  # one at a time: the first is sent, the others find its slot taken
            wait_until(lambda number=number: len(opened) == number, 10, f"export request {number} answered")
        assert sorted(opened) == ["HTTP/1.1 200", "HTTP/1.1 503", "HTTP/1.1 503"], opened  # one sent, two told to retry
        timings = ordinary_request_timings(server, "statements")
        assert max(timings) < PROMPT, f"requests took up to {max(timings):.2f} s while exports were held: {timings}"
    finally:
        stop.set()
        for holder in holders:
            holder.join(timeout=5)
        server.stop()


UPLOADERS = 64
CHANGE = {
    "kind": "figure",
    "action": "update",
    "id": "tillerson-manila-diplomacy-days",
    "record": {"description": "Sent through the production server."},
    "summary": "a change through the production server",
}


def _upload_head(token: str, length: int | None, path: str = "/api/v1/changes", origin: str | None = None) -> bytes:
    """A curator's POST head, with a Content-Length (or chunked when None), from a page of `origin` if given."""
    framing = "Transfer-Encoding: chunked" if length is None else f"Content-Length: {length}"
    page = f"Origin: {origin}\r\n" if origin else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n{page}"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    ).encode()


def _answer(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of the answer on `connection` (read until its Content-Length or its close)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed without an answer: {received!r}")
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def _closed_by_server(connection: socket.socket) -> bool:
    """Whether the server closed the connection (recv sees its end, or a reset) within the socket's timeout."""
    try:
        while connection.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def _upload_slowly(port: int, token: str, stop: threading.Event, opened: list, answered: list) -> None:
    """Send a curator's POST head with `Content-Length: 100`, then one byte of the body, then nothing."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(_upload_head(token, 100) + b"{")
            opened.append(1)
            connection.settimeout(0.2)
            while not stop.is_set():
                try:
                    if connection.recv(65536):
                        answered.append(1)  # answered (or cut) while the reads were being timed
                    break
                except TimeoutError:
                    continue
    except OSError:
        pass


@pytest.fixture(scope="module")
def body_server(tmp_path_factory):
    """The production server with a curator's token, cutting bodies not received within 5 s (KB_BODY_TIMEOUT),
    writes open to the pages of CURATION_PAGE."""
    server = LiveServer(tmp_path_factory.mktemp("body-server"))
    server.env["KB_BODY_TIMEOUT"] = "5"
    server.env["KB_CORS_WRITE_ORIGINS"] = CURATION_PAGE
    server.start()
    server.curator = server.sanctions_kb("token", "create", "--name", "slow-curator", "--role", "curator").strip()
    yield server
    server.stop()


def test_64_slow_authenticated_uploads_do_not_delay_ordinary_requests(body_server):
    answered: list = []

    def upload(stop, opened):
        _upload_slowly(body_server.port, body_server.curator, stop, opened, answered)

    with clients(UPLOADERS, upload, "slow uploads"):
        # Every upload's head and first byte are sent (`opened`): the reads are timed while all of them wait on
        # the server for the rest of their body.
        timings = ordinary_request_timings(body_server, "entities")
        assert max(timings) < PROMPT, f"ordinary requests took up to {max(timings):.2f} s: {timings}"
        # The uploads were held (as a connection each), not refused before their body: the reads were timed
        # against 64 uploads in progress.
        assert not answered, f"{len(answered)} of the slow uploads were answered before their body timed out"


def test_a_body_that_arrives_too_slowly_is_cut_with_a_408(body_server):
    with socket.create_connection(("127.0.0.1", body_server.port), timeout=10) as connection:
        started = time.monotonic()
        connection.sendall(_upload_head(body_server.curator, 100) + b"{")
        status, headers, body = _answer(connection)
        waited = time.monotonic() - started
        assert status == 408, (status, headers, body)
        assert headers["content-type"] == "application/problem+json"
        problem = json.loads(body)
        assert problem["status"] == 408 and problem["instance"] == "/api/v1/changes"
        assert "100 bytes" in problem["detail"] and "5 s" in problem["detail"], problem
        assert 4.5 < waited < 9, f"cut after {waited:.1f} s, for a body timeout of 5 s"
        assert headers.get("connection") == "close"
        assert _closed_by_server(connection)


def test_a_body_larger_than_the_limit_is_refused_before_it_is_read(body_server):
    with socket.create_connection(("127.0.0.1", body_server.port), timeout=5) as connection:
        connection.sendall(_upload_head(body_server.curator, 2 * 1024 * 1024))  # 2 MiB announced, none sent
        status, headers, body = _answer(connection)
        assert status == 413, (status, headers, body)
        assert headers["content-type"] == "application/problem+json"
        assert "1048576 bytes" in json.loads(body)["detail"]
        assert _closed_by_server(connection)
    # Without a Content-Length (chunked), it is cut where it passes the limit.
    with socket.create_connection(("127.0.0.1", body_server.port), timeout=5) as connection:
        connection.sendall(_upload_head(body_server.curator, None))
        piece = b"x" * 65536
        try:
            for _ in range(20):  # 1.25 MiB in all
                connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the rest was sent
        status, headers, body = _answer(connection)
        assert status == 413, (status, headers, body)


CURATION_PAGE = "https://curation.example.org"
CORS_HEADERS = ("access-control-allow-origin", "access-control-expose-headers", "vary")


def test_the_servers_own_408_and_413_carry_the_cors_headers_of_the_apps_answers(body_server):
    """A curation page may read why its upload was refused, as it reads the app's own refusals."""

    def refusal(head: bytes) -> tuple[int, dict[str, str]]:
        with socket.create_connection(("127.0.0.1", body_server.port), timeout=10) as connection:
            connection.sendall(head)
            status, headers, _ = _answer(connection)
        return status, {name: headers.get(name) for name in CORS_HEADERS}

    token = body_server.curator
    status, app_cors = refusal(_upload_head(token, 2, origin=CURATION_PAGE) + b"{}")  # the app's 422
    assert status == 422 and app_cors["access-control-allow-origin"] == CURATION_PAGE, app_cors
    assert refusal(_upload_head(token, 2 * 1024 * 1024, origin=CURATION_PAGE)) == (413, app_cors)
    assert refusal(_upload_head(token, 100, origin=CURATION_PAGE) + b"{") == (408, app_cors)
    # Another page's upload is refused without them, as the app refuses it.
    status, other = refusal(_upload_head(token, 2 * 1024 * 1024, origin="https://elsewhere.example.org"))
    assert status == 413 and other["access-control-allow-origin"] is None


def test_writes_and_reads_through_the_production_server(body_server):
    """An ordinary change is received whole and taken; HEAD, gzip and keep-alive answer as before."""
    url = f"{body_server.url}/api/v1/figures/{CHANGE['id']}"
    with urllib.request.urlopen(url, timeout=10) as response:
        etag = response.headers["ETag"]
        response.read()
    headers = {
        "Authorization": f"Bearer {body_server.curator}",
        "Content-Type": "application/json",
        "If-Match": etag,
    }
    request = urllib.request.Request(
        f"{body_server.url}/api/v1/changes", data=json.dumps(CHANGE).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, change = response.status, json.load(response)
    except urllib.error.HTTPError as error:
        status, change = error.code, json.load(error)
    assert status == 201, change
    assert change["record"]["description"] == CHANGE["record"]["description"]
    assert change["status"] == "pending"

    # HEAD, gzip and keep-alive: three requests on one connection, each answered in full.
    path = "/api/v1/statements?page_size=20"  # large enough to be compressed
    with socket.create_connection(("127.0.0.1", body_server.port), timeout=10) as connection:
        connection.sendall(f"HEAD {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        status, head_headers, head_body = _answer_to_head(connection)
        assert status == 200 and head_body == b"", head_headers
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        status, plain_headers, plain = _answer(connection)
        assert status == 200 and "content-encoding" not in plain_headers
        assert int(head_headers["content-length"]) == len(plain)
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n".encode())
        status, gzip_headers, gzipped = _answer(connection)
        assert status == 200 and gzip_headers.get("content-encoding") == "gzip", gzip_headers
        assert gzip.decompress(gzipped) == plain


def _answer_to_head(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The answer to a HEAD request: its Content-Length is the GET's, and no body follows."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed without an answer: {received!r}")
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, rest
