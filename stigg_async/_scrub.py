"""Scrubbing secrets out of whatever a server echoed into an error.

A server or a proxy may echo the API key anywhere: in a message, an error's
``extensions`` or ``path``, the partial ``data``, or the text of an exception further
down the chain. :func:`scrub_error` walks all of it, so no attribute of an error the
SDK raises holds the key.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any

from stigg_async._errors import redact

__all__ = ["scrub_error", "scrub_value"]

_MAX_DEPTH = 32
_MAX_CHAIN = 16


def scrub_value(value: Any, secrets: tuple[str, ...], _depth: int = 0) -> Any:
    """``value`` with every secret replaced by ``***`` in every string inside it.

    Mappings, lists, tuples and frozen dataclasses are rebuilt; other objects are kept.

    Example:
        >>> scrub_value({"echo": ["key=sk-1"], "sk-1": 2}, ("sk-1",))
        {'echo': ['key=***'], '***': 2}
    """
    if not secrets or _depth > _MAX_DEPTH:
        return value
    if isinstance(value, str):
        return redact(value, *secrets)
    depth = _depth + 1
    if isinstance(value, Mapping):
        return {
            scrub_value(k, secrets, depth): scrub_value(v, secrets, depth) for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_value(v, secrets, depth) for v in value]
    if isinstance(value, tuple):
        return tuple(scrub_value(v, secrets, depth) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: scrub_value(getattr(value, f.name), secrets, depth)
            for f in fields(value)
            if f.init
        }
        return replace(value, **changes)
    return value


def scrub_error(exc: BaseException, *secrets: str | None) -> BaseException:
    """Scrub ``secrets`` from ``exc``'s args and attributes and from its whole chain.

    Returns ``exc`` (changed in place) so it can be raised directly.
    """
    keys = tuple(s for s in secrets if s)
    if not keys:
        return exc
    seen: set[int] = set()
    current: BaseException | None = exc
    for _ in range(_MAX_CHAIN):
        if current is None or id(current) in seen:
            break
        seen.add(id(current))
        _scrub_one(current, keys)
        current = current.__cause__ or current.__context__
    return exc


def _scrub_one(exc: BaseException, keys: tuple[str, ...]) -> None:
    # An exception type with odd args or read-only attributes is scrubbed as far
    # as it lets itself be.
    with contextlib.suppress(Exception):
        exc.args = tuple(scrub_value(a, keys) for a in exc.args)
    attributes = getattr(exc, "__dict__", None)
    if not attributes:
        return
    for name, value in list(attributes.items()):
        cleaned = scrub_value(value, keys)
        if cleaned is not value and cleaned != value:
            with contextlib.suppress(Exception):
                setattr(exc, name, cleaned)
