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
DATE_PRECISIONS = ("day", "week", "month", "year", "unknown")
STANCES = ("supports", "opposes", "conditional", "neutral")
ATTRIBUTIONS = ("direct", "reported", "ambiguous", "unknown")
