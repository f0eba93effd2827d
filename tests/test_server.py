"""The production server: its start (service/server.py, `sanctions-kb serve`), where a port already taken is refused
with a clear error unless sharing it is asked for and granian is given the service's settings; and its gateway to the
app (service/web/gateway.py), which receives each body before a thread runs the app."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from service import server
from service.config import PROJECT_ROOT
from service.web.gateway import Gateway


@contextmanager
def listener_like_granian(host: str = "127.0.0.1") -> Iterator[int]:
    """A socket listening as granian's do (SO_REUSEPORT and SO_REUSEADDR), on a free port: another server."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_serve_on_a_port_already_in_use_exits_with_a_clear_error(tmp_path):
    """Two servers on one port would share its connections (SO_REUSEPORT), each answering from its own database."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'second.sqlite3'}",
    }
    with listener_like_granian() as port:
        second = subprocess.Popen(
            [str(Path(sys.executable).with_name("sanctions-kb")), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # granian's workers too are stopped below, if it did start
        )
        try:
            _, stderr = second.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
            second.communicate()
            pytest.fail(f"a second server started on the taken port {port} and shared it")
    assert second.returncode != 0
    message = stderr.strip().splitlines()[-1]
    assert f"127.0.0.1:{port}" in message and "already in use" in message, stderr
    assert "KB_REUSE_PORT" in message, message  # it says how to share the port on purpose
    assert not (tmp_path / "second.sqlite3").exists(), "the database was initialised before the port was checked"


def test_a_taken_port_is_refused_before_granian_is_started(monkeypatch):
    started = []
    monkeypatch.setattr(server.os, "execve", lambda *args: started.append(args))
    monkeypatch.delenv("KB_REUSE_PORT", raising=False)
    with listener_like_granian() as port, pytest.raises(SystemExit) as refused:
        server.exec_server(host="127.0.0.1", port=port)
    assert started == []
    assert str(refused.value) == (
        f"sanctions-kb: cannot listen on 127.0.0.1:{port}: the address is already in use (another server?); "
        "stop it, choose another port, or set KB_REUSE_PORT=true to share it on purpose"
    )


def test_a_wildcard_address_is_refused_when_a_loopback_listener_holds_the_port(monkeypatch):
    monkeypatch.setattr(server.os, "execve", lambda *args: pytest.fail("granian was started"))
    monkeypatch.delenv("KB_REUSE_PORT", raising=False)
    with listener_like_granian("127.0.0.1") as port, pytest.raises(SystemExit, match="0.0.0.0:"):
        server.exec_server(host="0.0.0.0", port=port)


@pytest.mark.parametrize("asked", ["env", "option"])
def test_sharing_a_port_is_allowed_when_asked_for(monkeypatch, asked):
    started = []
    monkeypatch.setattr(server.os, "execve", lambda path, argv, env: started.append(env))
    monkeypatch.delenv("KB_REUSE_PORT", raising=False)
    if asked == "env":
        monkeypatch.setenv("KB_REUSE_PORT", "true")
    with listener_like_granian() as port:
        server.exec_server(host="127.0.0.1", port=port, reuse_port=True if asked == "option" else None)
    assert len(started) == 1 and started[0]["GRANIAN_PORT"] == str(port)


def test_a_free_port_starts_granian_with_the_service_settings(monkeypatch):
    started = []
    monkeypatch.setattr(server.os, "execve", lambda path, argv, env: started.append((path, argv, env)))
    for name in ("KB_REUSE_PORT", "KB_THREADS", "GRANIAN_BLOCKING_THREADS", "GRANIAN_INTERFACE", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server.exec_server(host="127.0.0.1", port=port, workers=3)
    path, argv, env = started[0]
    assert argv == [path, "service.asgi:app"]
    assert env["GRANIAN_INTERFACE"] == "asgi"
    assert (env["GRANIAN_HOST"], env["GRANIAN_PORT"], env["GRANIAN_WORKERS"]) == ("127.0.0.1", str(port), "3")
    assert env["KB_THREADS"] == "2"
    assert "GRANIAN_BLOCKING_THREADS" not in env  # granian runs an ASGI app on one thread of its own


def test_blocking_threads_set_for_the_wsgi_server_become_the_app_threads():
    env = server.server_environment({"GRANIAN_BLOCKING_THREADS": "4"})
    assert env["KB_THREADS"] == "4" and "GRANIAN_BLOCKING_THREADS" not in env
    assert server.server_environment({"GRANIAN_BLOCKING_THREADS": "4", "KB_THREADS": "3"})["KB_THREADS"] == "3"
    # The WSGI interface, asked for by name, keeps granian's own threads.
    wsgi = server.server_environment({"GRANIAN_INTERFACE": "wsgi"})
    assert wsgi["GRANIAN_BLOCKING_THREADS"] == "2" and server.application(wsgi) == "service.wsgi:app"


# --- The gateway (service/web/gateway.py), driven as granian drives an ASGI app -------------------------------


class Client:
    """One request as granian hands it to an ASGI app: the scope, the body's messages, then (once the answer is
    complete, or never for a client that stops sending) http.disconnect; what the app sends is kept."""

    def __init__(self, method="GET", raw_path=b"/", query=b"", headers=(), body=None, stalls=False, root_path=""):
        self.scope = {
            "type": "http",
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": raw_path.decode("utf-8", "replace"),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": root_path,
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 40000),
            "headers": [(b"host", b"kb.test"), *headers],
        }
        self.messages = (
            [] if body is None else [{"type": "http.request", "body": piece, "more_body": True} for piece in body]
        )
        if self.messages and not stalls:
            self.messages[-1]["more_body"] = False
        self.stalls = stalls
        self.sent: list[dict] = []
        self.received = 0

    async def receive(self) -> dict:
        if self.messages:
            self.received += 1
            return self.messages.pop(0)
        if self.stalls or not self._complete():
            await asyncio.sleep(3600)  # a client that sends nothing more
        return {"type": "http.disconnect"}

    def _complete(self) -> bool:
        return any(m["type"] == "http.response.body" and not m.get("more_body") for m in self.sent)

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    def run(self, gateway) -> tuple[int, dict[str, str], bytes]:
        asyncio.run(asyncio.wait_for(gateway(self.scope, self.receive, self.send), 10))
        start = self.sent[0]
        headers = {name.decode(): value.decode() for name, value in start["headers"]}
        return start["status"], headers, b"".join(m.get("body", b"") for m in self.sent[1:])


def echo_environ(environ, start_response):
    """A WSGI app answering with what it was given, as Flask would (an iterator, not a list)."""
    shown = {key: value for key, value in environ.items() if isinstance(value, str)}
    shown["body"] = environ["wsgi.input"].read().decode("latin-1")
    shown["thread"] = threading.current_thread().name
    body = json.dumps(shown).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return iter([body])


def gateway_for(app, **settings) -> Gateway:
    return Gateway(app, **{"threads": 2, "max_body_bytes": 1000, "body_timeout": 0.5, **settings})


def test_the_app_sees_the_environ_granians_wsgi_interface_gives():
    client = Client(
        raw_path=b"/kb/api/v1/entities/caf%C3%A9%FF",
        query=b"q=%C3%A9t%C3%A9&x=1",
        headers=[(b"cookie", b"a=1"), (b"cookie", b"b=2"), (b"accept", b"text/html"), (b"accept", b"*/*")],
        root_path="/kb",
    )
    status, _, body = client.run(gateway_for(echo_environ))
    environ = json.loads(body)
    assert status == 200
    # PATH_INFO: percent-decoded bytes as latin-1 (so the guard can tell bytes that are not UTF-8), under the prefix
    assert environ["SCRIPT_NAME"] == "/kb"
    assert environ["PATH_INFO"] == "/api/v1/entities/caf\xc3\xa9\xff"
    assert environ["RAW_URI"] == "/kb/api/v1/entities/caf%C3%A9%FF?q=%C3%A9t%C3%A9&x=1"
    assert environ["QUERY_STRING"] == "q=%C3%A9t%C3%A9&x=1"
    assert environ["HTTP_COOKIE"] == "a=1; b=2" and environ["HTTP_ACCEPT"] == "text/html,*/*"
    assert (environ["HTTP_HOST"], environ["SERVER_PORT"], environ["REMOTE_ADDR"]) == ("kb.test", "8000", "127.0.0.1")
    assert (environ["REQUEST_METHOD"], environ["SERVER_PROTOCOL"], environ["wsgi.url_scheme"]) == (
        "GET",
        "HTTP/1.1",
        "http",
    )
    assert environ["thread"].startswith("app")  # on one of the app's threads, not the event loop


def test_a_body_is_received_whole_before_the_app_runs():
    pieces = [b'{"a": ', b"1, ", b'"b": 2}']
    chunked = Client("POST", b"/changes", headers=[(b"transfer-encoding", b"chunked")], body=pieces)
    status, _, body = chunked.run(gateway_for(echo_environ))
    environ = json.loads(body)
    assert status == 200 and environ["body"] == '{"a": 1, "b": 2}'
    assert environ["CONTENT_LENGTH"] == str(len(b"".join(pieces)))
    with_length = Client("POST", b"/changes", headers=[(b"content-length", b"8")], body=[b"{}", b"[]", b"{}[]"])
    assert json.loads(with_length.run(gateway_for(echo_environ))[2])["body"] == "{}[]{}[]"


def test_a_body_over_the_limit_is_refused_before_it_is_read():
    client = Client("POST", b"/api/v1/changes", headers=[(b"content-length", b"1001")], body=[b"x" * 1001])
    status, headers, body = client.run(gateway_for(echo_environ))
    assert status == 413 and client.received == 0
    assert headers["content-type"] == "application/problem+json" and headers["connection"] == "close"
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Request Entity Too Large",
        "status": 413,
        "detail": "the request body (1001 bytes) is larger than the 1000 bytes this server takes (KB_MAX_BODY_BYTES)",
        "instance": "/api/v1/changes",
    }
    chunked = Client("POST", b"/api/v1/changes", headers=[(b"transfer-encoding", b"chunked")], body=[b"x" * 600] * 5)
    status, _, body = chunked.run(gateway_for(echo_environ))
    assert status == 413 and chunked.received == 2  # cut as soon as it passed the limit
    assert json.loads(body)["detail"].startswith("the request body is larger than the 1000 bytes")


def test_a_body_that_does_not_arrive_in_time_is_answered_408_without_running_the_app():
    ran = []

    def app(environ, start_response):
        ran.append(environ)
        return echo_environ(environ, start_response)

    client = Client("POST", b"/api/v1/changes", headers=[(b"content-length", b"100")], body=[b"{"], stalls=True)
    started = time.monotonic()
    status, headers, body = client.run(gateway_for(app, body_timeout=0.3))
    assert 0.3 <= time.monotonic() - started < 2
    assert status == 408 and headers["connection"] == "close" and ran == []
    assert json.loads(body)["detail"] == (
        "the request body did not arrive within 0.3 s (1 of 100 bytes received): send it at once (KB_BODY_TIMEOUT)"
    )


def test_a_long_answer_is_streamed_from_the_thread_that_iterates_it():
    threads = set()

    def export(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/x-ndjson")])

        def lines():
            for number in range(2000):
                threads.add(threading.current_thread().name)
                yield b"%d %s\n" % (number, b"x" * 500)

        return lines()

    client = Client(raw_path=b"/api/v1/exports/records.ndjson")
    status, headers, body = client.run(gateway_for(export))
    assert status == 200 and "content-length" not in headers
    assert body == b"".join(b"%d %s\n" % (number, b"x" * 500) for number in range(2000))
    assert len(threads) == 1 and threads.pop().startswith("app")
    assert len(client.sent) > 3 and client.sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


def test_answers_from_memory_skip_the_thread():
    """A read the app answered from memory (as the response cache says of its answers, with its key) is run on
    the event loop the next time while the cache still holds that answer at the data state of now; when it does
    not (a publication touched it), and for any read the app answered otherwise, a thread runs the app."""
    threads = []
    held = {("/cached",): True}  # what the cache holds at the data state of now
    from_memory = {"/cached": True, "/rendered": False}

    def app(environ, start_response):
        threads.append(threading.current_thread().name)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"answer"])

    def on_loop(path: str, gateway: Gateway, times: int = 1, **request) -> list[bool]:
        threads.clear()
        for _ in range(times):
            answer = Client(raw_path=path.encode(), **request).run(gateway)
            assert answer == (200, {"Content-Type": "text/plain"}, b"answer")
        return [name == threading.current_thread().name for name in threads]  # asyncio.run's loop runs here

    def memory_key(environ):
        path = environ["PATH_INFO"]
        return (path,) if from_memory[path] else None

    gateway = gateway_for(app, in_memory=lambda key: held.get(key, False), memory_key=memory_key)
    assert on_loop("/cached", gateway, 3) == [False, True, True]
    assert on_loop("/rendered", gateway, 2) == [False, False]
    # Requests with credentials, and writes, always take a thread.
    assert on_loop("/cached", gateway, headers=[(b"authorization", b"Bearer x")]) == [False]
    # A publication touched it: the next read is rendered on a thread, then answered from memory on the loop again.
    held[("/cached",)] = False
    assert on_loop("/cached", gateway, 1) == [False]
    held[("/cached",)] = True
    assert on_loop("/cached", gateway, 2) == [True, True]
    # Answered otherwise on the loop (the cache let the answer go): back to threads.
    from_memory["/cached"] = False
    assert on_loop("/cached", gateway, 2) == [True, False]
    # Without a way to tell (PostgreSQL's data state is a round trip away), every request takes a thread.
    from_memory["/cached"] = True
    assert on_loop("/cached", gateway_for(app, memory_key=memory_key), 3) == [False, False, False]


def test_the_real_app_refuses_a_path_that_is_not_utf8_through_the_gateway(app):
    """The guard (web/guard.py) reads the raw path bytes in PATH_INFO: through the gateway as through granian's WSGI."""
    gateway = gateway_for(app.wsgi_app, max_body_bytes=1 << 20)
    status, headers, body = Client(raw_path=b"/api/v1/statements/%FF").run(gateway)
    assert status == 422, body
    assert "is not valid UTF-8" in json.loads(body)["detail"]
    status, _, body = Client(raw_path=b"/api/v1/statements/%EF%BF%BD").run(gateway)  # U+FFFD, sent as such
    assert status == 404, body


def test_the_response_cache_answers_from_memory_as_the_gateway_expects(app):
    """The real app's cached answers are known as such (web/cache.memory_key): the second read of an item is known to
    be answered from memory, under the key the cache holds it by at the data state of now (what lets the gateway
    give the third on the event loop)."""
    from service.web.cache import cache_middleware

    middleware = cache_middleware(app)
    gateway = gateway_for(app.wsgi_app, max_body_bytes=1 << 20, in_memory=middleware.holds)
    path = b"/api/v1/statements/tillerson-talks-when-conditions-right"
    for _ in range(3):
        status, _, body = Client(raw_path=path).run(gateway)
        assert status == 200 and json.loads(body)["id"] == "tillerson-talks-when-conditions-right"
    key = (path.decode(), "", "")
    assert gateway.from_memory == {("GET", "", path.decode(), ""): key}
    with app.app_context():
        assert middleware.holds(key)
