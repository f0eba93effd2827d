"""The response cache's rules of invalidation, on the cache alone: what a revision touched drops the answers made
from it and only those; anything the cache cannot account for drops everything; an answer made before a revision
is kept only if the revision left what it was made from alone."""

import pytest

from service.store.version import DataState
from service.web.cache import CachedAnswer, ResponseCache, touched_tokens

TOPIC = {"documents": [["topic", "dialogue"]], "tables": ["search_document", "topic"]}
STATEMENT = {"documents": [["statement", "s1"]], "tables": ["statement"]}

ITEM_TOPIC = frozenset({("doc", "topic", "dialogue")})
ITEM_OTHER_TOPIC = frozenset({("doc", "topic", "sanctions")})
TOPIC_LIST = frozenset({("kind", "topic"), ("table", "topic")})
STATEMENT_LIST = frozenset({("kind", "statement"), ("table", "statement")})
STATEMENTS_ON_A_TOPIC = frozenset(
    {("kind", "statement"), ("table", "statement"), ("table", "statement_topic"), ("table", "topic")}
)
FEED = frozenset({("table", "change")})


def answer(text: str = "x") -> CachedAnswer:
    return CachedAnswer(text.encode(), (("Content-Type", "application/json"),))


def cache_with(revisions: dict[int, dict], asked: list | None = None) -> ResponseCache:
    """A cache reading the touched sets from `revisions` (as the change table holds them)."""

    def touched_between(after: int, upto: int):
        if asked is not None:
            asked.append((after, upto))
        found = {r: revisions[r] for r in range(after + 1, upto + 1) if r in revisions}
        return found if len(found) == upto - after else None

    return ResponseCache(1 << 20, touched_between)


def state(position: int, epoch: str = "e1") -> DataState:
    return DataState(f"v-{epoch}-{position}", epoch, position)


def filled(cache: ResponseCache, at: DataState, entries: dict) -> None:
    cache.sync(at)
    for key, dependencies in entries.items():
        cache.put((key,), answer(key), dependencies, at)


def kept(cache: ResponseCache, at: DataState) -> set[str]:
    return {
        key
        for key in ("topic", "other-topic", "topics", "statements", "on-topic", "feed", "page")
        if cache.get((key,), at)
    }


ENTRIES = {
    "topic": ITEM_TOPIC,
    "other-topic": ITEM_OTHER_TOPIC,
    "topics": TOPIC_LIST,
    "statements": STATEMENT_LIST,
    "on-topic": STATEMENTS_ON_A_TOPIC,
    "feed": FEED,
    "page": None,  # depends on everything
}


def test_a_revision_drops_the_answers_made_from_what_it_touched_and_only_those():
    asked: list = []
    cache = cache_with({6: TOPIC}, asked)
    filled(cache, state(5), ENTRIES)
    assert kept(cache, state(5)) == set(ENTRIES)
    cache.sync(state(6))
    assert asked == [(5, 6)], "one read of what the revisions since touched"
    assert kept(cache, state(6)) == {"other-topic", "statements"}
    assert cache.stats().dropped == 5 and cache.stats().cleared == 1  # (the first sync, from nothing)


def test_several_revisions_at_once_drop_the_union_of_what_they_touched():
    cache = cache_with({6: TOPIC, 7: STATEMENT})
    filled(cache, state(5), ENTRIES)
    cache.sync(state(7))
    assert kept(cache, state(7)) == {"other-topic"}


def test_a_new_epoch_drops_everything():
    cache = cache_with({6: TOPIC})
    filled(cache, state(5), ENTRIES)
    cache.sync(state(5, epoch="e2"))
    assert kept(cache, state(5, epoch="e2")) == set()


@pytest.mark.parametrize(
    "revisions",
    [{}, {6: None}, {6: {"documents": "all"}}, {6: {"documents": [["topic"]], "tables": []}}, {6: ["topic"]}],
    ids=["missing", "null", "not-a-list", "not-a-key", "not-a-dict"],
)
def test_a_revision_missing_or_unreadable_drops_everything(revisions):
    cache = cache_with(revisions)
    filled(cache, state(5), ENTRIES)
    cache.sync(state(6))
    assert kept(cache, state(6)) == set()


def test_a_version_moved_without_a_revision_drops_everything():
    cache = cache_with({})
    filled(cache, state(5), ENTRIES)
    cache.sync(DataState("another", "e1", 5))
    assert kept(cache, DataState("another", "e1", 5)) == set()


def test_a_state_read_before_another_requests_sync_is_answered_from_the_later_one():
    cache = cache_with({6: TOPIC})
    filled(cache, state(5), ENTRIES)
    cache.sync(state(6))
    cache.sync(state(5))  # a request that read the state before the revision: nothing goes back
    assert cache.synced == state(6)
    assert kept(cache, state(5)) == {"other-topic", "statements"}  # newer answers, never older ones


def test_nothing_is_served_at_a_state_the_cache_has_not_synced_to():
    cache = cache_with({6: STATEMENT})
    filled(cache, state(5), ENTRIES)
    assert cache.get(("statements",), state(6)) is None, "a revision it has not read yet may have touched it"
    assert cache.get(("statements",), state(5, epoch="e2")) is None


def test_an_answer_made_before_a_revision_is_kept_only_if_the_revision_left_it_alone():
    """An answer rendered while a publication commits is put after the cache has followed it: it is kept only when
    the revisions in between touched nothing it was made from."""
    cache = cache_with({6: TOPIC, 7: STATEMENT})
    cache.sync(state(5))
    cache.sync(state(7))
    for key, dependencies in ENTRIES.items():
        cache.put((key,), answer(key), dependencies, state(5))
    assert kept(cache, state(7)) == {"other-topic"}
    cache.put(("topics",), answer("topics"), TOPIC_LIST, state(6))  # made after the topic's revision
    assert cache.get(("topics",), state(7)) is not None
    cache.put(("feed",), answer("feed"), FEED, state(7))
    assert cache.get(("feed",), state(7)) is not None


def test_an_answer_made_at_a_state_the_cache_cannot_account_for_is_not_kept():
    cache = cache_with({6: TOPIC})
    cache.sync(state(6))
    cache.put(("statements",), answer(), STATEMENT_LIST, state(5))  # before the cache's first sync: unknown
    cache.put(("other",), answer(), STATEMENT_LIST, state(6, epoch="e0"))  # another epoch
    cache.put(("later",), answer(), STATEMENT_LIST, state(7))  # a state the cache has not followed
    cache.put(("moved",), answer(), STATEMENT_LIST, DataState("another", "e1", 6))
    assert len(cache) == 0


def test_after_a_drop_of_everything_older_answers_are_not_kept():
    cache = cache_with({6: TOPIC})
    cache.sync(state(5))
    cache.sync(state(6, epoch="e2"))
    cache.put(("statements",), answer(), STATEMENT_LIST, state(5))
    assert len(cache) == 0


def test_every_revision_touches_the_change_feed_and_the_dataset():
    assert touched_tokens({"documents": [], "tables": []}) == {("table", "change"), ("table", "dataset")}
    assert touched_tokens(TOPIC) == {
        ("table", "change"),
        ("table", "dataset"),
        ("table", "search_document"),
        ("table", "topic"),
        ("table", "document"),
        ("doc", "topic", "dialogue"),
        ("kind", "topic"),
    }
