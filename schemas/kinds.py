"""The vocabulary of record kinds, declared once as data: every list of kinds in the service and its schemas
(the enums, the write shapes, the search types, the routes, the FollowTheMoney mapping, the health counts) is
derived from this table. No behaviour and no imports from the service: models, schemas and behaviour attach to a
kind by its name (schemas/facts.py `@record_schema`, service/knowledge/kinds.py, resources/<plural>.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Owner:
    """The record a record of this kind belongs to, where it is read rather than at a URL of its own."""

    kind: str  # the owner's kind
    field: str  # this kind's field naming its owner
    embedded: str | None = None  # the owner's field serving these records inside it (an entity's `roles`)
    listed: str | None = None  # or the owner's sub-path listing them (a resolution's `votes`)


@dataclass(frozen=True)
class KindSpec:
    """One kind of record, as the vocabulary declares it."""

    name: str  # singular; also the citation's fact_type and the change's kind
    plural: str  # the URL segment, the resource module's name, the health count
    fixture: str  # file in fixtures/ (every kind has one); sources also come from seeds/
    url: str | None = None  # where one record is served, with {id}; its page is the same path without /api/v1
    cited: bool = True  # a fact: at least one citation (health counts it among the facts)
    served: bool = True  # served as a record of its own, listed or at its url (not only inside its owner)
    owner: Owner | None = None  # where it is read when it has no url of its own
    in_facts: bool = False  # listed in /facts, with its support
    disputable: bool = False  # a dispute can involve it (its `fact_type`); it serves its disputes
    # Searched, and where its type comes in the search's documented types (statements first: the search is
    # mostly over what was said).
    search_rank: int | None = None
    # A set of a resolution's records whose coverage the resolution states, and where it comes among them.
    coverage_rank: int | None = None
    ftm: str | None = None  # the FollowTheMoney schema its records map to (service/knowledge/ftm.py), if any
    # A cited passage can carry an account it names as a record of this kind (a citation's `account`).
    carries_accounts: bool = False


# In this order: health counts them so, and rows are inserted so (a kind only points at kinds before it).
KIND_TABLE: tuple[KindSpec, ...] = (
    KindSpec(
        "source",
        "sources",
        "references.json",
        url="/api/v1/sources/{id}",
        cited=False,
        ftm="Article",
        carries_accounts=True,
    ),
    KindSpec(
        "entity",
        "entities",
        "entities.json",
        url="/api/v1/entities/{id}",
        in_facts=True,
        disputable=True,
        search_rank=1,
        ftm="LegalEntity",  # a Person, an Organization or a country's LegalEntity
    ),
    KindSpec(
        "role",
        "roles",
        "roles.json",
        served=False,
        owner=Owner("entity", "entity", embedded="roles"),  # (FtM: mapped inside its person's entities)
    ),
    KindSpec(
        "resolution",
        "resolutions",
        "resolutions.json",
        url="/api/v1/resolutions/{id}",
        in_facts=True,
        disputable=True,
        ftm="Documentation",  # of the body that adopted it: FtM has no schema for a resolution
    ),
    KindSpec(
        "vote",
        "votes",
        "votes.json",
        owner=Owner("resolution", "resolution", listed="votes"),
        coverage_rank=1,
    ),
    KindSpec(
        "measure",
        "measures",
        "measures.json",
        url="/api/v1/measures/{id}",
        in_facts=True,
        disputable=True,
        search_rank=2,
        coverage_rank=0,
        ftm="Sanction",
    ),
    KindSpec("figure", "figures", "figures.json", url="/api/v1/figures/{id}", in_facts=True, disputable=True),
    KindSpec(
        "event",
        "events",
        "events.json",
        url="/api/v1/events/{id}",
        in_facts=True,
        disputable=True,
        search_rank=3,
        ftm="Event",
        carries_accounts=True,
    ),
    KindSpec(
        "statement",
        "statements",
        "statements.json",
        url="/api/v1/statements/{id}",
        in_facts=True,
        disputable=True,
        search_rank=0,
        ftm="Documentation",
    ),
    KindSpec("topic", "topics", "topics.json", url="/api/v1/topics/{id}", cited=False),
    KindSpec(
        "dispute",
        "disputes",
        "disputes.json",
        url="/api/v1/disputes/{id}",
        cited=False,  # its evidence is cited by its claims
        search_rank=4,
    ),
    KindSpec(
        "claim",
        "claims",
        "claims.json",
        served=False,
        owner=Owner("dispute", "dispute", embedded="claims"),
    ),
)
