"""Sources as citations: every served source's CSL-JSON item rendered by a CSL processor (citeproc-py), and its
BibTeX entry read back by a BibTeX parser (bibtexparser 2) to the source's own values."""

from __future__ import annotations

import ast
import calendar
import copy
import json
import re
import sys

import bibtexparser
import pybtex.database
import pybtex.errors
import pybtex.plugin
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from service.config import PROJECT_ROOT
from service.knowledge.csl import MONTH_MACROS, bibtex_entry, csl_item

RESOLUTION = "un-doc-s-res-2371-2017"
PRESS_RELEASE = "un-press-sc-12945-2017"
PRESS_TV = "presstv-manila-talks-2017-08-07"
AGGREGATOR = "china-urges-n-korea-2017-08-12"
REUTERS = "reuters-tillerson-chance-to-talk-china-2017-08-02"
JAPAN_MOFA = "japan-mofa-kono-tillerson-2017-08-07"
UNDATED = "the-hill-white-house-trump-appreciates-china-russia"

# Every character LaTeX or BibTeX reads as syntax, the pairs TeX's fonts join into one glyph, and non-ASCII text.
AWKWARD = "{Braces} & 100% of $5 #Hashtag snake_case ~tilde ^caret back\\slash -- ``quotes'' 日米外相会談 Ülkü Çağ"
SYNTHETIC = {
    "id": "synthetic-special-characters-2017-08",
    "kind": "article",
    "title": AWKWARD,
    "publisher": "Zeitung für {Sonder}zeichen & Co. 100% $ # _ ~ ^ \\ — Ünal",
    "author": "Zoë O'Brien & {Co}",
    "published_on": "2017-08-01",
    "date_precision": "month",
    "date_derivation": None,
    "dateline": "August 2017 ~ 50% #1",
    "url": None,
    "sha256": "0" * 64,
    "note": None,
    "derived_from": [],
}


def links(response) -> dict[str, str]:
    return {rel: target for target, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])}


@pytest.fixture
def sources(client) -> list[dict]:
    """Every source as GET /api/v1/sources serves it, page after page through the rel="next" links."""
    found, target = [], "/api/v1/sources?page_size=10"
    while target:
        response = client.get(target)
        assert response.status_code == 200
        found += response.get_json()
        total = json.loads(response.headers["X-Pagination"])["total"]
        target = links(response).get("next")
    assert len(found) == total > 10 and len({s["id"] for s in found}) == total
    return found


def by_id(sources: list[dict], source_id: str) -> dict:
    return next(s for s in sources if s["id"] == source_id)


def rendered_bibliography(items: list[dict]) -> dict[str, str]:
    """Each item's bibliography entry as citeproc-py renders it in the Harvard style it ships, as plain text."""
    style = CitationStylesStyle("harvard-cite-them-right")  # validated against the CSL schema citeproc-py ships
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return {key: str(entry) for key, entry in zip(bibliography.keys, bibliography.bibliography(), strict=True)}


def latex_decoder() -> LatexDecodingMiddleware:
    """bibtexparser's LaTeX decoding, but for one entry of pylatexenc's table: it decodes \\textasciicircum to
    U+02C6 (modifier letter circumflex) where LaTeX prints U+005E, the caret."""
    context = get_default_latex_context_db()
    context.add_context_category(
        "latex-text-symbols",
        prepend=True,
        macros=[MacroTextSpec("url", simplify_repl="%s"), MacroTextSpec("textasciicircum", "^")],
    )
    return LatexDecodingMiddleware(decoder=LatexNodes2Text(latex_context=context, math_mode="verbatim"))


def read_bibtex(text: str) -> tuple[dict, dict]:
    """The entries of a BibTeX text by key, as written (for verbatim fields: the url) and LaTeX-decoded."""
    raw = bibtexparser.parse_string(text)
    decoded = bibtexparser.parse_string(text, append_middleware=[latex_decoder()])
    for library in (raw, decoded):
        assert library.failed_blocks == []
        assert [block for block in library.blocks if block not in library.entries] == []
    return {e.key: e for e in raw.entries}, {e.key: e for e in decoded.entries}


def value(entry, key: str) -> str | None:
    """A field's value, None when the entry has no such field."""
    return entry[key] if key in entry else None


def bare_specials(value: str) -> list[str]:
    """The characters of a field that LaTeX would read as syntax: & % $ # _ not escaped by a backslash, and any ~ or ^
    (a tie and a superscript; the text ones are \\textasciitilde and \\textasciicircum)."""
    return re.findall(r"(?<!\\)[&%$#_]|[~^]", value)


def braces_balance(value: str) -> bool:
    """Whether a field's braces balance as BibTeX and biber count them: every brace, escaped or not."""
    depth = 0
    for character in value:
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth < 0:
            return False
    return depth == 0


# -- CSL-JSON --------------------------------------------------------------------------------------------------------


def test_a_csl_processor_renders_every_source_with_its_title_author_and_year(client, sources):
    export = client.get("/api/v1/exports/sources.csl.json", buffered=True)
    assert export.status_code == 200 and export.mimetype == "application/vnd.citationstyles.csl+json"
    items = export.get_json(force=True)  # the export, as a reference manager downloads it
    assert items == [csl_item(source) for source in sorted(sources, key=lambda s: s["id"])]
    rendered = rendered_bibliography(items)
    assert sorted(rendered) == sorted(s["id"] for s in sources)
    for source in sources:
        text = rendered[source["id"]]
        assert source["title"] in text, text
        if source["author"]:
            assert source["author"] in text, text
        if source["published_on"]:
            assert f"({source['published_on'][:4]})" in text, text
        else:
            assert "(no date)" in text, text


def test_csl_items_say_what_the_record_says(sources):
    items = {s["id"]: csl_item(s) for s in sources}
    assert items[RESOLUTION] == {
        "id": RESOLUTION,
        "type": "document",
        "title": "Resolution 2371 (2017)",
        "publisher": "United Nations Security Council",
        "issued": {"date-parts": [[2017, 8, 5]]},
        "URL": "https://undocs.org/S/RES/2371(2017)",
    }
    assert items[PRESS_TV] == {
        "id": PRESS_TV,
        "type": "article-newspaper",
        "title": "Philippine capital hosts high-level talks on North Korea",
        "container-title": "Press TV",
        "issued": {"date-parts": [[2017, 8, 7]]},
        "note": "Dateline: Mon Aug 7, 2017 7:19AM",
    }
    assert items[AGGREGATOR] == {  # no publisher stated, none invented
        "id": AGGREGATOR,
        "type": "article-newspaper",
        "title": "China urges N. Korea to stop missile tests, resume talks",
        "author": [{"literal": "Melinda Barton"}],
        "issued": {"date-parts": [[2017, 8, 12]]},
        "note": "Dateline: 12 August, 2017, 18:31",
    }
    assert items[REUTERS] == {
        "id": REUTERS,
        "type": "webpage",
        "title": "Tillerson will have chance to talk with China in Manila: U.S. official",
        "author": [{"literal": "David Brunnstrom"}],
        "container-title": "Reuters",
        "issued": {"date-parts": [[2017, 8, 2]]},
        "URL": "http://www.reuters.com/article/us-northkorea-usa-asia-idUSKBN1AI253",
        "accessed": {"date-parts": [[2026, 12, 7]]},
    }
    assert items[PRESS_RELEASE]["type"] == "webpage"
    assert items[UNDATED] == {  # no publication date seen: none given, the day its page was read is
        "id": UNDATED,
        "type": "webpage",
        "title": by_id(sources, UNDATED)["title"],
        "container-title": "The Hill",
        "URL": by_id(sources, UNDATED)["url"],
        "accessed": {"date-parts": [[2026, 12, 7]]},
    }


def test_every_csl_item_holds_the_source_id_title_link_and_only_a_printed_author(sources):
    for source in sources:
        item = csl_item(source)
        assert item["id"] == source["id"] and item["title"] == source["title"]
        assert item.get("URL") == source["url"]
        accessed = source["accessed_on"] and [[int(part) for part in source["accessed_on"].split("-")]]
        assert item.get("accessed", {}).get("date-parts") == (accessed or None)
        assert item["type"] == {"article": "article-newspaper"}.get(source["kind"], item["type"])
        if source["author"]:
            assert item["author"] == [{"literal": source["author"]}]
        else:
            assert "author" not in item
        publisher = item.get("container-title", item.get("publisher"))
        assert publisher == source["publisher"]
        assert not ("container-title" in item and "publisher" in item)


def test_csl_dates_keep_their_precision():
    def issued(**date):
        return csl_item(dict(SYNTHETIC, **date)).get("issued")

    assert issued(published_on="2017-08-05", date_precision="day") == {"date-parts": [[2017, 8, 5]]}
    assert issued(published_on="2017-08-01", date_precision="month") == {"date-parts": [[2017, 8]]}
    assert issued(published_on="2017-01-01", date_precision="year") == {"date-parts": [[2017]]}
    for coarse in ("week", "season", "span"):
        assert issued(published_on="2017-08-01", date_precision=coarse) == {"date-parts": [[2017]], "circa": True}
    assert issued(published_on=None, date_precision="day") is None
    assert issued(published_on="2017-08-01", date_precision="unknown") is None


def test_a_month_precision_date_renders_without_a_day():
    month = csl_item(SYNTHETIC)
    day = csl_item(dict(SYNTHETIC, id="synthetic-day", published_on="2017-08-05", date_precision="day"))
    rendered = rendered_bibliography([month, day])
    assert rendered[day["id"]].endswith(", 5 August.")
    assert rendered[month["id"]].endswith(", August.")
    assert "(2017)" in rendered[month["id"]]


def test_a_csl_processor_renders_special_characters_as_written():
    text = rendered_bibliography([csl_item(SYNTHETIC)])[SYNTHETIC["id"]]
    assert AWKWARD in text and SYNTHETIC["publisher"] in text and SYNTHETIC["author"] in text


# -- BibTeX ------------------------------------------------------------------------------------------------------------


def issued_of(fields) -> str | None:
    """The publication date a BibTeX entry gives, as ISO 8601 to its precision: from year, month (a macro) and day;
    None when the date is biblatex's unknown one."""
    if "year" not in fields:
        assert fields["date"] == "XXXX"  # biblatex's "no date known", which BibTeX's styles skip
        return None
    parts = [fields["year"]]
    if "month" in fields:
        parts.append(f"{MONTH_MACROS.index(fields['month']) + 1:02d}")
    if "day" in fields:
        parts.append(f"{int(fields['day']):02d}")
    return "-".join(parts)


def test_bibtex_of_every_source_reads_back_to_the_source(client, sources):
    export = client.get("/api/v1/exports/sources.bib", buffered=True)
    assert export.status_code == 200 and export.mimetype == "application/x-bibtex"
    text = export.get_data(as_text=True)  # the export, as a reference manager downloads it
    assert text == "\n".join(bibtex_entry(source) for source in sorted(sources, key=lambda s: s["id"]))
    raw, decoded = read_bibtex(text)
    assert sorted(raw) == sorted(s["id"] for s in sources)
    for source in sources:
        entry, fields = decoded[source["id"]], raw[source["id"]]
        # What BibTeX's classic styles require of an @article: an author, the periodical, a year.
        article = source["kind"] == "article" and all(source[f] for f in ("author", "publisher", "published_on"))
        expected_type = "article" if article else "misc"
        assert entry.entry_type == expected_type
        assert entry["title"] == source["title"]
        assert value(entry, "author") == source["author"]
        assert value(entry, "journal" if article else "howpublished") == source["publisher"]
        assert issued_of(fields) == source["published_on"]  # every served date is a day or unknown
        assert value(fields, "url") == source["url"]
        assert value(fields, "urldate") == source["accessed_on"]  # biblatex's accessed date, ISO 8601
        for field in fields.fields:
            assert braces_balance(field.value), (source["id"], field.key, field.value)
            assert field.key == "url" or not bare_specials(field.value), (source["id"], field.key, field.value)


def test_bibtex_entries_are_whole_and_protect_capitals():
    assert bibtex_entry(
        {
            "id": "korea-herald-trump-tweets-support-2017-08-06",
            "kind": "reference",
            "title": "Trump tweets support for North Korea sanctions",
            "publisher": "The Korea Herald (Associated Press)",
            "author": None,
            "published_on": "2017-08-06",
            "date_precision": "day",
            "dateline": None,
            "url": "http://www.koreaherald.com/view.php?ud=20170806000124",
        }
    ) == (
        "@misc{korea-herald-trump-tweets-support-2017-08-06,\n"
        "  title = {{Trump} tweets support for {North} {Korea} sanctions},\n"
        "  howpublished = {The Korea Herald (Associated Press)},\n"
        "  year = {2017},\n"
        "  month = aug,\n"
        "  day = {6},\n"
        "  url = {http://www.koreaherald.com/view.php?ud=20170806000124}\n"
        "}\n"
    )


def test_an_article_is_an_article_only_with_what_classic_styles_require_of_one():
    assert bibtex_entry(SYNTHETIC).startswith("@article{")
    for missing in ("author", "publisher", "published_on"):
        entry = bibtex_entry(
            dict(SYNTHETIC, **{missing: None}, date_precision="unknown" if missing == "published_on" else "month")
        )
        assert entry.startswith("@misc{"), missing
        assert "journal" not in entry


@pytest.fixture
def strict_pybtex():
    """pybtex with every warning an error (it reports a missing field or an unknown entry type as a warning)."""
    pybtex.errors.set_strict_mode(True)
    yield
    pybtex.errors.set_strict_mode(False)


@pytest.mark.parametrize("style_name", ["plain", "unsrt", "alpha"])
def test_bibtex_classic_styles_format_every_entry_without_a_warning(client, sources, strict_pybtex, capsys, style_name):
    text = client.get("/api/v1/exports/sources.bib", buffered=True).get_data(as_text=True)
    text += "\n" + bibtex_entry(SYNTHETIC)  # an @article, with every awkward character
    data = pybtex.database.parse_string(text, "bibtex")
    style = pybtex.plugin.find_plugin("pybtex.style.formatting", style_name)()
    formatted = {entry.key: entry.text.render_as("text") for entry in style.format_bibliography(data)}
    assert sorted(formatted) == sorted([*(s["id"] for s in sources), SYNTHETIC["id"]])
    for source in sources:
        text = formatted[source["id"]]
        for part in filter(None, (source["publisher"], source["url"], source["author"])):
            assert part in text, (source["id"], part, text)
        if source["published_on"]:  # a day: its month and year (BibTeX has no day)
            year, month = source["published_on"][:4], int(source["published_on"][5:7])
            assert f"{calendar.month_name[month]} {year}" in text, (source["id"], text)
    assert "Zeitung für" in formatted[SYNTHETIC["id"]] and "August 2017" in formatted[SYNTHETIC["id"]]
    assert capsys.readouterr().err == ""  # nothing reported on the side either


def test_special_characters_and_non_ascii_round_trip_through_bibtex():
    entry_text = bibtex_entry(SYNTHETIC)
    assert "日米外相会談" in entry_text and "{Ülkü} {Çağ}" in entry_text and "— Ünal" in entry_text  # UTF-8
    raw, decoded = read_bibtex(entry_text)
    entry = decoded[SYNTHETIC["id"]]
    assert entry.entry_type == "article"
    assert entry["title"] == SYNTHETIC["title"]
    assert entry["journal"] == SYNTHETIC["publisher"]
    assert entry["author"] == SYNTHETIC["author"]
    assert entry["note"] == "Dateline: " + SYNTHETIC["dateline"]
    assert issued_of(raw[SYNTHETIC["id"]]) == "2017-08"
    for field in raw[SYNTHETIC["id"]].fields:
        assert braces_balance(field.value), (field.key, field.value)
        assert not bare_specials(field.value), (field.key, field.value)
    # A word braced against case changes must not start with a command: BibTeX would change its letters.
    assert r"{{\#Hashtag}}" in raw[SYNTHETIC["id"]]["title"]
    # An empty group keeps `--` apart in pdfTeX only; LuaTeX joins the pair unless an italic correction stands between.
    assert r"-\/-" in raw[SYNTHETIC["id"]]["title"] and r"`\/`" in raw[SYNTHETIC["id"]]["title"]


def test_bibtex_authors_are_one_name_and_none_is_invented(sources):
    text = "".join(bibtex_entry(s) for s in (by_id(sources, AGGREGATOR), by_id(sources, PRESS_TV)))
    raw, _ = read_bibtex(text)
    assert raw[AGGREGATOR]["author"] == "{Melinda Barton}"  # braced: BibTeX styles keep it as printed
    assert "author" not in raw[PRESS_TV]


def test_bibtex_dates_keep_their_precision():
    def date(**fields):
        raw, _ = read_bibtex(bibtex_entry(dict(SYNTHETIC, **fields)))
        return issued_of(raw[SYNTHETIC["id"]])

    assert date(published_on="2017-08-05", date_precision="day") == "2017-08-05"
    assert date(published_on="2017-08-01", date_precision="month") == "2017-08"
    assert date(published_on="2017-01-01", date_precision="year") == "2017"
    assert date(published_on="2017-08-01", date_precision="span") == "2017"  # BibTeX has no approximate date
    assert date(published_on=None, date_precision="day") is None
    assert date(published_on="2017-08-01", date_precision="unknown") is None


def test_an_accessed_date_goes_with_its_url_only():
    read = dict(SYNTHETIC, kind="reference", url="https://example.org/page", accessed_on="2026-12-07")
    assert csl_item(read)["accessed"] == {"date-parts": [[2026, 12, 7]]}
    raw, _ = read_bibtex(bibtex_entry(read))
    assert raw[SYNTHETIC["id"]]["urldate"] == "2026-12-07"
    for unread in (dict(read, accessed_on=None), dict(read, url=None)):  # nothing read, or no page to date
        assert "accessed" not in csl_item(unread)
        raw, _ = read_bibtex(bibtex_entry(unread))
        assert value(raw[SYNTHETIC["id"]], "urldate") is None


def test_a_url_is_verbatim_and_cannot_break_the_entry():
    url = "https://example.org/a_b%20c~d#x?q=1&r=2"
    raw, _ = read_bibtex(bibtex_entry(dict(SYNTHETIC, kind="reference", url=url)))
    assert raw[SYNTHETIC["id"]]["url"] == url
    raw, _ = read_bibtex(bibtex_entry(dict(SYNTHETIC, kind="reference", url="https://example.org/{a} b\\c")))
    assert raw[SYNTHETIC["id"]]["url"] == "https://example.org/%7Ba%7D%20b%5Cc"


def test_an_id_that_is_not_a_citation_key_is_refused():
    with pytest.raises(ValueError, match="citation key"):
        bibtex_entry(dict(SYNTHETIC, id="two words, {braced}"))


# -- both --------------------------------------------------------------------------------------------------------------


def test_output_is_deterministic_and_leaves_the_source_as_it_was(sources):
    for source in [*sources, SYNTHETIC]:
        before = copy.deepcopy(source)
        reordered = dict(reversed(list(source.items())))
        csl = json.dumps(csl_item(source), ensure_ascii=False)
        assert json.dumps(csl_item(reordered), ensure_ascii=False) == csl
        assert bibtex_entry(reordered) == bibtex_entry(source)
        assert bibtex_entry(source).endswith("}\n")
        assert source == before


def test_the_service_does_not_import_the_citation_readers():
    readers = {"citeproc", "bibtexparser", "pylatexenc", "pybtex"}
    for module in sorted((PROJECT_ROOT / "service").rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {name.split(".")[0] for name in imported} & readers, module
    csl = ast.parse((PROJECT_ROOT / "service" / "knowledge" / "csl.py").read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(csl) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(csl) if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert modules and all(name.split(".")[0] in sys.stdlib_module_names for name in modules)
