"""The tables as migration step 1 created them. Frozen: a released step never changes, so this module does not
follow service/store/models.py; later steps (migrations.py) take the schema from here to today's."""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)
from playhouse.postgres_ext import TSVectorField
from playhouse.sqlite_ext import FTS5Model, SearchField

from .db import db, uses_sqlite


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Source(BaseModel):
    id = CharField(primary_key=True)
    kind = CharField()
    title = TextField()
    publisher = TextField(null=True)
    author = TextField(null=True)
    published_on = DateField(null=True)
    date_precision = CharField()
    date_derivation = TextField(null=True)
    dateline = TextField(null=True)
    url = TextField(null=True)
    sha256 = CharField(null=True)
    note = TextField(null=True)
    text = TextField(null=True)


class Entity(BaseModel):
    id = CharField(primary_key=True)
    kind = CharField(index=True)
    name = TextField()
    aliases = TextField(default="[]")
    search_key = TextField()
    country = ForeignKeyField("self", null=True, backref="nationals")
    description = TextField()


class Role(BaseModel):
    id = CharField(primary_key=True)
    entity = ForeignKeyField(Entity, backref="roles", on_delete="CASCADE")
    title = TextField()
    organization = ForeignKeyField(Entity, null=True, backref="+")
    country = ForeignKeyField(Entity, null=True, backref="+")


class Resolution(BaseModel):
    id = CharField(primary_key=True)
    body = ForeignKeyField(Entity, backref="+")
    number = IntegerField(null=True)
    symbol = CharField(null=True)
    adopted_on = DateField(null=True)
    votes_for = IntegerField(null=True)
    votes_against = IntegerField(null=True)
    abstentions = IntegerField(null=True)
    drafted_by = ForeignKeyField(Entity, null=True, backref="+")
    purpose = TextField(null=True)


class MemberVote(BaseModel):
    id = CharField(primary_key=True)
    resolution = ForeignKeyField(Resolution, backref="votes", on_delete="CASCADE")
    member = ForeignKeyField(Entity, backref="+")
    vote = CharField()

    class Meta:
        indexes = ((("resolution", "member"), True),)


class Measure(BaseModel):
    id = CharField(primary_key=True)
    resolution = ForeignKeyField(Resolution, backref="measures", on_delete="CASCADE")
    kind = CharField(index=True)
    commodity = CharField(null=True)
    description = TextField()


class Figure(BaseModel):
    id = CharField(primary_key=True)
    subject = CharField(index=True)
    metric = CharField(index=True)
    value = DoubleField()
    unit = CharField()
    as_stated = TextField()
    approximate = BooleanField(default=False)
    description = TextField(null=True)


class Event(BaseModel):
    id = CharField(primary_key=True)
    kind = CharField(index=True)
    title = TextField()
    occurred_on = DateField(null=True, index=True)
    date_precision = CharField()
    date_derivation = TextField(null=True)
    place = ForeignKeyField(Entity, null=True, backref="+")
    description = TextField()


class EventParticipant(BaseModel):
    event = ForeignKeyField(Event, backref="participant_links", on_delete="CASCADE")
    entity = ForeignKeyField(Entity, backref="+")
    position = IntegerField()

    class Meta:
        indexes = ((("event", "entity"), True),)


class Topic(BaseModel):
    id = CharField(primary_key=True)
    description = TextField()


class Statement(BaseModel):
    id = CharField(primary_key=True)
    speaker = ForeignKeyField(Entity, null=True, backref="statements")
    speaker_as_written = TextField()
    said_on = DateField(null=True, index=True)
    date_precision = CharField()
    date_derivation = TextField(null=True)
    stance = CharField(index=True)
    summary = TextField()
    quote = TextField(null=True)
    attribution = CharField(index=True)
    attribution_note = TextField(null=True)
    event = ForeignKeyField(Event, null=True, backref="statements")


class StatementTopic(BaseModel):
    statement = ForeignKeyField(Statement, backref="topic_links", on_delete="CASCADE")
    topic = ForeignKeyField(Topic, backref="+")
    position = IntegerField()

    class Meta:
        indexes = ((("statement", "topic"), True),)


class StatementReporter(BaseModel):
    statement = ForeignKeyField(Statement, backref="reporter_links", on_delete="CASCADE")
    entity = ForeignKeyField(Entity, backref="+")
    position = IntegerField()

    class Meta:
        indexes = ((("statement", "entity"), True),)


class Citation(BaseModel):
    fact_type = CharField()
    fact_id = CharField()
    source = ForeignKeyField(Source, backref="citations")
    quote = TextField(null=True)
    start = IntegerField(null=True)
    end = IntegerField(null=True)
    position = IntegerField()

    class Meta:
        indexes = ((("fact_type", "fact_id", "position"), True),)


class Dataset(BaseModel):
    fingerprint = CharField()
    facts = IntegerField()
    loaded_at = DateTimeField()


MODELS = (
    Source,
    Entity,
    Role,
    Resolution,
    MemberVote,
    Measure,
    Figure,
    Event,
    EventParticipant,
    Topic,
    Statement,
    StatementTopic,
    StatementReporter,
    Citation,
    Dataset,
)


class SearchDocument(FTS5Model):
    kind = SearchField(unindexed=True)
    record_id = SearchField(unindexed=True)
    label = SearchField()
    body = SearchField()

    class Meta:
        database = db
        table_name = "search_document"
        options = {"tokenize": "porter unicode61 remove_diacritics 2"}


class PgSearchDocument(Model):
    kind = CharField()
    record_id = CharField()
    label = TextField()
    body = TextField()
    document = TSVectorField()

    class Meta:
        database = db
        table_name = "search_document_pg"


def create_tables() -> None:
    db.create_tables(MODELS, safe=True)
    if uses_sqlite():
        SearchDocument.create_table(safe=True)
    else:
        PgSearchDocument.create_table(safe=True)  # TSVectorField brings its GIN index
