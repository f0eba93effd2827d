"""Controlled vocabularies shared by the fact schemas, the query schemas and the loader."""

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
)
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
COVERAGE_SETS = ("measures", "votes")
# Kinds of fact a dispute can involve (each serves its disputes).
DISPUTED_KINDS = ("entity", "resolution", "measure", "figure", "event", "statement")
# Weakest last: a relayed statement is at most as sure as the weakest link of its chain.
ATTRIBUTION_STRENGTH = {name: rank for rank, name in enumerate(ATTRIBUTIONS)}
