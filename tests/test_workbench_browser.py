"""The workbench in a real browser: Debian's chromium (headless, Selenium), against the production server.

A curator signs in and out with the keyboard alone; no script of the page can read the token or the session (the
cookie is HttpOnly, nothing is in the page or in storage); a form posted to the workbench by a page of another
origin is refused, even with a CSRF token it somehow had, and the session lives on; axe-core finds no serious
violation on the sign-in page (also with its error), the home page and the list of one's changes; they fit a
phone's width. Screenshots go to $KB_SCREENSHOTS (docs/screenshots for the docs) or the test's temporary directory.

Needs what tests/test_pages_browser.py needs (scripts/run-gates.sh installs it).
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import urllib.request
from pathlib import Path

import pytest

try:  # tests/ is not a package: gate_support is a sibling module
    from gate_support import BROWSER_WAIT, DESKTOP, PHONE, LiveServer, axe_violations, chromium, open_page
except ImportError:
    from tests.gate_support import BROWSER_WAIT, DESKTOP, PHONE, LiveServer, axe_violations, chromium, open_page

pytestmark = pytest.mark.gate


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The production server on its own database, with a curator's token (`server.curator`) and a change of theirs."""
    server = LiveServer(tmp_path_factory.mktemp("workbench-server"))
    server.start()
    try:
        server.curator = server.sanctions_kb("token", "create", "--name", "anna", "--role", "curator").strip()
        for topic, review in (("sanctions-relief", None), ("humanitarian-exemptions", "reject")):
            record = {"description": f"A topic of the workbench's tests: {topic}."}
            change = {"kind": "topic", "action": "create", "id": topic, "record": record, "summary": f"Add {topic}"}
            proposed = _api(server, "/api/v1/changes", change, server.curator)
            if review:
                note = {"note": "We file these under sanctions already."}
                _api(server, f"/api/v1/changes/{proposed['id']}/{review}", note, server.token)
        server.review = _propose_statement_update(server)
        astral = {"kind": "article", "title": "A headline with a symbol", "published_on": "2017-08-07"}
        change = {"kind": "source", "action": "create", "id": "astral-2017", "record": astral, "text": ASTRAL_TEXT}
        proposed = _api(server, "/api/v1/changes", {**change, "summary": "Add an article"}, server.curator)
        _api(server, f"/api/v1/changes/{proposed['id']}/approve", {}, server.token)
        yield server
    finally:
        server.stop()


STATEMENT = "ri-seoul-proposals-lacked-sincerity"
# A character of two UTF-16 units (one code point) before the passage the browser selects, an accented one inside.
ASTRAL_TEXT = "Headline \U0001d54f of the day.\n\nThe minister met her counterpart vis-\u00e0-vis the talks.\n"


def _propose_statement_update(server: LiveServer) -> int:
    """The curator's pending change to a statement: its stance, and one passage more (the editor's to review)."""
    url = f"{server.url}/api/v1/statements/{STATEMENT}"
    with urllib.request.urlopen(url, timeout=30) as response:
        etag, statement = response.headers["ETag"], json.load(response)
    source = "presstv-manila-talks-2017-08-07"
    with urllib.request.urlopen(f"{server.url}/api/v1/sources/{source}/text", timeout=30) as response:
        text = response.read().decode()
    quote = "Ri Yong-ho"
    start = text.index(quote)
    citations = [{k: v for k, v in c.items() if v not in (None, [])} for c in statement["citations"]]
    citations.append({"source": source, "quote": quote, "start": start, "end": start + len(quote)})
    body = {
        "kind": "statement",
        "action": "update",
        "id": STATEMENT,
        "summary": "Cite where Press TV names Ri; the stance is neutral",
        "record": {"stance": "neutral", "citations": citations},
    }
    request = urllib.request.Request(f"{server.url}/api/v1/changes", method="POST", data=json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {server.curator}")
    request.add_header("If-Match", etag)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["id"]


def _api(server: LiveServer, path: str, body: dict, token: str) -> dict:
    request = urllib.request.Request(f"{server.url}{path}", method="POST", data=json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
        yield driver


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    where = Path(os.environ.get("KB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    where.mkdir(parents=True, exist_ok=True)
    return where


def _wait_for(browser, condition: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, BROWSER_WAIT).until(
        lambda b: b.execute_script("return document.readyState") == "complete" and b.execute_script(condition)
    )


def _tab_to(browser, selector: str, most: int = 30) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for _ in range(most):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.execute_script("return document.activeElement.matches(arguments[0])", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def _sign_in_with_the_keyboard(browser, server, token: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    open_page(browser, f"{server.url}/workbench/")
    assert browser.current_url == f"{server.url}/workbench/sign-in"
    _tab_to(browser, "#token")
    ActionChains(browser).send_keys(token).send_keys(Keys.ENTER).perform()
    _wait_for(browser, "return location.pathname !== '/workbench/sign-in'")


def _sign_out_with_the_keyboard(browser) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    _tab_to(browser, "form.sign-out button")
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    _wait_for(browser, "return location.pathname === '/workbench/sign-in'")


def test_a_curator_signs_in_and_out_with_the_keyboard_and_no_script_sees_a_secret(browser, server):
    _sign_in_with_the_keyboard(browser, server, server.curator)
    assert browser.current_url == f"{server.url}/workbench/"
    assert browser.find_element("css selector", "h1").text == "Signed in as anna"
    seen = browser.execute_script(
        "return [document.cookie, localStorage.length, sessionStorage.length, document.documentElement.outerHTML]"
    )
    assert seen[:3] == ["", 0, 0]  # HttpOnly cookies; nothing kept where a script could read it
    assert server.curator not in seen[3]
    cookies = {c["name"]: c for c in browser.get_cookies()}  # (the driver sees what the page cannot)
    assert cookies["kb_session"]["httpOnly"] and cookies["kb_session"]["sameSite"] == "Strict"
    assert cookies["kb_session"]["path"] == "/workbench"
    _sign_out_with_the_keyboard(browser)
    assert "You are signed out" in browser.find_element("css selector", '[role="status"]').text
    assert "kb_session" not in {c["name"] for c in browser.get_cookies()}
    open_page(browser, f"{server.url}/workbench/")
    assert browser.current_url == f"{server.url}/workbench/sign-in"


class _Elsewhere(http.server.BaseHTTPRequestHandler):
    """Another origin's page, which posts a form to the workbench as soon as it loads (`page` is set per test)."""

    page = b""

    def do_GET(self):  # noqa: N802  (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args):
        pass


def test_a_form_another_origin_posts_is_refused_and_the_session_lives_on(browser, server):
    _sign_in_with_the_keyboard(browser, server, server.curator)
    csrf = browser.find_element("css selector", 'form.sign-out input[name="csrf_token"]').get_attribute("value")
    elsewhere = http.server.HTTPServer(("127.0.0.1", 0), _Elsewhere)
    thread = threading.Thread(target=elsewhere.serve_forever, daemon=True)
    thread.start()
    try:
        # Even with the session's CSRF token (as if it had leaked), the post is refused: the browser sends no
        # SameSite=Strict cookie with it, and says where it came from (Origin, Sec-Fetch-Site).
        _Elsewhere.page = (
            f'<!doctype html><title>elsewhere</title><form id="f" method="post" action="{server.url}/workbench/sign-out">'
            f'<input type="hidden" name="csrf_token" value="{csrf}"></form>'
            "<script>document.getElementById('f').submit()</script>"
        ).encode()
        open_page(browser, f"http://localhost:{elsewhere.server_address[1]}/")
        _wait_for(browser, "return location.pathname === '/workbench/sign-out'")
        assert browser.find_element("css selector", "h1").text == "Forbidden"
        assert "another site" in browser.find_element("css selector", '[role="alert"]').text
    finally:
        elsewhere.shutdown()
        thread.join()
        elsewhere.server_close()
    open_page(browser, f"{server.url}/workbench/")
    assert browser.find_element("css selector", "h1").text == "Signed in as anna"  # not signed out
    _sign_out_with_the_keyboard(browser)


def _axe(browser, where: str) -> None:
    violations = axe_violations(browser)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{where}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in serious
    )


def _fits(browser, where: str) -> None:
    width, viewport = browser.execute_script("return [document.documentElement.scrollWidth, innerWidth]")
    assert width <= viewport, f"{where} scrolls sideways on a {viewport}px screen ({width}px wide)"


def test_axe_core_finds_no_serious_violation_and_the_pages_fit_a_phone(browser, server, screenshots):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for name, metrics in (("desktop", DESKTOP), ("phone", PHONE)):
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        try:
            open_page(browser, f"{server.url}/workbench/sign-in")
            _axe(browser, f"the sign-in page ({name})")
            _fits(browser, f"the sign-in page ({name})")
            _tab_to(browser, "#token")
            ActionChains(browser).send_keys("skb_not-a-token").send_keys(Keys.ENTER).perform()
            _wait_for(browser, "return !!document.querySelector('#sign-in-error')")
            _axe(browser, f"the sign-in page with its error ({name})")
            _sign_in_with_the_keyboard(browser, server, server.curator)
            for path in (
                "/workbench/",
                "/workbench/changes",
                "/workbench/changes?status=rejected",
                "/workbench/articles/new",
                "/workbench/sources",
                f"/workbench/history/statement/{STATEMENT}",
                f"/workbench/edit/statement/{STATEMENT}",
                "/workbench/new/statement?source=presstv-manila-talks-2017-08-07&start=10&end=40",
            ):
                open_page(browser, f"{server.url}{path}")
                _axe(browser, f"{path} ({name})")
                _fits(browser, f"{path} ({name})")
            open_page(browser, f"{server.url}/workbench/")
            browser.save_screenshot(str(screenshots / f"workbench-home-{name}.png"))
            _sign_out_with_the_keyboard(browser)
        finally:
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)


def test_an_editor_reviews_a_change_with_the_keyboard_on_pages_axe_finds_clean(browser, server, screenshots):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    change = f"/workbench/changes/{server.review}"
    _sign_in_with_the_keyboard(browser, server, server.token)
    try:
        for name, metrics in (("desktop", DESKTOP), ("phone", PHONE)):
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            open_page(browser, f"{server.url}/workbench/review")
            _axe(browser, f"the review queue ({name})")
            _fits(browser, f"the review queue ({name})")
            open_page(browser, f"{server.url}{change}")
            _axe(browser, f"a change's page ({name})")
            _fits(browser, f"a change's page ({name})")
            marks = browser.execute_script(
                "return [...document.querySelectorAll('li.new mark')].map(m => m.textContent)"
            )
            assert marks == ["Ri Yong-ho"]
            browser.save_screenshot(str(screenshots / f"workbench-review-{name}.png"))
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
        open_page(browser, f"{server.url}/workbench/review")
        _tab_to(browser, f'a[href="{change}"]')
        ActionChains(browser).send_keys(Keys.ENTER).perform()
        _wait_for(browser, f"return location.pathname === '{change}'")
        _tab_to(browser, "form.approve button")
        ActionChains(browser).send_keys(Keys.ENTER).perform()
        _wait_for(browser, "return location.search === '?done=approved'")
        assert "Approved" in browser.find_element("css selector", '[role="status"]').text
        with urllib.request.urlopen(f"{server.url}/api/v1/statements/{STATEMENT}", timeout=30) as response:
            assert json.load(response)["stance"] == "neutral"  # published, and served at once
    finally:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
        _sign_out_with_the_keyboard(browser)


def test_a_curator_selects_a_passage_and_its_code_point_offsets_are_proposed(browser, server, screenshots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    cite = f"{server.url}/workbench/sources/astral-2017/cite"
    _sign_in_with_the_keyboard(browser, server, server.curator)
    try:
        for name, metrics in (("desktop", DESKTOP), ("phone", PHONE)):
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            open_page(browser, cite)
            _axe(browser, f"the cite page ({name})")
            _fits(browser, f"the cite page ({name})")
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
        open_page(browser, cite)
        _wait_for(browser, "return true")  # the page and its deferred script loaded
        # Select "counterpart vis-à-vis" as a mouse would, by a range over the paragraph's text node.
        browser.execute_script(
            """
            const node = [...document.querySelectorAll('#cite-text p')][1].firstChild;
            const from = node.data.indexOf('counterpart'), to = node.data.indexOf(' the talks');
            const range = document.createRange();
            range.setStart(node, from); range.setEnd(node, to);
            document.getSelection().removeAllRanges(); document.getSelection().addRange(range);
            """
        )
        start, end = ASTRAL_TEXT.index("counterpart"), ASTRAL_TEXT.index(" the talks")  # code points
        _wait_for(browser, f"return document.querySelector('#start').value === '{start}'")
        assert browser.find_element(By.ID, "end").get_attribute("value") == str(end)
        assert browser.find_element(By.ID, "selected-quote").text == "counterpart vis-\u00e0-vis"
        browser.save_screenshot(str(screenshots / "workbench-cite-desktop.png"))
        fact = browser.find_element(By.ID, "fact")
        fact.send_keys("sincerity")
        _wait_for(browser, "return document.querySelectorAll('#fact-options option').length > 0")
        offered = browser.execute_script(
            "return [...document.querySelectorAll('#fact-options option')].map(o => o.value)"
        )
        assert f"statement/{STATEMENT}" in offered
        fact.clear()
        fact.send_keys("statement/wang-yi-hopes-north-south-improve-relations")  # (STATEMENT has a change pending)
        # Its event is Wang's remarks: the passage carries that account (the loader asks for it, FORMAT.md).
        Select(browser.find_element(By.ID, "account")).select_by_value("event/wang-yi-remarks-manila-2017-08-07")
        browser.find_element(By.ID, "summary").send_keys("Cite the meeting's words")
        browser.find_element(By.CSS_SELECTOR, 'button[value="propose"]').click()
        _wait_for(
            browser,
            "return location.pathname.startsWith('/workbench/changes/') || !!document.querySelector('.field-error, [role=alert]')",
        )
        errors = browser.execute_script(
            "return [...document.querySelectorAll('.field-error, [role=alert]')].map(e => e.textContent)"
        )
        assert not errors, errors
        added = browser.execute_script("return [...document.querySelectorAll('li.new mark')].map(m => m.textContent)")
        assert added == ["counterpart vis-\u00e0-vis"]
    finally:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
        _sign_out_with_the_keyboard(browser)
