"""Every typed model of the SDK: API results, inputs, and enums.

Results are frozen pydantic models with snake_case attributes aliased to the API's
camelCase names; inputs validate locally before anything is sent.

Example:
    >>> from stigg_async.models import ReportUsageInput
    >>> ReportUsageInput(customer_id="c-1", feature_id="f-1", value=1).to_variables()
    {'customerId': 'c-1', 'featureId': 'f-1', 'value': 1.0}
"""

from stigg_async._models import *  # noqa: F403
from stigg_async._models import __all__ as _models_all

__all__ = list(_models_all)
