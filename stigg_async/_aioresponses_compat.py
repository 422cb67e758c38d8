"""Make aioresponses 0.7.x work with aiohttp >= 3.14.

aiohttp 3.14 gave ``ClientResponse.__init__`` a required ``stream_writer``
argument that aioresponses (0.7.9, upstream issue open) does not pass, so every
mocked request fails with ``TypeError``. Rather than pin an old aiohttp, swap in a
response class that supplies a harmless writer when aioresponses builds responses.
"""

from __future__ import annotations

import inspect
from typing import Any

from aiohttp import ClientResponse

__all__ = ["CompatClientResponse", "patch_aioresponses"]

_NEEDS_WRITER = "stream_writer" in inspect.signature(ClientResponse.__init__).parameters


class _SentWriter:
    """Stands for the writer of a request that was already sent (nothing to write)."""

    output_size = 0
    buffer_size = 0


class CompatClientResponse(ClientResponse):
    """A ``ClientResponse`` that aioresponses can build on any aiohttp 3.x."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        if _NEEDS_WRITER:
            kwargs.setdefault("stream_writer", _SentWriter())
        super().__init__(method, url, **kwargs)


def patch_aioresponses() -> None:
    """Make ``aioresponses`` build :class:`CompatClientResponse` objects (idempotent).

    Call it once (a conftest is a good place) before using ``aioresponses`` with
    aiohttp 3.14 or newer.

    Example:
        >>> from stigg_async.testing import patch_aioresponses
        >>> patch_aioresponses()
    """
    from aioresponses import core

    core.ClientResponse = CompatClientResponse  # type: ignore[attr-defined]
