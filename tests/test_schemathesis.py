"""Property-based conformance: schemathesis drives the real service (granian) from its served /openapi.json.

One schemathesis run (its CLI, `python -m schemathesis.cli`, with the configuration SCHEMATHESIS_TOML below)
tests every operation of the spec that the running service serves, with a fixed seed and a bounded number of
examples, in four phases: the spec's own examples; schemathesis' deterministic coverage cases (boundary
values, missing and unexpected parameters, undeclared HTTP methods); random fuzzing, with valid and invalid
inputs alike; and stateful scenarios that follow the links the spec declares from a response to the next request
(a change is proposed, then read, approved or rejected by the number the service gave it, then read again, and a
published one's record history listed). Each pytest case below then reports one operation's result from the run's
JUnit report, so a failure names the operation, the check, and a `curl` command that reproduces it; the stateful
phase is a case of its own, and another holds the phase to following the links from a proposed change, read from
the run's NDJSON event log.

The run proposes changes as a curator and reviews them as an editor (schemathesis_hooks.py: a change is reviewed
by an editor other than its author; the same module makes the stateful phase's creates complete topics, which the
service takes), so it publishes changes: it gets a server and database of its own, not the one the other gates
share and read.

Why the CLI and not `schemathesis.pytest.from_fixture`: that lazy loader reads `request.node._nodeid`, which
pytest 9.2 no longer has (schemathesis 4.32.5 fails with AttributeError); the CLI is schemathesis' primary,
stable interface and loads the schema from the served URL.

Run alone: `KB_GATES=required .venv/bin/pytest tests/test_schemathesis.py` (docs/gates.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from service.config import PROJECT_ROOT

try:  # tests/ is not a package: gate_support is a sibling module (`tests.gate_support` if tests/ becomes one)
    from gate_support import LiveServer, optional_import, tool_missing
except ImportError:
    from tests.gate_support import LiveServer, optional_import, tool_missing

pytestmark = pytest.mark.gate

# A fixed seed: the same cases on every run, so a failure in CI reproduces locally (schemathesis derives each
# operation's seed from this one and the operation's name).
SEED = 20170805
# Examples generated per operation in the fuzzing phase (Hypothesis' max_examples). The examples and coverage
# phases add their own deterministic cases on top (about 10 to 60 per operation here).
MAX_EXAMPLES = 60
# The stateful phase's budget: Hypothesis' max_examples for its state machine (about 70 scenarios of up to
# STATEFUL_MAX_STEPS calls, 9 to 13 s on 2 cores): each link out of a proposed change is followed 10 to 30 times,
# the deeper ones (out of a review) a few times or, in some runs, not at all.
STATEFUL_MAX_EXAMPLES = 60
STATEFUL_MAX_STEPS = 6
# The hook module that gives schemathesis the curator's and the editor's tokens (see its docstring).
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")

# Operations with a filter that names a record by id (or, for search, words to look for). Such a filter is a
# free-form string in the spec, so schemathesis' *valid* data includes ids that do not exist, and the service
# answers them with a documented 422 problem ("query parameter 'country': no country with id ...") rather
# than an empty list, as the API description says. No JSON Schema can say "an id that exists", so for these
# operations only, positive_data_acceptance also accepts 422; every other check still applies to that 422 in
# full (it must be documented, be application/problem+json, and match the Problem schema).
# The lists of records also take `cursor`, an opaque value only the API makes (from the previous page's
# Link header): any other string is as valid to the schema as a non-existent id, and refused the same way; so does
# the revision feed's `since_version` (a data version no revision made is a documented 422).
SEMANTIC_FILTER_OPERATIONS = [
    "listDisputes",
    "listFacts",
    "listEntities",
    "listEvents",
    "listFigures",
    "listMeasures",
    "listStatements",
    "listSearchHits",
    "listSources",
    "listResolutions",
    "listResolutionVotes",
    "listRevisions",
    "listTopics",
]


# The suggestions on an article: a schema-valid body may still name no published article (or a reference), a time zone
# that is no IANA name, or give neither `text` nor `source`; no JSON Schema can say "an article that exists" or "one of
# the two", so it is a documented 422 problem, and every other check applies to it in full. And a text one code point
# over its maxLength, written with JSON escapes ("\\u00cb" for each), is larger than the body limit: it is refused with
# the documented 413 before it is read, which is a rejection as much as a 422 is.
SEMANTIC_BODY_OPERATIONS = ["postSuggestions"]
# schemathesis' default statuses for a rejection (schemathesis.config._checks), and 413.
NEGATIVE_WITH_413 = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

# The curation API's writes: a schema-valid proposal is still refused when it does not verify against the sources
# or the knowledge (422: a quote not in its article, an id that does not exist), when the record exists or does
# not (409, 404), when its If-Match is missing or stale (428, 412), and a review by the change's own author or of
# a change that is not pending (403, 409); a revert of a revision that is not its record's latest (409). Each is a
# documented problem; every other check applies in full.
WRITE_OPERATIONS = ["postChanges", "postChangeApproval", "postChangeRejection", "postRevisionRevert"]

SCHEMATHESIS_TOML = f"""\
seed = {SEED}
max-failures = 1000          # report every failure, not only the first
request-timeout = 30

[generation]
mode = "all"                 # valid and invalid inputs
max-examples = {MAX_EXAMPLES}
database = "none"            # no .hypothesis/ directory: a run depends on the seed alone

[phases.examples]
enabled = true
[phases.coverage]
enabled = true
[phases.fuzzing]
enabled = true
[phases.stateful]
# Scenarios that follow the links the spec declares (service/web/docs_plugin.py, LINKS): from a proposed change
# (201) to the change, its approval and its rejection; from a change to its review; from a review to the change
# and, once published, to its record's revisions. Only the declared links: schemathesis can also infer links
# (from Location headers, and from names: list -> item), but those between the read operations would take most
# of the budget for calls the other phases already make with real ids (the spec's examples are records that exist).
enabled = true
inference.algorithms = []
max-steps = {STATEFUL_MAX_STEPS}
# Valid inputs only: a scenario is about the next step of the workflow with the id the last one gave; invalid input
# to each operation is the coverage and fuzzing phases' job (with mode "all" here, most linked steps were refusals).
generation.mode = "positive"
generation.max-examples = {STATEFUL_MAX_EXAMPLES}

[checks]
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_schema_conformance = {{ enabled = true, validate-formats = true }}
response_headers_conformance.enabled = true
# Valid input is answered 2xx, 304, or 404 (unknown id, page past the end), never a 4xx rejection...
positive_data_acceptance = {{ enabled = true, expected-statuses = ["2xx", "3xx", "404"] }}
negative_data_rejection.enabled = true
missing_required_header.enabled = true
unsupported_method.enabled = true
allow_header_conformance.enabled = true
# An operation that declares bearerAuth must refuse a request without valid credentials.
ignored_auth.enabled = true
# In the stateful phase: what a POST created (201) is there at the URL its link leads to (no 404 for a change
# the service has just numbered).
ensure_resource_availability.enabled = true
# Not applicable, so off: use_after_free needs an operation with the DELETE method (records are deleted by a
# published change, and answer 410 then: tests/test_changes.py), object_level_authorization objects that only
# one token may see with other tokens to try (an editor sees every change). Listed so that the set of checks is
# explicit.
use_after_free.enabled = false
object_level_authorization.enabled = false

# ...except that a filter naming an id that does not exist is a documented 422 (see SEMANTIC_FILTER_OPERATIONS).
[[operations]]
include-operation-id = {json.dumps(SEMANTIC_FILTER_OPERATIONS)}
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "404", "422"]

[[operations]]
include-operation-id = {json.dumps(SEMANTIC_BODY_OPERATIONS)}
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "404", "422"]
checks.negative_data_rejection.expected-statuses = {json.dumps(NEGATIVE_WITH_413)}

[[operations]]
include-operation-id = {json.dumps(WRITE_OPERATIONS)}
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "403", "404", "409", "412", "422", "428"]
"""

SNAPSHOT = PROJECT_ROOT / "schemas" / "openapi.json"
# The JUnit case that reports the stateful phase (schemathesis' label for it).
STATEFUL_CASE = "Stateful tests"
# The links the stateful phase must follow to a 2xx in every run: a proposed change (201) read, approved and rejected
# by the number the service gave it. The deeper ones (from a review to the change and its record's revisions) are
# followed too, but as the budget allows: the test prints how often each link was followed and what it got.
LINKS_THAT_MUST_SUCCEED = [
    ("postChanges", "201", "GetChange"),
    ("postChanges", "201", "ApproveChange"),
    ("postChanges", "201", "RejectChange"),
]


def _labels(spec: dict) -> dict[str, str]:
    """operationId -> schemathesis' label of the operation ("GET /api/v1/entities")."""
    return {
        operation.get("operationId", f"{method.upper()} {path}"): f"{method.upper()} {path}"
        for path, operations in spec.get("paths", {}).items()
        for method, operation in operations.items()
        if method != "parameters"
    }


def _snapshot_operations() -> dict[str, str]:
    # The committed snapshot names the operations at collection time (the server is not running yet);
    # test_run_covered_every_served_operation checks that they are exactly those the server serves.
    try:
        return _labels(json.loads(SNAPSHOT.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


OPERATIONS = _snapshot_operations()


@dataclass
class Run:
    returncode: int
    output: str = field(repr=False)
    output_path: str
    report: dict = field(repr=False)
    results: dict[str, str | None] = field(
        default_factory=dict, repr=False
    )  # label -> None if it passed, else the failures
    links_loaded: int = 0  # the links schemathesis read from the spec
    # schemathesis' name of a link ("POST /api/v1/changes -> [201] GetChange -> GET /api/v1/changes/{change_id}") ->
    # the status codes of the stateful phase's requests that took their values from it
    links_followed: dict[str, Counter] = field(default_factory=dict, repr=False)


@dataclass
class CurationServer:
    server: LiveServer
    curator_token: str

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def curation_server(request, tmp_path_factory) -> CurationServer:
    """The real service on a database of its own (the run publishes changes), with a curator's and an editor's token."""
    server = LiveServer(tmp_path_factory.mktemp("schemathesis-server"))
    request.addfinalizer(server.stop)
    server.start()  # an editor's token: server.token
    curator = server.sanctions_kb("token", "create", "--name", "gate-curator", "--role", "curator").strip()
    return CurationServer(server, curator)


@pytest.fixture(scope="module")
def schemathesis_run(request, tmp_path_factory) -> Run:
    if optional_import("schemathesis") is None:
        tool_missing("the Python package 'schemathesis' (extra `gates`)")
    curation = request.getfixturevalue("curation_server")  # started only once the tool is known to be there
    workdir = tmp_path_factory.mktemp("schemathesis")
    config = workdir / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_TOML, encoding="utf-8")
    reports = workdir / "reports"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        "--config-file",
        str(config),
        "run",
        f"{curation.url}/openapi.json",
        "--report",
        "junit,json,ndjson",
        "--report-junit-path",
        str(reports / "junit.xml"),
        "--report-json-path",
        str(reports / "run.json"),
        "--report-ndjson-path",
        str(reports / "events.ndjson"),
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HOOKS),
        "KB_GATE_CURATOR_TOKEN": curation.curator_token,
        "KB_GATE_EDITOR_TOKEN": curation.server.token,
    }
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=1800)
    output = done.stdout + done.stderr
    (workdir / "output.txt").write_text(output, encoding="utf-8")
    print(output)  # shown by pytest for a failing test (-rA shows it always)
    if not (reports / "junit.xml").exists():
        pytest.fail(
            f"schemathesis did not run ({done.returncode}):\n{output[-5000:]}\nserver log:\n{curation.server.log()}",
            pytrace=False,
        )
    results: dict[str, str | None] = {}
    for case in ET.parse(reports / "junit.xml").getroot().iter("testcase"):
        problems = [f"{p.get('message') or ''}\n{p.text or ''}".strip() for p in case if p.tag in ("failure", "error")]
        results[case.get("name")] = "\n\n".join(problems) if problems else None
    report = json.loads((reports / "run.json").read_text(encoding="utf-8"))
    links_loaded, links_followed = _links_in_events(reports / "events.ndjson")
    return Run(done.returncode, output, str(workdir / "output.txt"), report, results, links_loaded, links_followed)


def _links_in_events(path: Path) -> tuple[int, dict[str, Counter]]:
    """From schemathesis' NDJSON event log: how many links it loaded, and the answers to the requests that took
    their values from each link in the stateful phase (a step may draw its own values instead: not counted)."""
    loaded = 0
    followed: dict[str, Counter] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if "LoadingFinished" in event:
            loaded = event["LoadingFinished"]["statistic"]["transitions"]["total"]
        scenario = event.get("ScenarioFinished")
        if not scenario or scenario.get("phase") != "stateful":
            continue
        recorder = scenario.get("recorder", {})
        for case_id, case in recorder.get("cases", {}).items():
            transition = case.get("transition")
            if transition is None or not case.get("is_transition_applied"):
                continue
            response = recorder.get("interactions", {}).get(case_id, {}).get("response")
            followed.setdefault(transition["id"], Counter())[response["status_code"] if response else None] += 1
    return loaded, followed


def _declared_links(spec: dict) -> list[tuple[str, str, str, str]]:
    """(operationId, status, link name, schemathesis' name of the link) for each link the spec declares."""
    labels = _labels(spec)
    found = []
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation.get("responses", {}).items():
                for name, link in response.get("links", {}).items():
                    label = f"{method.upper()} {path} -> [{status}] {name} -> {labels[link['operationId']]}"
                    found.append((operation["operationId"], status, name, label))
    return found


def _served_spec(curation: CurationServer) -> dict:
    with urllib.request.urlopen(f"{curation.url}/openapi.json", timeout=10) as response:
        return json.load(response)


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS) or ["<schemas/openapi.json is missing>"])
def test_operation_conforms(schemathesis_run: Run, operation_id: str):
    """Every response schemathesis got for this operation passed every enabled check."""
    label = OPERATIONS.get(operation_id)
    assert label is not None, f"{SNAPSHOT} names no operations: regenerate it (see test_openapi.py)"
    assert label in schemathesis_run.results, (
        f"schemathesis did not test {label}; its output is in {schemathesis_run.output_path}"
    )
    failure = schemathesis_run.results[label]
    assert failure is None, (
        f"{label} ({operation_id}) breaks its contract; reproduce each case with the curl command shown.\n\n{failure}\n\n"
        f"Full schemathesis output: {schemathesis_run.output_path}"
    )


def test_run_covered_every_served_operation(schemathesis_run: Run, curation_server):
    """The run loaded the served spec, tested all of its operations, and passed (exit code 0)."""
    served = _labels(_served_spec(curation_server))
    assert served == OPERATIONS, (
        "the served operations differ from schemas/openapi.json: regenerate the snapshot (see test_openapi.py)"
    )
    assert set(schemathesis_run.results) == {*served.values(), STATEFUL_CASE}
    counts = schemathesis_run.report["operations"]
    assert counts["tested"] == counts["total"] == len(served), counts
    assert schemathesis_run.report["seed"] == SEED
    assert schemathesis_run.returncode == 0, (
        f"schemathesis exited with {schemathesis_run.returncode}:\n{schemathesis_run.output[-8000:]}"
    )


def test_stateful_phase_conforms(schemathesis_run: Run):
    """The stateful phase ran, and every response in its scenarios passed every enabled check."""
    phase = schemathesis_run.report["phases"]["stateful"]
    # A failure that a scenario found is reported under the operation that answered (its test_operation_conforms
    # case fails too), and only once however many phases found it; the phase's status still says so.
    assert phase["status"] == "success", (
        f"the stateful phase did not pass ({phase}); the run's failures: {schemathesis_run.report['failures']}.\n"
        f"Full schemathesis output: {schemathesis_run.output_path}"
    )
    failure = schemathesis_run.results.get(STATEFUL_CASE, "schemathesis reported no stateful result")
    assert failure is None, (
        f"a stateful scenario breaks the contract; reproduce it with the curl commands shown.\n\n{failure}\n\n"
        f"Full schemathesis output: {schemathesis_run.output_path}"
    )


def test_stateful_phase_followed_the_links_from_a_proposed_change(schemathesis_run: Run, curation_server):
    """schemathesis read every link the spec declares, and its scenarios took a proposed change's number from the 201
    to read, approve and reject that change, each answered with a success at least once."""
    declared = _declared_links(_served_spec(curation_server))
    seen = "\n".join(
        f"  {sum(schemathesis_run.links_followed.get(label, Counter()).values()):3d} followed, answered "
        f"{dict(schemathesis_run.links_followed.get(label, Counter()))}: {label}"
        for *_, label in declared
    )
    print(f"declared links in the stateful phase:\n{seen}")
    assert schemathesis_run.links_loaded == len(declared), (
        f"schemathesis loaded {schemathesis_run.links_loaded} links, the spec declares {len(declared)}"
    )
    by_key = {(operation_id, status, name): label for operation_id, status, name, label in declared}
    for key in LINKS_THAT_MUST_SUCCEED:
        assert key in by_key, f"the spec declares no link {key}: see service/web/docs_plugin.py, LINKS"
        answers = schemathesis_run.links_followed.get(by_key[key], Counter())
        assert any(status is not None and 200 <= status < 300 for status in answers), (
            f"the stateful phase never followed {by_key[key]} to a success (answers: {dict(answers)}):\n{seen}\n"
            f"Full schemathesis output: {schemathesis_run.output_path}"
        )
