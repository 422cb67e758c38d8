"""Facade methods for credits: balances, grants, the ledger, consumption, recharge, estimates.

``consume_credits`` carries an idempotency key minted once per logical call before
the first attempt (a key the caller passes wins), so a retry after a lost answer
consumes once. ``create_credit_grant`` has no idempotency key in the API: it is
sent once and never retried, because a retry after an ambiguous failure could grant
twice. Grants, voids and recharge settings change what a customer may spend, so the
customer's cached entitlements are refreshed after them (``_refreshes``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from stigg_async._cache._credits import CREDIT_PREFIX
from stigg_async._facade_core import _FacadeCore, keywords
from stigg_async._models import (
    AutoRechargeSettings,
    ConsumeCreditInput,
    ConsumeCreditsAsyncInput,
    CreditBalanceSummary,
    CreditBalanceSummaryInput,
    CreditConsumption,
    CreditCostEstimation,
    CreditEntitlement,
    CreditGrant,
    CreditGrantInput,
    CreditGrantPage,
    CreditGrantTypeInput,
    CreditLedgerEvent,
    CreditLedgerEventType,
    CreditLedgerInput,
    CreditLedgerPage,
    CreditUsage,
    CreditUsageInput,
    CreditUsageTimeRange,
    EstimateEventCostInput,
    EstimateUsageCostInput,
    FeatureEntitlement,
    GetAutoRechargeSettingsInput,
    GetCreditGrantsInput,
    GetEntitlementV2Input,
    GrantExpirationPeriod,
    MoneyInputDTO,
    PaymentCollectionMethod,
    SaveAutoRechargeSettingsInput,
    ThresholdType,
    UsageUpdateBehavior,
    VoidCreditGrantInput,
    build_input,
    parse_entitlement_v2,
)
from stigg_async._models._common import Connection
from stigg_async._paging import check_page_size
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._keys import new_key

__all__ = ["_CreditMethods"]

P = TypeVar("P", bound=Connection)
Item = TypeVar("Item")

#: Page size of the ``iter_*`` methods unless one is given.
DEFAULT_PAGE_SIZE = 50


def _paging(first: int | None, after: str | None) -> dict[str, Any] | None:
    if first is None and after is None:
        return None
    return {k: v for k, v in (("first", first), ("after", after)) if v is not None}


async def _follow(
    fetch: Callable[[str | None], Awaitable[P]], items: Callable[[P], Sequence[Item]]
) -> AsyncIterator[Item]:
    """Every item of a cursor-paged list, one page request at a time."""
    after: str | None = None
    while True:
        page = await fetch(after)
        for item in items(page):
            yield item
        if not page.has_next_page or not page.end_cursor or page.end_cursor == after:
            return
        after = page.end_cursor


class _CreditMethods(_FacadeCore):
    # ------------------------------------------------------------------ balances

    async def get_credit_balance_summary(
        self, customer_id: str, *, currency_id: str | None = None, resource_id: str | None = None
    ) -> CreditBalanceSummary:
        """A customer's credit balances, one per currency (``creditBalanceSummary``).

        Example:
            >>> summary = await stigg.get_credit_balance_summary("customer-1")  # doctest: +SKIP
            >>> summary.balance("currency-ai-credits")  # doctest: +SKIP
            70.0
        """
        op = "GetCreditBalanceSummary"
        model = build_input(
            CreditBalanceSummaryInput,
            operation=op,
            **_given(customer_id=customer_id, currency_id=currency_id, resource_id=resource_id),
        )
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(CreditBalanceSummary, raw, op)

    async def get_credit_usage(
        self,
        customer_id: str,
        *,
        currency_id: str | None = None,
        resource_id: str | None = None,
        time_range: CreditUsageTimeRange | str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        group_by: Sequence[str] | None = None,
    ) -> CreditUsage:
        """Credits consumed over time, one series per feature (``creditUsage``).

        Example:
            >>> usage = await stigg.get_credit_usage(  # doctest: +SKIP
            ...     "customer-1", currency_id="currency-ai-credits", time_range="LAST_WEEK"
            ... )
            >>> [(s.feature_id, s.total_credits) for s in usage.series]  # doctest: +SKIP
        """
        op = "GetCreditUsage"
        fields = _given(**keywords(locals()))
        if group_by is not None:
            fields["group_by"] = tuple(self._sequence(group_by, "group_by", op))
        model = build_input(CreditUsageInput, operation=op, **fields)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(CreditUsage, raw, op)

    # ------------------------------------------------------------------ grants

    async def get_credit_grants(
        self,
        customer_id: str,
        *,
        currency_id: str | None = None,
        resource_id: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CreditGrantPage:
        """One page of a customer's credit grants (``creditGrants``), newest first.

        Example:
            >>> page = await stigg.get_credit_grants("customer-1", first=20)  # doctest: +SKIP
            >>> [(g.display_name, g.amount - g.consumed_amount) for g in page.items]  # doctest: +SKIP
        """  # noqa: E501
        op = "GetCreditGrants"
        model = build_input(
            GetCreditGrantsInput,
            operation=op,
            **_given(
                customer_id=customer_id,
                currency_id=currency_id,
                resource_id=resource_id,
                paging=_paging(first, after),
            ),
        )
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(CreditGrantPage, raw, op)

    def iter_credit_grants(
        self,
        customer_id: str,
        *,
        currency_id: str | None = None,
        resource_id: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[CreditGrant]:
        """Every credit grant of a customer, following the page cursors.

        The arguments are checked when it is called, before any page is requested.

        Example:
            >>> async for grant in stigg.iter_credit_grants("customer-1"):  # doctest: +SKIP
            ...     print(grant.display_name, grant.status)
        """
        op = "GetCreditGrants"
        check_page_size(page_size, op)
        build_input(
            GetCreditGrantsInput,
            operation=op,
            **_given(customer_id=customer_id, currency_id=currency_id, resource_id=resource_id),
        )

        async def fetch(after: str | None) -> CreditGrantPage:
            return await self.get_credit_grants(
                customer_id,
                currency_id=currency_id,
                resource_id=resource_id,
                first=page_size,
                after=after,
            )

        return _follow(fetch, lambda page: page.items)

    async def create_credit_grant(
        self,
        input: CreditGrantInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        currency_id: str | None = None,
        amount: float | None = None,
        display_name: str | None = None,
        grant_type: CreditGrantTypeInput | str | None = None,
        resource_id: str | None = None,
        priority: float | None = None,
        effective_at: datetime | None = None,
        expire_at: datetime | None = None,
        comment: str | None = None,
        additional_meta_data: Mapping[str, Any] | None = None,
        cost: MoneyInputDTO | Mapping[str, Any] | None = None,
        payment_collection_method: PaymentCollectionMethod | str | None = None,
        await_payment_confirmation: bool | None = None,
    ) -> CreditGrant:
        """Grant a customer credits (``PAID`` or ``PROMOTIONAL``) in a currency.

        ``priority`` orders consumption (lower first); ``expire_at`` ends the grant.
        The API takes no idempotency key here, so the call is sent once and not
        retried: after a connection failure, list the grants before granting again.

        Example:
            >>> grant = await stigg.create_credit_grant(  # doctest: +SKIP
            ...     customer_id="customer-1", currency_id="currency-ai-credits", amount=100,
            ...     display_name="Starter pack", grant_type="PAID",
            ... )
        """
        op = "CreateCreditGrant"
        model = self._input(CreditGrantInput, input, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()}, retry=False)
        return self._result(CreditGrant, raw, op)

    async def void_credit_grant(self, grant_id: str) -> CreditGrant:
        """Void a grant: its remaining credits leave the balance (``voidCreditGrant``).

        Example:
            >>> voided = await stigg.void_credit_grant(grant.id)  # doctest: +SKIP
            >>> voided.status  # doctest: +SKIP
            <CreditGrantStatus.VOIDED: 'VOIDED'>
        """
        op = "VoidCreditGrant"
        model = build_input(VoidCreditGrantInput, operation=op, id=grant_id)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(CreditGrant, raw, op)

    # ------------------------------------------------------------------ ledger

    async def get_credits_ledger(
        self,
        customer_id: str,
        *,
        currency_id: str | None = None,
        resource_id: str | None = None,
        event_types: Sequence[CreditLedgerEventType | str] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CreditLedgerPage:
        """One page of the credit ledger (``creditsLedger``), newest entry first.

        Each entry is a signed change of the balance tied to one grant.

        Example:
            >>> page = await stigg.get_credits_ledger("customer-1", first=10)  # doctest: +SKIP
            >>> [(e.event_type, e.amount) for e in page.items]  # doctest: +SKIP
        """
        op = "GetCreditsLedger"
        fields = _given(
            customer_id=customer_id,
            currency_id=currency_id,
            resource_id=resource_id,
            paging=_paging(first, after),
        )
        if event_types is not None:
            fields["event_type"] = tuple(self._sequence(event_types, "event_types", op))
        model = build_input(CreditLedgerInput, operation=op, **fields)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(CreditLedgerPage, raw, op)

    def iter_credits_ledger(
        self,
        customer_id: str,
        *,
        currency_id: str | None = None,
        resource_id: str | None = None,
        event_types: Sequence[CreditLedgerEventType | str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[CreditLedgerEvent]:
        """Every ledger entry of a customer, newest first, following the page cursors.

        The arguments are checked when it is called, before any page is requested.

        Example:
            >>> async for entry in stigg.iter_credits_ledger("customer-1"):  # doctest: +SKIP
            ...     print(entry.timestamp, entry.event_type, entry.amount)
        """
        op = "GetCreditsLedger"
        check_page_size(page_size, op)
        fields = _given(customer_id=customer_id, currency_id=currency_id, resource_id=resource_id)
        if event_types is not None:
            fields["event_type"] = tuple(self._sequence(event_types, "event_types", op))
        build_input(CreditLedgerInput, operation=op, **fields)

        async def fetch(after: str | None) -> CreditLedgerPage:
            return await self.get_credits_ledger(
                customer_id,
                currency_id=currency_id,
                resource_id=resource_id,
                event_types=event_types,
                first=page_size,
                after=after,
            )

        return _follow(fetch, lambda page: page.items)

    # ------------------------------------------------------------------ consumption

    async def consume_credits(
        self,
        input: ConsumeCreditInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        currency_id: str | None = None,
        amount: float | None = None,
        resource_id: str | None = None,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> CreditConsumption:
        """Consume credits now and wait for the new balance (``consumeCredits``).

        One idempotency key is minted per call before the first attempt (pass your
        own to make a retry of yours count once too), so retries never consume twice.

        Example:
            >>> ack = await stigg.consume_credits(  # doctest: +SKIP
            ...     customer_id="customer-1", currency_id="currency-ai-credits", amount=2
            ... )
            >>> ack.credit.balance  # doctest: +SKIP
            68.0
        """
        op = "ConsumeCredits"
        fields = keywords(locals())
        given = input
        if isinstance(given, Mapping) and not any(
            given.get(k) for k in ("idempotency_key", "idempotencyKey")
        ):
            given = {**given, "idempotency_key": new_key()}
        elif given is None and idempotency_key is None:
            fields["idempotency_key"] = new_key()
        model = self._input(ConsumeCreditInput, given, fields, op)
        # Counted as pending in local credit checks while the request is out; the
        # answer's balance becomes the cached base (DESIGN section 9).
        record = UsageRecord(
            model.customer_id,
            CREDIT_PREFIX + model.currency_id,
            model.amount,
            "DELTA",
            model.resource_id,
            None,
            None,
            str(model.idempotency_key),
            self._clock.monotonic(),
        )
        raw = await self._observed(
            op, {"input": model.to_variables()}, [record], measurements=False
        )
        result = self._result(CreditConsumption, raw, op)
        if isinstance(raw, Mapping) and isinstance(raw.get("credit"), Mapping):
            self._entitlements.apply_credit((model.customer_id, model.resource_id), raw["credit"])
        return result

    async def consume_credits_async(
        self, consumptions: Sequence[ConsumeCreditInput | Mapping[str, Any]]
    ) -> str | None:
        """Hand consumptions to Stigg to apply later (``consumeCreditsAsync``).

        Each item gets its own idempotency key unless it carries one. Returns the
        server's acknowledgement (an id), not the balances.

        Example:
            >>> await stigg.consume_credits_async([  # doctest: +SKIP
            ...     {"customer_id": "customer-1", "currency_id": "currency-ai-credits",
            ...      "amount": 1},
            ... ])
        """
        op = "ConsumeCreditsAsync"
        keyed = [
            {**c, "idempotency_key": new_key()}
            if isinstance(c, Mapping)
            and c.get("idempotency_key") is None
            and c.get("idempotencyKey") is None
            else c
            for c in self._sequence(consumptions, "consumptions", op)
        ]
        items = self._inputs(ConsumeCreditInput, keyed, "consumptions", op)
        model = build_input(ConsumeCreditsAsyncInput, operation=op, consumptions=tuple(items))
        raw = await self._call(op, {"input": model.to_variables()})
        return raw if isinstance(raw, str) else None

    # ------------------------------------------------------------------ automatic recharge

    async def get_auto_recharge_settings(
        self, customer_id: str, currency_id: str
    ) -> AutoRechargeSettings:
        """A customer's automatic recharge settings for a currency.

        Example:
            >>> s = await stigg.get_auto_recharge_settings(  # doctest: +SKIP
            ...     "customer-1", "currency-ai-credits"
            ... )
            >>> (s.is_enabled, s.threshold_value, s.target_balance)  # doctest: +SKIP
        """
        op = "GetAutoRechargeSettings"
        model = build_input(
            GetAutoRechargeSettingsInput,
            operation=op,
            customer_id=customer_id,
            currency_id=currency_id,
        )
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(AutoRechargeSettings, raw, op)

    async def save_auto_recharge_settings(
        self,
        input: SaveAutoRechargeSettingsInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        currency_id: str | None = None,
        is_enabled: bool | None = None,
        threshold_type: ThresholdType | str | None = None,
        threshold_value: float | None = None,
        target_balance: float | None = None,
        grant_expiration_period: GrantExpirationPeriod | str | None = None,
        max_spend_limit: float | None = None,
    ) -> AutoRechargeSettings:
        """Top a balance up to ``target_balance`` whenever it falls below ``threshold_value``.

        Saving replaces the settings (the same call repeated has the same effect).

        Example:
            >>> await stigg.save_auto_recharge_settings(  # doctest: +SKIP
            ...     customer_id="customer-1", currency_id="currency-ai-credits",
            ...     is_enabled=True, threshold_value=50, target_balance=200,
            ... )
        """
        op = "SaveAutoRechargeSettings"
        model = self._input(SaveAutoRechargeSettingsInput, input, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(AutoRechargeSettings, raw, op)

    # ------------------------------------------------------------------ estimates

    async def estimate_usage_cost(
        self,
        customer_id: str,
        feature_id: str,
        value: float,
        *,
        resource_id: str | None = None,
        update_behavior: UsageUpdateBehavior | str | None = None,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
    ) -> CreditCostEstimation:
        """What reporting ``value`` units of a feature would cost in credits.

        Example:
            >>> est = await stigg.estimate_usage_cost(  # doctest: +SKIP
            ...     "customer-1", "feature-08-ai-generations", 10
            ... )
            >>> est.estimates[0].estimated_cost  # doctest: +SKIP
            20.0
        """
        op = "EstimateUsageCost"
        model = build_input(EstimateUsageCostInput, operation=op, **_given(**keywords(locals())))
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(CreditCostEstimation, raw, op)

    async def estimate_event_cost(
        self,
        customer_id: str,
        event_name: str,
        *,
        resource_id: str | None = None,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
    ) -> CreditCostEstimation:
        """What one raw event would cost in credits, through the features it meters.

        Example:
            >>> est = await stigg.estimate_event_cost(  # doctest: +SKIP
            ...     "customer-1", "image_rendered", dimensions={"images": 3}
            ... )
        """
        op = "EstimateEventCost"
        model = build_input(EstimateEventCostInput, operation=op, **_given(**keywords(locals())))
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(CreditCostEstimation, raw, op)

    # ------------------------------------------------------------------ entitlementV2

    async def fetch_entitlement_v2(
        self,
        customer_id: str,
        *,
        feature_id: str | None = None,
        currency_id: str | None = None,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> CreditEntitlement | FeatureEntitlement:
        """Ask the API for one feature's or one currency's entitlement (``entitlementV2``).

        Pass exactly one of ``feature_id`` and ``currency_id``; the answer is a
        :class:`FeatureEntitlement` or a :class:`CreditEntitlement`. This bypasses
        the cache.

        Example:
            >>> ent = await stigg.fetch_entitlement_v2(  # doctest: +SKIP
            ...     "customer-1", currency_id="currency-ai-credits", requested_usage=5
            ... )
            >>> (ent.is_granted, ent.balance)  # doctest: +SKIP
            (True, 70.0)
        """
        op = "GetEntitlementV2"
        fields = _given(
            customer_id=customer_id,
            feature_id=feature_id,
            currency_id=currency_id,
            resource_id=resource_id,
        )
        if requested_usage is not None:
            fields["options"] = {"requested_usage": requested_usage}
        model = build_input(GetEntitlementV2Input, operation=op, **fields)
        raw = await self._call(op, {"query": model.to_variables()})
        return parse_entitlement_v2(raw, operation=op)


def _given(**fields: Any) -> dict[str, Any]:
    """The keyword fields that were passed (``None`` means not given)."""
    return {k: v for k, v in fields.items() if v is not None}
