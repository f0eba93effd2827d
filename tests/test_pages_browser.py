"""The HTML pages in a real browser: Debian's chromium (headless, Selenium), against the production server.

On a server of its own (granian, a fresh SQLite file): the curated knowledge plus one article published through the
curation API whose text puts combining marks, CJK, right-to-left script and characters outside the BMP (two UTF-16
units, four UTF-8 bytes) before and inside its quotes. For every article, every citation must be highlighted with
exactly its quote, at its offsets counted in code points by the browser; then a reader follows a highlight to a
fact's page and back to the span; the keyboard reaches the facts of a highlight; without script the highlights are
the same; the pages fit a phone's width; axe-core (from npm, injected into the page from its file: nothing is
fetched) finds no serious or critical violation. Screenshots go to $KB_SCREENSHOTS (docs/screenshots for the
README) or to the test's temporary directory, the others to the test's.

Needs `apt-get install chromium chromium-driver`, the `gates` extra and axe-core (scripts/run-gates.sh installs
all three). Run alone: `KB_GATES=required .venv/bin/python -m pytest -m gate tests/test_pages_browser.py`.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from pathlib import Path

import pytest

try:  # tests/ is not a package: gate_support is a sibling module
    from gate_support import BROWSER_WAIT, DESKTOP, PHONE, LiveServer, axe_core_path, chromium, open_page
except ImportError:
    from tests.gate_support import BROWSER_WAIT, DESKTOP, PHONE, LiveServer, axe_core_path, chromium, open_page

pytestmark = pytest.mark.gate

PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")  # service/pages/evidence.py: what the highlights never cover
UNICODE_ARTICLE = "unicode-wire-manila-2017-08-07"
UNICODE_TEXT = (
    "Ri Yong-ho 리용호 met Wang Yi 王毅 🤝 in Manila; «Kang Kyung-wha» (강경화) said: “talks 🕊️ now”.\n\n"
    "Lavrov said the 𝔰𝔦𝔵-party talks must resume — café-style diplomacy, e\u0301 by e\u0301. 🇷🇺 مرحبا done.\n"
)
UNICODE_QUOTES = (
    "Wang Yi 王毅 🤝 in Manila",
    "🤝 in Manila; «Kang Kyung-wha»",
    "“talks 🕊️ now”",
    "𝔰𝔦𝔵-party talks must resume — café-style diplomacy, e\u0301 by e\u0301",
    "🇷🇺 مرحبا",
)

# Each highlight's text and its place in the text (code points, as the citations count them), from the DOM.
HIGHLIGHTS_JS = """
const root = document.getElementById('text');
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
const found = new Map();
let position = 0;
while (walker.nextNode()) {
  const node = walker.currentNode;
  const length = [...node.data].length;  // code points, not UTF-16 units
  const segment = node.parentElement.closest('.hl');
  if (segment) {
    const seen = found.get(segment);
    if (seen) { seen.end = position + length; seen.text += node.data; }
    else {
      const mark = segment.querySelector('mark');
      found.set(segment, {start: position, end: position + length, text: node.data,
        passages: segment.dataset.passages.split(' '), shaded: getComputedStyle(mark).backgroundColor,
        shown: segment.getClientRects().length > 0});
    }
  }
  position += length;
}
return {text: root.textContent, highlights: [...found.values()]};
"""


def _request(server: LiveServer, method: str, path: str, body: dict | None = None, token: str | None = None):
    request = urllib.request.Request(f"{server.url}{path}", method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _publish(server: LiveServer, reviewer: str, change: dict) -> None:
    proposed = _request(server, "POST", "/api/v1/changes", change, server.token)
    _request(server, "POST", f"/api/v1/changes/{proposed['id']}/approve", None, reviewer)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The production server on its own database, with the article of non-ASCII text and a statement quoting it."""
    server = LiveServer(tmp_path_factory.mktemp("pages-server"))
    server.start()
    try:
        reviewer = server.sanctions_kb("token", "create", "--name", "second-editor", "--role", "editor").strip()
        article = {"kind": "article", "title": "Unicode wire: Manila talks", "publisher": "Example Wire"}
        article.update(published_on="2017-08-07", date_precision="day")
        _publish(
            server,
            reviewer,
            {"kind": "source", "action": "create", "id": UNICODE_ARTICLE, "record": article, "text": UNICODE_TEXT}
            | {"summary": "an article whose text is not ASCII"},
        )
        statement = {
            "speaker": "sergei-lavrov", "speaker_as_written": "Lavrov", "said_on": "2017-08-07",
            "date_precision": "day", "topics": ["dialogue"], "stance": "supports", "summary": "Talks must resume.",
            "quote": None, "attribution": "direct", "attribution_chain": [],
            "citations": [{"source": UNICODE_ARTICLE, "quote": quote} for quote in UNICODE_QUOTES],
        }  # fmt: skip
        _publish(
            server,
            reviewer,
            {"kind": "statement", "action": "create", "id": "lavrov-unicode-talks", "record": statement}
            | {"summary": "a statement quoting it"},
        )
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
        yield driver


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    """Where the README's four pictures go: $KB_SCREENSHOTS (docs/screenshots) or a temporary directory."""
    where = Path(os.environ.get("KB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    where.mkdir(parents=True, exist_ok=True)
    return where


def _articles(server: LiveServer) -> list[str]:
    return [s["id"] for s in _request(server, "GET", "/api/v1/sources?kind=article&page_size=100")]


def _citations(server: LiveServer, source_id: str) -> list[dict]:
    """Every citation of the article, from the API's export of citations (one row each, with offsets)."""
    with urllib.request.urlopen(f"{server.url}/api/v1/exports/records.ndjson", timeout=60) as response:
        lines = [json.loads(line) for line in response]
    found = []

    def collect(record):
        for citation in record.get("citations", ()):
            if citation["source"] == source_id and citation["start"] is not None:
                found.append(citation)
        for inner in (*record.get("roles", ()), *record.get("claims", ())):
            collect(inner)

    for line in lines:
        collect(line["record"])
    return found


def _assert_every_citation_highlighted_exactly(browser, server, source_id) -> int:
    text = urllib.request.urlopen(f"{server.url}/api/v1/sources/{source_id}/text", timeout=10).read().decode()
    seen = browser.execute_script(HIGHLIGHTS_JS)
    assert seen["text"] == text, f"{source_id}: the page's text is not the article's, verbatim"
    highlights = seen["highlights"]
    for highlight in highlights:
        assert highlight["shown"] and highlight["shaded"] not in ("rgba(0, 0, 0, 0)", "transparent"), highlight
        assert list(text)[highlight["start"] : highlight["end"]] == list(highlight["text"])
    citations = _citations(server, source_id)
    assert citations
    for citation in citations:
        key = f"{citation['start']}-{citation['end']}"
        covering = [h for h in highlights if key in h["passages"]]
        where = f"{source_id}: citation {key} {citation['quote']!r}"
        assert covering, f"{where} is not highlighted"
        assert (covering[0]["start"], covering[-1]["end"]) == (citation["start"], citation["end"]), where
        joined = "".join(h["text"] for h in covering)
        assert joined == PARAGRAPH_BREAK.sub("", citation["quote"]), f"{where}: highlighted {joined!r}"
        for before, after in zip(covering, covering[1:], strict=False):
            between = "".join(list(text)[before["end"] : after["start"]])
            assert between == "" or PARAGRAPH_BREAK.fullmatch(between), f"{where}: a gap {between!r}"
    return len(citations)


def test_every_citation_of_every_article_is_highlighted_with_exactly_its_quote(browser, server, tmp_path):
    articles = _articles(server)
    assert UNICODE_ARTICLE in articles and len(articles) >= 3
    for source_id in articles:
        open_page(browser, f"{server.url}/sources/{source_id}")
        assert _assert_every_citation_highlighted_exactly(browser, server, source_id) > 0
        browser.save_screenshot(str(tmp_path / f"{source_id}.png"))
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_the_check_fails_on_a_misplaced_highlight(browser, server):
    """The check above is not vacuous: move one highlight's boundary by one character and it fails."""
    open_page(browser, f"{server.url}/sources/{UNICODE_ARTICLE}")
    browser.execute_script(
        """const mark = document.querySelector('#text a.hl mark'); const text = mark.firstChild;
        const moved = text.splitText(1); mark.parentElement.before(text);"""
    )
    with pytest.raises(AssertionError):
        _assert_every_citation_highlighted_exactly(browser, server, UNICODE_ARTICLE)


def test_without_script_the_text_and_highlights_are_the_same(tmp_path, server):
    with chromium(tmp_path / "profile") as no_script:
        no_script.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        for source_id in _articles(server):
            open_page(no_script, f"{server.url}/sources/{source_id}")
            assert _assert_every_citation_highlighted_exactly(no_script, server, source_id) > 0
            no_script.execute_script("document.querySelector('#text a.hl').focus()")
            assert no_script.execute_script("return document.getElementById('facts-popover')") is None  # no script ran


def test_a_reader_follows_a_highlight_to_a_fact_and_back_to_the_span(browser, server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, f"{server.url}/sources/presstv-manila-talks-2017-08-07")
    segment = next(
        s for s in browser.find_elements(By.CSS_SELECTOR, "#text a.hl") if s.text.startswith("Kang urged Ri to accept")
    )
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", segment)
    segment.click()  # a click follows the highlight's link: its passage's entry, with the facts it supports
    passage = browser.execute_script("return location.hash")
    assert passage.startswith("#passage-")
    entry = browser.find_element(By.ID, passage[1:])
    key = passage.removeprefix("#passage-")
    fact = entry.find_elements(By.CSS_SELECTOR, "ul.facts a")[0]
    label, fact_url = fact.text, fact.get_attribute("href")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", fact)
    fact.click()
    WebDriverWait(browser, BROWSER_WAIT).until(lambda b: b.current_url == fact_url)
    if "#" in fact_url:  # a role, vote or claim: its section of its entity's, resolution's or dispute's page
        section = browser.find_element(By.ID, fact_url.split("#")[1])
        assert label in section.find_element(By.TAG_NAME, "h3").text
    else:
        section = browser.find_element(By.TAG_NAME, "main")
        assert browser.find_element(By.TAG_NAME, "h1").text == label
    # The fact's evidence quotes this very passage, and links back to the article at it.
    back = next(
        a
        for a in section.find_elements(By.CSS_SELECTOR, "ol.evidence p.at a")
        if a.get_attribute("href").endswith(f"/sources/presstv-manila-talks-2017-08-07#span-{key}")
    )
    span = key
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", back)
    back.click()
    WebDriverWait(browser, BROWSER_WAIT).until(lambda b: b.current_url.endswith(f"#span-{span}"))
    WebDriverWait(browser, BROWSER_WAIT).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#text .hl.targeted"))
    targeted = browser.find_elements(By.CSS_SELECTOR, "#text .hl.targeted")
    assert all(span in t.get_attribute("data-passages").split() for t in targeted)
    assert "".join(t.get_attribute("textContent") for t in targeted) in {
        c["quote"] for c in _citations(server, "presstv-manila-talks-2017-08-07")
    }
    top = browser.execute_script(f"return document.getElementById('span-{span}').getBoundingClientRect().top")
    assert 0 <= top <= browser.execute_script("return innerHeight"), "the article is not scrolled to the span"
    browser.save_screenshot(str(tmp_path / "back-at-the-span.png"))


def test_the_keyboard_reaches_a_highlight_its_facts_and_escape_closes_them(browser, server):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    open_page(browser, f"{server.url}/sources/china-urges-n-korea-2017-08-12")
    for _ in range(80):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.execute_script("return document.activeElement.matches('#text a.hl')"):
            break
    else:
        pytest.fail("Tab never reached a highlight")
    popover = browser.execute_script("return document.getElementById('facts-popover')")
    assert popover is not None and popover.is_displayed()
    assert browser.execute_script("return document.activeElement.nextElementSibling.id") == "facts-popover"
    links = popover.find_elements("css selector", "ul.facts a")
    assert links and all(link.get_attribute("href") for link in links)
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.execute_script("return document.getElementById('facts-popover').contains(document.activeElement)")
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    assert browser.execute_script("return document.getElementById('facts-popover')") is None
    assert browser.execute_script("return document.activeElement.matches('#text a.hl')")


PAGES = (
    "/",
    "/sources/presstv-manila-talks-2017-08-07",
    "/sources/china-urges-n-korea-2017-08-12",
    f"/sources/{UNICODE_ARTICLE}",
    "/sources/un-doc-s-res-2371-2017",
    "/statements/trump-very-big-financial-impact",
    "/entities/ri-yong-ho",
    "/resolutions/unsc-resolution-2371",
    "/disputes/appreciates-who-said-it",
    "/figures/north-korea-foreign-revenue",
    "/topics/dialogue",
    "/events/kang-ri-handshake-2017-08-06",
)


@pytest.mark.parametrize("path", PAGES)
def test_axe_core_finds_no_serious_violation(browser, server, path):
    open_page(browser, f"{server.url}{path}")
    browser.execute_script(axe_core_path().read_text(encoding="utf-8"))
    states = ["as loaded"]
    if path.startswith("/sources/") and browser.execute_script("return !!document.querySelector('#text a.hl')"):
        browser.execute_script("document.querySelector('#text a.hl').focus()")  # with a highlight's facts shown
        states.append("with a highlight's facts open")
    for state in states:
        violations = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));"
        )
        assert isinstance(violations, list), violations
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, f"{path} ({state}): " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in serious
        )


@pytest.mark.parametrize("path", (*PAGES[1:7], "/topics/dialogue"))
def test_the_pages_fit_a_phone_screen(browser, server, path):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        open_page(browser, f"{server.url}{path}")
        width, viewport = browser.execute_script("return [document.documentElement.scrollWidth, innerWidth]")
        assert width <= viewport, f"{path} scrolls sideways on a {viewport}px screen ({width}px wide)"
        size = browser.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 16
    finally:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)


def test_screenshots_of_the_article_and_a_fact_at_phone_and_desktop_width(browser, server, screenshots):
    """The README's pictures: the article view with a highlight's facts open, and a fact view."""
    from selenium.webdriver.common.by import By

    for name, metrics in (("desktop", DESKTOP), ("phone", PHONE)):
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        try:
            open_page(browser, f"{server.url}/sources/china-urges-n-korea-2017-08-12")
            segment = next(
                s for s in browser.find_elements(By.CSS_SELECTOR, "#text a.hl.doubt") if "Very big" in s.text
            )
            browser.execute_script("arguments[0].scrollIntoView({block: 'start'}); scrollBy(0, -140)", segment)
            browser.execute_script("arguments[0].focus({preventScroll: true})", segment)
            assert browser.find_element(By.ID, "facts-popover").is_displayed()
            browser.save_screenshot(str(screenshots / f"article-{name}.png"))
            open_page(browser, f"{server.url}/statements/trump-very-big-financial-impact")
            evidence = browser.find_element(By.ID, "evidence-title")
            if name == "phone":
                browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", evidence)
            browser.save_screenshot(str(screenshots / f"fact-{name}.png"))
        finally:
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
    for name in ("article-desktop", "article-phone", "fact-desktop", "fact-phone"):
        assert (screenshots / f"{name}.png").stat().st_size > 10_000
