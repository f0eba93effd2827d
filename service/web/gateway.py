"""The production server's way into the Flask app: each request's body is received whole on granian's event loop,
bounded in size and in time, before the WSGI app runs on one of the worker's threads.

granian's own WSGI interface calls the app as soon as a request's head is complete, and the app's read of the body
then blocks its thread until the client sends it, with no timeout: four slow uploads held every thread of a
default deployment (2 workers x 2 threads), reads included. Through this gateway (an ASGI app, granian's
`--interface asgi`) a slow upload costs a connection and a suspended coroutine, never a thread, until its body is
complete or refused:

- 413 before any of it is read when its Content-Length is over the limit (KB_MAX_BODY_BYTES), or as soon as a
  body without one (chunked) passes it;
- 408 when the whole body has not arrived within KB_BODY_TIMEOUT seconds of the request's head.

Both are problem details (RFC 9457, as the app's own errors) and close the connection.

The app sees the environ granian's WSGI interface gives it (PATH_INFO percent-decoded to bytes held as latin-1,
SCRIPT_NAME from the URL path prefix, HTTP_* headers), plus RAW_URI (the target as sent, as gunicorn sets it) and
a wsgi.input holding the whole body. An answer the app gives whole (or an iterable that ends within STREAM_AFTER
bytes) is sent in one piece; a longer one (an export) is sent as it is iterated, on the thread that iterates it,
paced by the client's reading, as granian's WSGI interface does.

Answers from memory skip the thread. Handing a request to a thread and back costs more than the response cache
takes to answer it (measured: about half the rate of cached reads), so a GET or HEAD whose target the app answered
from memory last time (web/cache.memory_key says under which key, without running Flask) is run on the event loop
itself when the response cache still holds that answer and is synced to the data state the database holds now
(web/cache.CacheMiddleware.holds: it will be answered from memory again, with nothing to read first). A publication
drops only the answers made from what it touched, so the others stay on the loop. Any other request goes to a
thread, a miss after a publication included, so the loop renders nothing (unless the cache lets the answer go
between the check and the answer; the target then goes back to threads). Only where reading the data state is
local (SQLite's PRAGMA, microseconds): on PostgreSQL it is a round trip to the database, which would stall the
loop, on a connection the pool is sized for per thread, so every request takes a thread there.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote_to_bytes
from wsgiref.types import WSGIApplication

from .cache import memory_key
from .http import CorsPolicy

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

PROBLEM_JSON = b"application/problem+json"
STREAM_AFTER = 256 * 1024  # bytes of an iterated answer held to send whole; past them it is streamed
REMEMBERED_TARGETS = 4096  # targets known to be answered from memory, per worker
PROTOCOLS = {"1.0": "HTTP/1.0", "1.1": "HTTP/1.1", "2": "HTTP/2", "3": "HTTP/3"}
# What every request's environ starts from (as granian's WSGI interface gives it).
BASE_ENVIRON = {
    "GATEWAY_INTERFACE": "CGI/1.1",
    "SERVER_SOFTWARE": "granian",
    "wsgi.errors": sys.stderr,
    "wsgi.multiprocess": True,
    "wsgi.multithread": True,
    "wsgi.run_once": False,
    "wsgi.version": (1, 0),
    "wsgi.input_terminated": True,  # wsgi.input ends with the body: werkzeug may read it without a length
}

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict], Any]


class Answer(NamedTuple):
    """What the app answered: the status and headers (as ASGI wants them), the body or its first part, the rest
    of it still to iterate (None when `body` is all of it), and the key it was given from memory under (None:
    it was not)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    rest: Iterator[bytes] | None
    close: Callable[[], None]
    from_memory: Hashable | None


class Gateway:
    """An ASGI app running a WSGI app on `threads` threads, each request's body received and bounded first."""

    def __init__(
        self,
        wsgi_app: WSGIApplication,
        *,
        threads: int,
        max_body_bytes: int,
        body_timeout: float,
        in_memory: Callable[[Hashable], bool] | None = None,
        memory_key: Callable[[dict], Hashable | None] = memory_key,
        cors: CorsPolicy | None = None,
    ) -> None:
        """`memory_key` says under which key the app answered a request from memory once it has (None: it did
        not; by default, the response cache's), `in_memory` whether it would answer from memory now a request it
        answered under that key (None: every request takes a thread); `cors`, the app's CORS policy, gives the
        gateway's own refusals their CORS headers."""
        if threads < 1:
            raise ValueError(f"KB_THREADS must be at least 1, not {threads}")
        if not body_timeout > 0:
            raise ValueError(f"KB_BODY_TIMEOUT must be a number of seconds above 0, not {body_timeout}")
        self.wsgi_app = wsgi_app
        self.threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="app")
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self.in_memory = in_memory
        self.memory_key = memory_key
        self.cors = cors
        self.from_memory: dict[tuple, Hashable] = {}  # target -> the key it was last answered from memory under

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.threads.shutdown(wait=False)  # granian has let the requests in progress finish
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        wsgi_env = wsgi_environ(scope)
        if has_body(scope, wsgi_env):
            body = await self.receive_body(wsgi_env, receive, send)
            if body is None:
                return  # refused, or the client left
            target = None
        else:
            body = b""
            target = memory_target(wsgi_env) if self.in_memory is not None else None
        wsgi_env["wsgi.input"] = io.BytesIO(body)
        if target is not None and self.answers_from_memory(target):
            answer = self.answer(wsgi_env)
            try:
                self.remember(target, answer.from_memory)
                if answer.rest is None:
                    await send_whole(send, answer)
                else:
                    await stream_here(receive, send, answer, answer.rest)
            finally:
                answer.close()
            return
        loop = asyncio.get_running_loop()
        whole = await loop.run_in_executor(self.threads, self.answer_on_thread, wsgi_env, loop, receive, send)
        if whole is not None:  # else it was streamed from the thread
            if target is not None:
                self.remember(target, whole.from_memory)
            await send_whole(send, whole)

    def answers_from_memory(self, target: tuple) -> bool:
        """Whether the app would answer `target` from memory now, as it did last time (False when that cannot be
        told: the app will say why, on a thread)."""
        key = self.from_memory.get(target)
        if key is None or self.in_memory is None:
            return False
        try:
            return self.in_memory(key)
        except Exception:
            return False

    def remember(self, target: tuple, key: Hashable | None) -> None:
        """Note under which key the app answered `target` from memory (None: it did not); on the event loop, so
        no lock is needed."""
        if key is None:
            self.from_memory.pop(target, None)
            return
        if target not in self.from_memory and len(self.from_memory) >= REMEMBERED_TARGETS:
            del self.from_memory[next(iter(self.from_memory))]
        self.from_memory[target] = key

    def answer_on_thread(
        self, wsgi_env: dict, loop: asyncio.AbstractEventLoop, receive: Receive, send: Send
    ) -> Answer | None:
        """On an app thread: the app's answer if it is whole, or None once it has been streamed from here."""
        answer = self.answer(wsgi_env)
        try:
            if answer.rest is None:
                return answer
            stream_from_thread(loop, receive, send, answer, answer.rest)
            return None
        finally:
            answer.close()  # on this thread: Flask's teardown closes this thread's database connection

    def answer(self, wsgi_env: dict) -> Answer:
        """Run the app: its answer, whole or its first STREAM_AFTER bytes and the rest to iterate (then close)."""
        started: list[tuple[int, list[tuple[bytes, bytes]]]] = []  # the status and headers, the last ones given
        held: list[bytes] = []  # PEP 3333's write() puts its bytes before the iterable's

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            started.append((int(status[:3]), [asgi_header(name, value) for name, value in headers]))
            return held.append

        answer = self.wsgi_app(wsgi_env, start_response)
        close = getattr(answer, "close", _nothing)
        try:
            rest: Iterator[bytes] | None = None
            from_memory = self.memory_key(wsgi_env) if not held else None
            if from_memory is not None:  # whole, in memory
                body = b"".join(answer)
            else:
                size = sum(map(len, held))
                chunks = iter(answer)
                for chunk in chunks:
                    held.append(chunk)
                    size += len(chunk)
                    if size > STREAM_AFTER:
                        rest = chunks
                        break
                body, from_memory = b"".join(held), None
            status, headers = started[-1]  # (an app may call start_response as late as its first item)
            return Answer(status, headers, body, rest, close, from_memory)
        except BaseException:
            close()
            raise

    async def receive_body(self, wsgi_env: dict, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None once the request is refused (413, 408) or its client is gone."""
        announced = wsgi_env.get("CONTENT_LENGTH")
        limit = self.max_body_bytes
        if announced is not None and int(announced) > limit:
            detail = f"the request body ({announced} bytes) is larger than the {limit} bytes this server takes"
            await refuse(send, wsgi_env, 413, f"{detail} (KB_MAX_BODY_BYTES)", self.cors)
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        pieces: list[bytes] = []
        size = 0
        while True:
            # asyncio.wait, not asyncio.timeout: granian may step a request without an asyncio task of its own
            message = asyncio.ensure_future(receive())
            done, _ = await asyncio.wait((message,), timeout=max(0.0, deadline - loop.time()))
            if not done:
                message.cancel()
                received = f"{size} of {announced} bytes" if announced is not None else f"{size} bytes"
                detail = f"the request body did not arrive within {self.body_timeout:g} s ({received} received)"
                await refuse(send, wsgi_env, 408, f"{detail}: send it at once (KB_BODY_TIMEOUT)", self.cors)
                return None
            message = message.result()
            if message["type"] != "http.request":
                return None  # http.disconnect: nobody to answer
            piece = message.get("body", b"")
            size += len(piece)
            if size > limit:
                detail = f"the request body is larger than the {limit} bytes this server takes"
                await refuse(send, wsgi_env, 413, f"{detail} (KB_MAX_BODY_BYTES)", self.cors)
                return None
            if piece:
                pieces.append(piece)
            if not message.get("more_body", False):
                break
        wsgi_env["CONTENT_LENGTH"] = str(size)
        return b"".join(pieces)


def _nothing() -> None:
    pass


@lru_cache(maxsize=1024)
def asgi_header(name: str, value: str) -> tuple[bytes, bytes]:
    """A WSGI header as ASGI has it (answers from memory repeat theirs: each pair is encoded once)."""
    return name.encode("latin-1"), value.encode("latin-1")


async def send_whole(send: Send, answer: Answer) -> None:
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.body})


def stream_from_thread(
    loop: asyncio.AbstractEventLoop, receive: Receive, send: Send, answer: Answer, rest: Iterator[bytes]
) -> None:
    """Send a long answer from the app thread iterating it, each chunk once the client has taken enough of the
    ones before (granian's send waits); stop early when the client leaves."""
    gone = threading.Event()
    watcher = asyncio.run_coroutine_threadsafe(_watch_for_departure(receive, gone), loop)

    def sent(message: dict) -> None:
        asyncio.run_coroutine_threadsafe(_sent(send, message), loop).result()

    try:
        sent({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
        sent({"type": "http.response.body", "body": answer.body, "more_body": True})
        for chunk in rest:
            if gone.is_set():
                break
            if chunk:
                sent({"type": "http.response.body", "body": chunk, "more_body": True})
        sent({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        watcher.cancel()


async def stream_here(receive: Receive, send: Send, answer: Answer, rest: Iterator[bytes]) -> None:
    """Send a long answer iterated on the event loop (one the app gave from memory last time, unexpectedly long)."""
    gone = threading.Event()
    watcher = asyncio.ensure_future(_watch_for_departure(receive, gone))
    try:
        await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
        await send({"type": "http.response.body", "body": answer.body, "more_body": True})
        for chunk in rest:
            if gone.is_set():
                break
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        watcher.cancel()


async def _sent(send: Send, message: dict) -> None:
    await send(message)


async def _watch_for_departure(receive: Receive, gone: threading.Event) -> None:
    """Set `gone` when the client disconnects (or the answer is complete: granian then says the same)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()


def has_body(scope: Scope, wsgi_env: dict) -> bool:
    """Whether the request may carry a body: over HTTP/1, only with a Content-Length above 0 or chunked."""
    if scope["http_version"] in ("1.0", "1.1"):
        return wsgi_env.get("CONTENT_LENGTH", "0") != "0" or "HTTP_TRANSFER_ENCODING" in wsgi_env
    return True  # HTTP/2 frames carry it without either


def memory_target(wsgi_env: dict) -> tuple | None:
    """What a read the response cache may answer is known by; None for a request it never answers (a write, or
    one with credentials)."""
    method = wsgi_env["REQUEST_METHOD"]
    if method not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in wsgi_env:
        return None
    return (method, wsgi_env["SCRIPT_NAME"], wsgi_env["PATH_INFO"], wsgi_env["QUERY_STRING"])


async def refuse(send: Send, wsgi_env: dict, status: int, detail: str, cors: CorsPolicy | None = None) -> None:
    """Answer a problem (RFC 9457, the shape of the app's own), with the CORS headers of `cors` for the request,
    and close the connection: the rest of the body is not read."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "instance": wsgi_env["PATH_INFO"].encode("latin-1").decode("utf-8", "replace"),
        },
        ensure_ascii=False,
    ).encode()
    headers = [
        (b"content-type", PROBLEM_JSON),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"connection", b"close"),
        *(asgi_header(name, value) for name, value in (cors.headers_for(wsgi_env) if cors is not None else ())),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def wsgi_environ(scope: Scope) -> dict:
    """The WSGI environ of an ASGI HTTP request, as granian's WSGI interface builds it (and RAW_URI)."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope["query_string"]
    path = unquote_to_bytes(raw_path).decode("latin-1")
    script_name = scope.get("root_path", "")
    if script_name and path.startswith(script_name):
        path = path[len(script_name) :] or "/"  # granian gives the whole path and the prefix it was told of
    server = scope.get("server") or ("", 0)
    client = scope.get("client") or ("", 0)
    wsgi_env = {
        **BASE_ENVIRON,
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path,
        "QUERY_STRING": query.decode("latin-1"),
        "RAW_URI": (raw_path + b"?" + query if query else raw_path).decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": PROTOCOLS.get(scope["http_version"], "HTTP/1.1"),
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "wsgi.url_scheme": scope.get("scheme", "http"),
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1")
        if name == "content-type":
            key = "CONTENT_TYPE"
        elif name == "content-length":
            key = "CONTENT_LENGTH"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if key in wsgi_env:
            value = wsgi_env[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        wsgi_env[key] = value
    return wsgi_env
