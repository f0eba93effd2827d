"""marshmallow schemas: the API contract, also used to validate the fixtures on load."""

from .facts import (
    CitationSchema,
    EntitySchema,
    EventSchema,
    FigureSchema,
    MeasureSchema,
    MemberVoteSchema,
    ResolutionSchema,
    RoleSchema,
    SourceSchema,
    StatementSchema,
    TopicSchema,
)
from .service import HealthSchema, ProblemSchema, SearchHitSchema

__all__ = [
    "CitationSchema",
    "EntitySchema",
    "EventSchema",
    "FigureSchema",
    "HealthSchema",
    "MeasureSchema",
    "MemberVoteSchema",
    "ProblemSchema",
    "ResolutionSchema",
    "RoleSchema",
    "SearchHitSchema",
    "SourceSchema",
    "StatementSchema",
    "TopicSchema",
]
