"""The executable schema: the pruned Stigg SDL, real scalars, and a forgiving resolver.

Resolvers hand back plain dicts. The default field resolver reads keys, calls
callables (lazy relations such as ``Customer.subscriptions``) with the field's
arguments, and fills any missing non-null field with a neutral value, so any
selection set a client may send gets a complete answer.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    build_schema,
    get_nullable_type,
    is_abstract_type,
    is_enum_type,
    is_list_type,
    is_object_type,
    parse,
    validate,
)
from graphql.language import FloatValueNode, IntValueNode, StringValueNode

from stigg_async._resources import schema_path
from stigg_async.emulator._time import format_datetime, parse_datetime

if TYPE_CHECKING:
    # Generic in graphql-core 3.3, plain in 3.2: only spelled out for the type checker.
    Info: TypeAlias = "GraphQLResolveInfo[Any]"
else:
    Info = GraphQLResolveInfo

__all__ = ["DocumentCache", "PreparedDocument", "build_emulator_schema", "default_resolver"]

_ZERO_UUID = "00000000-0000-0000-0000-000000000000"
_SCALAR_DEFAULTS: dict[str, Any] = {
    "String": "",
    "ID": "",
    "Int": 0,
    "Float": 0.0,
    "Boolean": False,
    "UUID": _ZERO_UUID,
    "ConnectionCursor": "",
}


def _serialize_datetime(value: Any) -> str:
    if isinstance(value, str):
        return value
    return format_datetime(parse_datetime(value))


def _parse_datetime_value(value: Any) -> datetime:
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise GraphQLError(f"DateTime cannot represent value: {value!r}") from exc


def _parse_datetime_literal(node: ValueNode, _variables: Any = None) -> datetime:
    if isinstance(node, StringValueNode):
        return _parse_datetime_value(node.value)
    if isinstance(node, (IntValueNode, FloatValueNode)):
        return _parse_datetime_value(float(node.value))
    raise GraphQLError("DateTime must be an ISO-8601 string or an epoch number")


def build_emulator_schema() -> GraphQLSchema:
    """Build the pruned schema with working ``DateTime`` (ISO-8601, ``Z``) handling."""
    schema = build_schema(schema_path().read_text(encoding="utf-8"))
    scalar = schema.type_map["DateTime"]
    assert isinstance(scalar, GraphQLScalarType)
    scalar.serialize = _serialize_datetime  # type: ignore[method-assign,assignment,unused-ignore]
    scalar.parse_value = _parse_datetime_value  # type: ignore[method-assign,assignment,unused-ignore]
    scalar.parse_literal = _parse_datetime_literal  # type: ignore[method-assign,assignment,unused-ignore]
    # graphql-core 3.3 reads these newer names (set from the legacy ones at construction).
    for name, function in (
        ("coerce_output_value", _serialize_datetime),
        ("coerce_input_value", _parse_datetime_value),
    ):
        if hasattr(scalar, name):
            setattr(scalar, name, function)
    return schema


def _placeholder(schema: GraphQLSchema, type_: GraphQLOutputType, info: Info) -> Any:
    inner = get_nullable_type(type_)
    if is_list_type(inner):
        return []
    if is_object_type(inner):
        return {}
    if is_abstract_type(inner):
        possible = schema.get_possible_types(inner)
        return {"__typename": possible[0].name} if possible else None
    if is_enum_type(inner):
        return next(iter(inner.values))
    name = inner.name  # type: ignore[union-attr]
    if name == "DateTime":
        now = getattr(info.context, "now", None)
        return now() if callable(now) else datetime(1970, 1, 1).isoformat() + ".000Z"
    if name == "JSON":
        return {}
    return _SCALAR_DEFAULTS.get(name, "")


def default_resolver(source: Any, info: Info, **args: Any) -> Any:
    """Read ``source[field]``; call it if it is a lazy relation; fill absent non-nulls."""
    if isinstance(source, dict):
        value = source.get(info.field_name)
    else:
        value = getattr(source, info.field_name, None)
    if callable(value):
        value = value(**args)
    if value is None and isinstance(info.return_type, GraphQLNonNull):
        return _placeholder(info.schema, info.return_type, info)
    return value


@dataclass(frozen=True)
class PreparedDocument:
    """A parsed and validated document, with what the server needs to know about it."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    error_code: str | None
    #: Root field names per operation name (``None`` for an anonymous operation).
    root_fields: dict[str | None, tuple[str, ...]]
    #: Aliased root fields per operation name.
    aliases: dict[str | None, int]
    operation_types: dict[str | None, str]


def _root_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    names: list[str],
    aliased: list[int],
    seen: set[str],
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.append(selection.name.value)
            if selection.alias is not None:
                aliased[0] += 1
        elif isinstance(selection, InlineFragmentNode):
            _root_fields(selection.selection_set, fragments, names, aliased, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                seen.add(name)
                _root_fields(fragments[name].selection_set, fragments, names, aliased, seen)


class DocumentCache:
    """Parse and validate each distinct query text once."""

    def __init__(self, schema: GraphQLSchema, *, max_size: int = 1024) -> None:
        self._schema = schema
        self._max_size = max_size
        self._cache: OrderedDict[str, PreparedDocument] = OrderedDict()
        root_types = (schema.query_type, schema.mutation_type)
        self._known_roots = {
            name for root in root_types if root is not None for name in root.fields
        } | {"__schema", "__type", "__typename"}

    def get(self, query: str) -> PreparedDocument:
        """The prepared document for ``query`` (errors included when it is invalid)."""
        prepared = self._cache.get(query)
        if prepared is not None:
            self._cache.move_to_end(query)
            return prepared
        prepared = self._prepare(query)
        self._cache[query] = prepared
        if len(self._cache) > self._max_size:
            self._cache.popitem(last=False)
        return prepared

    def _prepare(self, query: str) -> PreparedDocument:
        try:
            document = parse(query)
        except GraphQLError as error:
            return PreparedDocument(None, (error,), "BadUserInput", {}, {}, {})
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        roots: dict[str | None, tuple[str, ...]] = {}
        aliases: dict[str | None, int] = {}
        kinds: dict[str | None, str] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                names: list[str] = []
                aliased = [0]
                _root_fields(definition.selection_set, fragments, names, aliased, set())
                op_name = definition.name.value if definition.name else None
                roots[op_name] = tuple(names)
                aliases[op_name] = aliased[0]
                kinds[op_name] = definition.operation.value
        unsupported = sorted(
            {name for names in roots.values() for name in names} - self._known_roots
        )
        if unsupported:
            supported = ", ".join(sorted(n for n in self._known_roots if not n.startswith("__")))
            errors = tuple(
                GraphQLError(
                    f"Root field '{name}' is not supported by the stigg_async emulator "
                    f"(supported: {supported})",
                    extensions={"code": "UnsupportedParameter", "field": name},
                )
                for name in unsupported
            )
            return PreparedDocument(None, errors, "UnsupportedParameter", roots, aliases, kinds)
        invalid = tuple(validate(self._schema, document))
        if invalid:
            return PreparedDocument(None, invalid, "BadUserInput", roots, aliases, kinds)
        return PreparedDocument(document, (), None, roots, aliases, kinds)
