"""The redis-server launcher the tests (and users' tests) start and stop by pid."""

from __future__ import annotations

import os

from stigg_async._redis._server import find_redis_server
from stigg_async.testing import RedisServerProcess


def test_a_server_binary_is_found_without_manual_steps() -> None:
    """The PATH or the dev extra's bundled binary provides redis-server."""
    binary = find_redis_server()
    assert binary is not None
    assert os.access(binary, os.X_OK)


def test_server_starts_answers_and_stops_by_pid() -> None:
    """start() returns once PING answers; stop() ends the process; kill/restart keep the port."""
    server = RedisServerProcess().start()
    try:
        pid, port = server.pid, server.port
        assert server.url == f"redis://127.0.0.1:{port}/0"
        assert pid is not None
        os.kill(pid, 0)  # alive
        server.restart()
        assert server.port == port
        assert server.pid != pid
        assert server.running
    finally:
        server.stop()
    assert not server.running
    assert server.pid is None
