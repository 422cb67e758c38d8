"""Shared bases and field types for result models and input models.

Result models are lenient where the API evolves (unknown enum values survive as
plain strings, unknown fields are ignored); input models are strict, because
they are the last chance to reject bad input before anything is sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone
from enum import Enum
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    StringConstraints,
)
from pydantic.alias_generators import to_camel

from stigg_async._validation import MAX_AMOUNT, id_problem
from stigg_async._validation import MAX_ID_LENGTH as _MAX_ID_LENGTH

__all__ = [
    "AddonQuantity",
    "CountryCode",
    "Dimensions",
    "DisplayName",
    "FiniteFloat",
    "Id",
    "InputDateTime",
    "Items",
    "JsonObject",
    "NonEmptyText",
    "NonNegativeFloat",
    "PageSize",
    "PercentOff",
    "Percentage",
    "PositiveFloat",
    "SchemaEnum",
    "StiggInput",
    "StiggModel",
    "StrictBool",
    "StrictInt",
    "Text",
    "Url",
    "UtcDateTime",
    "lenient",
]

E = TypeVar("E", bound=Enum)
T = TypeVar("T")

#: Longest id we accept locally (the one rule of ``_validation``).
MAX_ID_LENGTH = _MAX_ID_LENGTH
MAX_URL_LENGTH = 2048


class SchemaEnum(str, Enum):
    """Base of the schema's enums: a str that prints as its value (``f"{x}"`` is ``"ACTIVE"``)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


class StiggModel(BaseModel):
    """Base of every result model: frozen, snake_case attributes aliased to camelCase.

    Unknown fields are ignored so that the API (or a richer selection) can add
    fields without breaking parsing.
    """

    model_config = ConfigDict(
        frozen=True,
        populate_by_name=True,
        alias_generator=to_camel,
        extra="ignore",
        # Validators are built on first use, not at import: ~60 model classes would
        # otherwise cost most of the package's import time (benchmark B6).
        defer_build=True,
    )


class StiggInput(BaseModel):
    """Base of every input model: frozen, strict, unknown fields rejected.

    Error locations use the snake_case attribute names, which is what callers write.
    """

    model_config = ConfigDict(
        frozen=True,
        populate_by_name=True,
        alias_generator=to_camel,
        extra="forbid",
        loc_by_alias=False,
        defer_build=True,
    )

    #: The GraphQL variable this input is sent as (``$input``, ``$query``...).
    variable_name: ClassVar[str] = "input"

    def to_variables(self) -> dict[str, Any]:
        """The camelCase, JSON-ready value of this input (``None`` fields left out)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")

    def as_operation_variables(self) -> dict[str, Any]:
        """The ``variables`` object of a request: ``{variable_name: to_variables()}``."""
        return {self.variable_name: self.to_variables()}


# --- result field types -------------------------------------------------------


def _aware(value: datetime) -> datetime:
    # The API sends UTC; a timestamp without an offset is read as UTC rather than
    # left naive, so comparisons with aware datetimes never raise.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


#: A DateTime scalar: ISO-8601 strings (``Z`` or offset) or epoch seconds/milliseconds.
UtcDateTime = Annotated[datetime, AfterValidator(_aware)]


def lenient(enum_cls: type[E]) -> PlainValidator:
    """A validator keeping known values as ``enum_cls`` members and unknown ones as str.

    The API adds enum values over time; a result must still parse when it meets one.
    """
    members: Mapping[str, Any] = enum_cls._value2member_map_

    def validate(value: Any) -> Any:
        if isinstance(value, str):
            return members.get(value, value)
        raise ValueError(f"expected a {enum_cls.__name__} string")

    return PlainValidator(validate)


def _none_to_empty(value: Any) -> Any:
    return () if value is None else value


#: A list field, frozen as a tuple; ``null`` or absent reads as empty.
Items = Annotated[tuple[T, ...], BeforeValidator(_none_to_empty)]

#: A JSON scalar holding an object (``additionalMetaData``).
JsonObject = dict[str, Any]


# --- input field types --------------------------------------------------------


def _check_id(value: str) -> str:
    # The SDK's one id rule (``_validation``), so models and plain methods agree.
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _check_visible(value: str) -> str:
    # URLs may be longer than ids; otherwise the same visible-text rule.
    if not value.isprintable() or value.isspace():
        raise ValueError("must be visible text without control or zero-width characters")
    return value


def _to_utc(value: datetime) -> datetime:
    # Naive datetimes are taken as UTC (datetime.utcnow() style); aware ones are
    # converted so every DateTime goes out as an ISO-8601 UTC string.
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _check_dimensions(value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise ValueError("must be a mapping of str to str, int, float or bool")
    for key, item in value.items():
        if not isinstance(key, str):
            raise ValueError("keys must be strings")
        if isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"value of {key!r} must be finite")
        elif not isinstance(item, (str, int)):  # bool is an int
            raise ValueError(f"value of {key!r} must be a str, int, float or bool")
    return dict(value)


#: An identifier: a real str (ints are not coerced), 1-255 visible characters.
Id = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=MAX_ID_LENGTH),
    AfterValidator(_check_id),
]
#: Free text (names, emails, descriptions): a real str, not coerced.
Text = Annotated[str, Strict()]
#: A redirect URL: non-empty visible text.
Url = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=MAX_URL_LENGTH),
    AfterValidator(_check_visible),
]
StrictBool = Annotated[bool, Strict()]
#: An integer: a real int (floats and strings are not coerced).
StrictInt = Annotated[int, Strict()]
#: Text that must not be empty.
NonEmptyText = Annotated[str, Strict(), StringConstraints(min_length=1)]
#: A page size the SDK accepts locally (the API applies its own cap too).
PageSize = Annotated[int, Strict(), Field(ge=1, le=1000)]
#: A percentage from 0 to 100.
Percentage = Annotated[float, Strict(), Field(ge=0, le=100, allow_inf_nan=False)]
#: A discount in percent: above 0, at most 100.
PercentOff = Annotated[float, Strict(), Field(gt=0, le=100, allow_inf_nan=False)]
#: A display name: 1-255 characters of text.
DisplayName = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=255)]
#: A number that must be finite and within the API's range (doubles count exactly up
#: to 2**53, the same bound as ``_validation.check_amount``); ints are accepted, bools
#: and strings are not.
FiniteFloat = Annotated[float, Strict(), Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, allow_inf_nan=False)]
#: A finite number >= 0 (unit quantities, limits, requested usage).
NonNegativeFloat = Annotated[float, Strict(), Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
#: A finite number > 0 (amounts of money or credits, durations).
PositiveFloat = Annotated[float, Strict(), Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False)]
#: An add-on quantity: an int >= 1.
AddonQuantity = Annotated[int, Strict(), Field(ge=1)]
#: An ISO-3166-1 alpha-2 country code ("US", "DK").
CountryCode = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Z]{2}$")]
#: A DateTime sent to the API: converted to UTC (naive values are taken as UTC).
InputDateTime = Annotated[datetime, AfterValidator(_to_utc)]
#: Usage dimensions: a flat mapping of str to str, int, float or bool.
Dimensions = Annotated[dict[str, str | int | float | bool], PlainValidator(_check_dimensions)]
