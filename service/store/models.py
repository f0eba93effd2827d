"""The relational model of the knowledge base."""

import json

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    CompositeKey,
    DateField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from .db import db


class JSONListField(TextField):
    """A list kept as JSON text (characters as printed), the same on every engine."""

    def db_value(self, value: list | None) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def python_value(self, value: str | None) -> list | None:
        return None if value is None else json.loads(value)


# A table without a key of its own declares the one peewee would add, `id = AutoField()`, so that code reading it
# (and the type checker) sees it.
class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Source(BaseModel):
    id = CharField(primary_key=True)
    sort_key = TextField(default="")  # its place in its lists (knowledge/kinds.py: Kind.sort_key)
    kind = CharField()  # article | reference
    title = TextField()
    publisher = TextField(null=True)
    author = TextField(null=True)
    published_on = DateField(null=True)
    date_precision = CharField()
    date_derivation = TextField(null=True)
    dateline = TextField(null=True)
    url = TextField(null=True)
    accessed_on = DateField(null=True)  # the day a curator last read the page at url
    sha256 = CharField(null=True)
    note = TextField(null=True)
    derived_from = JSONListField(default=list)  # [{source, relation, note}]
    file = TextField(null=True)  # an article's text file name in seeds/ (not served; kept for export-fixtures)
    text = TextField(null=True)


class Entity(BaseModel):
    id = CharField(primary_key=True)
    sort_key = TextField(default="")  # its place in its lists (knowledge/kinds.py: Kind.sort_key)
    kind = CharField(index=True)
    name = TextField()
    aliases = JSONListField(default=list)
    search_key = TextField()  # names and aliases folded for matching, "|"-separated
    country = ForeignKeyField("self", null=True, backref="nationals")
    # A country's ISO 3166-1 alpha-2 code (unique: checked by the loader).
    country_code = CharField(null=True, index=True)
    named = BooleanField(default=True)
    description = TextField()
    identifiers = JSONListField(default=list)  # [{scheme, value, seen_in: {url, file}}]
    # Every identifier as "|scheme:value|" (schemas/identifiers.py: identifier_key), for ?identifier=.
    identifier_key = TextField(default="")


class Role(BaseModel):
    id = CharField(primary_key=True)
    entity = ForeignKeyField(Entity, backref="roles", on_delete="CASCADE")
    title = TextField()
    organization = ForeignKeyField(Entity, null=True, backref="+")
    country = ForeignKeyField(Entity, null=True, backref="+")


class Resolution(BaseModel):
    id = CharField(primary_key=True)
    sort_key = TextField(default="")  # its place in its lists (knowledge/kinds.py: Kind.sort_key)
    body = ForeignKeyField(Entity, backref="+")
    number = IntegerField(null=True)
    symbol = CharField(null=True)
    adopted_on = DateField(null=True)
    votes_for = IntegerField(null=True)
    votes_against = IntegerField(null=True)
    abstentions = IntegerField(null=True)
    drafted_by = ForeignKeyField(Entity, null=True, backref="+")
    purpose = TextField(null=True)
    coverage = JSONListField(default=list)  # [{set, complete, note}]


class MemberVote(BaseModel):
    id = CharField(primary_key=True)
    sort_key = TextField(default="")  # its place in its lists (knowledge/kinds.py: Kind.sort_key)
    resolution = ForeignKeyField(Resolution, backref="votes", on_delete="CASCADE")
    member = ForeignKeyField(Entity, backref="+")
    vote = CharField()

    class Meta:
        indexes = ((("resolution", "member"), True),)


class Measure(BaseModel):
    id = CharField(primary_key=True)
    sort_key = TextField(default="")  # its place in its lists (knowledge/kinds.py: Kind.sort_key)
    resolution = ForeignKeyField(Resolution, backref="measures", on_delete="CASCADE")
    kind = CharField(index=True)
    commodity = CharField(null=True)
    target = ForeignKeyField(Entity, null=True, backref="+")  # the entity it is imposed on, where recorded
    description = TextField()


class Figure(BaseModel):
    id = CharField(primary_key=True)
    sort_key = TextField(default="")  # its place in its lists (knowledge/kinds.py: Kind.sort_key)
    subject = CharField(index=True)  # an entity or resolution id, checked by the loader
    metric = CharField(index=True)
    value_kind = CharField(default="exact")
    value = DoubleField()  # double precision on PostgreSQL too (FloatField is a 4-byte real there)
    value_max = DoubleField(null=True)
    unit = CharField()
    as_stated = TextField()
    approximate = BooleanField(default=False)
    description = TextField(null=True)


class Event(BaseModel):
    id = CharField(primary_key=True)
    sort_key = TextField(default="")  # its place in its lists (knowledge/kinds.py: Kind.sort_key)
    kind = CharField(index=True)
    title = TextField()
    occurred_on = DateField(null=True, index=True)
    date_earliest = DateField(null=True)
    date_latest = DateField(null=True)
    date_precision = CharField()
    date_derivation = TextField(null=True)
    time_zone = CharField(null=True)
    place = ForeignKeyField(Entity, null=True, backref="+")
    description = TextField()


class EventParticipant(BaseModel):
    id = AutoField()
    event = ForeignKeyField(Event, backref="participant_links", on_delete="CASCADE")
    entity = ForeignKeyField(Entity, backref="+")
    position = IntegerField()

    class Meta:
        indexes = ((("event", "entity"), True),)


class Topic(BaseModel):
    id = CharField(primary_key=True)
    sort_key = TextField(default="")  # its place in its lists (knowledge/kinds.py: Kind.sort_key)
    description = TextField()


class Statement(BaseModel):
    id = CharField(primary_key=True)
    sort_key = TextField(default="")  # its place in its lists (knowledge/kinds.py: Kind.sort_key)
    speaker = ForeignKeyField(Entity, null=True, backref="statements")
    speaker_id: str | None  # the speaker's id as stored (peewee's accessor for the foreign key's column)
    speaker_as_written = TextField()
    said_on = DateField(null=True, index=True)
    date_earliest = DateField(null=True)
    date_latest = DateField(null=True)
    date_precision = CharField()
    date_derivation = TextField(null=True)
    time_zone = CharField(null=True)
    stance = CharField(index=True)
    summary = TextField()
    quote = TextField(null=True)
    attribution = CharField(index=True)
    attribution_note = TextField(null=True)
    attribution_chain = JSONListField(default=list)  # [{relay, attribution, note}], from the speaker outwards
    hands = IntegerField(default=1, index=True)  # 1 + the chain's length
    via_unnamed = BooleanField(default=False, index=True)  # some relay of the chain is an unnamed person
    event = ForeignKeyField(Event, null=True, backref="statements")
    search_text = TextField(default="")  # quote, summary and speaker as written, folded like Entity.search_key


class StatementTopic(BaseModel):
    id = AutoField()
    statement = ForeignKeyField(Statement, backref="topic_links", on_delete="CASCADE")
    topic = ForeignKeyField(Topic, backref="+")
    position = IntegerField()

    class Meta:
        indexes = ((("statement", "topic"), True),)


class StatementReporter(BaseModel):
    id = AutoField()
    statement = ForeignKeyField(Statement, backref="reporter_links", on_delete="CASCADE")
    entity = ForeignKeyField(Entity, backref="+")
    position = IntegerField()

    class Meta:
        indexes = ((("statement", "entity"), True),)


class Citation(BaseModel):
    """A passage of a source that supports one fact; fact_type names the fact's table."""

    id = AutoField()
    fact_type = CharField()
    fact_id = CharField()
    source = ForeignKeyField(Source, backref="citations")
    quote = TextField(null=True)
    start = IntegerField(null=True)
    end = IntegerField(null=True)
    role = CharField(default="supports")  # what the passage does for the fact
    fields = JSONListField(default=list)  # the fact's fields it is the source for; [] for the whole fact
    wording = TextField(null=True)
    position = IntegerField()
    # The original account the passage carries (schemas/facts.py AccountSchema); null: the source's own.
    account_type = CharField(null=True)
    account_id = CharField(null=True)

    class Meta:
        indexes = ((("fact_type", "fact_id", "position"), True), (("account_id", "account_type"), False))


class Dispute(BaseModel):
    """A contradiction between sources or a correction of one; its sides are claims."""

    id = CharField(primary_key=True)
    sort_key = TextField(default="")  # its place in its lists (knowledge/kinds.py: Kind.sort_key)
    kind = CharField(index=True)
    subject = TextField()
    status = CharField(index=True)
    verdict = TextField(null=True)
    reasoning = TextField()
    facts = JSONListField(default=list)  # [{type, id}]


class Claim(BaseModel):
    id = CharField(primary_key=True)
    dispute = ForeignKeyField(Dispute, backref="claims", on_delete="CASCADE")
    claim = TextField()
    assessment = CharField()


class DisputeFact(BaseModel):
    """A fact a dispute is about, for looking disputes up from the fact."""

    id = AutoField()
    dispute = ForeignKeyField(Dispute, backref="fact_links", on_delete="CASCADE")
    fact_type = CharField()
    fact_id = CharField()
    position = IntegerField()

    class Meta:
        indexes = ((("fact_type", "fact_id", "dispute"), True),)


class EntityName(BaseModel):
    """Each of an entity's names and aliases, folded as matching folds them (knowledge/text.fold_name), so that
    the entity a name names is found through an index: no name names two entities (checked by the loader)."""

    id = AutoField()
    entity = ForeignKeyField(Entity, backref="+", on_delete="CASCADE")
    name = TextField(index=True)
    position = IntegerField()

    class Meta:
        indexes = ((("entity", "name"), True),)


class Fact(BaseModel):
    """One row per fact of the kinds served at their own URL: how well it is supported and whether it is in
    dispute, for /facts (filled at load time from the rendered documents)."""

    fact_type = CharField()
    fact_id = CharField()
    sort_key = TextField()  # "type id": /facts lists by kind, then id
    label = TextField()
    url = TextField()
    sources = IntegerField()
    independent_sources = IntegerField(index=True)
    disputes = JSONListField(default=list)
    disputed = BooleanField(index=True)

    class Meta:
        primary_key = CompositeKey("fact_type", "fact_id")
        indexes = ((("sort_key",), True),)


class Document(BaseModel):
    """A record's API representation (compact JSON), rendered once at load time: an item GET answers it as
    stored, a list page joins the documents of its ids."""

    kind = CharField()
    record_id = CharField()
    body = TextField()

    class Meta:
        primary_key = CompositeKey("kind", "record_id")


class Dataset(BaseModel):
    """One row: what is loaded. `fingerprint` identifies the knowledge and code it was loaded from (so `init` is
    idempotent); `version` identifies the knowledge being served, however it got there (knowledge/digest.py:
    from `digest`, the sum of its records' digests, kept up to date by each publication in the time of the change).
    `epoch` is new with every full load, and `revision` is the last revision published since it: together they
    say which publications' changes a reader who saw an earlier state must apply (web/cache.py)."""

    id = AutoField()
    fingerprint = CharField()
    facts = IntegerField()
    loaded_at = DateTimeField()
    version = CharField(default="")
    origin = CharField(default="fixtures")  # fixtures (loaded by init) | api (published through the curation API)
    digest = TextField(default="")  # the sum of the records' digests, hex (knowledge/digest.py)
    epoch = CharField(default="")  # a new random value at every full load
    revision = IntegerField(null=True)  # the last revision published since the full load of this epoch


class Token(BaseModel):
    """A curation API token: its holder's name and role, and only a SHA-256 digest of the secret (which is
    shown once, when it is created). Not knowledge: no load of the fixtures touches it."""

    id = AutoField()
    name = CharField(unique=True)
    role = CharField()  # curator | editor | admin
    digest = CharField(unique=True)  # hex SHA-256 of the secret
    created_at = DateTimeField()
    revoked_at = DateTimeField(null=True)


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
    Dispute,
    Claim,
    DisputeFact,
    EntityName,
    Citation,
    Fact,
    Document,
    Dataset,
)


class Change(BaseModel):
    """A change proposed through the curation API: pending until an editor other than its author approves it
    (then published, with a revision number) or rejects it."""

    id = AutoField()
    kind = CharField()  # a record kind (knowledge/kinds.py)
    record_id = CharField()
    action = CharField()  # create | update | delete
    record = TextField(null=True)  # the proposed record as a fixture holds it (JSON); null for a delete
    before = TextField(null=True)  # the published record the change starts from (JSON); null for a create
    summary = TextField()
    author = CharField()  # token name
    status = CharField(index=True)  # pending | published | rejected
    reviewer = CharField(null=True)
    review_note = TextField(null=True)
    created_at = DateTimeField()
    reviewed_at = DateTimeField(null=True)
    revision = IntegerField(null=True, unique=True)  # 1, 2, 3... in the order changes were published
    version = CharField(null=True)  # the data version its publication made
    previous_version = CharField(null=True)  # the data version it was published on
    after = TextField(null=True)  # the record as published once the change was (JSON); null for a delete
    reverts = IntegerField(null=True)  # the revision this change undoes, if it is a revert
    # What its publication changed of the served knowledge (JSON: the documents whose bytes changed, the kinds
    # whose rows changed...), so that a cache drops only the answers made from it (web/cache.py).
    touched = TextField(null=True)

    class Meta:
        indexes = ((("kind", "record_id"), False),)


class WorkbenchSession(BaseModel):
    """A signed-in session of the workbench (the pages for curators): only a SHA-256 digest of its id, which the
    browser holds in a cookie, the token it was opened with, and when it ends: at `expires_at` whatever happens, or
    at `idle_expires_at` unless a request comes first (each request moves it on)."""

    id = AutoField()
    digest = CharField(unique=True)  # hex SHA-256 of the session id
    token = ForeignKeyField(Token, backref="+", on_delete="CASCADE")  # whose session: name and role
    created_at = DateTimeField()
    last_seen_at = DateTimeField()
    expires_at = DateTimeField()  # absolute: the session's lifetime from its sign-in
    idle_expires_at = DateTimeField()  # the last request plus the idle timeout

    class Meta:
        table_name = "workbench_session"


class SignInFailure(BaseModel):
    """A failed sign-in to the workbench: from which client address and when, so that repeated failures are slowed
    in every worker alike."""

    id = AutoField()
    client = CharField()
    failed_at = DateTimeField()

    class Meta:
        table_name = "sign_in_failure"
        indexes = ((("client", "failed_at"), False),)


# Tables that hold what the API's users made, not the curated knowledge: loading the fixtures never deletes them.
CURATION_MODELS = (Token, Change, WorkbenchSession, SignInFailure)
