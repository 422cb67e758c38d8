"""An AsyncStigg wired to a RecordingServer, with the cache replaced by a spy.

Facade unit tests check what each method sends and how it parses the answer; the
real cache would send refresh requests of its own and consume the canned replies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stigg_async import AsyncStigg
from stigg_async._clock import FakeClock

API_KEY = "sk-facade-test-0123456789abcdef"


class CacheSpy:
    """Records what the facade asks of the entitlement cache."""

    def __init__(self) -> None:
        self.applied: list[Mapping[str, Any]] = []
        self.refreshed: list[str] = []

    def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def apply_measurements(self, measurements: Iterable[Mapping[str, Any]]) -> None:
        self.applied.extend(measurements)

    async def refresh_customer(self, customer_id: str) -> None:
        self.refreshed.append(customer_id)

    def apply_credit(self, key: tuple[str, str | None], answer: Mapping[str, Any]) -> None:
        self.applied.append(answer)

    # The usage observer's side: awaited reports hand their answers over on settling.
    def usage_accepted(self, record: Any) -> None:
        return None

    def usage_settled(
        self, record: Any, outcome: Any, measurement: Mapping[str, Any] | None = None
    ) -> None:
        if measurement is not None:
            self.applied.append(measurement)


def make_client(url: str, **kwargs: Any) -> tuple[AsyncStigg, CacheSpy]:
    """A client on ``url`` with a fake clock that never really sleeps."""
    kwargs.setdefault("clock", FakeClock(auto_advance=True))
    client = AsyncStigg(api_key=API_KEY, api_url=url, **kwargs)
    spy = CacheSpy()
    client._entitlements = spy  # type: ignore[assignment]
    client._usage_observer = spy  # type: ignore[assignment]
    client._usage._on_measurements = spy.apply_measurements  # type: ignore[attr-defined]
    return client, spy
