"""One published record is read on its own (a change's check and publication read what the change touches, not the
whole knowledge), and it is the record the export of the whole holds."""

from service.knowledge.fixtures import published_records
from service.knowledge.kinds import KINDS
from service.knowledge.published import published_record
from service.store.db import db


def test_one_record_read_is_the_record_the_export_holds(app):
    with app.app_context(), db.connection_context():
        every = published_records()
        for kind in KINDS:
            assert every[kind.name], f"no {kind.name} to read"
            for record in every[kind.name]:
                assert published_record(kind, record["id"]) == record
            assert published_record(kind, "no-such-record") is None
