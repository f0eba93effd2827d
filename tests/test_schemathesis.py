"""Property-based conformance: schemathesis drives the real service (granian) from its served /openapi.json.

One schemathesis run (its CLI, `python -m schemathesis.cli`, with the configuration SCHEMATHESIS_TOML below)
tests every operation of the spec that the running service serves, with a fixed seed and a bounded number of
examples, in three phases: the spec's own examples; schemathesis' deterministic coverage cases (boundary
values, missing and unexpected parameters, undeclared HTTP methods); and random fuzzing, with valid and
invalid inputs alike. Each pytest case below then reports one operation's result from the run's JUnit
report, so a failure names the operation, the check, and a `curl` command that reproduces it.

Why the CLI and not `schemathesis.pytest.from_fixture`: that lazy loader reads `request.node._nodeid`, which
pytest 9.2 no longer has (schemathesis 4.32.5 fails with AttributeError); the CLI is schemathesis' primary,
stable interface and loads the schema from the served URL.

Run alone: `KB_GATES=required .venv/bin/pytest tests/test_schemathesis.py` (docs/gates.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest

from service.config import PROJECT_ROOT

try:  # tests/ is not a package: gate_support is a sibling module (`tests.gate_support` if tests/ becomes one)
    from gate_support import optional_import, shared_live_server, tool_missing
except ImportError:
    from tests.gate_support import optional_import, shared_live_server, tool_missing

pytestmark = pytest.mark.gate

# A fixed seed: the same cases on every run, so a failure in CI reproduces locally (schemathesis derives each
# operation's seed from this one and the operation's name).
SEED = 20170805
# Examples generated per operation in the fuzzing phase (Hypothesis' max_examples). The examples and coverage
# phases add their own deterministic cases on top (about 10 to 60 per operation here).
MAX_EXAMPLES = 60

# Operations with a filter that names a record by id (or, for search, words to look for). Such a filter is a
# free-form string in the spec, so schemathesis' *valid* data includes ids that do not exist, and the service
# answers them with a documented 422 problem ("query parameter 'country': no country with id ...") rather
# than an empty list, as the API description says. No JSON Schema can say "an id that exists", so for these
# operations only, positive_data_acceptance also accepts 422; every other check still applies to that 422 in
# full (it must be documented, be application/problem+json, and match the Problem schema).
# The lists of records also take `cursor`, an opaque value only the API makes (from the previous page's
# Link header): any other string is as valid to the schema as a non-existent id, and refused the same way.
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
    "listTopics",
]


def schemathesis_toml(token: str) -> str:
    """The run's configuration: the checks, and the bearer token for the operations that declare bearerAuth."""
    return (
        SCHEMATHESIS_TOML
        + f"""
# The operations that declare the bearerAuth security scheme get the live server's editor token; every other
# operation is sent no credentials (reading is public).
[auth.openapi.bearerAuth]
bearer = "{token}"
"""
    )


# The curation API's writes: a schema-valid proposal is still refused when it does not verify against the sources
# or the knowledge (422: a quote not in its article, an id that does not exist), when the record exists or does
# not (409, 404), when its If-Match is missing or stale (428, 412), and a review by the change's own author or of
# a change that is not pending (403, 409). Each is a documented problem; every other check applies in full.
WRITE_OPERATIONS = ["postChanges", "postChangeApproval", "postChangeRejection"]

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
# Stateful testing follows OpenAPI links between operations that create and use resources; this
# read-only API declares no links, so the phase would have nothing to run.
enabled = false

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
# Not applicable yet, so off: these need operations that create or delete resources (use_after_free,
# ensure_resource_availability) or objects owned by one token (object_level_authorization). Listed so that
# the set of checks is explicit.
use_after_free.enabled = false
ensure_resource_availability.enabled = false
object_level_authorization.enabled = false

# ...except that a filter naming an id that does not exist is a documented 422 (see SEMANTIC_FILTER_OPERATIONS).
[[operations]]
include-operation-id = {json.dumps(SEMANTIC_FILTER_OPERATIONS)}
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "404", "422"]

[[operations]]
include-operation-id = {json.dumps(WRITE_OPERATIONS)}
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "403", "404", "409", "412", "422", "428"]
"""

SNAPSHOT = PROJECT_ROOT / "schemas" / "openapi.json"


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


@pytest.fixture(scope="session")
def live_server(request):
    return shared_live_server(request)


@pytest.fixture(scope="module")
def schemathesis_run(request, tmp_path_factory) -> Run:
    if optional_import("schemathesis") is None:
        tool_missing("the Python package 'schemathesis' (extra `gates`)")
    live_server = request.getfixturevalue("live_server")  # started only once the tool is known to be there
    workdir = tmp_path_factory.mktemp("schemathesis")
    config = workdir / "schemathesis.toml"
    config.write_text(schemathesis_toml(live_server.token), encoding="utf-8")
    reports = workdir / "reports"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/openapi.json",
        "--report",
        "junit,json",
        "--report-junit-path",
        str(reports / "junit.xml"),
        "--report-json-path",
        str(reports / "run.json"),
    ]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=1800)
    output = done.stdout + done.stderr
    (workdir / "output.txt").write_text(output, encoding="utf-8")
    print(output)  # shown by pytest for a failing test (-rA shows it always)
    if not (reports / "junit.xml").exists():
        pytest.fail(
            f"schemathesis did not run ({done.returncode}):\n{output[-5000:]}\nserver log:\n{live_server.log()}",
            pytrace=False,
        )
    results: dict[str, str | None] = {}
    for case in ET.parse(reports / "junit.xml").getroot().iter("testcase"):
        problems = [f"{p.get('message') or ''}\n{p.text or ''}".strip() for p in case if p.tag in ("failure", "error")]
        results[case.get("name")] = "\n\n".join(problems) if problems else None
    report = json.loads((reports / "run.json").read_text(encoding="utf-8"))
    return Run(done.returncode, output, str(workdir / "output.txt"), report, results)


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


def test_run_covered_every_served_operation(schemathesis_run: Run, live_server):
    """The run loaded the served spec, tested all of its operations, and passed (exit code 0)."""
    with urllib.request.urlopen(f"{live_server.url}/openapi.json", timeout=10) as response:
        served = _labels(json.load(response))
    assert served == OPERATIONS, (
        "the served operations differ from schemas/openapi.json: regenerate the snapshot (see test_openapi.py)"
    )
    assert set(schemathesis_run.results) == set(served.values())
    counts = schemathesis_run.report["operations"]
    assert counts["tested"] == counts["total"] == len(served), counts
    assert schemathesis_run.report["seed"] == SEED
    assert schemathesis_run.returncode == 0, (
        f"schemathesis exited with {schemathesis_run.returncode}:\n{schemathesis_run.output[-8000:]}"
    )
