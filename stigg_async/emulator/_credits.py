"""The emulator's credits: grants, consumption, a ledger, voiding and automatic recharge.

Balances are kept per account: ``(customer_id, resource_id, currency_id)``. Every
change to an account is one or more ledger entries with a signed amount (granted
``+``, consumed / voided / expired ``-``, overdraft settlement as a pair of
transfers that cancel out), so the sum of the ledger up to any entry is the balance
right after it, and the balance is always ``sum(remaining of active grants)``.

Consumption draws from the active grants in Stigg's documented order (``grant_order``):
lower ``priority`` first; then the earliest ``expire_at`` (never-expiring last);
promotional before paid; the earliest ``effective_at``; the earliest ``created_at``.
A consumption beyond the balance is refused (``EntitlementLimitExceededError``)
unless the currency allows overdraft; then the deficit is drawn into an overdraft
grant that later grants pay back first.

Time-driven changes (a scheduled grant becoming effective, a grant expiring) are
written to the ledger lazily, in time order, before anything reads or changes the
account, stamped with the moment they happened.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stigg_async.emulator._catalog import Catalog
from stigg_async.emulator._credit_catalog import CurrencyDef
from stigg_async.emulator._errors import EmulatorError, ErrorCode
from stigg_async.emulator._time import add_months

__all__ = [
    "AutoRecharge",
    "Consumption",
    "CreditAccount",
    "CreditErrorCode",
    "CreditGrantRecord",
    "CreditSnapshot",
    "CreditsState",
    "LedgerEntry",
    "grant_order",
]

#: Priority of a grant created without one (lower is consumed first).
DEFAULT_PRIORITY = 1.0
_EPSILON = 1e-9
_CATEGORY_RANK = {"PROMOTIONAL": 0, "RECURRING": 1, "PAID": 2, "OVERDRAFT": 3}
_FAR_FUTURE = datetime.max.replace(tzinfo=None)


class CreditErrorCode:
    """``ErrorCode`` values of credit operations (all in the schema's enum)."""

    CURRENCY_NOT_FOUND = "CustomCurrencyNotFound"
    GRANT_NOT_FOUND = "CreditGrantNotFound"
    ALREADY_VOIDED = "CreditGrantAlreadyVoided"
    CANNOT_BE_VOIDED = "CreditGrantCannotBeVoided"
    EXPIRE_BEFORE_EFFECTIVE = "ExpireAtMustBeLaterThanEffectiveAtError"
    INSUFFICIENT = "EntitlementLimitExceededError"
    NO_SUBSCRIPTION = "NoActiveSubscriptionForCustomer"


@dataclass
class CreditGrantRecord:
    """One block of credits granted to an account."""

    id: str
    customer_id: str
    resource_id: str | None
    currency_id: str
    amount: float
    grant_type: str
    display_name: str
    priority: float
    effective_at: datetime
    expire_at: datetime | None
    created_at: datetime
    updated_at: datetime
    comment: str | None = None
    metadata: Any = None
    cost: float = 0.0
    recharge_id: str | None = None
    consumed: float = 0.0
    #: Credits that left by expiry or voiding (not consumed, but gone).
    written_off: float = 0.0
    voided_at: datetime | None = None
    #: Whether the ledger holds its CREDITS_GRANTED / CREDITS_EXPIRED entry yet.
    granted_logged: bool = False
    expired_logged: bool = False

    @property
    def remaining(self) -> float:
        return self.amount - self.consumed - self.written_off

    def status(self, now: datetime) -> str:
        """``ACTIVE``, ``SCHEDULED``, ``EXPIRED`` or ``VOIDED`` at ``now``."""
        if self.voided_at is not None:
            return "VOIDED"
        if self.expire_at is not None and self.expire_at <= now:
            return "EXPIRED"
        if self.effective_at > now:
            return "SCHEDULED"
        return "ACTIVE"


def grant_order(grant: CreditGrantRecord) -> tuple[Any, ...]:
    """The sort key of Stigg's consumption order (first consumed sorts first).

    Example:
        >>> from datetime import datetime as d
        >>> t = d(2026, 1, 1)
        >>> def g(i, p, kind):
        ...     return CreditGrantRecord(i, "c", None, "x", 1, kind, i, p, t, None, t, t)
        >>> [x.id for x in sorted([g("A", 1, "PAID"), g("B", 1, "PROMOTIONAL"),
        ...                        g("C", 0, "PAID")], key=grant_order)]
        ['C', 'B', 'A']
    """
    expire = grant.expire_at.replace(tzinfo=None) if grant.expire_at else _FAR_FUTURE
    return (
        grant.priority,
        expire,
        _CATEGORY_RANK.get(grant.grant_type, 2),
        grant.effective_at,
        grant.created_at,
    )


@dataclass(frozen=True)
class LedgerEntry:
    """One signed change of an account's balance, tied to one grant."""

    id: str
    customer_id: str
    resource_id: str | None
    currency_id: str
    grant_id: str
    event_type: str
    amount: float
    timestamp: datetime
    feature_id: str | None = None
    event_id: str | None = None


@dataclass
class AutoRecharge:
    """An account's automatic recharge settings and this month's spend on them."""

    id: str
    customer_id: str
    currency_id: str
    is_enabled: bool
    threshold_type: str
    threshold_value: float
    target_balance: float
    grant_expiration_period: str
    max_spend_limit: float | None
    created_at: datetime
    updated_at: datetime
    spend_month: tuple[int, int] = (0, 0)
    monthly_spend: float = 0.0
    recharges: int = 0

    def spend_in(self, now: datetime) -> float:
        """Money spent on recharges in ``now``'s calendar month."""
        return self.monthly_spend if self.spend_month == (now.year, now.month) else 0.0


@dataclass(frozen=True)
class CreditSnapshot:
    """An account's credit entitlement at one moment (what ``CreditEntitlement`` shows).

    ``usage_limit`` is the credits of the active grants, ``current_usage`` what was
    consumed from them; the balance is their difference. ``valid_until`` is when the
    first of the credits left expires (the balance holds until then), or ``None``.
    """

    currency_id: str
    usage_limit: float
    current_usage: float
    valid_until: datetime | None
    updated_at: datetime | None

    @property
    def balance(self) -> float:
        return self.usage_limit - self.current_usage


@dataclass(frozen=True)
class Consumption:
    """The answer to one consumption (replayed as-is for a repeated idempotency key)."""

    customer_id: str
    resource_id: str | None
    currency_id: str
    amount: float
    timestamp: datetime
    snapshot: CreditSnapshot


@dataclass
class CreditAccount:
    """The grants and ledger of one ``(customer, resource, currency)``."""

    grants: list[CreditGrantRecord] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)


AccountKey = tuple[str, str | None, str]


class CreditsState:
    """Every account's grants, ledger, consumption keys and recharge settings.

    Args:
        catalog: returns the current catalog (it can be replaced at run time).
        now: the emulator's clock.
        denial: the customer-level denial (``CustomerNotFound``,
            ``NoActiveSubscription``) for a customer and resource, or ``None``.
        new_id: mints ids (seeded, so runs repeat).
    """

    def __init__(
        self,
        *,
        catalog: Callable[[], Catalog],
        now: Callable[[], datetime],
        denial: Callable[[str, str | None], str | None],
        new_id: Callable[[], str],
        changed: Callable[[str, str | None, str], None] = lambda _c, _r, _cur: None,
    ) -> None:
        self._catalog = catalog
        self._now = now
        self._denial = denial
        self._new_id = new_id
        # Told (customer, resource, currency) on every ledger entry: the stream pushes it.
        self._changed = changed
        self.accounts: dict[AccountKey, CreditAccount] = {}
        self._grants: dict[str, tuple[AccountKey, CreditGrantRecord]] = {}
        self._consumed: dict[tuple[str, str], Consumption] = {}
        self.recharge: dict[tuple[str, str], AutoRecharge] = {}
        self.applied_consumptions = 0
        self.replayed_consumptions = 0
        self.refused_consumptions = 0

    # ------------------------------------------------------------------ look-ups

    def mint_id(self) -> str:
        """A fresh id from the emulator's seeded generator (batch ids and the like)."""
        return self._new_id()

    def currency(self, currency_id: str) -> CurrencyDef:
        """The currency, or a ``CustomCurrencyNotFound`` error."""
        found = self._catalog().credits.currencies.get(currency_id)
        if found is None:
            raise EmulatorError(
                CreditErrorCode.CURRENCY_NOT_FOUND, f"Custom currency not found: {currency_id}"
            )
        return found

    def _require_customer(self, customer_id: str, resource_id: str | None) -> str | None:
        denial = self._denial(customer_id, resource_id)
        if denial == "CustomerNotFound":
            raise EmulatorError(ErrorCode.CUSTOMER_NOT_FOUND, f"Customer not found: {customer_id}")
        return denial

    def _account(self, key: AccountKey, *, create: bool = False) -> CreditAccount:
        account = self.accounts.get(key)
        if account is None:
            if not create:
                return CreditAccount()  # reading an account never creates it
            account = self.accounts[key] = CreditAccount()
        self._settle(key, account, self._now())
        return account

    def accounts_of(
        self, customer_id: str, resource_id: str | None, currency_id: str | None = None
    ) -> list[tuple[str, CreditAccount]]:
        """The customer's accounts (settled), by currency id, in catalog order."""
        out = []
        for cid in self._catalog().credits.currencies:
            if currency_id is not None and cid != currency_id:
                continue
            key = (customer_id, resource_id, cid)
            if key in self.accounts:
                out.append((cid, self._account(key)))
        return out

    def grant(self, grant_id: str) -> CreditGrantRecord:
        """A grant by id, or ``CreditGrantNotFound``."""
        found = self._grants.get(grant_id)
        if found is None:
            raise EmulatorError(
                CreditErrorCode.GRANT_NOT_FOUND, f"Credit grant not found: {grant_id}"
            )
        self._account(found[0])
        return found[1]

    # ------------------------------------------------------------------ ledger

    def _log(
        self,
        key: AccountKey,
        grant: CreditGrantRecord,
        event_type: str,
        amount: float,
        at: datetime,
        *,
        feature_id: str | None = None,
        event_id: str | None = None,
    ) -> None:
        self._changed(key[0], key[1], key[2])
        self.accounts[key].ledger.append(
            LedgerEntry(
                id=self._new_id(),
                customer_id=key[0],
                resource_id=key[1],
                currency_id=key[2],
                grant_id=grant.id,
                event_type=event_type,
                amount=amount,
                timestamp=at,
                feature_id=feature_id,
                event_id=event_id,
            )
        )

    def _settle(self, key: AccountKey, account: CreditAccount, now: datetime) -> None:
        """Write what time did since the last look: grants that began and that expired."""
        events: list[tuple[datetime, int, CreditGrantRecord]] = []
        for grant in account.grants:
            if grant.voided_at is not None:
                continue
            if not grant.granted_logged and grant.effective_at <= now:
                events.append((grant.effective_at, 0, grant))
            if not grant.expired_logged and grant.expire_at is not None and grant.expire_at <= now:
                events.append((grant.expire_at, 1, grant))
        for at, kind, grant in sorted(events, key=lambda e: (e[0], e[1])):
            if kind == 0:
                grant.granted_logged = True
                self._log(key, grant, "CREDITS_GRANTED", grant.amount, at)
                self._pay_overdraft(key, account, grant, at)
            elif grant.granted_logged:
                grant.expired_logged = True
                left = grant.remaining
                if left > _EPSILON:
                    grant.written_off += left
                    self._log(key, grant, "CREDITS_EXPIRED", -left, at)

    def _pay_overdraft(
        self, key: AccountKey, account: CreditAccount, grant: CreditGrantRecord, at: datetime
    ) -> None:
        # Stigg settles an overdraft from the next credits granted: a transfer pair
        # that moves the debt onto the new grant and leaves the balance unchanged.
        for debt in account.grants:
            if debt.grant_type != "OVERDRAFT" or debt.remaining >= -_EPSILON:
                continue
            moved = min(-debt.remaining, grant.remaining)
            if moved <= _EPSILON:
                return
            grant.consumed += moved
            debt.consumed -= moved
            self._log(key, grant, "CREDITS_CONSUMPTION_TRANSFER_SOURCE", -moved, at)
            self._log(key, debt, "CREDITS_CONSUMPTION_TRANSFER_TARGET", moved, at)

    # ------------------------------------------------------------------ balances

    def snapshot(self, key: AccountKey) -> CreditSnapshot:
        """The account's credit entitlement now."""
        account = self._account(key)
        now = self._now()
        limit = used = 0.0
        expiries: list[datetime | None] = []
        updated: datetime | None = None
        for grant in account.grants:
            if grant.status(now) != "ACTIVE":
                continue
            limit += grant.amount
            used += grant.consumed
            if grant.remaining > _EPSILON:
                expiries.append(grant.expire_at)
            updated = grant.updated_at if updated is None else max(updated, grant.updated_at)
        # Until the first credits left expire the balance stands; after, it shrinks.
        dated = [e for e in expiries if e is not None]
        valid_until = min(dated) if dated else None
        return CreditSnapshot(key[2], limit, used, valid_until, updated)

    def balance(self, customer_id: str, currency_id: str, resource_id: str | None = None) -> float:
        """The account's balance now (0 for an account that never had credits).

        Example:
            >>> emu.state.credits.balance("c-1", "currency-ai-credits")  # doctest: +SKIP
            100.0
        """
        return self.snapshot((customer_id, resource_id, currency_id)).balance

    def ledger(
        self, customer_id: str, currency_id: str, resource_id: str | None = None
    ) -> list[LedgerEntry]:
        """The account's ledger, oldest first."""
        return list(self._account((customer_id, resource_id, currency_id)).ledger)

    # ------------------------------------------------------------------ grants

    def create_grant(
        self,
        customer_id: str,
        currency_id: str,
        amount: float,
        *,
        grant_type: str = "PAID",
        display_name: str | None = None,
        resource_id: str | None = None,
        priority: float | None = None,
        effective_at: datetime | None = None,
        expire_at: datetime | None = None,
        comment: str | None = None,
        metadata: Any = None,
        cost: float | None = None,
        recharge_id: str | None = None,
    ) -> CreditGrantRecord:
        """Grant ``amount`` credits; effective now unless ``effective_at`` is later."""
        self._require_customer(customer_id, resource_id)
        currency = self.currency(currency_id)
        if not math.isfinite(amount) or amount <= 0:
            raise EmulatorError(ErrorCode.BAD_USER_INPUT, "amount must be a positive number")
        if grant_type not in {"PAID", "PROMOTIONAL"}:
            raise EmulatorError(ErrorCode.BAD_USER_INPUT, "grantType must be PAID or PROMOTIONAL")
        now = self._now()
        effective = effective_at or now
        if expire_at is not None and expire_at <= effective:
            raise EmulatorError(
                CreditErrorCode.EXPIRE_BEFORE_EFFECTIVE, "expireAt must be later than effectiveAt"
            )
        if cost is None:
            cost = amount * currency.unit_price if grant_type == "PAID" else 0.0
        key = (customer_id, resource_id, currency_id)
        account = self._account(key, create=True)
        grant = CreditGrantRecord(
            id=self._new_id(),
            customer_id=customer_id,
            resource_id=resource_id,
            currency_id=currency_id,
            amount=float(amount),
            grant_type=grant_type,
            display_name=display_name or f"{amount:g} {currency.unit_plural or 'credits'}",
            priority=DEFAULT_PRIORITY if priority is None else float(priority),
            effective_at=effective,
            expire_at=expire_at,
            created_at=now,
            updated_at=now,
            comment=comment,
            metadata=metadata,
            cost=float(cost),
            recharge_id=recharge_id,
        )
        account.grants.append(grant)
        self._grants[grant.id] = (key, grant)
        self._settle(key, account, now)
        return grant

    def void_grant(self, grant_id: str) -> CreditGrantRecord:
        """Void a grant: its remaining credits leave the balance."""
        found = self._grants.get(grant_id)
        if found is None:
            raise EmulatorError(
                CreditErrorCode.GRANT_NOT_FOUND, f"Credit grant not found: {grant_id}"
            )
        key, grant = found
        self._account(key)
        now = self._now()
        if grant.voided_at is not None:
            raise EmulatorError(CreditErrorCode.ALREADY_VOIDED, f"Grant {grant_id} is voided")
        if grant.status(now) == "EXPIRED" or grant.grant_type == "OVERDRAFT":
            raise EmulatorError(
                CreditErrorCode.CANNOT_BE_VOIDED, f"Grant {grant_id} cannot be voided"
            )
        left = grant.remaining if grant.granted_logged else 0.0
        grant.voided_at = grant.updated_at = now
        if left > _EPSILON:
            grant.written_off += left
            self._log(key, grant, "CREDITS_VOIDED", -left, now)
        self._maybe_recharge(key)
        return grant

    def grants_of(
        self, customer_id: str, resource_id: str | None, currency_id: str | None
    ) -> list[CreditGrantRecord]:
        """The customer's grants, newest first."""
        self._require_customer(customer_id, resource_id)
        out = [
            g for _, a in self.accounts_of(customer_id, resource_id, currency_id) for g in a.grants
        ]
        return sorted(out, key=lambda g: g.created_at, reverse=True)

    # ------------------------------------------------------------------ consumption

    def consume(
        self,
        customer_id: str,
        currency_id: str,
        amount: float,
        idempotency_key: str,
        *,
        resource_id: str | None = None,
        dimensions: Mapping[str, Any] | None = None,
        created_at: datetime | None = None,
    ) -> Consumption:
        """Consume ``amount`` credits once per idempotency key (a repeat replays the answer)."""
        replay = self._consumed.get((customer_id, idempotency_key))
        if replay is not None:
            self.replayed_consumptions += 1
            return replay
        if self._require_customer(customer_id, resource_id) is not None:
            raise EmulatorError(
                CreditErrorCode.NO_SUBSCRIPTION,
                f"Customer {customer_id} has no active subscription to consume credits under",
            )
        currency = self.currency(currency_id)
        if not math.isfinite(amount) or amount <= 0:
            raise EmulatorError(ErrorCode.BAD_USER_INPUT, "amount must be a positive number")
        key = (customer_id, resource_id, currency_id)
        account = self._account(key, create=True)
        now = self._now()
        balance = self.snapshot(key).balance
        if amount > balance + _EPSILON and not currency.allow_overdraft:
            self.refused_consumptions += 1
            raise EmulatorError(
                CreditErrorCode.INSUFFICIENT,
                f"Insufficient credits: balance {balance:g}, requested {amount:g}",
                balance=balance,
            )
        feature = None
        if dimensions:
            raw_feature = dimensions.get("featureId")
            feature = str(raw_feature) if raw_feature is not None else None
        left = amount
        for grant in sorted(account.grants, key=grant_order):
            if left <= _EPSILON:
                break
            if grant.status(now) != "ACTIVE" or grant.remaining <= _EPSILON:
                continue
            take = min(left, grant.remaining)
            grant.consumed += take
            grant.updated_at = now
            left -= take
            self._log(
                key,
                grant,
                "CREDITS_CONSUMED",
                -take,
                now,
                feature_id=feature,
                event_id=idempotency_key,
            )
        if left > _EPSILON:
            debt = self._overdraft(key, account, now)
            debt.consumed += left
            debt.updated_at = now
            self._log(
                key,
                debt,
                "CREDITS_CONSUMED",
                -left,
                now,
                feature_id=feature,
                event_id=idempotency_key,
            )
        self.applied_consumptions += 1
        self._maybe_recharge(key)
        result = Consumption(
            customer_id=customer_id,
            resource_id=resource_id,
            currency_id=currency_id,
            amount=float(amount),
            timestamp=created_at or now,
            snapshot=self.snapshot(key),  # after any recharge it triggered
        )
        self._consumed[(customer_id, idempotency_key)] = result
        return result

    def _overdraft(
        self, key: AccountKey, account: CreditAccount, now: datetime
    ) -> CreditGrantRecord:
        for grant in account.grants:
            if grant.grant_type == "OVERDRAFT":
                return grant
        grant = CreditGrantRecord(
            id=self._new_id(),
            customer_id=key[0],
            resource_id=key[1],
            currency_id=key[2],
            amount=0.0,
            grant_type="OVERDRAFT",
            display_name="Overdraft",
            priority=math.inf,
            effective_at=now,
            expire_at=None,
            created_at=now,
            updated_at=now,
            granted_logged=True,
        )
        account.grants.append(grant)
        self._grants[grant.id] = (key, grant)
        return grant

    def consumptions(
        self, customer_id: str, resource_id: str | None, currency_id: str | None
    ) -> Iterable[LedgerEntry]:
        """Every CREDITS_CONSUMED entry of the customer's accounts."""
        for _, account in self.accounts_of(customer_id, resource_id, currency_id):
            yield from (e for e in account.ledger if e.event_type == "CREDITS_CONSUMED")

    # ------------------------------------------------------------------ automatic recharge

    def save_recharge(
        self,
        customer_id: str,
        currency_id: str,
        *,
        is_enabled: bool,
        threshold_type: str | None = None,
        threshold_value: float | None = None,
        target_balance: float | None = None,
        grant_expiration_period: str | None = None,
        max_spend_limit: float | None = None,
    ) -> AutoRecharge:
        """Create or replace an account's automatic recharge settings."""
        self._require_customer(customer_id, None)
        self.currency(currency_id)
        now = self._now()
        current = self.recharge.get((customer_id, currency_id))
        threshold = (
            threshold_value
            if threshold_value is not None
            else (current.threshold_value if current else None)
        )
        target = (
            target_balance
            if target_balance is not None
            else (current.target_balance if current else None)
        )
        if is_enabled and (threshold is None or target is None):
            raise EmulatorError(
                ErrorCode.BAD_USER_INPUT, "thresholdValue and targetBalance are required"
            )
        threshold = threshold or 0.0
        target = target or 0.0
        if threshold < 0 or (is_enabled and target <= threshold):
            raise EmulatorError(
                ErrorCode.BAD_USER_INPUT, "targetBalance must be greater than thresholdValue >= 0"
            )
        if max_spend_limit is not None and max_spend_limit < 0:
            raise EmulatorError(ErrorCode.BAD_USER_INPUT, "maxSpendLimit must be >= 0")
        settings = AutoRecharge(
            id=current.id if current else self._new_id(),
            customer_id=customer_id,
            currency_id=currency_id,
            is_enabled=is_enabled,
            threshold_type=threshold_type
            or (current.threshold_type if current else "CreditAmount"),
            threshold_value=threshold,
            target_balance=target,
            grant_expiration_period=grant_expiration_period
            or (current.grant_expiration_period if current else "OneYear"),
            max_spend_limit=max_spend_limit,
            created_at=current.created_at if current else now,
            updated_at=now,
            spend_month=current.spend_month if current else (now.year, now.month),
            monthly_spend=current.monthly_spend if current else 0.0,
            recharges=current.recharges if current else 0,
        )
        self.recharge[(customer_id, currency_id)] = settings
        self._maybe_recharge((customer_id, None, currency_id))
        return settings

    def get_recharge(self, customer_id: str, currency_id: str) -> AutoRecharge:
        """The settings, or disabled defaults when none were saved."""
        self._require_customer(customer_id, None)
        self.currency(currency_id)
        found = self.recharge.get((customer_id, currency_id))
        if found is not None:
            return found
        now = self._now()
        return AutoRecharge(
            id=self._new_id(),
            customer_id=customer_id,
            currency_id=currency_id,
            is_enabled=False,
            threshold_type="CreditAmount",
            threshold_value=0.0,
            target_balance=0.0,
            grant_expiration_period="OneYear",
            max_spend_limit=None,
            created_at=now,
            updated_at=now,
        )

    def _maybe_recharge(self, key: AccountKey) -> None:
        customer_id, resource_id, currency_id = key
        settings = self.recharge.get((customer_id, currency_id))
        if settings is None or not settings.is_enabled or resource_id is not None:
            return
        currency = self.currency(currency_id)
        balance = self.snapshot(key).balance
        # Dollar thresholds compare the balance's worth; the target is in the same unit.
        scale = currency.unit_price if settings.threshold_type == "DollarAmount" else 1.0
        if scale <= 0 or balance * scale >= settings.threshold_value:
            return
        amount = settings.target_balance / scale - balance
        cost = amount * currency.unit_price
        now = self._now()
        spent = settings.spend_in(now)
        if (
            settings.max_spend_limit is not None
            and spent + cost > settings.max_spend_limit + _EPSILON
        ):
            return
        months = 1 if settings.grant_expiration_period == "OneMonth" else 12
        self.create_grant(
            customer_id,
            currency_id,
            amount,
            grant_type="PAID",
            display_name="Automatic recharge",
            expire_at=add_months(now, months),
            cost=cost,
            recharge_id=settings.id,
        )
        settings.spend_month = (now.year, now.month)
        settings.monthly_spend = spent + cost
        settings.recharges += 1

    # ------------------------------------------------------------------ estimates

    def estimate(
        self,
        customer_id: str,
        resource_id: str | None,
        costs: Mapping[str, float],
        breakdown: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """``CurrencyEstimate`` values: what ``costs`` (per currency) would do to the balances."""
        self._require_customer(customer_id, resource_id)
        out = []
        for currency_id, cost in costs.items():
            balance = self.snapshot((customer_id, resource_id, currency_id)).balance
            out.append(
                {
                    "currencyId": currency_id,
                    "currentBalance": balance,
                    "estimatedCost": cost,
                    "balanceAfterEstimate": balance - cost,
                    "wouldOverdraft": balance - cost < -_EPSILON,
                    "breakdown": [b for b in breakdown if b["currencyId"] == currency_id],
                }
            )
        return out
