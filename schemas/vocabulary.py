"""Controlled vocabularies shared by the fact schemas, the query schemas and the loader."""

from .kinds import KIND_TABLE, KindSpec

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

SOURCE_KINDS = ("article", "reference")
ENTITY_KINDS = ("person", "country", "organization", "place")
VOTES = ("yes", "no", "abstain")
MEASURE_KINDS = (
    "export_ban",
    "labor_restriction",
    "investment_restriction",
    "joint_venture_restriction",
    "import_ban",
    "financial_restriction",
    "designation",
)
UNITS = ("USD", "count", "fraction", "percent", "tonnes", "people", "years", "days")
EVENT_KINDS = (
    "meeting",
    "encounter",
    "vote",
    "phone_call",
    "missile_test",
    "tweet",
    "visit",
    "press_remarks",
    "talks",
    "dinner",
    "summit",
    "announcement",
    "appointment",
    "report",
    "ceremony",
)
# The kinds of event that are an original account a source can carry (an utterance or a document: a briefing,
# remarks, a statement, a report, a tweet), as opposed to what such an account reports (a meeting, a call, a test).
ACCOUNT_EVENT_KINDS = ("announcement", "press_remarks", "report", "tweet")
DATE_PRECISIONS = ("day", "week", "month", "season", "year", "span", "unknown")
STANCES = ("supports", "opposes", "conditional", "neutral")
ATTRIBUTIONS = ("direct", "reported", "ambiguous", "unknown")
DATE_MATCHES = ("overlaps", "within")
# What a cited passage does for its fact.
MENTION_ROLES = ("supports", "context", "corrects", "contradicts")
# How a source derives from another: not independent of it.
DERIVATIONS = ("wire_copy", "rewrite", "republication", "transcript", "summary")
VALUE_KINDS = ("exact", "approximate", "lower_bound", "upper_bound", "range")
DISPUTE_KINDS = ("contradiction", "correction")
DISPUTE_STATUSES = ("resolved", "open")
ASSESSMENTS = ("correct", "incorrect", "partly_correct", "unresolved")
# A change proposed through the curation API: awaiting review, published by an editor, or rejected.
CHANGE_STATUSES = ("pending", "published", "rejected")
# The kinds of record, in the table's order, and each kind by its name.
KIND_NAMES = tuple(kind.name for kind in KIND_TABLE)
KIND_NAMED = {kind.name: kind for kind in KIND_TABLE}


def _ranked(rank: str) -> tuple[KindSpec, ...]:
    """The kinds that have a `rank` (search_rank, coverage_rank), in its order."""
    return tuple(sorted((k for k in KIND_TABLE if getattr(k, rank) is not None), key=lambda k: getattr(k, rank)))


# The sets of a resolution's records whose coverage it states, by their plural.
COVERAGE_SETS = tuple(kind.plural for kind in _ranked("coverage_rank"))
# What a cited passage's original account is recorded as: a record of one of these kinds.
ACCOUNT_TYPES = tuple(kind.name for kind in KIND_TABLE if kind.carries_accounts)
# Kinds of fact a dispute can involve (each serves its disputes).
DISPUTED_KINDS = tuple(kind.name for kind in KIND_TABLE if kind.disputable)
# Kinds of fact /facts lists.
FACT_TYPES = tuple(kind.name for kind in KIND_TABLE if kind.in_facts)
# Kinds of record the search finds, in its documented order.
SEARCH_TYPES = tuple(kind.name for kind in _ranked("search_rank"))
# Weakest last: a relayed statement is at most as sure as the weakest link of its chain.
ATTRIBUTION_STRENGTH = {name: rank for rank, name in enumerate(ATTRIBUTIONS)}
