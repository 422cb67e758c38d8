"""Load the operation documents once: parse, attach fragments, print.

Each ``operations/<Name>.graphql`` holds one named operation; fragments live in
``operations/fragments/<FragmentName>.graphql`` and are appended to every document
that spreads them (transitively). The text is printed once here and reused on every
call, because gql would otherwise re-print the AST per request (0.05-3 ms each).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    parse,
    print_ast,
)

from stigg_async._resources import operations_dir

__all__ = ["Operation", "fragment_definitions", "load_operations", "operation"]

_SPREAD = re.compile(r"\.\.\.\s*([_A-Za-z][_0-9A-Za-z]*)")


@dataclass(frozen=True, slots=True)
class Operation:
    """One ready-to-send GraphQL operation.

    Attributes:
        name: the operation name (also the file name), e.g. ``"ReportUsage"``.
        kind: ``"query"`` or ``"mutation"``.
        root_field: the single root field it selects, e.g. ``"reportUsage"``.
        text: the printed document with its fragments, sent as-is on every call.
        document: the parsed document (for validation and tooling).
    """

    name: str
    kind: Literal["query", "mutation"]
    root_field: str
    text: str
    document: DocumentNode


def _fragment_sources(directory: Path) -> dict[str, str]:
    frag_dir = directory / "fragments"
    if not frag_dir.is_dir():
        return {}
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(frag_dir.glob("*.graphql"))}


def _with_fragments(source: str, fragments: Mapping[str, str], origin: str) -> str:
    """Append every fragment ``source`` needs, transitively, in a stable order."""
    needed: list[str] = []
    pending = _SPREAD.findall(source)
    while pending:
        name = pending.pop(0)
        if name in needed or name == "on":
            continue
        if name not in fragments:
            raise LookupError(f"{origin}: fragment {name!r} has no file in operations/fragments")
        needed.append(name)
        pending.extend(_SPREAD.findall(fragments[name]))
    return "\n".join([source, *(fragments[n] for n in sorted(needed))])


def _build(path: Path, fragments: Mapping[str, str]) -> Operation:
    document = parse(_with_fragments(path.read_text(encoding="utf-8"), fragments, path.name))
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(ops) != 1 or ops[0].name is None or ops[0].name.value != path.stem:
        raise ValueError(f"{path.name} must hold exactly one operation named {path.stem}")
    op = ops[0]
    kind = op.operation.value
    if kind not in ("query", "mutation"):
        raise ValueError(f"{path.name}: only queries and mutations are supported")
    roots = [s for s in op.selection_set.selections if isinstance(s, FieldNode)]
    if len(roots) != 1:
        raise ValueError(f"{path.name} must select exactly one root field")
    return Operation(
        name=path.stem,
        kind="query" if kind == "query" else "mutation",
        root_field=roots[0].name.value,
        text=print_ast(document),
        document=document,
    )


@cache
def _fragments(directory: Path) -> Mapping[str, str]:
    return MappingProxyType(_fragment_sources(directory))


@cache
def _load(directory: Path, name: str) -> Operation:
    path = directory / f"{name}.graphql"
    if name == "schema" or not path.is_file():
        known = sorted(p.stem for p in directory.glob("*.graphql") if p.stem != "schema")
        raise KeyError(f"no operation {name!r}; known: {', '.join(known)}")
    return _build(path, _fragments(directory))


def operation(name: str) -> Operation:
    """The operation called ``name``, parsed and printed on first use, then cached.

    Parsing is lazy so that creating a client costs nothing for the operations it
    never sends; a ``KeyError`` names the operations that exist.

    Example:
        >>> operation("ReportUsage").root_field
        'reportUsage'
    """
    return _load(operations_dir(), name)


def load_operations(directory: Path | None = None) -> Mapping[str, Operation]:
    """Every operation under ``operations/``, keyed by name (each parsed once).

    Example:
        >>> load_operations()["ReportUsage"].kind
        'mutation'
    """
    directory = directory or operations_dir()
    names = sorted(p.stem for p in directory.glob("*.graphql") if p.stem != "schema")
    return MappingProxyType({name: _load(directory, name) for name in names})


@cache
def fragment_definitions(*names: str) -> str:
    """The printed text of the named fragments plus every fragment they spread.

    Used to build documents at run time (the poller's aliased batch query) from
    the same fragments the static documents use.
    """
    fragments = _fragment_sources(operations_dir())
    text = _with_fragments("".join(f"...{n}\n" for n in names), fragments, "fragment_definitions")
    # Drop the seed spreads; keep only the definitions, printed canonically.
    body = text.split("\n", len(names))[-1]
    doc = parse(body)
    return "\n\n".join(
        print_ast(d) for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
    )
