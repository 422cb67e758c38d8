"""Generate docs/api.md, the API reference of ``AsyncStigg``, from the code.

    python scripts/gen_api_docs.py          # rewrite docs/api.md
    python scripts/gen_api_docs.py --check  # exit 1 if docs/api.md is stale

Every public method and property of ``AsyncStigg`` is listed with its signature and
the first paragraph of its docstring, grouped by the mixin that defines it. The test
suite runs ``--check``, so a method added without regenerating the file fails it.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stigg_async import AsyncStigg  # noqa: E402

OUT = ROOT / "docs" / "api.md"

SECTIONS = [
    ("AsyncStigg", "Client and life cycle"),
    ("_EntitlementMethods", "Entitlement checks (local cache)"),
    ("_UsageMethods", "Buffered usage"),
    ("_CustomerMethods", "Customers"),
    ("_SubscriptionMethods", "Subscriptions and checkout"),
    ("_ReportingMethods", "Direct usage reports and server-side checks"),
    ("_PromotionMethods", "Promotions and coupons"),
    ("_CatalogMethods", "Catalog and pricing pages"),
    ("_SubscriptionAdminMethods", "Subscriptions at full breadth: lists, previews, transfers"),
    ("_PagingMethods", "Iterating over every page"),
    ("_AdminMethods", "Customer administration, imports, promotion groups, coupons, checkout"),
    ("_UsageHistoryMethods", "Usage history and entitlement-check analytics"),
    ("_CreditMethods", "Credits: balances, grants, ledger, consumption"),
]

HEADER = """# API reference: `AsyncStigg`

Generated from the code by `scripts/gen_api_docs.py`; do not edit by hand (a test
fails when this file is stale). Every model, option and error class named here is
importable from `stigg_async`. See [configuration](configuration.md) for the
constructor's options and [errors](errors.md) for what the methods raise.

String options are typed with `Literal` aliases, also exported from `stigg_async`:
`UpdateBehavior` (`"DELTA"`, `"SET"`), `BillingPeriodName` (`"MONTHLY"`,
`"ANNUALLY"`), `CancellationTime`, `CancellationAction`, `MigrationTime`,
`CouponStatusName`, `PromotionPeriod` and `FullQueuePolicy`. Each method also accepts
the matching enum member (`UsageUpdateBehavior.SET`).

```text
{constructor}
```

{doc}
"""


def summary(obj: object) -> str:
    """The docstring's first paragraph as one line (a first line alone may stop mid-sentence)."""
    doc = (inspect.getdoc(obj) or "").strip()
    if not doc:
        return "(undocumented)"
    paragraph = doc.split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def unquote(text: str) -> str:
    """Drop the quotes postponed annotations leave around types (not around defaults)."""
    return re.sub(r"(: |-> )'([^']*)'", r"\1\2", text)


def signature(name: str, member: object) -> str:
    if isinstance(member, property):
        getter = member.fget
        returns = inspect.signature(getter).return_annotation if getter else ""
        return f"{name} -> {returns}  (property)"
    sig = str(inspect.signature(member))  # type: ignore[arg-type]
    sig = unquote(sig.replace("(self, ", "(").replace("(self)", "()"))
    prefix = "async " if inspect.iscoroutinefunction(member) else ""
    return f"{prefix}{name}{sig}"


def owner_of(name: str) -> str:
    for cls in AsyncStigg.__mro__:
        if name in vars(cls):
            return cls.__name__
    return "AsyncStigg"


def render() -> str:
    members: dict[str, list[tuple[str, object]]] = {}
    for name in sorted(dir(AsyncStigg)):
        if name.startswith("_"):
            continue
        member = inspect.getattr_static(AsyncStigg, name)
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if not (callable(member) or isinstance(member, property)):
            continue
        members.setdefault(owner_of(name), []).append((name, member))
    init = str(inspect.signature(AsyncStigg.__init__)).replace("(self, ", "(")
    constructor = "AsyncStigg" + unquote(init)
    parts = [HEADER.format(constructor=constructor, doc=summary(AsyncStigg))]
    known = {cls for cls, _ in SECTIONS}
    sections = SECTIONS + [(cls, "Other") for cls in sorted(set(members) - known)]
    for cls, title in sections:
        if cls not in members:
            continue
        parts.append(f"## {title}\n")
        for name, member in members[cls]:
            parts.append(f"### `{name}`\n\n```text\n{signature(name, member)}\n```\n")
            parts.append(f"{summary(member)}\n")
    return "\n".join(parts).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/api.md is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print("docs/api.md is stale: run python scripts/gen_api_docs.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
