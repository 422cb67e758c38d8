"""Fixtures for the emulator's own tests: an emulator plus a raw GraphQL poster."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from stigg_async.emulator import Emulator
from stigg_async.testing import STIGG_EMULATOR_API_KEY


@dataclass
class Reply:
    """An HTTP answer: status, headers and parsed JSON (``None`` when not JSON)."""

    status: int
    headers: dict[str, str]
    body: Any

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or []) if isinstance(self.body, dict) else []

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


class Poster:
    """POSTs GraphQL to the emulator exactly as a plain aiohttp client would."""

    def __init__(self, session: aiohttp.ClientSession, emulator: Emulator) -> None:
        self.session = session
        self.emu = emulator

    async def raw(
        self, payload: Any, *, headers: dict[str, str] | None = None, path: str = "/graphql"
    ) -> Reply:
        sent = {"X-API-KEY": STIGG_EMULATOR_API_KEY, **(headers or {})}
        async with self.session.post(
            self.emu.base_url + path, json=payload, headers=sent
        ) as response:
            text = await response.text()
            try:
                import json

                body = json.loads(text)
            except ValueError:
                body = None
            return Reply(response.status, dict(response.headers), body)

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            payload["operationName"] = operation_name
        return await self.raw(payload, headers=headers)

    async def ok(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """POST and insist on HTTP 200 without errors; returns ``data``."""
        reply = await self(query, variables, **kw)
        assert reply.status == 200, reply.body
        assert not reply.errors, reply.errors
        return reply.data

    async def hook(self, method: str, path: str, body: Any = None) -> Reply:
        sent = {"X-API-KEY": STIGG_EMULATOR_API_KEY}
        async with self.session.request(
            method, f"{self.emu.base_url}/_emulator{path}", json=body, headers=sent
        ) as response:
            return Reply(response.status, dict(response.headers), await response.json())


@pytest.fixture
async def emu(stigg_emulator: Emulator) -> Emulator:
    """The emulator under test (the public ``stigg_emulator`` fixture)."""
    return stigg_emulator


@pytest.fixture
async def gql(emu: Emulator) -> AsyncIterator[Poster]:
    """A raw GraphQL poster bound to ``emu``."""
    async with aiohttp.ClientSession() as session:
        yield Poster(session, emu)
