"""R8: consume_credits through 30% injected faults: every call consumes exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

from stigg_async import CreditConsumption, StiggError
from stigg_async._clock import FakeClock
from stigg_async._retry import RetryPolicy
from stigg_async.emulator import Emulator
from tests.reliability._support import SECRET_KEY, drive, make_client, seed
from tests.reliability.test_r1_chaos import add_chaos

CUR = "currency-ai-credits"
START = 1_000_000.0


async def test_r8_consume_credits_is_exactly_once_under_chaos(full: bool, ledger) -> None:
    """Lost answers after the write landed are retried with the same key: no double spend."""
    n_calls, n_customers = (3_000, 20) if full else (400, 8)
    clock = FakeClock()
    async with Emulator(api_key=SECRET_KEY, clock=clock, seed=23) as emu:
        customers = seed(emu, n_customers)
        for customer in customers:
            emu.state.credits.create_grant(customer, CUR, START)
        add_chaos(emu)
        # Enough retries that 30% faults never exhaust a call (0.3^13 per call).
        policy = RetryPolicy(max_retries=12, deadline=None, max_backoff=4.0)
        stigg = make_client(emu.url, clock, retry=policy)
        await stigg.open()
        wanted: dict[str, Counter[float]] = {c: Counter() for c in customers}

        async def consume(i: int) -> CreditConsumption | StiggError:
            customer = customers[i % n_customers]
            amount = float(1 + i % 7)
            wanted[customer][amount] += 1
            try:
                return await stigg.consume_credits(
                    customer_id=customer, currency_id=CUR, amount=amount
                )
            except StiggError as exc:  # counted below: a failed call must not have landed
                ledger.audit(exc)
                return exc

        calls = asyncio.ensure_future(asyncio.gather(*(consume(i) for i in range(n_calls))))
        await drive(clock, calls.done)
        results = calls.result()
        close = asyncio.ensure_future(stigg.aclose())
        await drive(clock, close.done)

        credits = emu.state.credits
        got: dict[str, Counter[float]] = {}
        keys: Counter[str | None] = Counter()
        for customer in customers:
            per_key: dict[str | None, float] = {}
            for entry in credits.ledger(customer, CUR):
                if entry.event_type == "CREDITS_CONSUMED":
                    per_key[entry.event_id] = per_key.get(entry.event_id, 0.0) - entry.amount
                    keys[entry.event_id] += 1
            got[customer] = Counter(per_key.values())
        balances = {c: credits.balance(c, CUR) for c in customers}
        faults = sum(rule.hits for rule in emu.faults.rules)
        replays = credits.replayed_consumptions

    failed = [r for r in results if isinstance(r, StiggError)]
    applied = sum(sum(c.values()) for c in got.values())
    lost = n_calls - len(failed) - applied
    duplicated = max(0, applied - (n_calls - len(failed)))
    ledger.cases += n_calls
    ledger.faults += faults
    ledger.lost += max(0, lost)
    ledger.duplicated += duplicated
    ledger.lines.append(
        f"R8 credits: {n_calls} consume_credits over {n_customers} customers, {faults} faults, "
        f"{replays} replays deduplicated, {len(failed)} calls failed"
    )
    assert faults > 0.2 * n_calls  # the chaos really happened
    assert replays > 0  # some writes landed, lost their answer, and were retried
    assert failed == []
    assert (lost, duplicated) == (0, 0)
    assert got == wanted  # every call's amount, once, under its own key
    assert all(count == 1 for count in keys.values())  # one grant covered each consumption
    for customer in customers:
        spent = sum(amount * count for amount, count in wanted[customer].items())
        assert balances[customer] == START - spent


async def test_r8_tracked_credits_land_exactly_once_under_chaos(full: bool, ledger) -> None:
    """track_credits through 30% faults and latency: every item once, balances exact."""
    n_items, n_customers = (5_000, 20) if full else (600, 8)
    clock = FakeClock()
    async with Emulator(api_key=SECRET_KEY, clock=clock, seed=29) as emu:
        customers = seed(emu, n_customers)
        for customer in customers:
            emu.state.credits.create_grant(customer, CUR, START)
        add_chaos(emu)
        # Small batches: many consumeCreditsAsync requests meet the faults.
        stigg = make_client(emu.url, clock, usage={"usage_batch_size": 25})
        await stigg.open()
        wanted: dict[str, dict[str, float]] = {c: {} for c in customers}
        for i in range(n_items):
            customer = customers[i % n_customers]
            amount = float(1 + i % 7)
            key = f"tracked-{i}"
            assert stigg.track_credits(customer, CUR, amount, idempotency_key=key)
            wanted[customer][key] = amount
        flushed = asyncio.ensure_future(stigg.flush())
        await drive(clock, flushed.done)
        report = flushed.result()
        close = asyncio.ensure_future(stigg.aclose())
        await drive(clock, close.done)

        credits = emu.state.credits
        got: dict[str, dict[str, float]] = {c: {} for c in customers}
        entries: Counter[str | None] = Counter()
        for customer in customers:
            for entry in credits.ledger(customer, CUR):
                if entry.event_type == "CREDITS_CONSUMED":
                    key = str(entry.event_id)
                    got[customer][key] = got[customer].get(key, 0.0) - entry.amount
                    entries[entry.event_id] += 1
        balances = {c: credits.balance(c, CUR) for c in customers}
        faults = sum(rule.hits for rule in emu.faults.rules)
        replays = credits.replayed_consumptions

    applied = sum(len(items) for items in got.values())
    lost = sum(len(set(wanted[c]) - set(got[c])) for c in customers)
    duplicated = max(0, applied - n_items) + sum(n - 1 for n in entries.values() if n > 1)
    ledger.cases += n_items
    ledger.faults += faults
    ledger.lost += lost
    ledger.duplicated += duplicated
    ledger.lines.append(
        f"R8 tracked credits: {n_items} track_credits over {n_customers} customers in "
        f"batches of 25, {faults} faults, {replays} replays deduplicated"
    )
    assert faults > 0  # the chaos really happened
    assert replays > 0  # some batches landed, lost their answer, and were re-sent
    assert report.delivered_all
    assert report.delivered == n_items
    assert (lost, duplicated) == (0, 0)
    assert got == wanted
    for customer in customers:
        assert balances[customer] == START - sum(wanted[customer].values())
