"""The HTTP side: ``POST /graphql``, checkout and payment pages, and the test hooks."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from graphql import ExecutionResult, GraphQLError, execute

from stigg_async.emulator._catalog import Catalog, CatalogError
from stigg_async.emulator._errors import EmulatorError, ErrorCode
from stigg_async.emulator._faults import Fault
from stigg_async.emulator._resolvers import ResolverContext
from stigg_async.emulator._schema import default_resolver
from stigg_async.emulator._time import format_datetime
from stigg_async.emulator._ws import add_stream_routes

if TYPE_CHECKING:
    from stigg_async.emulator._emulator import Emulator

__all__ = ["HOOK_PREFIX", "build_app"]

logger = logging.getLogger("stigg_async.emulator")


def _encode_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


#: Where the test and chaos hooks live.
HOOK_PREFIX = "/_emulator"
_JSON = "application/json"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_encode_default).encode

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def _json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=_dumps(payload).encode(), status=status, content_type=_JSON, headers=headers
    )


def _format_error(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)  # type: ignore[call-overload,unused-ignore]
    extensions = dict(formatted.get("extensions") or {})
    if "code" not in extensions:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            # Coercion of the client's variables and literals failed.
            extensions["code"] = ErrorCode.BAD_USER_INPUT
        elif isinstance(original, EmulatorError):
            extensions.update(original.extensions)
        else:
            # A bug in the emulator, not the client's fault: say so without internals.
            logger.error("emulator resolver failed", exc_info=original)
            formatted["message"] = f"Unexpected error: {type(original).__name__}"
            extensions["code"] = ErrorCode.UNEXPECTED
    formatted["extensions"] = extensions
    return formatted


def _drop(request: web.Request) -> web.Response:
    """Close the socket with nothing written, so the client sees a dropped connection."""
    protocol = request.protocol
    if protocol is not None:
        protocol.force_close()
    elif request.transport is not None:
        request.transport.close()
    # Nothing can be sent on a closed transport; aiohttp discards this response.
    return web.Response(status=499)


class _GraphQLEndpoint:
    """Authenticates, applies faults, validates and executes one GraphQL request."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def authorized(self, request: web.Request) -> bool:
        supplied = request.headers.get("X-API-KEY") or request.query.get("apiKey") or ""
        return hmac.compare_digest(supplied.encode(), self.emu._api_key.encode())

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        emu = self.emu
        if not self.authorized(request):
            emu.counters.unauthorized += 1
            return _json_response(
                _error_body(
                    "Unauthenticated: a valid X-API-KEY header is required", "Unauthenticated"
                ),
                401,
            )
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            emu.counters.record("<invalid>", ())
            return _json_response(
                _error_body("The body must be JSON", ErrorCode.BAD_USER_INPUT), 400
            )
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            emu.counters.record("<invalid>", ())
            return _json_response(
                _error_body(
                    "Expected a JSON object with a 'query' string", ErrorCode.BAD_USER_INPUT
                ),
                400,
            )
        query: str = body["query"]
        variables = body.get("variables") or {}
        operation_name = body.get("operationName") or None
        prepared = emu._documents.get(query)
        op_key = operation_name
        if op_key is None and len(prepared.root_fields) == 1:
            op_key = next(iter(prepared.root_fields))
        root_fields = prepared.root_fields.get(op_key, ())
        emu.counters.record(operation_name or op_key, root_fields)

        delay, fault = emu.faults.pick(operation_name or op_key, root_fields)
        if delay > 0:
            await emu.clock.sleep(delay)
        if fault is not None and fault.kind in {"status", "graphql_error", "drop", "raw"}:
            return self._fault_response(request, fault)

        if prepared.document is None:
            return _json_response({"errors": [_format_error(e) for e in prepared.errors]}, 400)
        aliases = prepared.aliases.get(op_key, 0)
        if aliases > emu.max_aliases:
            return _json_response(
                _error_body(
                    f"Too many aliases in the request: {aliases} (the limit is {emu.max_aliases})",
                    ErrorCode.ALIASES_LIMIT,
                ),
                400,
            )
        if not isinstance(variables, dict):
            return _json_response(
                _error_body("'variables' must be an object", ErrorCode.BAD_USER_INPUT), 400
            )

        result = execute(
            emu._schema,
            prepared.document,
            context_value=ResolverContext(emu.state, emu._views),
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=default_resolver,
        )
        if isawaitable(result):  # pragma: no cover - every resolver is synchronous
            result = await result
        assert isinstance(result, ExecutionResult)
        payload: dict[str, Any] = {"data": result.data}
        status = 200
        if result.errors:
            payload["errors"] = [_format_error(e) for e in result.errors]
            if result.data is None and all(not e.path for e in result.errors):
                # Variables that do not fit the operation: a request error, not an execution one.
                status = 400
                del payload["data"]
        if fault is not None:
            return self._after_fault(request, fault, payload)
        return _json_response(payload, status)

    def _fault_response(self, request: web.Request, fault: Fault) -> web.Response:
        if fault.kind == "drop":
            return _drop(request)
        if fault.kind == "raw":
            return web.Response(
                body=fault.body, status=fault.status, headers={"Content-Type": fault.content_type}
            )
        code = fault.code or ErrorCode.UNEXPECTED
        message = fault.message or f"Injected fault: HTTP {fault.status} ({code})"
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
        body = _error_body(message, code)
        if fault.kind == "graphql_error":
            body["data"] = None
        return _json_response(body, fault.status, headers)

    def _after_fault(
        self, request: web.Request, fault: Fault, payload: dict[str, Any]
    ) -> web.Response:
        if fault.kind == "apply_then_drop":
            return _drop(request)
        if fault.kind == "apply_then_status":
            return self._fault_response(request, fault)
        if fault.kind == "truncated":
            data = _dumps(payload).encode()
            return web.Response(
                body=data[: max(1, len(data) // 2)], status=fault.status, content_type=_JSON
            )
        # huge: still valid GraphQL JSON, just enormous
        payload = dict(payload)
        payload["extensions"] = {"padding": "x" * max(0, fault.size)}
        return _json_response(payload)


def _hook_auth(emulator: Emulator, handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        supplied = request.headers.get("X-API-KEY") or request.query.get("apiKey") or ""
        if not hmac.compare_digest(supplied.encode(), emulator._api_key.encode()):
            return _json_response(_error_body("Unauthenticated", "Unauthenticated"), 401)
        return await handler(request)

    return wrapped


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


def build_app(emulator: Emulator) -> web.Application:
    """The aiohttp application serving one emulator."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    state = emulator.state

    async def checkout(request: web.Request) -> web.StreamResponse:
        payment_method = request.query.get("paymentMethodId", "pm_card_visa")
        try:
            sub = state.complete_checkout(request.match_info["checkout_id"], payment_method)
        except KeyError:
            return _json_response({"error": "no such checkout session"}, 404)
        except EmulatorError as error:
            return _json_response(_error_body(error.message, error.code), 400)
        return _json_response(
            {
                "status": "complete",
                "subscriptionId": sub.subscription_id,
                "customerId": sub.customer_id,
            }
        )

    async def pay(request: web.Request) -> web.StreamResponse:
        try:
            sub = state.pay_invoice(request.match_info["invoice_id"])
        except KeyError:
            return _json_response({"error": "no such invoice"}, 404)
        return _json_response({"status": "paid", "subscriptionId": sub.subscription_id})

    async def health(_: web.Request) -> web.StreamResponse:
        return _json_response({"status": "ok"})

    async def reset(_: web.Request) -> web.StreamResponse:
        emulator.reset()
        return _json_response({"status": "reset"})

    async def counters(request: web.Request) -> web.StreamResponse:
        if request.method == "DELETE":
            emulator.counters.reset()
        return _json_response(emulator.counters.snapshot())

    async def clock(request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            body = await _json_body(request)
            seconds = float(body.get("advanceSeconds", body.get("advance", 0)))
            if seconds < 0:
                return _json_response({"error": "time cannot move backwards"}, 400)
            emulator.advance_time(seconds)
        return _json_response({"now": state.now().isoformat().replace("+00:00", "Z")})

    async def faults(request: web.Request) -> web.StreamResponse:
        if request.method == "DELETE":
            emulator.faults.clear()
        elif request.method == "POST":
            body = await _json_body(request)
            try:
                rule = emulator.faults.add(
                    Fault.from_dict(body),
                    operation=body.get("operation"),
                    root_field=body.get("rootField"),
                    times=body.get("times"),
                    probability=body.get("probability"),
                )
            except (ValueError, TypeError) as error:
                return _json_response({"error": str(error)}, 400)
            return _json_response(rule.to_dict(), 201)
        return _json_response([r.to_dict() for r in emulator.faults.rules])

    async def fault_delete(request: web.Request) -> web.StreamResponse:
        removed = emulator.faults.remove(int(request.match_info["rule_id"]))
        return _json_response({"removed": removed}, 200 if removed else 404)

    async def catalog(request: web.Request) -> web.StreamResponse:
        try:
            emulator.load_catalog(Catalog.from_dict(await _json_body(request)))
        except (CatalogError, ValueError, KeyError, TypeError) as error:
            return _json_response({"error": str(error)}, 400)
        return _json_response({"status": "loaded", "plans": sorted(state.catalog.plans)})

    async def payment_method(request: web.Request) -> web.StreamResponse:
        body = await _json_body(request)
        try:
            customer = state.set_payment_method(
                request.match_info["customer_id"], str(body.get("paymentMethodId", "pm_card_visa"))
            )
        except EmulatorError as error:
            return _json_response(_error_body(error.message, error.code), 404)
        return _json_response({"customerId": customer.customer_id, "hasPaymentMethod": True})

    async def usage(request: web.Request) -> web.StreamResponse:
        query = request.query
        if "customerId" not in query or "featureId" not in query:
            return _json_response({"error": "customerId and featureId are required"}, 400)
        total = state.usage_total(query["customerId"], query["featureId"], query.get("resourceId"))
        return _json_response({"currentUsage": total})

    async def stats(_: web.Request) -> web.StreamResponse:
        return _json_response(emulator.stats())

    def hook(handler: Handler) -> Handler:
        return _hook_auth(emulator, handler)

    app.router.add_post("/graphql", _GraphQLEndpoint(emulator).__call__)
    app.router.add_get("/checkout/{checkout_id}", checkout)
    app.router.add_get("/pay/{invoice_id}", pay)
    app.router.add_get("/health", health)
    prefix = HOOK_PREFIX
    app.router.add_post(f"{prefix}/reset", hook(reset))
    app.router.add_route("GET", f"{prefix}/counters", hook(counters))
    app.router.add_route("DELETE", f"{prefix}/counters", hook(counters))
    app.router.add_route("GET", f"{prefix}/clock", hook(clock))
    app.router.add_route("POST", f"{prefix}/clock", hook(clock))
    app.router.add_route("GET", f"{prefix}/faults", hook(faults))
    app.router.add_route("POST", f"{prefix}/faults", hook(faults))
    app.router.add_route("DELETE", f"{prefix}/faults", hook(faults))
    app.router.add_route("DELETE", f"{prefix}/faults/{{rule_id:\\d+}}", hook(fault_delete))
    app.router.add_route("PUT", f"{prefix}/catalog", hook(catalog))
    app.router.add_route("POST", f"{prefix}/catalog", hook(catalog))
    app.router.add_post(f"{prefix}/customers/{{customer_id}}/payment-method", hook(payment_method))
    app.router.add_get(f"{prefix}/usage", hook(usage))
    app.router.add_get(f"{prefix}/stats", hook(stats))
    add_stream_routes(app, emulator, prefix)
    return app
