"""Filters, sorting and cursor paging in the shape of the API's connection fields."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

__all__ = ["UNKNOWN", "Nested", "matches", "paginate", "sort_items"]

T = TypeVar("T")

#: A getter's answer for a filter field the emulator does not model (it always matches).
UNKNOWN: Any = object()


class Nested:
    """A getter's answer for a relation (``plan: {refId: {eq: ...}}``)."""

    __slots__ = ("get",)

    def __init__(self, get: Callable[[str], Any]) -> None:
        self.get = get


@cache
def _like(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("^" + "".join(parts) + "$", (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def _comparable(value: Any) -> Any:
    return value.timestamp() if isinstance(value, datetime) else value


def _compare(value: Any, op: str, operand: Any) -> bool:
    if op == "is":
        return (value is None) if operand is None else bool(value == operand)
    if op == "isNot":
        return (value is not None) if operand is None else bool(value != operand)
    if op == "eq":
        return bool(_comparable(value) == _comparable(operand))
    if op == "neq":
        return bool(_comparable(value) != _comparable(operand))
    if op == "in":
        return _comparable(value) in {_comparable(v) for v in operand or ()}
    if op == "notIn":
        return _comparable(value) not in {_comparable(v) for v in operand or ()}
    if op in {"like", "iLike", "notLike", "notILike"}:
        if value is None or operand is None:
            return op.startswith("not")
        hit = _like(str(operand), op in {"iLike", "notILike"}).match(str(value)) is not None
        return not hit if op.startswith("not") else hit
    if op in {"gt", "gte", "lt", "lte"}:
        if value is None or operand is None:
            return False
        left, right = _comparable(value), _comparable(operand)
        if op == "gt":
            return bool(left > right)
        if op == "gte":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        return bool(left <= right)
    if op in {"between", "notBetween"}:
        if value is None or not isinstance(operand, Mapping):
            return op == "notBetween"
        inside = (
            _comparable(operand["lower"]) <= _comparable(value) <= _comparable(operand["upper"])
        )
        return inside if op == "between" else not inside
    return True


def matches(filter_: Mapping[str, Any] | None, get: Callable[[str], Any]) -> bool:
    """Whether a record (read through ``get``) passes a ``*Filter`` input.

    Example:
        >>> matches({"refId": {"like": "cust%"}}, {"refId": "customer-1"}.get)
        True
    """
    if not filter_:
        return True
    for key, condition in filter_.items():
        if condition is None:
            continue
        if key == "and":
            if not all(matches(part, get) for part in condition):
                return False
            continue
        if key == "or":
            if condition and not any(matches(part, get) for part in condition):
                return False
            continue
        value = get(key)
        if value is UNKNOWN:
            continue
        if isinstance(value, Nested):
            if not matches(condition, value.get):
                return False
            continue
        if not isinstance(condition, Mapping):
            continue
        for op, operand in condition.items():
            if not _compare(value, op, operand):
                return False
    return True


def sort_items(
    items: list[T], sorting: Sequence[Mapping[str, Any]] | None, get: Callable[[T, str], Any]
) -> list[T]:
    """Sort by each ``{field, direction, nulls}`` in turn (stable, last key first)."""
    result = list(items)
    for spec in reversed(list(sorting or ())):
        field = spec.get("field")
        descending = spec.get("direction") == "DESC"
        nulls_first = spec.get("nulls") == "NULLS_FIRST"

        def key(item: T, field: Any = field) -> tuple[int, Any]:
            value = _comparable(get(item, str(field)))
            return (0, "") if value is None else (1, value)

        present = [i for i in result if _comparable(get(i, str(field))) is not None]
        absent = [i for i in result if _comparable(get(i, str(field))) is None]
        present.sort(key=key, reverse=descending)
        result = absent + present if nulls_first else present + absent
    return result


def _cursor(index: int) -> str:
    return base64.b64encode(f"arrayconnection:{index}".encode()).decode()


def _index(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        return int(base64.b64decode(cursor.encode()).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


def paginate(
    items: Sequence[T], paging: Mapping[str, Any] | None, to_node: Callable[[T], Any]
) -> dict[str, Any]:
    """A connection (``edges``, ``pageInfo``, ``totalCount``) over ``items``.

    Example:
        >>> page = paginate(["a", "b", "c"], {"first": 2}, str.upper)
        >>> [e["node"] for e in page["edges"]], page["pageInfo"]["hasNextPage"]
        (['A', 'B'], True)
    """
    paging = paging or {}
    start, stop = 0, len(items)
    after, before = _index(paging.get("after")), _index(paging.get("before"))
    if after is not None:
        start = max(start, after + 1)
    if before is not None:
        stop = min(stop, before)
    first, last = paging.get("first"), paging.get("last")
    if first is not None:
        stop = min(stop, start + max(0, int(first)))
    if last is not None:
        start = max(start, stop - max(0, int(last)))
    edges = [{"cursor": _cursor(i), "node": to_node(items[i])} for i in range(start, stop)]
    return {
        "edges": edges,
        "totalCount": len(items),
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
            "hasNextPage": stop < len(items),
            "hasPreviousPage": start > 0,
        },
    }
