"""The contract gate's credentials, loaded by schemathesis itself (SCHEMATHESIS_HOOKS=this file; see test_schemathesis.py).

A change is reviewed by an editor other than its author, so one token cannot take the curation workflow past its
first step: the gate proposes changes as a curator and reads and reviews them as an editor, and only then do the
stateful phase's links from a proposed change to its approval and rejection reach the review itself rather than the
403 a self-review gets. Operations that declare no security requirement are sent no credentials (reading is public).

Why a hook and not the config file: schemathesis 4.32.5 keeps one HTTP session per worker thread, built with the
headers of the first operation it sends, so an `[[operations]]` Authorization header for one operation leaks to the
operations after it; and `[auth.openapi.bearerAuth]` gives every secured operation the same token.

And proposals the service takes, for the stateful phase's scenarios to start from: a record generated from the
schema alone is all but never one that verifies (its citations must quote real passages, its ids name records that
exist), so there a generated proposal proposes a topic, the one kind whose record is complete with a description,
under a fresh id (`gate-topic-1`, `-2`...: when Hypothesis replays a scenario, its create must not meet a 409 for the
topic the first run created, or Hypothesis takes the run for flaky and ends the phase after some 20 scenarios).
"""

from __future__ import annotations

import itertools
import os

import schemathesis
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase

SCHEME = "bearerAuth"
PROPOSING = "postChanges"  # the curator's; every other secured operation is the editor's
CURATOR_TOKEN = "KB_GATE_CURATOR_TOKEN"
EDITOR_TOKEN = "KB_GATE_EDITOR_TOKEN"
TOPIC_NUMBERS = itertools.count(1)


@schemathesis.auth(refresh_interval=None)  # static tokens: nothing to refresh
class CurationTokens:
    def get(self, case, context) -> str | None:
        operation = context.operation.definition.raw
        if not any(SCHEME in requirement for requirement in operation.get("security", [])):
            return None
        return os.environ[CURATOR_TOKEN if operation.get("operationId") == PROPOSING else EDITOR_TOKEN]

    def set(self, case, data: str, context) -> None:
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def map_case(context, case):
    """In the stateful phase, a valid proposal proposes a complete topic, with a fresh id (so that every scenario
    starts from a change the service takes, whatever action was generated)."""
    meta = case.meta
    if (
        meta is None
        or meta.phase.name != TestPhase.STATEFUL
        or meta.generation.mode != GenerationMode.POSITIVE
        or (context.operation is None or context.operation.definition.raw.get("operationId") != PROPOSING)
        or not isinstance(case.body, dict)
    ):
        return case
    case.body = {
        "kind": "topic",
        "action": "create",
        "id": f"gate-topic-{next(TOPIC_NUMBERS)}",
        "record": {"description": "A topic the contract gate proposes."},
        "summary": case.body.get("summary") or "A topic for the contract gate.",
    }
    return case
