"""marshmallow schemas: the API contract, also used to validate the fixtures on load."""

from .facts import (
    CitationSchema,
    ClaimSchema,
    DisputeSchema,
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
from .service import FactSummarySchema, HealthSchema, ProblemSchema, SearchHitSchema, TokenHolderSchema

__all__ = [
    "CitationSchema",
    "ClaimSchema",
    "DisputeSchema",
    "EntitySchema",
    "EventSchema",
    "FactSummarySchema",
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
    "TokenHolderSchema",
    "TopicSchema",
]
