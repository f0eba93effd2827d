"""JSON merge patch (RFC 7396), as a change's update applies it and a revert undoes one: every example of the RFC's
appendix A, and the patch that turns a record into another."""

import pytest

from service.knowledge.merge_patch import merge_diff, merge_patch

# RFC 7396, appendix A: original, patch, result.
RFC_7396_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "result"), RFC_7396_EXAMPLES)
def test_merge_patch_gives_each_result_of_rfc_7396(original, patch, result):
    assert merge_patch(original, patch) == result


@pytest.mark.parametrize(("original", "patch", "result"), RFC_7396_EXAMPLES)
def test_merge_patch_leaves_the_original_and_the_patch_as_they_were(original, patch, result):
    before = repr((original, patch))
    merge_patch(original, patch)
    assert repr((original, patch)) == before


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (original, result)
        for original, _, result in RFC_7396_EXAMPLES
        if isinstance(original, dict) and isinstance(result, dict) and None not in result.values()
    ]
    + [
        ({"stance": "firm", "topics": ["a"], "date": {"year": 2017}}, {"stance": "neutral", "date": {"year": 2017}}),
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}, "d": [1, 2]}),
    ],
)
def test_merge_diff_is_the_patch_from_one_record_to_another(current, target):
    """Applied to `current`, the diff gives `target`: how a revert brings a record back (records hold no nulls, which
    a merge patch cannot set)."""
    assert merge_patch(current, merge_diff(current, target)) == target


def test_merge_diff_names_only_what_differs():
    current = {"id": "x", "stance": "firm", "topics": ["a"], "date": {"year": 2017, "month": 8}}
    target = {"id": "x", "stance": "neutral", "date": {"year": 2017}}
    assert merge_diff(current, target) == {"stance": "neutral", "topics": None, "date": {"month": None}}
    assert merge_diff(target, target) == {}
