"""A user's code type-checks under ``mypy --strict``, and a misspelt string option does not."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from stigg_async import (
    BillingPeriod,
    BillingPeriodName,
    CancellationAction,
    CancellationTime,
    CouponStatusName,
    MigrationTime,
    PromotionalEntitlementPeriod,
    PromotionPeriod,
    SubscriptionCancellationTime,
    UpdateBehavior,
    UsageUpdateBehavior,
)
from stigg_async._models import (
    CouponStatus,
    SubscriptionCancellationAction,
    SubscriptionMigrationTime,
)

PROGRAM = Path(__file__).with_name("user_program.py")


@pytest.mark.slow
def test_mypy_strict_accepts_the_program_and_rejects_only_the_misspelt_option(
    tmp_path: Path,
) -> None:
    """Every valid option passes; ``update_behavior="ADD"`` is the one error, on its line."""
    config = tmp_path / "mypy.ini"  # the user's settings, not this repository's
    config.write_text("[mypy]\n", encoding="utf-8")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            str(PROGRAM),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    lines = PROGRAM.read_text(encoding="utf-8").splitlines()
    rejected = next(n for n, text in enumerate(lines, 1) if text.rstrip().endswith("# REJECTED"))
    assert len(errors) == 1, run.stdout + run.stderr
    assert re.search(rf"user_program\.py:{rejected}: error: .*'ADD'", errors[0]), errors[0]
    assert "[arg-type]" in errors[0]


@pytest.mark.parametrize(
    ("alias", "enum"),
    [
        (UpdateBehavior, UsageUpdateBehavior),
        (BillingPeriodName, BillingPeriod),
        (CancellationTime, SubscriptionCancellationTime),
        (CancellationAction, SubscriptionCancellationAction),
        (MigrationTime, SubscriptionMigrationTime),
        (CouponStatusName, CouponStatus),
        (PromotionPeriod, PromotionalEntitlementPeriod),
    ],
)
def test_each_literal_spells_exactly_its_enum(alias: object, enum: type) -> None:
    """The ``Literal`` and the enum list the same API values (neither can drift)."""
    assert set(get_args(alias)) == {member.value for member in enum}  # type: ignore[attr-defined]
