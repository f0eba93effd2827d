"""The FollowTheMoney export's entities: followthemoney itself reads every one as valid, every link resolves, ids
and bytes are stable, and each mapped fact's citations are kept with their sources."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from followthemoney import model
from followthemoney.types import registry

from service.config import PROJECT_ROOT
from service.knowledge.ftm import DATASET, ID_LIMIT, FtmMapper, ftm_id, interval_date, sanctioned_entities
from service.knowledge.kinds import KINDS
from tests.helpers import FIXTURES_DIR, edit_record, problems_of, read_fixture, stored_documents

Documents = dict[tuple[str, str], dict]


def served_documents(app) -> Documents:
    """Every served record's document, parsed, by (kind, id)."""
    return {key: json.loads(body) for key, body in stored_documents(app).items()}


def in_export_order(documents: Documents) -> list[tuple[str, dict]]:
    """The records as the export streams them: kind by kind in registry order, each kind in id order."""
    return [
        (kind.name, documents[(kind.name, record_id)])
        for kind in KINDS
        for record_id in sorted(record_id for (name, record_id) in documents if name == kind.name)
    ]


def export_lines(documents: Documents, records: list[tuple[str, dict]] | None = None) -> list[str]:
    """The export's lines, one FtM entity each, mapped by a fresh mapper."""
    measures = [record for (kind, _), record in sorted(documents.items()) if kind == "measure"]
    mapper = FtmMapper(lambda kind, record_id: documents.get((kind, record_id)), sanctioned_entities(measures))
    return [
        json.dumps(entity, ensure_ascii=False)
        for kind, record in (in_export_order(documents) if records is None else records)
        for entity in mapper.entities(kind, record)
    ]


@pytest.fixture
def documents(app) -> Documents:
    return served_documents(app)


@pytest.fixture
def exported(client) -> list[dict]:
    """The export as GET /api/v1/exports/entities.ftm.json streams it: one FtM entity a line."""
    answer = client.get("/api/v1/exports/entities.ftm.json", buffered=True)
    assert answer.status_code == 200 and answer.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]


def test_the_endpoint_streams_what_the_mapper_makes_of_every_record_in_order(documents, exported):
    assert exported == [json.loads(line) for line in export_lines(documents)]


@pytest.fixture
def by_id(exported) -> dict[str, dict]:
    return {entity["id"]: entity for entity in exported}


def documentations(exported: list[dict], record: str) -> list[dict]:
    """The Documentation entities that carry a fact's citations ("kind:id")."""
    return [
        e
        for e in exported
        if e["schema"] == "Documentation"
        and e["properties"]["recordId"] == [record]
        and e["properties"].get("role") != ["speaker"]
    ]


# followthemoney reads every entity as valid


def test_every_entity_parses_with_its_schema_and_every_value_cleans_to_itself(exported):
    assert len(exported) > 400
    for entity in exported:
        assert list(entity) == ["id", "schema", "properties", "datasets", "target"], entity
        schema = model.get(entity["schema"])
        assert schema is not None and not schema.abstract, entity["schema"]
        proxy = model.get_proxy(entity, cleaned=False)  # cleans every value, dropping what it cannot read
        assert proxy.to_dict()["properties"] == entity["properties"], entity["id"]
        assert schema.validate(entity) is None
        for name, values in entity["properties"].items():
            prop = schema.get(name)
            assert prop is not None and not prop.stub, f"{entity['id']}: {schema.name} has no property {name!r}"
            assert values and len(values) == len(set(values)), (entity["id"], name)
            for value in values:
                assert prop.type.clean(value, proxy=proxy) == value, (entity["id"], name, value)
                assert prop.max_length is None or len(value) <= prop.max_length, (entity["id"], name)


def test_every_entity_has_its_schemas_required_properties(exported):
    # `Schema.required` as followthemoney declares it (and as `Schema.validate` holds entities to it).
    checked = set()
    for entity in exported:
        schema = model.get(entity["schema"])
        for name in schema.required:
            assert entity["properties"].get(name), f"{entity['id']}: {schema.name} requires {name!r}"
            checked.add((schema.name, name))
    assert {("Sanction", "entity"), ("Occupancy", "holder"), ("Occupancy", "post"), ("Person", "name")} <= checked
    assert {("Documentation", "document"), ("Documentation", "entity"), ("LegalEntity", "name")} <= checked


def test_every_link_names_an_exported_entity_of_the_schema_it_allows(exported, by_id):
    links = 0
    for entity in exported:
        schema = model.get(entity["schema"])
        for name, values in entity["properties"].items():
            prop = schema.get(name)
            if prop.type != registry.entity:
                continue
            for value in values:
                assert value in by_id, f"{entity['id']}: {name} names {value!r}, which the export does not hold"
                target = model.get(by_id[value]["schema"])
                assert target.is_a(prop.range), f"{entity['id']}: {name} is a {target.name}, not a {prop.range.name}"
                links += 1
    assert links > 900


# Ids and bytes


def test_ids_are_unique_namespaced_and_within_ftm_limits(exported):
    ids = [entity["id"] for entity in exported]
    assert len(ids) == len(set(ids))
    for entity_id in ids:
        assert entity_id.startswith("sanctions-kb-")
        assert registry.entity.validate(entity_id) and len(entity_id) <= registry.entity.max_length == ID_LIMIT


def test_a_long_record_id_still_gives_a_valid_distinct_id():
    long_a, long_b = "a" * 190 + "-x", "a" * 190 + "-y"
    first, second = ftm_id("entity", long_a), ftm_id("entity", long_b)
    assert first != second and first == ftm_id("entity", long_a)
    assert all(len(i) <= ID_LIMIT and registry.entity.validate(i) for i in (first, second))


def test_the_export_is_byte_identical_across_runs_and_independent_of_what_was_mapped_before(app, documents):
    first = export_lines(documents)
    assert export_lines(served_documents(app)) == first
    # Record by record: mapping the records in the reverse order gives each record the same entities.
    backwards = export_lines(documents, list(reversed(in_export_order(documents))))
    assert sorted(backwards) == sorted(first)


# What each kind becomes


def test_ri_yong_ho_is_a_person_of_north_korea_holding_the_foreign_ministers_post(by_id):
    ri = by_id["sanctions-kb-entity-ri-yong-ho"]
    assert ri["schema"] == "Person"
    assert ri["properties"]["name"] == ["Ri Yong-ho"]
    assert ri["properties"]["alias"] == ["Ri Yong Ho", "Ri Yong-Ho", "Ri"]
    assert ri["properties"]["nationality"] == ["kp"]
    assert ri["properties"]["position"] == ["Foreign Minister"]
    post = by_id["sanctions-kb-position-ri-yong-ho-foreign-minister"]
    assert post["schema"] == "Position"
    assert post["properties"]["name"] == ["Foreign Minister"] and post["properties"]["country"] == ["kp"]
    occupancy = by_id["sanctions-kb-occupancy-ri-yong-ho-foreign-minister"]
    assert occupancy["schema"] == "Occupancy"
    assert occupancy["properties"]["holder"] == [ri["id"]]
    assert occupancy["properties"]["post"] == [post["id"]]


def test_a_country_is_a_legal_entity_with_its_code_and_an_organisation_has_its_countrys(by_id):
    north_korea = by_id["sanctions-kb-entity-north-korea"]
    assert north_korea["schema"] == "LegalEntity"
    assert north_korea["properties"]["country"] == north_korea["properties"]["jurisdiction"] == ["kp"]
    yonhap = by_id["sanctions-kb-entity-yonhap"]
    assert yonhap["schema"] == "Organization" and yonhap["properties"]["country"] == ["kr"]
    assert "sanctions-kb-entity-manila" not in by_id  # a place is an event's location


def test_the_coal_export_ban_is_a_sanction_of_north_korea_listed_on_the_adoption_day(documents, by_id):
    resolution = documents[("resolution", "unsc-resolution-2371")]
    sanction = by_id["sanctions-kb-measure-unsc-2371-export-ban-coal"]
    assert sanction["schema"] == "Sanction"
    properties = sanction["properties"]
    assert properties["entity"] == ["sanctions-kb-entity-north-korea"]
    assert properties["listingDate"] == [resolution["adopted_on"]] == ["2017-08-05"]
    assert properties["authority"] == ["UN Security Council"]
    assert properties["program"] == ["S/RES/2371 (2017)"]
    assert properties["provisions"] == [documents[("measure", "unsc-2371-export-ban-coal")]["description"]]
    assert properties["reason"] == [resolution["purpose"]]
    assert "sanctions-kb-source-un-doc-s-res-2371-2017" in properties["proof"]
    assert "https://undocs.org/S/RES/2371(2017)" in properties["sourceUrl"]


def test_each_measure_with_a_target_is_one_sanction_and_one_without_is_none(documents, exported):
    measures = [record for (kind, _), record in documents.items() if kind == "measure"]
    sanctions = {e["properties"]["recordId"][0]: e for e in exported if e["schema"] == "Sanction"}
    assert {f"measure:{x['id']}" for x in measures if x["target"]} == set(sanctions)
    assert [x["id"] for x in measures if not x["target"]] == ["unsc-2371-designations-individuals-entities"]
    assert len(sanctions) == 9


def test_dates_keep_the_records_precision(by_id):
    def date(event_id):
        return by_id[f"sanctions-kb-event-{event_id}"]["properties"].get("date")

    assert date("unsc-vote-resolution-2371") == ["2017-08-05"]  # a day
    assert date("seoul-offer-of-talks-2017-07") == ["2017-07"]  # a month, not its first day
    for span in (
        "lavrov-ri-yong-ho-meeting-2017-08",
        "asean-meetings-manila-2017",
        "cbs-news-visit-north-korea-spring-2017",
    ):
        assert date(span) is None  # a span of days, a season: its first and last days, not a month or a year
    interval = by_id["sanctions-kb-event-asean-meetings-manila-2017"]["properties"]
    assert (interval["startDate"], interval["endDate"]) == (["2017-08-02"], ["2017-08-08"])
    interval = by_id["sanctions-kb-event-cbs-news-visit-north-korea-spring-2017"]["properties"]
    assert (interval["startDate"], interval["endDate"]) == (["2017-03-01"], ["2017-05-31"])
    for day in ("unsc-vote-resolution-2371", "seoul-offer-of-talks-2017-07"):
        assert not {"startDate", "endDate"} & set(by_id[f"sanctions-kb-event-{day}"]["properties"])
    statement = by_id["sanctions-kb-statement-byrne-sanctions-a-big-threat"]
    assert "date" not in statement["properties"]  # an unknown date
    assert interval_date(None, "2017-12-30", "2018-01-02") is None


def test_a_statement_over_a_span_of_days_has_its_first_and_last_days(documents, by_id):
    spans = [r for (kind, _), r in documents.items() if kind == "statement" and r["date_precision"] == "span"]
    assert spans
    for statement in spans:
        properties = by_id[f"sanctions-kb-statement-{statement['id']}"]["properties"]
        assert properties["startDate"] == [statement["date_earliest"]]
        assert properties["endDate"] == [statement["date_latest"]]
        assert "date" not in properties


# The dataset, its targets and their topics, as OpenSanctions' tools read them


def test_every_entity_belongs_to_the_dataset(exported):
    assert DATASET == "sanctions_kb"
    assert all(entity["datasets"] == [DATASET] for entity in exported)


def test_the_entities_a_measure_targets_are_sanctioned_targets_and_no_other_is(documents, exported):
    targeted = {
        f"sanctions-kb-entity-{r['target']}" for (kind, _), r in documents.items() if kind == "measure" and r["target"]
    }
    assert targeted == {"sanctions-kb-entity-north-korea"}
    targets = {entity["id"] for entity in exported if entity["target"] is True}
    assert targets == targeted
    assert all(entity["target"] is False for entity in exported if entity["id"] not in targeted)
    topical = {entity["id"]: entity["properties"]["topics"] for entity in exported if "topics" in entity["properties"]}
    assert topical == {entity_id: ["sanction"] for entity_id in targeted}
    assert registry.topic.clean("sanction") == "sanction"  # followthemoney's own topic of a sanctioned entity


def ftm(*arguments: str, cwd) -> subprocess.CompletedProcess:
    """followthemoney's command line (`ftm`), as an OpenSanctions user runs it on the export."""
    command = [str(Path(sys.executable).parent / "ftm"), *arguments]  # installed beside this Python
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def export_file(client, tmp_path):
    answer = client.get("/api/v1/exports/entities.ftm.json", buffered=True)
    (tmp_path / "entities.ftm.json").write_bytes(answer.get_data())
    return tmp_path / "entities.ftm.json"


def read_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_ftm_validate_and_aggregate_read_the_export_and_keep_its_dataset_and_targets(export_file, exported):
    folder = export_file.parent
    ftm("validate", "-i", export_file.name, "-o", "valid.json", cwd=folder)
    ftm("aggregate", "-i", export_file.name, "-o", "aggregated.json", cwd=folder)
    for name in ("valid.json", "aggregated.json"):
        read = {entity["id"]: entity for entity in read_lines(folder / name)}
        assert set(read) == {entity["id"] for entity in exported}, name
        for entity in exported:
            assert read[entity["id"]]["datasets"] == [DATASET], name
            assert read[entity["id"]]["target"] is entity["target"], name
            assert read[entity["id"]]["properties"] == entity["properties"], name


def test_ftm_statements_carry_the_dataset_and_aggregate_back_into_the_entities(export_file, exported):
    folder = export_file.parent
    ftm("statements", "-d", DATASET, "-o", "statements.csv", export_file.name, cwd=folder)
    with (folder / "statements.csv").open(encoding="utf-8", newline="") as statements:
        rows = list(csv.DictReader(statements))
    assert {row["dataset"] for row in rows} == {DATASET}
    assert {row["canonical_id"] for row in rows} == {entity["id"] for entity in exported}
    ftm("aggregate-statements", "-d", DATASET, "-i", "statements.csv", "-o", "entities.json", cwd=folder)
    read = {entity["id"]: entity for entity in read_lines(folder / "entities.json")}
    assert set(read) == {entity["id"] for entity in exported}
    for entity in exported:
        assert read[entity["id"]]["datasets"] == [DATASET]
        assert {k: sorted(v) for k, v in read[entity["id"]]["properties"].items()} == {
            k: sorted(v) for k, v in entity["properties"].items()
        }


def test_an_event_has_its_place_participants_and_kind(by_id):
    handshake = by_id["sanctions-kb-event-kang-ri-handshake-2017-08-06"]["properties"]
    assert handshake["location"] == ["Manila"] and handshake["country"] == ["ph"]
    assert handshake["involved"] == ["sanctions-kb-entity-kang-kyung-wha", "sanctions-kb-entity-ri-yong-ho"]
    assert handshake["keywords"] == ["encounter"]


def test_a_statement_documents_its_speaker_with_the_verbatim_quote(documents, by_id):
    statement = documents[("statement", "ri-seoul-proposals-lacked-sincerity")]
    documentation = by_id["sanctions-kb-statement-ri-seoul-proposals-lacked-sincerity"]
    assert documentation["schema"] == "Documentation"
    properties = documentation["properties"]
    assert properties["entity"] == ["sanctions-kb-entity-ri-yong-ho"]
    assert properties["summary"] == [statement["quote"]]
    assert properties["description"] == [statement["summary"]]
    assert properties["date"] == ["2017-08-06"]
    source = next(c["source"] for c in statement["citations"] if c["quote"] and statement["quote"] in c["quote"])
    assert properties["document"] == [f"sanctions-kb-source-{source}"]


def test_sources_are_articles_with_their_metadata_not_their_text(documents, by_id):
    article = by_id["sanctions-kb-source-china-urges-n-korea-2017-08-12"]
    assert article["schema"] == "Article"
    assert article["properties"]["title"] == ["China urges N. Korea to stop missile tests, resume talks"]
    assert article["properties"]["author"] == ["Melinda Barton"]
    assert article["properties"]["publishedAt"] == ["2017-08-12"]
    assert "bodyText" not in article["properties"]
    reference = by_id["sanctions-kb-source-un-doc-s-res-2371-2017"]["properties"]
    assert reference["sourceUrl"] == ["https://undocs.org/S/RES/2371(2017)"]
    assert reference["publisher"] == ["United Nations Security Council"]
    undated = by_id["sanctions-kb-source-the-hill-white-house-trump-appreciates-china-russia"]
    assert "publishedAt" not in undated["properties"]


# Provenance


def has_ftm_form(kind: str, record: dict) -> bool:
    """Whether the export maps a fact: every fact of the mapped kinds but a place, a measure with no target and a
    statement with no identified speaker, which have no FtM entity to document."""
    if kind == "entity":
        return record["kind"] != "place"
    if kind == "measure":
        return record["target"] is not None
    if kind == "statement":
        return record["speaker"] is not None
    return kind in ("resolution", "event")


def mapped_facts(documents: Documents) -> list[tuple[str, dict]]:
    facts = []
    for kind, record in in_export_order(documents):
        if has_ftm_form(kind, record):
            facts.append((kind, record))
            facts += [("role", role) for role in record.get("roles", [])]
    return facts


def curated_mapped_facts() -> list[str]:
    """The ids of the facts the export maps, read from the fixture files: every entity but a place and its roles,
    every resolution and event, every measure with a target and every statement with an identified speaker."""
    entities = [e for e in read_fixture(FIXTURES_DIR / "entities.json") if e["kind"] != "place"]
    named = {e["id"] for e in entities}
    return (
        [e["id"] for e in entities]
        + [r["id"] for r in read_fixture(FIXTURES_DIR / "roles.json") if r["entity"] in named]
        + [r["id"] for r in read_fixture(FIXTURES_DIR / "resolutions.json")]
        + [r["id"] for r in read_fixture(FIXTURES_DIR / "events.json")]
        + [m["id"] for m in read_fixture(FIXTURES_DIR / "measures.json") if m.get("target") is not None]
        + [s["id"] for s in read_fixture(FIXTURES_DIR / "statements.json") if s.get("speaker") is not None]
    )


def test_every_citation_of_every_mapped_fact_is_kept_with_its_source(documents, exported):
    facts = mapped_facts(documents)
    assert sorted(record["id"] for _, record in facts) == sorted(curated_mapped_facts())
    quoted = 0
    for kind, record in facts:
        kept = documentations(exported, f"{kind}:{record['id']}")
        assert len(kept) == len(record["citations"]), (kind, record["id"])
        for citation, documentation in zip(record["citations"], kept, strict=True):
            properties = documentation["properties"]
            assert properties["document"] == [f"sanctions-kb-source-{citation['source']}"]
            assert properties["role"] == [citation["role"]]
            assert properties.get("summary") == ([citation["quote"]] if citation["quote"] else None)
            assert properties.get("description") == ([citation["wording"]] if citation["wording"] else None)
            quoted += citation["quote"] is not None
    assert quoted > 150


def test_a_citation_of_ri_yong_ho_is_kept_with_its_article(exported, by_id):
    kept = documentations(exported, "entity:ri-yong-ho")
    quote = next(d for d in kept if d["properties"].get("summary") == ["her Northern counterpart, Ri Yong-ho"])
    assert quote["properties"]["entity"] == ["sanctions-kb-entity-ri-yong-ho"]
    article = by_id[quote["properties"]["document"][0]]
    assert article["schema"] == "Article"
    assert article["properties"]["publisher"] == ["Press TV"]
    role = documentations(exported, "role:ri-yong-ho-foreign-minister")
    assert [d["properties"]["entity"] for d in role] == [["sanctions-kb-position-ri-yong-ho-foreign-minister"]] * 2
    assert role[0]["properties"]["summary"] == ["North Korean Foreign Minister Ri Yong Ho"]


def test_a_measures_and_the_resolutions_citations_document_what_they_are_about(exported):
    coal = documentations(exported, "measure:unsc-2371-export-ban-coal")
    assert {d["properties"]["entity"][0] for d in coal} == {"sanctions-kb-entity-north-korea"}
    assert coal[0]["properties"]["summary"][0].startswith("The sanctions block all exports of coal")
    resolution = documentations(exported, "resolution:unsc-resolution-2371")
    assert {d["properties"]["entity"][0] for d in resolution} == {"sanctions-kb-entity-un-security-council"}
    contradicting = [d for d in resolution if d["properties"]["role"] == ["contradicts"]]
    assert [d["properties"]["summary"] for d in contradicting] == [
        ["over its first test launch of an intercontinental ballistic missile (ICBM)"]
    ]


def test_a_fact_names_its_supporting_sources_as_proof(documents, by_id):
    event = documents[("event", "kang-ri-handshake-2017-08-06")]
    supporting = list(dict.fromkeys(c["source"] for c in event["citations"] if c["role"] == "supports"))
    proof = by_id["sanctions-kb-event-kang-ri-handshake-2017-08-06"]["properties"]["proof"]
    assert proof == [f"sanctions-kb-source-{source}" for source in supporting]


# Kinds with no FtM form, and the service without followthemoney


def test_kinds_with_no_ftm_form_give_nothing(documents):
    measures = [record for (kind, _), record in sorted(documents.items()) if kind == "measure"]
    mapper = FtmMapper(lambda kind, record_id: documents.get((kind, record_id)), sanctioned_entities(measures))
    for (kind, _), record in documents.items():
        if kind in ("vote", "figure", "topic", "dispute"):
            assert mapper.entities(kind, record) == []


def test_the_service_does_not_import_followthemoney():
    code = (
        "import sys\nfrom service import create_app\nimport service.knowledge.ftm\n"
        "create_app({'DATABASE_URL': 'sqlite:///never-opened.sqlite3'})\n"
        "assert 'followthemoney' not in sys.modules, 'followthemoney imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# Country codes


def test_every_country_has_a_code_followthemoney_knows_by_the_countrys_name(documents):
    entities = [record for (kind, _), record in documents.items() if kind == "entity"]
    countries = [e for e in entities if e["kind"] == "country"]
    assert len(countries) == 21
    for country in countries:
        code = country["country_code"]
        assert code is not None and code == code.upper() and len(code) == 2, country["id"]
        assert registry.country.clean(code) == code.lower(), country["id"]
        assert registry.country.names[code.lower()] in [country["name"], *country["aliases"]], country["id"]
    assert len({c["country_code"] for c in countries}) == len(countries)
    assert all(e["country_code"] is None for e in entities if e["kind"] != "country")


@pytest.mark.parametrize(
    "file, record_id, change, refusal",
    [
        ("entities.json", "ri-yong-ho", lambda e: e.update(country_code="KP"), "a person has no country_code"),
        ("entities.json", "south-korea", lambda e: e.update(country_code="KP"), "'KP' is also entity 'north-korea'"),
        (
            "entities.json",
            "japan",
            lambda e: e.pop("country_code"),
            "a country gives its ISO 3166-1 alpha-2 country_code",
        ),
        ("entities.json", "china", lambda e: e.update(country_code="cn"), "ISO 3166-1 alpha-2 code such as 'KP'"),
        (
            "measures.json",
            "unsc-2371-export-ban-coal",
            lambda x: x.update(target="manila"),
            "target 'manila' is a place",
        ),
    ],
    ids=["code-on-a-person", "shared-code", "country-without-code", "lower-case-code", "place-as-target"],
)
def test_refuses_a_wrong_country_code_or_target(knowledge_copy, file, record_id, change, refusal):
    edit_record(knowledge_copy, file, record_id, change)
    problems = problems_of(knowledge_copy)
    assert any(f"fixtures/{file}: record {record_id!r}" in p and refusal in p for p in problems), problems
