"""Two curators editing the same fact at the same moment, against the production server: exactly one change is
taken, the other is answered 412."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid

import pytest

try:  # tests/ is not a package: gate_support is a sibling module
    from gate_support import shared_live_server
except ImportError:
    from tests.gate_support import shared_live_server

pytestmark = pytest.mark.gate

RECORD = "/api/v1/statements/tillerson-talks-when-conditions-right"


@pytest.fixture(scope="session")
def live_server(request):
    return shared_live_server(request)


def _token(server, role: str) -> str:
    return server.sanctions_kb("token", "create", "--name", f"{role}-{uuid.uuid4().hex[:6]}", "--role", role).strip()


def _post(url: str, body: dict, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_of_two_simultaneous_edits_exactly_one_is_taken(live_server):
    with urllib.request.urlopen(live_server.url + RECORD, timeout=10) as response:
        etag = response.headers["ETag"]
    curators = [_token(live_server, "curator") for _ in range(2)]
    results: list[tuple[int, dict]] = []
    start = threading.Barrier(2)

    def edit(token: str, stance: str) -> None:
        body = {
            "kind": "statement",
            "action": "update",
            "id": RECORD.rsplit("/", 1)[1],
            "record": {"stance": stance},
            "summary": f"stance {stance}",
        }
        headers = {"Authorization": f"Bearer {token}", "If-Match": etag, "Content-Type": "application/json"}
        start.wait()
        results.append(_post(f"{live_server.url}/api/v1/changes", body, headers))

    threads = [
        threading.Thread(target=edit, args=(token, stance))
        for token, stance in zip(curators, ("neutral", "supports"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 412], results
    refused = next(body for status, body in results if status == 412)
    assert refused["status"] == 412 and "awaiting review" in refused["detail"]
