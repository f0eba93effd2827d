"""The OpenAPI document is the contract: valid, fully described, and committed as schemas/openapi.json.

Regenerate the snapshot after any change to the API's documentation or schemas:

    sanctions-kb openapi write --format=json schemas/openapi.json
"""

from __future__ import annotations

import json
import re

import openapi_spec_validator
import pytest

from service.config import PROJECT_ROOT

SNAPSHOT = PROJECT_ROOT / "schemas" / "openapi.json"
REGENERATE = "sanctions-kb openapi write --format=json schemas/openapi.json"
PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_JSON = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(spec: dict, obj: dict) -> dict:
    """Follow a local $ref (#/components/...) to what it names."""
    while "$ref" in obj:
        node = spec
        for part in obj["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def test_served_spec_is_valid_openapi(spec):
    openapi_spec_validator.validate(spec)  # raises OpenAPIValidationError with the path of the first error
    assert spec["openapi"].startswith("3.0")


def test_every_operation_has_summary_description_tag_and_unique_operation_id(spec):
    declared_tags = {tag["name"]: tag for tag in spec["tags"]}
    seen: dict[str, str] = {}
    used_tags = set()
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("summary", "").strip(), f"{where} has no summary (the first line of the view's docstring)"
        assert operation.get("description", "").strip(), (
            f"{where} has no description (the docstring after its first line)"
        )
        assert operation.get("tags"), f"{where} has no tag"
        for tag in operation["tags"]:
            assert tag in declared_tags, f"{where}: tag {tag!r} is not declared in the spec's tags"
            used_tags.add(tag)
        operation_id = operation.get("operationId", "")
        assert re.fullmatch(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)+", operation_id), (
            f"{where}: operationId {operation_id!r} is not lowerCamelCase"
        )
        assert operation_id not in seen, f"{where} and {seen[operation_id]} share operationId {operation_id!r}"
        seen[operation_id] = where
    for name, tag in declared_tags.items():
        assert tag.get("description", "").strip(), f"tag {name!r} has no description"
    assert used_tags == set(declared_tags), f"tags without operations: {set(declared_tags) - used_tags}"


def test_operation_ids_are_derived_from_endpoint_names(spec):
    ids = {f"{method.upper()} {path}": operation["operationId"] for path, method, operation in operations(spec)}
    assert ids["GET /api/v1/entities"] == "listEntities"
    assert ids["GET /api/v1/entities/{entity_id}"] == "getEntity"
    assert ids["GET /api/v1/resolutions/{resolution_id}/votes"] == "listResolutionVotes"
    assert ids["GET /api/v1/sources/{source_id}/text"] == "getSourceText"
    assert ids["GET /api/v1/search"] == "listSearchHits"
    assert ids["GET /health"] == "getHealth"


def test_every_operation_id_comes_from_its_endpoint_not_its_prose(app, spec):
    """A docstring edit changes the summary, never the operationId a generated client calls."""
    from service.web.docs_plugin import operation_id

    endpoints = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        endpoints[path] = rule.endpoint
    for path, method, operation in operations(spec):
        is_list = any(p["name"] == "page" for p in operation.get("parameters", []))
        assert operation["operationId"] == operation_id(method, endpoints[path], is_list), f"{method} {path}"
    assert operation_id("get", "sources.SourceText", False) == "getSourceText"
    assert operation_id("get", "statements.StatementItem", False) == "getStatement"


def test_every_parameter_has_a_description_and_an_example(spec):
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            for parameter in [*shared, *item[method].get("parameters", [])]:
                parameter = resolve(spec, parameter)
                where = f"{method.upper()} {path}: {parameter['in']} parameter {parameter['name']!r}"
                assert parameter.get("description", "").strip(), f"{where} has no description"
                examples = parameter.get("examples", {}).values()  # (or several, each with its value)
                assert (
                    "example" in parameter
                    or "example" in parameter.get("schema", {})
                    or (examples and all("value" in e for e in examples))
                ), f"{where} has no example"


def test_every_schema_property_has_a_description_and_an_example(spec):
    for name, schema in spec["components"]["schemas"].items():
        assert schema.get("description", "").strip(), f"schema {name} has no description (its class docstring)"
        for prop_name, prop in schema.get("properties", {}).items():
            where = f"schema {name}, property {prop_name!r}"
            assert prop.get("description", "").strip(), f"{where} has no description"
            # A list of records documented elsewhere takes its example from that record's schema, whose
            # properties are checked here too; anything else carries its own example.
            composed = prop.get("type") == "array" and "$ref" in prop.get("items", {})
            assert "example" in prop or composed, f"{where} has no example"


def test_every_error_response_is_problem_json(spec):
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        assert "default" in responses, f"{method.upper()} {path} documents no default (error) response"
        for status, response in responses.items():
            response = resolve(spec, response)
            where = f"{method.upper()} {path} -> {status}"
            assert response.get("description", "").strip(), f"{where} has no description"
            if status == "default" or int(status) >= 400:
                content = response.get("content", {})
                assert list(content) == [PROBLEM_JSON], (
                    f"{where}: errors are {PROBLEM_JSON}, documented {list(content)}"
                )
                assert content[PROBLEM_JSON]["schema"] == {"$ref": PROBLEM_REF}, (
                    f"{where} does not use the Problem schema"
                )


def test_lists_document_pagination_rejection_and_page_past_the_end(spec):
    lists = 0
    for path, method, operation in operations(spec):
        parameters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if "page" not in parameters:
            continue
        lists += 1
        where = f"{method.upper()} {path}"
        assert {"page", "page_size"} <= parameters, where
        responses = operation["responses"]
        assert "422" in responses, f"{where} does not document 422 for an unknown or invalid query parameter"
        assert "404" in responses, f"{where} does not document 404 for a page past the end"
        headers = responses["200"]["headers"]
        for name in ("X-Pagination", "Link", "ETag"):
            assert headers[name]["required"] is True, f"{where}: header {name} is not documented as always sent"
    assert lists >= 10


def test_every_get_documents_etag_and_304(spec):
    for path, method, operation in operations(spec):
        if method != "get":
            continue
        where = f"GET {path}"
        assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in operation["parameters"]), where
        assert "ETag" in operation["responses"]["200"]["headers"], where
        not_modified = operation["responses"]["304"]
        assert "content" not in not_modified and "ETag" in not_modified["headers"], where


def test_every_link_leads_to_an_operation_with_values_from_its_response(spec):
    """Each declared link names an existing operation, fills its path parameters, and takes every value from a
    property that its response's schema has (clients and schemathesis' stateful phase follow them)."""
    by_id = {operation["operationId"]: (path, operation) for path, _, operation in operations(spec)}
    links = 0
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            response = resolve(spec, response)
            for name, link in response.get("links", {}).items():
                links += 1
                where = f"{method.upper()} {path} -> {status}, link {name}"
                assert link.get("description", "").strip(), f"{where} has no description"
                assert link["operationId"] in by_id, f"{where}: no operation {link['operationId']!r}"
                target_path, target = by_id[link["operationId"]]
                parameters = {
                    p["name"]: p["in"]
                    for p in [*spec["paths"][target_path].get("parameters", []), *target.get("parameters", [])]
                }
                required_path = {n for n, location in parameters.items() if location == "path"}
                assert required_path <= set(link["parameters"]), f"{where} leaves {required_path} unfilled"
                properties = resolve(spec, response["content"]["application/json"]["schema"])["properties"]
                for parameter, expression in link["parameters"].items():
                    assert parameter in parameters, f"{where}: {link['operationId']} has no parameter {parameter!r}"
                    field = expression.removeprefix("$response.body#/")
                    assert field in properties, f"{where}: {expression} is not a property of the response"
    assert links >= 8, "the curation workflow's links are gone (service/web/docs_plugin.py, LINKS)"


def test_snapshot_matches_the_served_spec(spec):
    assert SNAPSHOT.exists(), f"{SNAPSHOT.relative_to(PROJECT_ROOT)} is missing: create it with `{REGENERATE}`"
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    if committed != spec:
        changes = "\n".join(f"  {change}" for change in differences(committed, spec)[:20])
        pytest.fail(
            f"schemas/openapi.json differs from the spec the service serves:\n{changes}\n"
            f"If the change is intended, regenerate the snapshot with `{REGENERATE}` and commit it.",
            pytrace=False,
        )


def differences(committed, served, where: str = "") -> list[str]:
    """Where two JSON documents differ, as `path: committed -> served` lines."""
    if isinstance(committed, dict) and isinstance(served, dict):
        found = []
        for key in [*committed, *(k for k in served if k not in committed)]:
            path = f"{where}/{key}"
            if key not in served:
                found.append(f"{path}: removed")
            elif key not in committed:
                found.append(f"{path}: added")
            else:
                found += differences(committed[key], served[key], path)
        return found
    if committed != served:
        return [f"{where or '/'}: {json.dumps(committed)[:120]} -> {json.dumps(served)[:120]}"]
    return []


def test_snapshot_is_exactly_what_the_command_writes(runner, tmp_path):
    """The committed file is byte for byte the output of `sanctions-kb openapi write` (stable: same code, same bytes)."""
    out = tmp_path / "openapi.json"
    result = runner.invoke(args=["openapi", "write", "--format=json", str(out)])
    assert result.exit_code == 0, result.output
    assert SNAPSHOT.exists(), f"schemas/openapi.json is missing: create it with `{REGENERATE}`"
    assert out.read_text(encoding="utf-8") == SNAPSHOT.read_text(encoding="utf-8"), (
        f"schemas/openapi.json is not what `{REGENERATE}` writes now: regenerate it with that command"
    )
