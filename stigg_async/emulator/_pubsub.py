"""The emulator's publish/subscribe hub for GraphQL subscriptions.

The state tells the hub what changed (it is the state's :class:`ChangeListener`);
the hub notes the dirty keys and, once the operation that changed them has
finished (the next turn of the event loop), builds each payload from the state
itself, the same state the queries read. So a client applying every push ends
where a fresh query would, and a half-done operation (a plan replaced: old one
ended, new one not yet created) is never published.

Subscribers are *feeds*, one per subscribed root field; the websocket layer
(:mod:`stigg_async.emulator._ws`) turns feeds into ``next`` messages. Faults for
tests (pause, delay, drop one message, refuse upgrades, drop every socket) and
counters live here too, so they work the same from Python and over HTTP.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from stigg_async._clock import Clock
from stigg_async.emulator._catalog import stable_uuid
from stigg_async.emulator._records import EntitlementValue
from stigg_async.emulator._state import EmulatorState
from stigg_async.emulator._views import ENVIRONMENT_ID, Views

__all__ = ["ACCOUNT_ID", "ROOT_FIELDS", "Feed", "PubSub", "StreamCounters", "StreamFaults"]

#: The account the emulator's environment belongs to.
ACCOUNT_ID = stable_uuid("account", "emulator")

ENTITLEMENTS_V2 = "entitlementsUpdatedV2"
ENTITLEMENTS_V1 = "entitlementsUpdated"
USAGE_V2 = "usageUpdatedV2"
USAGE_V1 = "usageUpdated"
PACKAGE_PUBLISHED = "packagePublished"
CREDIT_BALANCE = "creditBalanceUpdated"
#: Every Subscription root field the hub publishes.
ROOT_FIELDS: tuple[str, ...] = (ENTITLEMENTS_V2, USAGE_V2, PACKAGE_PUBLISHED, CREDIT_BALANCE)
ROOT_FIELDS += (ENTITLEMENTS_V1, USAGE_V1)

Event = tuple[str, dict[str, Any]]


def _epoch_ms(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp() * 1000.0


class StreamFaults:
    """What goes wrong with the stream, set by tests (``emu.stream.faults``).

    Example:
        >>> faults = StreamFaults()
        >>> faults.drop_messages(1)
        >>> faults.take_drop(), faults.take_drop()
        (True, False)
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """No fault: upgrades accepted, pushes sent at once, nothing dropped."""
        #: Answer websocket upgrades with this HTTP status instead of accepting them.
        self.refuse_status: int | None = None
        #: Hold every push until :meth:`PubSub.resume` (then send them in order).
        self.paused = False
        #: Wait this many seconds (on the emulator's clock) before each push.
        self.delay = 0.0
        self._drops = 0

    def drop_messages(self, count: int = 1) -> None:
        """Silently drop the next ``count`` pushes (``next`` messages) on any socket."""
        if count < 0:
            raise ValueError("count must not be negative")
        self._drops += count

    def take_drop(self) -> bool:
        """Whether the push about to be sent is to be dropped (consumes one drop)."""
        if self._drops <= 0:
            return False
        self._drops -= 1
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "refuseStatus": self.refuse_status,
            "paused": self.paused,
            "delay": self.delay,
            "dropMessages": self._drops,
        }


class StreamCounters:
    """Connections and messages of the websocket side.

    Example:
        >>> counters = StreamCounters()
        >>> counters.sent("usageUpdatedV2")
        >>> counters.messages, counters.by_root_field["usageUpdatedV2"]
        (1, 1)
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Set every counter back to zero (open connections stay counted as open)."""
        self.connections = 0
        self.refused = 0
        self.unauthorized = 0
        self.dropped_connections = 0
        self.subscriptions = 0
        self.messages = 0
        self.dropped_messages = 0
        self.published = 0
        self.pings = 0
        self.pongs = 0
        self.by_root_field: Counter[str] = Counter()

    def sent(self, root_field: str) -> None:
        """Count one push sent."""
        self.messages += 1
        self.by_root_field[root_field] += 1

    def snapshot(self, open_connections: int, active_subscriptions: int) -> dict[str, Any]:
        """A JSON-ready copy of all counters."""
        return {
            "connections": self.connections,
            "openConnections": open_connections,
            "refused": self.refused,
            "unauthorized": self.unauthorized,
            "droppedConnections": self.dropped_connections,
            "subscriptions": self.subscriptions,
            "activeSubscriptions": active_subscriptions,
            "published": self.published,
            "messages": self.messages,
            "droppedMessages": self.dropped_messages,
            "pings": self.pings,
            "pongs": self.pongs,
            "byRootField": dict(self.by_root_field),
        }


class Feed:
    """One subscriber's events for one root field, as an async iterator.

    Registered with the hub when created (so nothing published after the
    ``subscribe`` message was handled is missed); unregistered by :meth:`close`.
    """

    def __init__(self, hub: PubSub, root_field: str) -> None:
        self.root_field = root_field
        self._hub = hub
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._closed = False
        hub._feeds[root_field].add(self)

    def put(self, payload: dict[str, Any]) -> None:
        if not self._closed:
            self._queue.put_nowait({self.root_field: payload})

    def __aiter__(self) -> Feed:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self._closed:
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        return item

    def close(self) -> None:
        """Stop receiving; a pending ``__anext__`` ends the iteration."""
        if self._closed:
            return
        self._closed = True
        self._hub._feeds[self.root_field].discard(self)
        self._queue.put_nowait(None)

    async def aclose(self) -> None:
        self.close()


class PubSub:
    """Turns state changes into subscription events for the websocket layer.

    Example:
        >>> async def demo(emu: Emulator) -> None:  # doctest: +SKIP
        ...     emu.stream.faults.paused = True  # hold pushes
        ...     emu.state.grant_promotion("c-1", "feature-01-templates")
        ...     emu.stream.resume()  # now they go out
    """

    def __init__(self, state: EmulatorState, views: Views, clock: Clock) -> None:
        self._state = state
        self._views = views
        self._clock = clock
        self.faults = StreamFaults()
        self.counters = StreamCounters()
        self._feeds: defaultdict[str, set[Feed]] = defaultdict(set)
        # Customer -> resources whose entitlements changed; None in the set = every resource.
        self._dirty_entitlements: dict[str, set[str | None]] = {}
        self._dirty_usage: dict[tuple[str, str | None, str], None] = {}
        self._dirty_credits: dict[tuple[str, str | None, str], None] = {}
        self._usage_resources: defaultdict[str, set[str]] = defaultdict(set)
        self._flush_scheduled = False
        self._held: list[Event] = []
        self._delayed: set[asyncio.Task[None]] = set()
        #: Called to drop every open socket (set by the websocket layer).
        self.drop_connections_hook: Callable[[], int] | None = None
        self.open_connections: Callable[[], int] = lambda: 0

    # ------------------------------------------------------------------ subscribers

    def feed(self, root_field: str) -> Feed:
        """A new feed of ``root_field`` events, registered at once."""
        if root_field not in ROOT_FIELDS:
            raise ValueError(f"no subscription root {root_field!r}")
        self.counters.subscriptions += 1
        return Feed(self, root_field)

    def subscribers(self, root_field: str | None = None) -> int:
        """How many feeds are open (for one root field, or all)."""
        if root_field is not None:
            return len(self._feeds.get(root_field, ()))
        return sum(len(f) for f in self._feeds.values())

    def _wants(self, *root_fields: str) -> bool:
        feeds = self._feeds
        return any(feeds.get(r) for r in root_fields)

    # ------------------------------------------------------------------ ChangeListener

    def entitlements_changed(self, customer_id: str, resource_id: str | None) -> None:
        if not self._wants(ENTITLEMENTS_V2, ENTITLEMENTS_V1):
            return
        self._dirty_entitlements.setdefault(customer_id, set()).add(resource_id)
        self._schedule_flush()

    def usage_changed(self, customer_id: str, resource_id: str | None, feature_id: str) -> None:
        if resource_id is not None:
            self._usage_resources[customer_id].add(resource_id)
        if not self._wants(USAGE_V2, USAGE_V1):
            return
        self._dirty_usage[(customer_id, resource_id, feature_id)] = None
        self._schedule_flush()

    def credits_changed(self, customer_id: str, resource_id: str | None, currency_id: str) -> None:
        # A credit entitlement is part of the customer's entitlements too.
        self.entitlements_changed(customer_id, resource_id)
        if not self._wants(CREDIT_BALANCE):
            return
        self._dirty_credits[(customer_id, resource_id, currency_id)] = None
        self._schedule_flush()

    def package_published(self, ref_id: str, package_type: str, version: int) -> None:
        self._publish(
            PACKAGE_PUBLISHED,
            {
                "accountId": ACCOUNT_ID,
                "environmentId": ENVIRONMENT_ID,
                # Existing subscriptions keep their plan version until migrated.
                "migrationType": "NEW_CUSTOMERS",
                "packageRefId": ref_id,
                "packageType": package_type,
                "packageVersion": version,
            },
        )

    def publish_credit_balance(
        self,
        customer_id: str,
        currency_id: str,
        *,
        current_balance: float,
        total_consumed: float = 0.0,
        total_granted: float = 0.0,
        resource_id: str | None = None,
        valid_until: datetime | None = None,
        display_name: str | None = None,
    ) -> None:
        """Publish a ``creditBalanceUpdated`` event (the hook a credits ledger calls).

        Example:
            >>> hub.publish_credit_balance("c-1", "credits", current_balance=90)  # doctest: +SKIP
        """
        self._publish(
            CREDIT_BALANCE,
            {
                "accountId": ACCOUNT_ID,
                "environmentId": str(ENVIRONMENT_ID),
                "customerId": customer_id,
                "resourceId": resource_id,
                "currencyId": currency_id,
                "currency": {"currencyId": currency_id, "displayName": display_name or currency_id},
                "currentBalance": float(current_balance),
                "totalConsumed": float(total_consumed),
                "totalGranted": float(total_granted),
                "validUntil": _epoch_ms(valid_until),
            },
        )

    # ------------------------------------------------------------------ time

    def sweep(self) -> None:
        """Publish what time alone changed (trial ends, scheduled cancellations, expiries)."""
        self._state.sweep()

    # ------------------------------------------------------------------ building payloads

    def _schedule_flush(self) -> None:
        if self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()  # no loop: called outside any server, publish at once
            return
        self._flush_scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        """Build and publish the payloads of every change noted so far."""
        self._flush_scheduled = False
        dirty, self._dirty_entitlements = self._dirty_entitlements, {}
        usage, self._dirty_usage = self._dirty_usage, {}
        for customer_id, changed in dirty.items():
            resources = set(changed)
            if None in resources:
                resources |= self._state.resource_ids(customer_id)
                resources |= self._usage_resources.get(customer_id, set())
            for resource_id in sorted(resources, key=lambda r: (r is not None, r or "")):
                self._publish_entitlements(customer_id, resource_id)
        for key in usage:
            self._publish_usage(*key)
        credits, self._dirty_credits = self._dirty_credits, {}
        for customer_id, resource_id, currency_id in credits:
            snap = self._state.credits.snapshot((customer_id, resource_id, currency_id))
            self.publish_credit_balance(
                customer_id,
                currency_id,
                current_balance=snap.balance,
                total_consumed=snap.current_usage,
                total_granted=snap.usage_limit,
                resource_id=resource_id,
                valid_until=snap.valid_until,
            )

    def _publish_entitlements(self, customer_id: str, resource_id: str | None) -> None:
        denial, values = self._state.entitlements(customer_id, resource_id)
        views = self._views
        base = {
            "accessDeniedReason": denial,
            "accountId": ACCOUNT_ID,
            "customerId": customer_id,
            "resourceId": resource_id,
            "environmentId": ENVIRONMENT_ID,
        }
        if self._wants(ENTITLEMENTS_V2):
            v2 = [views.entitlement(v, "FeatureEntitlement") for v in values]
            self._publish(ENTITLEMENTS_V2, {**base, "entitlements": v2})
        if self._wants(ENTITLEMENTS_V1):
            v1 = [views.entitlement(v) for v in values]
            self._publish(ENTITLEMENTS_V1, {**base, "entitlements": v1})

    def _publish_usage(self, customer_id: str, resource_id: str | None, feature_id: str) -> None:
        value = self._state.entitlement(customer_id, feature_id, resource_id)
        if value.current_usage is None:
            return  # no longer entitled: the entitlements push says so
        updated = value.usage_updated_at or self._state.now()
        if self._wants(USAGE_V2):
            self._publish(USAGE_V2, self._usage_v2(value, updated))
        if self._wants(USAGE_V1):
            self._publish(USAGE_V1, self._usage_v1(value))

    @staticmethod
    def _usage_v2(value: EntitlementValue, updated: datetime) -> dict[str, Any]:
        return {
            "accountId": ACCOUNT_ID,
            "customerId": value.customer_id,
            "resourceId": value.resource_id,
            "environmentId": ENVIRONMENT_ID,
            "entitlementReference": {"id": value.feature_id, "type": "FEATURE"},
            "usage": {
                "currentUsage": value.current_usage,
                "usagePeriodStart": value.usage_period_start,
                "usagePeriodEnd": value.usage_period_end,
                "usageUpdatedAt": updated,
            },
        }

    def _usage_v1(self, value: EntitlementValue) -> dict[str, Any]:
        return {
            "entitlement": self._views.entitlement(value),
            "usage": {
                "accountId": ACCOUNT_ID,
                "customerId": value.customer_id,
                "resourceId": value.resource_id,
                "environmentId": ENVIRONMENT_ID,
                "featureId": value.feature_id,
                "currentUsage": value.current_usage,
                "usagePeriodStart": _epoch_ms(value.usage_period_start),
                "usagePeriodEnd": _epoch_ms(value.usage_period_end),
                "nextResetDate": _epoch_ms(value.usage_period_end),
            },
        }

    # ------------------------------------------------------------------ delivery

    def _publish(self, root_field: str, payload: dict[str, Any]) -> None:
        if not self._feeds.get(root_field):
            return
        self.counters.published += 1
        event = (root_field, payload)
        faults = self.faults
        if faults.paused:
            self._held.append(event)
        elif faults.delay > 0:
            self._deliver_later(event, faults.delay)
        else:
            self._deliver(event)

    def _deliver(self, event: Event) -> None:
        root_field, payload = event
        for feed in list(self._feeds.get(root_field, ())):
            feed.put(payload)

    def _deliver_later(self, event: Event, delay: float) -> None:
        async def later() -> None:
            await self._clock.sleep(delay)
            self._deliver(event)

        task = asyncio.get_running_loop().create_task(later(), name="stigg-emulator-push")
        self._delayed.add(task)
        task.add_done_callback(self._delayed.discard)

    def pause(self) -> None:
        """Hold every push until :meth:`resume`."""
        self.faults.paused = True

    def resume(self) -> int:
        """Send the held pushes in order; returns how many there were."""
        self.faults.paused = False
        held, self._held = self._held, []
        for event in held:
            self._deliver(event)
        return len(held)

    def drop_connections(self) -> int:
        """Cut every open websocket (no close frame: like a network failure)."""
        hook = self.drop_connections_hook
        dropped = hook() if hook is not None else 0
        self.counters.dropped_connections += dropped
        return dropped

    def reset(self) -> None:
        """Clear faults, held pushes and counters (open sockets stay open)."""
        self.faults.clear()
        self._held.clear()
        for task in list(self._delayed):
            task.cancel()
        self.counters.reset()
        self._usage_resources.clear()

    def stats(self) -> dict[str, Any]:
        """Counters plus faults, JSON-ready (the ``/_emulator/stream`` hook answers this)."""
        snapshot = self.counters.snapshot(self.open_connections(), self.subscribers())
        snapshot["faults"] = self.faults.to_dict()
        snapshot["held"] = len(self._held)
        return snapshot
