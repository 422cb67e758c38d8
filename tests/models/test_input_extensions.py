"""Hand-written rules on generated inputs: what the schema's types cannot say."""

from __future__ import annotations

import pytest

from stigg_async._errors import StiggValidationError
from stigg_async._models import (
    Address,
    UpdateCustomerInput,
    UpdateSubscriptionInput,
    build_input,
)


@pytest.mark.parametrize(
    ("model", "field"),
    [(UpdateSubscriptionInput, "subscription_id"), (UpdateCustomerInput, "customer_id")],
)
def test_updates_need_an_id_or_ref_id(model: type[UpdateCustomerInput], field: str) -> None:
    """The schema makes both ids optional; an update with neither is rejected on the id."""
    with pytest.raises(StiggValidationError) as info:
        build_input(model, operation="Update")
    assert info.value.field == field
    assert build_input(model, ref_id="x").to_variables() == {"refId": "x"}


def test_postal_code_is_free_text_not_an_id() -> None:
    """A postal code may hold spaces ("SW1A 1AA"): the generator keeps it as text."""
    assert Address(postal_code=" ").postal_code == " "
