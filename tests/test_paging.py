"""follow_cursors and check_page_size: the one paging helper every iter_* method uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from stigg_async._errors import StiggValidationError
from stigg_async._paging import check_page_size, follow_cursors


@dataclass
class FakePage:
    items: tuple[int, ...]
    has_next_page: bool
    end_cursor: str | None


@dataclass
class Pages:
    """Serves fixed pages and records the cursor of each request."""

    pages: list[FakePage]
    asked: list[str | None] = field(default_factory=list)

    async def fetch(self, after: str | None) -> FakePage:
        self.asked.append(after)
        return self.pages[len(self.asked) - 1]


async def test_yields_every_item_passing_each_end_cursor() -> None:
    """Items of all pages come out in order; each request starts after the last cursor."""
    pages = Pages(
        [FakePage((1, 2), True, "a"), FakePage((3,), True, "b"), FakePage((), False, None)]
    )
    assert [i async for i in follow_cursors(pages.fetch)] == [1, 2, 3]
    assert pages.asked == [None, "a", "b"]


async def test_stops_without_a_cursor_even_if_more_is_claimed() -> None:
    """A page claiming more but giving no cursor ends the iteration (no endless loop)."""
    pages = Pages([FakePage((1,), True, None)])
    assert [i async for i in follow_cursors(pages.fetch)] == [1]
    assert pages.asked == [None]


async def test_stops_when_a_cursor_comes_back() -> None:
    """A cursor seen before ends the iteration instead of fetching the same page forever."""
    pages = Pages(
        [FakePage((1,), True, "a"), FakePage((2,), True, "a"), FakePage((3,), False, None)]
    )
    assert [i async for i in follow_cursors(pages.fetch)] == [1, 2]


async def test_nothing_is_fetched_until_iterated() -> None:
    """The iterator is lazy: making it sends nothing."""
    pages = Pages([FakePage((), False, None)])
    iterator = follow_cursors(pages.fetch)
    assert pages.asked == []
    assert [i async for i in iterator] == []


@pytest.mark.parametrize("bad", [0, 1001, -5, 2.0, "10", True, None])
def test_page_size_must_be_an_int_from_1_to_1000(bad: object) -> None:
    """Anything but an int in 1..1000 is a StiggValidationError naming page_size."""
    with pytest.raises(StiggValidationError) as info:
        check_page_size(bad, "GetSubscriptions")
    assert info.value.field == "page_size"


def test_good_page_sizes_pass() -> None:
    """The bounds themselves are accepted."""
    assert [check_page_size(n, "op") for n in (1, 50, 1000)] == [1, 50, 1000]
