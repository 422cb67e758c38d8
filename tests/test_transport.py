"""The transport: headers, exact payloads, and the mapping of every failure kind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from stigg_async._errors import (
    CustomerNotFoundError,
    StiggAuthenticationError,
    StiggConfigurationError,
    StiggConnectionError,
    StiggGraphQLError,
    StiggHTTPError,
    StiggRateLimitError,
    StiggResponseError,
    StiggServerError,
    StiggTimeoutError,
)
from stigg_async._operations import Operation, load_operations
from stigg_async._transport import GraphQLTransport, check_api_url, user_agent
from stigg_async._version import __version__
from tests.support.recording_server import RecordingServer, Reply

KEY = "sk-test-secret-0123456789"


@pytest.fixture
async def server() -> AsyncIterator[RecordingServer]:
    srv = await RecordingServer().start()
    yield srv
    await srv.stop()


@pytest.fixture
async def transport(server: RecordingServer) -> AsyncIterator[GraphQLTransport]:
    t = GraphQLTransport(api_url=server.url, api_key=KEY, timeout=5.0)
    await t.open()
    yield t
    await t.close()


def _op() -> Operation:
    return next(iter(load_operations().values()))


async def test_sends_auth_version_and_user_agent_headers(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """Every request carries X-API-KEY, X-API-VERSION: 1 and an SDK user agent."""
    server.data({"x": 1})
    await transport.execute_text("query Q { x }", None, "Q")
    headers = server.received[0].headers
    assert headers["X-API-KEY"] == KEY
    assert headers["X-API-VERSION"] == "1"
    assert headers["User-Agent"].startswith(f"stigg-async/{__version__} ")
    assert user_agent() == headers["User-Agent"]


async def test_sends_the_document_text_printed_at_load_and_the_variables_as_given(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """The payload holds the loaded text verbatim, the operation name and the variables."""
    op = _op()
    server.data({op.root_field: None})
    variables = {"input": {"customerId": "c-1", "nested": [1, 2.5, None]}}
    data = await transport.execute(op, variables)
    got = server.received[0]
    assert got.query == op.text
    assert got.operation_name == op.name
    assert got.variables == variables
    assert data == {op.root_field: None}


async def test_graphql_error_body_with_200_maps_to_the_code_specific_class(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """A 200 with errors raises the class registered for extensions.code."""
    server.reply(
        Reply(
            body={
                "data": None,
                "errors": [
                    {"message": "Customer not found", "extensions": {"code": "CustomerNotFound"}}
                ],
            }
        )
    )
    with pytest.raises(CustomerNotFoundError) as info:
        await transport.execute_text("query Q { x }", None, "Q")
    assert info.value.code == "CustomerNotFound"
    assert info.value.operation == "Q"
    assert isinstance(info.value, StiggGraphQLError)


async def test_5xx_with_graphql_json_body_keeps_the_status_and_the_code(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """gql would drop the status of a GraphQL-JSON 503; the transport keeps it."""
    server.reply(
        Reply(
            status=503,
            body={"errors": [{"message": "busy", "extensions": {"code": "UnexpectedError"}}]},
            headers={"X-Request-Id": "req-42"},
        )
    )
    with pytest.raises(StiggServerError) as info:
        await transport.execute_text("query Q { x }", None, "Q")
    assert info.value.status == 503
    assert info.value.code == "UnexpectedError"
    assert info.value.request_id == "req-42"


async def test_401_with_graphql_json_body_is_an_authentication_error(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """A GraphQL-JSON 401 maps to StiggAuthenticationError with its status and code."""
    server.reply(
        Reply(
            status=401,
            body={"errors": [{"message": "bad key", "extensions": {"code": "Unauthenticated"}}]},
        )
    )
    with pytest.raises(StiggAuthenticationError) as info:
        await transport.execute_text("query Q { x }", None, "Q")
    assert info.value.status == 401
    assert info.value.code == "Unauthenticated"


async def test_403_is_an_authentication_error(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """A plain-text 403 is an authentication error too."""
    server.reply(Reply(status=403, text="forbidden"))
    with pytest.raises(StiggAuthenticationError) as info:
        await transport.execute_text("query Q { x }", None, "Q")
    assert info.value.status == 403


async def test_429_carries_retry_after_seconds(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """Retry-After in seconds is exposed on the rate-limit error."""
    server.reply(Reply(status=429, body={"errors": []}, headers={"Retry-After": "2.5"}))
    with pytest.raises(StiggRateLimitError) as info:
        await transport.execute_text("query Q { x }", None, "Q")
    assert info.value.retry_after == 2.5
    assert info.value.status == 429


async def test_other_4xx_is_a_plain_http_error(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """A 400 is neither auth, rate limit nor server error."""
    server.reply(
        Reply(
            status=400,
            body={
                "errors": [
                    {"message": "too many", "extensions": {"code": "GraphQLAliasesLimitExceeded"}}
                ]
            },
        )
    )
    with pytest.raises(StiggHTTPError) as info:
        await transport.execute_text("query Q { x }", None, "Q")
    assert type(info.value) is StiggHTTPError
    assert info.value.code == "GraphQLAliasesLimitExceeded"


async def test_non_json_200_is_a_response_error(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """A truncated body with status 200 raises StiggResponseError, not a crash."""
    server.reply(Reply(text='{"data": {"x"'))
    with pytest.raises(StiggResponseError):
        await transport.execute_text("query Q { x }", None, "Q")


async def test_dropped_connection_is_a_connection_error(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """A socket closed without an answer maps to StiggConnectionError."""
    server.reply(Reply(drop=True))
    with pytest.raises(StiggConnectionError) as info:
        await transport.execute_text("query Q { x }", None, "Q")
    assert not isinstance(info.value, StiggTimeoutError)


async def test_slow_answer_is_a_timeout_error(server: RecordingServer) -> None:
    """A per-call timeout raises StiggTimeoutError (also a builtin TimeoutError)."""
    server.reply(Reply(hang=True))
    t = GraphQLTransport(api_url=server.url, api_key=KEY, timeout=5.0)
    try:
        with pytest.raises(StiggTimeoutError) as info:
            await t.execute_text("query Q { x }", None, "Q", timeout=0.05)
        assert isinstance(info.value, TimeoutError)
    finally:
        await t.close()


async def test_refused_connection_is_a_connection_error() -> None:
    """Nothing listening on the port maps to StiggConnectionError."""
    t = GraphQLTransport(api_url="http://127.0.0.1:9/graphql", api_key=KEY, timeout=5.0)
    try:
        with pytest.raises(StiggConnectionError):
            await t.execute_text("query Q { x }", None, "Q")
    finally:
        await t.close()


async def test_api_key_echoed_by_the_server_never_reaches_the_error(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """Bodies that echo the key are redacted in messages and error details."""
    server.reply(
        Reply(
            status=500,
            body={"errors": [{"message": f"bad key {KEY}", "extensions": {"code": "X"}}]},
        )
    )
    with pytest.raises(StiggServerError) as info:
        await transport.execute_text("query Q { x }", None, "Q")
    err = info.value
    assert KEY not in str(err)
    assert KEY not in repr(err)
    assert all(KEY not in e.message for e in err.errors)
    assert err.__cause__ is None
    assert err.__context__ is None
    server.reply(Reply(status=502, text=f"upstream said {KEY}"))
    with pytest.raises(StiggServerError) as info2:
        await transport.execute_text("query Q { x }", None, "Q")
    assert KEY not in str(info2.value)
    assert KEY not in repr(transport)


@pytest.mark.parametrize(
    "url",
    ["http://api.stigg.io/graphql", "ftp://127.0.0.1/graphql", "not a url", "http:///graphql"],
)
def test_insecure_or_invalid_urls_are_refused(url: str) -> None:
    """Plain http to a non-loopback host, other schemes and junk are configuration errors."""
    with pytest.raises(StiggConfigurationError):
        check_api_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.stigg.io/graphql",
        "http://127.0.0.1:8787/graphql",
        "http://localhost:1/graphql",
        "http://[::1]:8787/graphql",
        "http://127.5.0.1/graphql",
    ],
)
def test_https_and_loopback_http_urls_are_accepted(url: str) -> None:
    """https anywhere, http on loopback only."""
    assert str(check_api_url(url)).startswith(url.split(":", 1)[0])


async def test_closed_transport_refuses_to_reopen(server: RecordingServer) -> None:
    """After close(), use raises a client-state error instead of leaking a new session."""
    from stigg_async._errors import StiggClientStateError

    t = GraphQLTransport(api_url=server.url, api_key=KEY, timeout=5.0)
    await t.open()
    await t.close()
    with pytest.raises(StiggClientStateError):
        await t.execute_text("query Q { x }", None, "Q")
