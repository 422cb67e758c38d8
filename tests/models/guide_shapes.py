"""Response shapes copied from the reference guides, and a helper to unwrap the Java ones.

The Java SDK guide prints Apollo objects: enums as ``{"rawValue": ...}``, fragments as
``{"xxxFragment": {...}}`` wrappers and ``__typename`` keys. :func:`unwrap` turns that
back into the plain GraphQL JSON the API sends.
"""

from __future__ import annotations

from typing import Any

__all__ = ["unwrap"]


def unwrap(value: Any) -> Any:
    """Strip the Java guide's ``rawValue``, ``__typename`` and fragment wrappers."""
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"rawValue"}:
        return value["rawValue"]
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "__typename":
            continue
        if key.endswith("Fragment") or key.endswith("FragmentV2"):
            out.update(unwrap(item))
        else:
            out[key] = unwrap(item)
    return out


# --- GraphQL API guide ----------------------------------------------------------

PROVISION_CUSTOMER = {
    "customer": {
        "refId": "customer-id",
        "name": "Acme",
        "email": "[email protected]",
        "createdAt": "2022-09-22T08:00:28.965Z",
        "billingId": None,
        "crmId": None,
        "hasPaymentMethod": False,
        "additionalMetaData": {"key": "value"},
    },
    "subscriptionDecisionStrategy": "REQUESTED_PLAN",
    "subscription": {
        "refId": "subscription-plan-revvenu-basic-7b5a40",
        "status": "ACTIVE",
        "plan": {"refId": "plan-revvenu-basic"},
    },
}

CUSTOMERS_CONNECTION = {
    "edges": [
        {
            "node": {
                "id": "a1c08d83-4175-4402-99de-0924a158eaa1",
                "name": "Acme",
                "email": "[email protected]",
                "createdAt": "2022-08-24T20:37:46.194Z",
                "updatedAt": "2022-08-24T21:43:50.593Z",
                "hasPaymentMethod": False,
                "refId": "customer-id",
                "billingId": "",
                "additionalMetaData": {"key": "value"},
                "coupon": None,
                "promotionalEntitlements": [],
                "subscriptions": [
                    {
                        "id": "0136d54d-c34d-435d-b53c-e0e6f358608a",
                        "startDate": "2022-08-24T21:25:51.921Z",
                        "endDate": None,
                        "trialEndDate": None,
                        "cancellationDate": None,
                        "effectiveEndDate": None,
                        "status": "ACTIVE",
                        "refId": "subscription-plan-revvenu-basic-e24ddb",
                        "currentBillingPeriodEnd": "2022-09-24T21:25:51.921Z",
                        "additionalMetaData": {"key": "value"},
                        "prices": [],
                        "totalPrice": None,
                        "pricingType": "FREE",
                        "plan": {
                            "id": "08b249b1-5d15-4d09-a9f8-da4af00836d5",
                            "refId": "plan-revvenu-basic",
                            "displayName": "Basic",
                            "description": None,
                            "additionalMetaData": None,
                        },
                        "addons": [],
                    }
                ],
            }
        }
    ]
}

CREATE_SUBSCRIPTION = {
    "id": "e8ca2feb-e57e-4e93-9007-f14814524944",
    "refId": "subscription-plan-revvenu-essentials-65768c",
    "status": "PAYMENT_PENDING",
    "additionalMetaData": {"key": "value"},
    "plan": {"id": "3b0c9144-f6ea-4a39-af7b-2c9dda38a813", "refId": "plan-revvenu-essentials"},
    "addons": [
        {
            "quantity": 2,
            "addon": {"id": "83763342-93af-4ea7-995f-9598be7393f0", "refId": "addon-10-campaigns"},
        }
    ],
    "customer": {"id": "8e527bc0-9822-4b02-acbd-dadec77a01b2", "refId": "customer-9a88b4"},
}

CANCEL_SUBSCRIPTION = {
    "refId": "subscription-plan-revvenu-essentials-5f7470",
    "status": "CANCELED",
    "additionalMetaData": {"key": "value"},
}

GET_ENTITLEMENT = {
    "isGranted": True,
    "feature": {
        "refId": "feature-01-templates",
        "displayName": "Templates",
        "featureUnits": "Template",
        "featureUnitsPlural": "Templates",
        "featureType": "NUMBER",
        "meterType": "Fluctuating",
        "description": None,
    },
    "currentUsage": 0,
    "customerId": "a1c08d83-4175-4402-99de-0924a158eaa1",
    "accessDeniedReason": None,
    "requestedUsage": 0,
    "usageLimit": 3,
    "hasUnlimitedUsage": False,
    "nextResetDate": None,
    "resetPeriod": None,
}

CREATE_USAGE_MEASUREMENT = {"id": "05e3a286-acaa-42cd-b76b-b49befbd5113"}

ESTIMATE_SUBSCRIPTION_UPDATE = {
    "subTotal": {"amount": 7, "currency": "USD"},
    "total": {"amount": 7, "currency": "USD"},
    "billingPeriodRange": {"start": "2022-10-26T17:07:17.000Z", "end": "2022-11-26T17:07:17.000Z"},
    "proration": {
        "prorationDate": "2022-10-26T17:08:23.000Z",
        "credit": {"amount": -10, "currency": "USD"},
        "debit": {"amount": 17, "currency": "USD"},
    },
}

COUPONS_CONNECTION = {
    "edges": [
        {
            "node": {
                "id": "d7644ee3-6370-444e-bd0a-f73ed8f9cc76",
                "discountValue": 20,
                "type": "PERCENTAGE",
                "additionalMetaData": None,
                "refId": "coupon-215e17",
                "name": "VIP",
                "description": None,
                "createdAt": "2022-08-25T00:27:56.368Z",
                "updatedAt": "2022-08-25T00:27:56.761Z",
                "billingId": "TYvB8jF8",
                "billingLinkUrl": "http://127.0.0.1/test/coupons/TYvB8jF8",
                "status": "ACTIVE",
            }
        }
    ]
}

# --- Java SDK guide (Apollo wrappers kept; pass through unwrap()) ----------------

JAVA_PROVISION_CUSTOMER = {
    "customer": {
        "__typename": "Customer",
        "slimCustomerFragment": {
            "id": "4168b1ed-56de-41fe-9382-4d9eaf45e161",
            "name": "Acme",
            "email": "[email protected]",
            "createdAt": "2023-11-20T22:39:19.840Z",
            "updatedAt": "2023-11-20T22:39:19.840Z",
            "refId": "customer-5162641",
            "customerId": "customer-5162641",
            "billingId": None,
            "additionalMetaData": {"key": "value"},
        },
    },
    "subscriptionDecisionStrategy": {"rawValue": "REQUESTED_PLAN"},
    "subscription": {
        "__typename": "CustomerSubscription",
        "slimSubscriptionFragment": {
            "id": "e09b03a6-d0ec-4d6b-b184-1b897981283e",
            "refId": "subscription-plan-revvenu-basic-tctmtyrvfv",
            "status": {"rawValue": "ACTIVE"},
            "additionalMetaData": None,
            "billingId": None,
            "billingLinkUrl": None,
            "effectiveEndDate": None,
            "currentBillingPeriodEnd": "2023-12-20T22:39:19.893Z",
            "pricingType": {"rawValue": "FREE"},
            "latestInvoice": None,
            "paymentCollection": {"rawValue": "NOT_REQUIRED"},
            "billingSyncError": None,
            "resource": None,
            "experimentInfo": None,
            "prices": [],
            "totalPrice": None,
            "plan": {"id": "bad48997-2aec-4f01-bfa5-534e80826c0e", "refId": "plan-revvenu-basic"},
            "addons": [],
            "customer": {
                "id": "4168b1ed-56de-41fe-9382-4d9eaf45e161",
                "refId": "customer-5162641",
            },
        },
    },
}

JAVA_FULL_SUBSCRIPTION = {
    "__typename": "CustomerSubscription",
    "slimSubscriptionFragmentV2": {
        "id": "b8b48c70-df8a-460c-b5f9-2276a5854a03",
        "startDate": "2023-11-21T16:26:11.000Z",
        "endDate": None,
        "trialEndDate": None,
        "cancellationDate": None,
        "effectiveEndDate": None,
        "status": {"rawValue": "ACTIVE"},
        "refId": "subscription-plan-revvenu-essentials-cd0ba9",
        "currentBillingPeriodEnd": "2023-12-21T16:26:30.000Z",
        "additionalMetaData": None,
        "billingId": "sub_1OEwmQAnAO1PFouUVaDluuRj",
        "billingLinkUrl": "http://127.0.0.1/test/subscriptions/sub_1OEwmQAnAO1PFouUVaDluuRj",
        "latestInvoice": {
            "__typename": "SubscriptionInvoice",
            "subscriptionInvoiceFragment": {
                "billingId": "in_1OEwmQAnAO1PFouU8W9U6ldu",
                "status": {"rawValue": "PAID"},
                "createdAt": "2023-11-21T16:26:30.000Z",
                "updatedAt": "2023-11-21T16:26:32.842Z",
                "requiresAction": False,
                "paymentUrl": "http://127.0.0.1/i/acct_1KxDMtAnAO1PFouU/test_YWNj",
                "paymentSecret": "pi_3OEwmRAnAO1PFouU1Zg54ALZ_secret_28nQjBxmQnzVg0ISlvBC2eQJR",
                "errorMessage": None,
            },
        },
        "paymentCollection": {"rawValue": "NOT_REQUIRED"},
        "billingSyncError": None,
        "resource": None,
        "experimentInfo": None,
        "prices": [
            {
                "usageLimit": 7,
                "price": {
                    "__typename": "Price",
                    "priceFragment": {
                        "billingModel": {"rawValue": "PER_UNIT"},
                        "billingPeriod": {"rawValue": "MONTHLY"},
                        "billingId": "price_1OEuj0AnAO1PFouUPwz1QA7U",
                        "minUnitQuantity": 5,
                        "maxUnitQuantity": None,
                        "billingCountryCode": None,
                        "price": {"amount": 6, "currency": {"rawValue": "USD"}},
                        "tiersMode": None,
                        "tiers": None,
                        "feature": {
                            "refId": "feature-01-templates",
                            "featureUnits": "template",
                            "featureUnitsPlural": "templates",
                            "displayName": "Templates",
                            "description": None,
                        },
                    },
                },
            }
        ],
        "totalPrice": {
            "__typename": "CustomerSubscriptionTotalPrice",
            "totalPriceFragment": {
                "subTotal": {"amount": 52, "currency": {"rawValue": "USD"}},
                "total": {"amount": 52, "currency": {"rawValue": "USD"}},
            },
        },
        "pricingType": {"rawValue": "PAID"},
        "plan": {
            "__typename": "Plan",
            "planFragment": {
                "id": "7a3979c1-c553-4338-a5b3-c7523bec288f",
                "refId": "plan-revvenu-essentials",
                "displayName": "Essentials",
                "description": None,
                "billingId": "prod_P30kP9lB01YaiE",
                "versionNumber": 1,
                "additionalMetaData": None,
                "product": {
                    "__typename": "Product",
                    "productFragment": {
                        "refId": "product-revvenu",
                        "displayName": "Revvenu",
                        "description": None,
                        "additionalMetaData": {"recommendedPlan": "plan-revvenu-essentials"},
                        "productSettings": {"downgradePlan": None},
                    },
                },
                "basePlan": {"refId": "plan-revvenu-basic", "displayName": "Basic"},
                "entitlements": [
                    {
                        "__typename": "PackageEntitlement",
                        "packageEntitlementFragment": {
                            "usageLimit": 12,
                            "hasUnlimitedUsage": None,
                            "featureId": "cce3f1fe-494e-472a-919d-5135bb932349",
                            "resetPeriod": {"rawValue": "MONTH"},
                            "hiddenFromWidgets": [],
                            "isCustom": None,
                            "displayNameOverride": None,
                            "feature": {
                                "featureType": {"rawValue": "NUMBER"},
                                "meterType": {"rawValue": "Incremental"},
                                "featureUnits": "campaign",
                                "featureUnitsPlural": "campaigns",
                                "displayName": "Campaigns",
                                "description": None,
                                "refId": "feature-02-campaigns",
                                "additionalMetaData": None,
                            },
                        },
                    }
                ],
                "inheritedEntitlements": [],
                "compatibleAddons": [],
                "prices": [],
                "pricingType": {"rawValue": "PAID"},
                "defaultTrialConfig": None,
            },
        },
        "addons": [
            {
                "__typename": "SubscriptionAddon",
                "id": "0a86b7b0-b85f-479f-abf9-e7e1167c251d",
                "quantity": 2,
                "addon": {
                    "__typename": "Addon",
                    "addonFragment": {
                        "id": "59b81b8b-7bff-4b00-9ede-c5c9b9544500",
                        "refId": "addon-10-campaigns",
                        "billingId": "prod_P30kizGUa6097e",
                        "displayName": "10 campaigns",
                        "description": "Additional quota of 10 campaigns",
                        "additionalMetaData": None,
                        "entitlements": [],
                        "prices": [],
                        "pricingType": {"rawValue": "PAID"},
                    },
                },
            }
        ],
        "scheduledUpdates": [],
        "futureUpdates": [],
    },
}

JAVA_PROVISION_CHECKOUT = {
    "checkoutUrl": "http://127.0.0.1/c/pay/cs_test_b1PKYNIzXFR3uejdj59M0Bgh",
    "status": {"rawValue": "PAYMENT_REQUIRED"},
    "subscription": None,
}

JAVA_ENTITLEMENT_DENIED = {
    "entitlementFragment": {
        "isGranted": False,
        "accessDeniedReason": {"rawValue": "RequestedUsageExceedingLimit"},
        "customerId": None,
        "resourceId": None,
        "usageLimit": 5,
        "hasUnlimitedUsage": False,
        "currentUsage": 3,
        "requestedUsage": 10,
        "entitlementUpdatedAt": None,
        "usageUpdatedAt": None,
        "nextResetDate": 4127191200,
        "resetPeriod": None,
        "resetPeriodConfiguration": None,
        "feature": {
            "featureFragment": {
                "featureType": {"rawValue": "NUMBER"},
                "meterType": {"rawValue": "Fluctuating"},
                "featureUnits": "template",
                "featureUnitsPlural": "templates",
                "description": None,
                "displayName": "Templates",
                "refId": "feature-01-templates",
            }
        },
    }
}

JAVA_ENTITLEMENTS = [
    {
        "entitlementFragment": {
            "isGranted": True,
            "accessDeniedReason": None,
            "customerId": None,
            "resourceId": None,
            "usageLimit": None,
            "hasUnlimitedUsage": False,
            "currentUsage": None,
            "requestedUsage": None,
            "entitlementUpdatedAt": None,
            "usageUpdatedAt": None,
            "nextResetDate": None,
            "resetPeriod": None,
            "resetPeriodConfiguration": None,
            "feature": {
                "featureFragment": {
                    "featureType": {"rawValue": "BOOLEAN"},
                    "meterType": {"rawValue": "None"},
                    "featureUnits": None,
                    "featureUnitsPlural": None,
                    "description": None,
                    "displayName": "Analytics",
                    "refId": "feature-04-analytics",
                }
            },
        }
    },
    {
        "entitlementFragment": {
            "isGranted": True,
            "accessDeniedReason": None,
            "customerId": None,
            "resourceId": None,
            "usageLimit": 100,
            "hasUnlimitedUsage": False,
            "currentUsage": None,
            "requestedUsage": None,
            "entitlementUpdatedAt": None,
            "usageUpdatedAt": None,
            "nextResetDate": None,
            "resetPeriod": None,
            "resetPeriodConfiguration": None,
            "feature": {
                "featureFragment": {
                    "featureType": {"rawValue": "NUMBER"},
                    "meterType": {"rawValue": "None"},
                    "featureUnits": "MB",
                    "featureUnitsPlural": "MB",
                    "description": None,
                    "displayName": "Max file size",
                    "refId": "feature-06-max-file-size",
                }
            },
        }
    },
]

JAVA_REPORT_USAGE = {
    "id": "5fc41989-e624-4240-a482-c588b4255791",
    "currentUsage": 3,
    "nextResetDate": 1703116800,
    "timestamp": 1700595372.708,
}

JAVA_COUPONS = {
    "edges": [
        {
            "node": {
                "couponFragment": {
                    "id": "8fe11e1f-7dc2-4a82-b357-c1c3dc738660",
                    "discountValue": 20,
                    "type": {"rawValue": "PERCENTAGE"},
                    "additionalMetaData": None,
                    "refId": "coupon-vip",
                    "name": "VIP",
                    "description": None,
                    "createdAt": 1700576088.148,
                    "updatedAt": 1700576091.342,
                    "billingId": "9zQ41isX",
                    "billingLinkUrl": "http://127.0.0.1/test/coupons/9zQ41isX",
                    "status": {"rawValue": "ACTIVE"},
                    "syncStates": [
                        {
                            "vendorIdentifier": {"rawValue": "STRIPE"},
                            "status": {"rawValue": "SUCCESS"},
                        }
                    ],
                    "customers": [],
                }
            }
        }
    ]
}

JAVA_GRANT_PROMOTIONS = [
    {
        "promotionalEntitlementFragment": {
            "status": {"rawValue": "Active"},
            "usageLimit": None,
            "featureId": "0937bf25-2fec-457b-a1f5-bd470396a100",
            "hasUnlimitedUsage": None,
            "resetPeriod": None,
            "endDate": 1703188217.659,
            "isVisible": True,
            "feature": {
                "featureType": {"rawValue": "BOOLEAN"},
                "meterType": {"rawValue": "None"},
                "featureUnits": None,
                "featureUnitsPlural": None,
                "displayName": "Analytics",
                "description": None,
                "refId": "feature-04-analytics",
                "additionalMetaData": None,
            },
        }
    },
    {
        "promotionalEntitlementFragment": {
            "status": {"rawValue": "Active"},
            "usageLimit": 100,
            "featureId": "cce3f1fe-494e-472a-919d-5135bb932349",
            "hasUnlimitedUsage": None,
            "resetPeriod": None,
            "endDate": 1703188216.028,
            "isVisible": True,
            "feature": {
                "featureType": {"rawValue": "NUMBER"},
                "meterType": {"rawValue": "Incremental"},
                "featureUnits": "campaign",
                "featureUnitsPlural": "campaigns",
                "displayName": "Campaigns",
                "description": None,
                "refId": "feature-02-campaigns",
                "additionalMetaData": None,
            },
        }
    },
]

JAVA_REVOKE_PROMOTION = {"id": "f77c7c8c-098b-42f2-a82b-134f69241e2d"}

JAVA_ESTIMATE = {
    "subscriptionPreviewFragment": {
        "subTotal": {"amount": 24.88, "currency": {"rawValue": "USD"}},
        "totalExcludingTax": {"amount": 24.88, "currency": {"rawValue": "USD"}},
        "total": {"amount": 2.89, "currency": {"rawValue": "USD"}},
        "discountAmount": None,
        "taxDetails": None,
        "tax": {"amount": 0, "currency": {"rawValue": "USD"}},
        "billingPeriodRange": {"start": 1700596892.977, "end": 1703188892.977},
        "discount": None,
        "subscription": {
            "subTotal": {"amount": 55, "currency": {"rawValue": "USD"}},
            "totalExcludingTax": {"amount": 55, "currency": {"rawValue": "USD"}},
            "total": {"amount": 55, "currency": {"rawValue": "USD"}},
            "tax": {"amount": 0, "currency": {"rawValue": "USD"}},
            "discountAmount": None,
            "taxDetails": None,
            "discount": None,
        },
        "proration": {
            "prorationDate": 1700596893,
            "credit": {"amount": 0, "currency": {"rawValue": "USD"}},
            "debit": {"amount": 24.88, "currency": {"rawValue": "USD"}},
            "netAmount": {"amount": 24.88, "currency": {"rawValue": "USD"}},
        },
        "isPlanDowngrade": None,
        "hasScheduledUpdates": None,
        "credits": {
            "initial": {"amount": 21.99, "currency": {"rawValue": "USD"}},
            "used": {"amount": 21.99, "currency": {"rawValue": "USD"}},
            "remaining": {"amount": 0, "currency": {"rawValue": "USD"}},
        },
    }
}
