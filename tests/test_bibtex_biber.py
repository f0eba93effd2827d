"""The BibTeX export as biber (biblatex's backend) reads it: `biber --tool --validate-datamodel` checks every entry
against biblatex's data model (entry types, fields, mandatory fields, field types) without a warning.

A gate: biber is Debian's `biber` package (scripts/run-gates.sh installs it); without it this test is skipped,
or fails when KB_GATES=required.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from service.knowledge.csl import bibtex_entry
from tests.gate_support import tool_missing
from tests.test_csl import SYNTHETIC

pytestmark = pytest.mark.gate


def biber_messages(folder, text: str) -> list[str]:
    """What biber reports on a .bib file beyond its progress: its WARN and ERROR lines."""
    biber = shutil.which("biber")
    if biber is None:
        tool_missing("biber (Debian package `biber`)")
    (folder / "sources.bib").write_text(text, encoding="utf-8")
    result = subprocess.run(
        [biber, "--tool", "--validate-datamodel", "--output-file", "checked.bib", "sources.bib"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (folder / "checked.bib").exists()
    return [line for line in (result.stdout + result.stderr).splitlines() if not line.startswith("INFO")]


def test_biber_validates_every_entry_against_biblatexs_data_model_without_a_warning(client, tmp_path):
    text = client.get("/api/v1/exports/sources.bib", buffered=True).get_data(as_text=True)
    undated = dict(SYNTHETIC, id="synthetic-undated", published_on=None, date_precision="unknown")
    text += "\n" + bibtex_entry(SYNTHETIC) + "\n" + bibtex_entry(undated)
    assert biber_messages(tmp_path, text) == []
    checked = (tmp_path / "checked.bib").read_text(encoding="utf-8")
    entries = [line for line in text.splitlines() if line.startswith("@")]
    assert len([line for line in checked.splitlines() if line.startswith("@")]) == len(entries)  # all read


def test_biber_reports_what_breaks_its_data_model(tmp_path):
    # The check finds something: an @misc with no date at all is one biber warns about.
    entry = bibtex_entry(dict(SYNTHETIC, published_on=None, date_precision="unknown")).replace("  date = {XXXX},\n", "")
    assert any("Missing mandatory field" in line for line in biber_messages(tmp_path, entry))
