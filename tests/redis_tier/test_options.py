"""Shared-tier configuration: validated options, URL fallback, no secrets shown."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stigg_async import StiggConfigurationError
from stigg_async._redis import SharedCacheOptions
from stigg_async._redis._factory import resolve_shared_cache


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"redis_url": "http://127.0.0.1"}, "redis_url must start with"),
        ({"lease_ttl": 0}, "lease_ttl must be a finite number > 0"),
        ({"state_ttl": float("nan")}, "state_ttl"),
        ({"lease_ttl": 3, "renew_interval": 3}, "renew_interval must be shorter"),
        ({"key_prefix": "has space"}, "key_prefix must be"),
        ({"environment": ""}, "environment must be"),
        ({"client": object()}, "redis.asyncio.Redis"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, object], message: str) -> None:
    """Each bad option raises StiggConfigurationError naming it."""
    with pytest.raises(StiggConfigurationError, match=message):
        SharedCacheOptions(**kwargs)  # type: ignore[arg-type]


def test_url_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without redis_url, STIGG_REDIS_URL enables the tier; without either, no tier."""
    monkeypatch.delenv("STIGG_REDIS_URL", raising=False)
    assert resolve_shared_cache() is None
    monkeypatch.setenv("STIGG_REDIS_URL", "redis://127.0.0.1:6390/2")
    resolved = resolve_shared_cache()
    assert resolved is not None
    assert resolved.resolve_url() == "redis://127.0.0.1:6390/2"
    explicit = resolve_shared_cache("redis://127.0.0.1:6391/0", SharedCacheOptions(lease_ttl=4))
    assert explicit is not None
    assert (explicit.redis_url, explicit.lease_ttl) == ("redis://127.0.0.1:6391/0", 4.0)


def test_repr_and_namespace_never_show_secrets() -> None:
    """A password in the URL and the API key appear in no repr and no Redis key."""
    options = SharedCacheOptions(redis_url="redis://:hunter2@127.0.0.1:6379/0")
    assert "hunter2" not in repr(options)
    namespace = options.namespace("sk-live-secret-key")
    assert "secret" not in namespace
    assert namespace != options.namespace("another-key")  # environments stay apart


def test_importing_the_package_does_not_import_redis() -> None:
    """Nothing changes without the extra: import stigg_async loads no redis module."""
    code = "import sys, stigg_async; print([m for m in sys.modules if m.split('.')[0] == 'redis'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
