"""Following cursors: one async iterator over every item of a paged connection.

Every connection result (customers, coupons, subscriptions, products, and later the
credit connections) subclasses :class:`~stigg_async._models._common.Connection` and
has ``items``; :func:`follow_cursors` turns a one-page fetch into all the items.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from stigg_async._errors import StiggValidationError

__all__ = ["DEFAULT_PAGE_SIZE", "Page", "check_page_size", "follow_cursors"]

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")

#: Items fetched per request by the ``iter_*`` methods unless told otherwise.
DEFAULT_PAGE_SIZE = 50
_MAX_PAGE_SIZE = 1000


class Page(Protocol[T_co]):
    """One page of a connection: its items and where the next page starts."""

    @property
    def items(self) -> Sequence[T_co]: ...

    @property
    def has_next_page(self) -> bool: ...

    @property
    def end_cursor(self) -> str | None: ...


def check_page_size(page_size: object, operation: str) -> int:
    """``page_size`` if it is an int from 1 to 1000, else a :class:`StiggValidationError`."""
    if (
        isinstance(page_size, bool)
        or not isinstance(page_size, int)
        or not 1 <= page_size <= _MAX_PAGE_SIZE
    ):
        raise StiggValidationError(
            f"page_size must be an int from 1 to {_MAX_PAGE_SIZE}",
            field="page_size",
            operation=operation,
        )
    return page_size


async def follow_cursors(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Yield every item of every page; ``fetch(after)`` returns the page after a cursor.

    Stops at the last page, and also if the server repeats a cursor (which would
    otherwise loop forever).

    Example:
        >>> async def first_ids(stigg):  # doctest: +SKIP
        ...     return [s.ref_id async for s in stigg.iter_subscriptions(page_size=100)]
    """
    after: str | None = None
    seen: set[str] = set()
    while True:
        page = await fetch(after)
        for item in page.items:
            yield item
        cursor = page.end_cursor
        if not page.has_next_page or not cursor or cursor in seen:
            return
        seen.add(cursor)
        after = cursor
