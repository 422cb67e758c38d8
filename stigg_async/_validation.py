"""One set of rules for every input the SDK checks locally: ids, amounts, timeouts, options.

Every public method and option class checks its arguments here, before any side
effect, so the same value is accepted or refused the same way everywhere:

* an **id** is a ``str`` of 1-255 characters, not only whitespace, with no control,
  format (zero-width) or unpaired surrogate characters;
* an **amount** is an ``int`` or ``float`` (never a ``bool``), finite, with an absolute
  value of at most 2**53, past which a double can no longer count in steps of one
  (the API's numbers are doubles), so ``10**400`` is refused instead of overflowing;
* a **timeout** is ``None`` or a finite number of seconds ``>= 0``;
* an **option object** may be passed as itself or as a dict of its fields.

Methods raise :class:`StiggValidationError`, option classes and the constructor
:class:`StiggConfigurationError`; each message names the caller's argument.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar

from stigg_async._errors import StiggConfigurationError, StiggError, StiggValidationError

__all__ = [
    "MAX_AMOUNT",
    "MAX_ID_LENGTH",
    "check_amount",
    "check_bool",
    "check_count",
    "check_fraction",
    "check_id",
    "check_seconds",
    "check_timeout",
    "coerce_options",
    "id_problem",
]

#: Longest id accepted (the API's ids are far shorter).
MAX_ID_LENGTH = 255
#: Largest magnitude of an amount: doubles count exactly up to 2**53.
MAX_AMOUNT = 2**53

OptionsT = TypeVar("OptionsT")


def _fail(error: type[StiggError], message: str, name: str) -> NoReturn:
    if issubclass(error, StiggValidationError):
        raise error(message, field=name)
    raise error(message)


def id_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid id, or ``None`` when it is one.

    Example:
        >>> id_problem("customer-1") is None
        True
        >>> id_problem("a\\u200bb")
        'must be visible text without control or zero-width characters'
    """
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if len(value) > MAX_ID_LENGTH:  # before any scan: a 1 MB id costs nothing
        return f"must be at most {MAX_ID_LENGTH} characters (got {len(value)})"
    if not value or value.isspace():
        return "must not be empty or only whitespace"
    # isprintable() is False for control characters, format characters (zero-width
    # spaces and joiners) and unpaired surrogates; the space character is printable.
    if not value.isprintable():
        return "must be visible text without control or zero-width characters"
    return None


def check_id(
    value: Any,
    name: str,
    *,
    optional: bool = False,
    error: type[StiggError] = StiggValidationError,
) -> str | None:
    """``value`` if it is a valid id (or ``None`` when ``optional``); raise otherwise.

    Example:
        >>> check_id("customer-1", "customer_id")
        'customer-1'
        >>> check_id("   ", "customer_id")
        Traceback (most recent call last):
        ...
        stigg_async._errors.StiggValidationError: customer_id must not be empty or only whitespace
    """
    if value is None and optional:
        return None
    problem = id_problem(value)
    if problem is not None:
        _fail(error, f"{name} {problem}", name)
    result: str = value
    return result


def check_amount(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    optional: bool = False,
    error: type[StiggError] = StiggValidationError,
) -> float | int | None:
    """``value`` if it is a finite number within the API's range (and ``>= minimum``).

    Example:
        >>> check_amount(3, "value")
        3
        >>> check_amount(10**400, "value")
        Traceback (most recent call last):
        ...
        stigg_async._errors.StiggValidationError: value must be a number between -2**53 and 2**53
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(error, f"{name} must be a number, not {type(value).__name__}", name)
    # Compared without float(): float(10**400) raises OverflowError.
    if isinstance(value, float) and not math.isfinite(value):
        _fail(error, f"{name} must be a finite number", name)
    if not -MAX_AMOUNT <= value <= MAX_AMOUNT:
        _fail(error, f"{name} must be a number between -2**53 and 2**53", name)
    if minimum is not None and value < minimum:
        _fail(error, f"{name} must be >= {minimum:g}", name)
    number: float | int = value
    return number


def check_timeout(
    value: Any, name: str = "timeout", *, error: type[StiggError] = StiggValidationError
) -> float | None:
    """``None`` or a finite number of seconds ``>= 0`` (as float).

    Example:
        >>> check_timeout(5), check_timeout(None)
        (5.0, None)
    """
    if value is None:
        return None
    return check_seconds(value, name, allow_zero=True, error=error)


def check_seconds(
    value: Any,
    name: str,
    *,
    allow_zero: bool = False,
    optional: bool = False,
    error: type[StiggError] = StiggConfigurationError,
) -> float:
    """A finite number of seconds, ``> 0`` (or ``>= 0`` with ``allow_zero``), as float."""
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (not isinstance(value, float) or math.isfinite(value))
        and value <= MAX_AMOUNT
        and (value >= 0 if allow_zero else value > 0)
    )
    if not ok:
        kind = "a finite number >= 0" if allow_zero else "a finite number > 0"
        none = " or None" if optional else ""
        _fail(error, f"{name} must be {kind} (seconds){none}, not {_show(value)}", name)
    return float(value)


def check_count(
    value: Any, name: str, *, minimum: int = 1, error: type[StiggError] = StiggConfigurationError
) -> int:
    """An ``int`` (not a ``bool``) ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        _fail(error, f"{name} must be an integer >= {minimum}, not {_show(value)}", name)
    result: int = value
    return result


def check_fraction(
    value: Any, name: str, *, error: type[StiggError] = StiggConfigurationError
) -> float:
    """A number between 0 and 1 inclusive, as float."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 <= value <= 1  # NaN fails this too
    ):
        _fail(error, f"{name} must be a number between 0 and 1, not {_show(value)}", name)
    return float(value)


def check_bool(value: Any, name: str, *, error: type[StiggError] = StiggConfigurationError) -> bool:
    """A real ``bool``."""
    if not isinstance(value, bool):
        _fail(error, f"{name} must be True or False, not {_show(value)}", name)
    result: bool = value
    return result


def coerce_options(value: Any, cls: type[OptionsT], name: str) -> OptionsT:
    """An option object from itself, ``None`` (the defaults) or a dict of its fields.

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass
        ... class Opts:
        ...     size: int = 1
        >>> coerce_options({"size": 3}, Opts, "opts")
        Opts(size=3)
    """
    if isinstance(value, cls):
        return value
    if value is None or isinstance(value, Mapping):
        fields = value or {}
        if not all(isinstance(k, str) for k in fields):
            raise StiggConfigurationError(f"{name}: option names must be strings")
        try:
            return cls(**fields)
        except TypeError as exc:  # an unknown or missing field name
            raise StiggConfigurationError(
                f"{name} must be a {cls.__name__} or a dict of its fields ({exc})"
            ) from None
    raise StiggConfigurationError(
        f"{name} must be a {cls.__name__} or a dict of its fields, not {type(value).__name__}"
    )


def _show(value: Any) -> str:
    """A short, safe picture of a bad value for a message (never a long or secret string)."""
    if isinstance(value, (bool, float)):
        return repr(value)
    if isinstance(value, int):
        text = repr(value)
        return text if len(text) <= 20 else "a huge integer"
    return f"a {type(value).__name__}"
