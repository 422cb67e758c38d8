"""Rewrite the three lists of ``stigg_async/__init__.py`` from its ``_LAZY`` table.

The package exports names lazily (PEP 562); each public name must appear in the
``TYPE_CHECKING`` imports (for type checkers), in ``_LAZY`` (for the lazy import) and
in ``__all__``. Edit ``_LAZY`` (or pass ``NAME=module`` arguments to add names), then
run ``python scripts/gen_init.py`` to bring the other two in line.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

INIT = Path(__file__).resolve().parent.parent / "stigg_async" / "__init__.py"


def main(argv: list[str]) -> None:
    text = INIT.read_text()
    tree = ast.parse(text)
    lazy: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_LAZY":
            lazy = ast.literal_eval(node.value)  # type: ignore[arg-type]
    for arg in argv:
        name, module = arg.split("=")
        lazy[name] = module
    by_module: dict[str, list[str]] = defaultdict(list)
    for name, module in lazy.items():
        by_module[module].append(name)
    imports = "".join(
        f"    from {module} import (\n"
        + "".join(f"        {n},\n" for n in sorted(names, key=str.lower))
        + "    )\n"
        for module, names in sorted(by_module.items())
    )
    table = "".join(f'    "{n}": "{lazy[n]}",\n' for n in sorted(lazy))
    public = "".join(f'    "{n}",\n' for n in sorted([*lazy, "__version__"]))
    text = re.sub(
        r"if TYPE_CHECKING:\n(?:    .*\n|\n)*?(?=\n#: Where)",
        "if TYPE_CHECKING:\n" + imports,
        text,
    )
    text = re.sub(
        r"(_LAZY: dict\[str, str\] = \{\n)(?:    .*\n)*?(\})",
        r"\g<1>" + table.replace("\\", "\\\\") + r"\2",
        text,
    )
    text = re.sub(r"(__all__ = \[\n)(?:    .*\n)*?(\])", r"\g<1>" + public + r"\2", text)
    INIT.write_text(text)


if __name__ == "__main__":
    main(sys.argv[1:])
