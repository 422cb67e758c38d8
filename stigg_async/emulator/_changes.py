"""How the emulator's state announces a change: one listener, told what changed.

The state calls its listener synchronously from the operation that changed
something; the listener (the websocket hub, :mod:`stigg_async.emulator._pubsub`)
only notes what is dirty and builds payloads later from the state itself, so a
half-finished operation is never published.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from stigg_async.emulator._catalog import Catalog

__all__ = ["NO_LISTENER", "ChangeListener", "published_packages"]


class ChangeListener(Protocol):
    """What the state tells about a change. Must be cheap and must not raise."""

    def entitlements_changed(self, customer_id: str, resource_id: str | None) -> None:
        """The entitlements of ``customer_id`` changed for ``resource_id``.

        ``None`` means customer-wide (a promotion, a subscription without a resource):
        every resource of the customer is affected.
        """
        ...

    def usage_changed(self, customer_id: str, resource_id: str | None, feature_id: str) -> None:
        """The current usage of one metered entitlement changed."""
        ...

    def package_published(self, ref_id: str, package_type: str, version: int) -> None:
        """A plan or add-on was published (new or changed in a loaded catalog)."""
        ...

    def credits_changed(self, customer_id: str, resource_id: str | None, currency_id: str) -> None:
        """A credit balance changed (grant, consumption, expiry, void, recharge)."""
        ...


class _NoListener:
    """The listener when nobody listens: every notification is a no-op."""

    def entitlements_changed(self, customer_id: str, resource_id: str | None) -> None:
        return None

    def usage_changed(self, customer_id: str, resource_id: str | None, feature_id: str) -> None:
        return None

    def package_published(self, ref_id: str, package_type: str, version: int) -> None:
        return None

    def credits_changed(self, customer_id: str, resource_id: str | None, currency_id: str) -> None:
        return None


NO_LISTENER: ChangeListener = _NoListener()


def published_packages(previous: Catalog, current: Catalog) -> list[tuple[str, str, int]]:
    """``(ref_id, "PLAN" | "ADDON", version)`` of every package new or changed in ``current``.

    Example:
        >>> from stigg_async.emulator._catalog import Catalog
        >>> published_packages(Catalog.default(), Catalog.default())
        []
    """
    found: list[tuple[str, str, int]] = []
    for kind, old, new in (
        ("PLAN", previous.plans, current.plans),
        ("ADDON", previous.addons, current.addons),
    ):
        for ref_id, package in new.items():
            before = old.get(ref_id)
            if before is None or before.version != package.version or before != package:
                found.append((ref_id, kind, package.version))
    return found
