"""The workbench's whole flow in a real browser, in separate browser contexts (each its own profile: its own
cookies), against the production server: a curator adds an article with non-ASCII text, an editor approves it; the
curator accepts a suggested entity mention, selects a passage and proposes a new statement citing it, and proposes a
correction of an existing fact; the editor sees the three in the queue with their diffs and passages, approves the
first two and rejects the correction with a note; an anonymous reader sees the new statement's passage highlighted
on the article's page; the editor proposes reverting the statement from its history page."""

from __future__ import annotations

import json
import urllib.request

import pytest

try:
    from gate_support import BROWSER_WAIT, LiveServer, chromium, open_page
except ImportError:  # run from the repository root (pytest's rootdir on the path)
    from tests.gate_support import BROWSER_WAIT, LiveServer, chromium, open_page

pytestmark = pytest.mark.gate

ARTICLE = "example-wire-kang-ri-2017-08-07"
# Non-ASCII throughout: accents, curly quotes, a dash, and a character of two UTF-16 units before the passage.
TEXT = (
    "MANILA \U0001d54f Aug. 7 \u2014 South Korea\u2019s foreign minister met Ri Yong-ho at the gala dinner "
    "vis-\u00e0-vis the talks.\n\n"
    "\u201cSeoul\u2019s door is open,\u201d she told reporters on Monday, \u00e9lan intact.\n"
)
PASSAGE = "\u201cSeoul\u2019s door is open,\u201d"


def _api(server: LiveServer, path: str, method: str = "GET", body: dict | None = None, token: str | None = None):
    request = urllib.request.Request(
        f"{server.url}{path}", method=method, data=json.dumps(body).encode() if body else None
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("workbench-flow"))
    server.start()
    try:
        server.curator = server.sanctions_kb("token", "create", "--name", "anna", "--role", "curator").strip()
        yield server
    finally:
        server.stop()


def _wait(browser, condition: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, BROWSER_WAIT).until(
        lambda b: b.execute_script("return document.readyState") == "complete" and b.execute_script(condition)
    )


def _sign_in(browser, server, token: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, f"{server.url}/workbench/sign-in")
    browser.find_element(By.ID, "token").send_keys(token, Keys.ENTER)
    _wait(browser, "return location.pathname === '/workbench/'")


def _fill(browser, values: dict[str, str]) -> None:
    """Type each value into its field (selects by their option's value)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    for name, value in values.items():
        element = browser.find_element(By.ID, name)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            browser.execute_script("arguments[0].value = arguments[1]", element, value)  # (exact, any character)


def _submit(browser, selector: str, then: str) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, selector).click()
    _wait(browser, f"return {then} || !!document.querySelector('[role=alert]')")
    problems = browser.execute_script("return [...document.querySelectorAll('[role=alert]')].map(e => e.textContent)")
    assert not problems, problems


def _change_id(browser) -> int:
    return int(browser.execute_script("return location.pathname").rsplit("/", 1)[1])


def test_a_curator_and_an_editor_take_an_article_to_reviewed_facts(server, tmp_path_factory):
    from selenium.webdriver.common.by import By

    with (
        chromium(tmp_path_factory.mktemp("curator")) as curator,
        chromium(tmp_path_factory.mktemp("editor")) as editor,
        chromium(tmp_path_factory.mktemp("reader")) as reader,
    ):
        # The curator adds an article; the editor approves it.
        _sign_in(curator, server, server.curator)
        open_page(curator, f"{server.url}/workbench/articles/new")
        _fill(
            curator,
            {
                "title": "Kang meets Ri in Manila",
                "id": ARTICLE,
                "publisher": "Example Wire",
                "published_on": "2017-08-07",
                "dateline": "MANILA \U0001d54f Aug. 7",
                "text": TEXT,
                "summary": "Add Example Wire's report",
            },
        )
        _submit(curator, 'button[value="preview"]', "!!document.querySelector('section.preview')")
        _submit(curator, 'button[value="propose"]', "location.pathname.startsWith('/workbench/changes/')")
        article_change = _change_id(curator)
        _sign_in(editor, server, server.token)
        open_page(editor, f"{server.url}/workbench/changes/{article_change}")
        _submit(editor, "form.approve button", "location.search === '?done=approved'")
        with urllib.request.urlopen(f"{server.url}/api/v1/sources/{ARTICLE}/text", timeout=30) as response:
            assert response.read().decode() == TEXT  # verbatim, code point for code point

        # The curator accepts the suggested mention of Ri Yong-ho: the cite form opens with it filled in.
        open_page(curator, f"{server.url}/workbench/sources/{ARTICLE}/cite")
        mention = curator.find_element(By.XPATH, "//ol[@class='suggestion-list']/li[contains(., 'Ri Yong-ho')]")
        mention.find_element(By.CSS_SELECTOR, "a.accept").click()
        _wait(curator, "return document.querySelector('#fact').value === 'entity/ri-yong-ho'")
        assert curator.find_element(By.ID, "selected-quote").text == "Ri Yong-ho"
        _fill(curator, {"summary": "Ri named at the dinner"})
        _submit(curator, 'button[value="propose"]', "location.pathname.startsWith('/workbench/changes/')")
        mention_change = _change_id(curator)

        # The curator selects a passage and proposes a new statement citing it.
        open_page(curator, f"{server.url}/workbench/sources/{ARTICLE}/cite")
        curator.execute_script(
            """
            // (the paragraph's text runs over several nodes: a suggested name is marked inside it)
            const paragraph = [...document.querySelectorAll('#cite-text p')][1];
            const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
            const nodes = []; let node, all = '';
            while ((node = walker.nextNode())) { nodes.push([node, all.length]); all += node.data; }
            const from = all.indexOf(arguments[0]), to = from + arguments[0].length;
            const at = (i) => { const [n, base] = nodes.filter(([n, b]) => b <= i).pop(); return [n, i - base]; };
            const range = document.createRange();
            range.setStart(...at(from)); range.setEnd(...at(to));
            document.getSelection().removeAllRanges(); document.getSelection().addRange(range);
            """,
            PASSAGE,
        )
        start = TEXT.index(PASSAGE)  # in code points: the 𝕏 before it counts once
        _wait(curator, f"return document.querySelector('#start').value === '{start}'")
        _submit(curator, 'button[value="new"]', "location.pathname === '/workbench/new/statement'")
        _fill(
            curator,
            {
                "id": "kang-seoul-door-open-example",
                "speaker": "kang-kyung-wha",
                "speaker_as_written": "she",
                "said_on": "2017-08-07",
                "date_precision": "day",
                "topics": "dialogue",
                "stance": "supports",
                "summary": "Kang said Seoul's door is open.",
                "attribution": "direct",
                "attribution_chain": "[]",
                "change_summary": "Kang's words at the dinner",
            },
        )
        _submit(curator, "form.fact-form button[type=submit]", "location.pathname.startsWith('/workbench/changes/')")
        statement_change = _change_id(curator)

        # And a correction of an existing fact.
        open_page(curator, f"{server.url}/workbench/edit/statement/ri-seoul-proposals-lacked-sincerity")
        _fill(curator, {"stance": "neutral", "change_summary": "Neutral, not opposed"})
        _submit(curator, "form.fact-form button[type=submit]", "location.pathname.startsWith('/workbench/changes/')")
        correction = _change_id(curator)

        # The editor sees the three in the queue, with their diffs and passages; approves two, rejects one.
        open_page(editor, f"{server.url}/workbench/review")
        queued = editor.execute_script("return [...document.querySelectorAll('ol.changes li')].map(li => li.id)")
        assert queued == [f"change-{n}" for n in (mention_change, statement_change, correction)]
        open_page(editor, f"{server.url}/workbench/changes/{statement_change}")
        assert editor.find_element(By.CSS_SELECTOR, "li.new mark").text == PASSAGE
        assert editor.find_element(By.ID, "field-stance")
        _submit(editor, "form.approve button", "location.search === '?done=approved'")
        open_page(editor, f"{server.url}/workbench/changes/{mention_change}")
        _submit(editor, "form.approve button", "location.search === '?done=approved'")
        open_page(editor, f"{server.url}/workbench/changes/{correction}")
        assert editor.find_element(By.CSS_SELECTOR, "#field-stance td.after").text == "neutral"
        _fill(editor, {"note": "Ri rejects the proposals: the stance stays opposes."})
        _submit(editor, "form.reject button", "location.search === '?done=rejected'")

        statement = _api(server, "/api/v1/statements/kang-seoul-door-open-example")
        (cited,) = statement["citations"]
        assert (cited["start"], cited["end"], cited["quote"]) == (start, start + len(PASSAGE), PASSAGE)
        assert TEXT[cited["start"] : cited["end"]] == cited["quote"]
        assert _api(server, "/api/v1/statements/ri-seoul-proposals-lacked-sincerity")["stance"] == "opposes"

        # An anonymous reader sees the passage highlighted on the article's page.
        open_page(reader, f"{server.url}/sources/{ARTICLE}")
        highlighted = reader.execute_script(
            "return [...document.querySelectorAll('#text mark')].map(m => m.textContent)"
        )
        assert PASSAGE in highlighted and "Ri Yong-ho" in highlighted

        # The editor proposes reverting the statement from its history page (another editor reviews the revert).
        open_page(editor, f"{server.url}/workbench/history/statement/kang-seoul-door-open-example")
        _fill(editor, {"summary": "Revert: checking the quote's speaker again"})
        _submit(editor, "form.revert button", "location.pathname.startsWith('/workbench/changes/')")
        revert = _api(server, f"/api/v1/changes/{_change_id(editor)}", token=server.token)
        assert revert["action"] == "delete" and revert["status"] == "pending" and revert["reverts"]
