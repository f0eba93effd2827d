"""A page of another site reads the API in a real browser (Debian's chromium, driven by Selenium): CORS lets it.

The API is the real service (granian) on 127.0.0.1:<port>; the page is served by a small http.server on
localhost:<another port>, which the browser treats as another origin. The page fetches a page of a list, reads
its JSON, its X-Pagination and its ETag, and shows them; the test holds what it shows to the API's own answer. The
same page's cross-origin POST with a bearer token is refused by the browser itself (its preflight is not
granted), and never reaches the service.

Needs `apt-get install chromium chromium-driver` and the `gates` extra (selenium). Run alone:
`KB_GATES=required .venv/bin/pytest -m gate tests/test_cors_browser.py` (docs/gates.md).
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import urllib.request

import pytest

try:  # tests/ is not a package: gate_support is a sibling module (`tests.gate_support` if tests/ becomes one)
    from gate_support import chromium, shared_live_server
except ImportError:
    from tests.gate_support import chromium, shared_live_server

pytestmark = pytest.mark.gate

WAIT = 30  # seconds for anything the page does
LIST = "/api/v1/entities?page_size=3&page=2"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>another site</title></head>
<body>
<pre id="records"></pre><pre id="pagination"></pre><pre id="etag"></pre><pre id="write"></pre>
<script>
const api = new URLSearchParams(location.search).get("api");
const token = new URLSearchParams(location.search).get("token");
const show = (id, text) => { document.getElementById(id).textContent = text; };
fetch(api + "LIST")
  .then(async (response) => {
    show("pagination", response.headers.get("X-Pagination"));
    show("etag", response.headers.get("ETag"));
    show("records", JSON.stringify(await response.json()));
  })
  .catch((error) => show("records", "failed: " + error));
fetch(api + "/api/v1/changes", {
  method: "POST",
  headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
  body: JSON.stringify({kind: "topic", action: "create", id: "from-another-site", summary: "cross-origin",
                        record: {description: "Proposed by a page of another site."}}),
})
  .then((response) => show("write", "answered " + response.status))
  .catch((error) => show("write", "refused: " + error.name));
</script>
</body></html>
""".replace("LIST", LIST)


@pytest.fixture(scope="session")
def live_server(request):
    return shared_live_server(request)


@pytest.fixture(scope="module")
def other_site():
    """http://localhost:<port>/page.html, the page above, from a server of its own."""
    body = PAGE.encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile-cors")) as driver:
        yield driver


def changes_proposed(live_server) -> int:
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/changes?page_size=1", headers={"Authorization": f"Bearer {live_server.token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.headers["X-Pagination"])["total"]


def test_a_page_of_another_origin_reads_a_list_and_cannot_write(browser, live_server, other_site, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    assert not other_site.startswith(live_server.url)
    before = changes_proposed(live_server)
    browser.get_log("browser")
    browser.get(f"{other_site}/page.html?api={live_server.url}&token={live_server.token}")
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.ID, "records").text and b.find_element(By.ID, "write").text
    )
    browser.save_screenshot(str(tmp_path / "other-site.png"))
    shown = {name: browser.find_element(By.ID, name).text for name in ("records", "pagination", "etag", "write")}

    # What the API answers a browser (which takes gzip): the same records, pagination and tag.
    request = urllib.request.Request(f"{live_server.url}{LIST}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        records = json.loads(gzip.decompress(response.read()))
        pagination, etag = response.headers["X-Pagination"], response.headers["ETag"]
    assert not shown["records"].startswith("failed"), shown
    assert json.loads(shown["records"]) == records and len(records) == 3
    assert json.loads(shown["pagination"]) == json.loads(pagination) and json.loads(pagination)["page"] == 2
    assert shown["etag"] == etag

    assert shown["write"] == "refused: TypeError", f"{shown['write']} (screenshot: {tmp_path / 'other-site.png'})"
    logged = [entry["message"] for entry in browser.get_log("browser")]
    assert any("/api/v1/changes" in message and "CORS policy" in message for message in logged), logged
    assert changes_proposed(live_server) == before, "the refused POST reached the service"
