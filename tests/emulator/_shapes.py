"""Comparing response shapes: the same keys at every level, values of compatible kinds."""

from __future__ import annotations

from typing import Any


def assert_same_shape(expected: Any, actual: Any, path: str = "$") -> None:
    """Fail unless ``actual`` has exactly ``expected``'s keys, recursively.

    ``null`` on either side matches anything (a guide's null may be our value and
    the other way round); lists compare their first elements when both have one.
    """
    if expected is None or actual is None:
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        assert set(actual) == set(expected), (
            f"{path}: keys differ: missing {set(expected) - set(actual)}, "
            f"extra {set(actual) - set(expected)}"
        )
        for key, value in expected.items():
            assert_same_shape(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        if expected and actual:
            assert_same_shape(expected[0], actual[0], f"{path}[0]")
    elif isinstance(expected, bool):
        assert isinstance(actual, bool), f"{path}: expected a boolean, got {actual!r}"
    elif isinstance(expected, (int, float)):
        assert not isinstance(actual, bool), f"{path}: expected a number, got {actual!r}"
        assert isinstance(actual, (int, float)), f"{path}: expected a number, got {actual!r}"
    elif isinstance(expected, str):
        assert isinstance(actual, str), f"{path}: expected a string, got {actual!r}"
