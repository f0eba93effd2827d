"""JSON merge patch (RFC 7396): how a change's update is applied to a record, and the patch that undoes one."""

from __future__ import annotations


def merge_patch(target, patch):
    """RFC 7396 JSON merge patch: objects merge key by key, null deletes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def merge_diff(current: dict, target: dict) -> dict:
    """The JSON merge patch that turns `current` into `target` (the inverse of `merge_patch`)."""
    patch: dict = {key: None for key in current if key not in target}
    for key, value in target.items():
        if isinstance(value, dict) and isinstance(current.get(key), dict):
            inner = merge_diff(current[key], value)
            if inner:
                patch[key] = inner
        elif current.get(key) != value or key not in current:
            patch[key] = value
    return patch
