"""Shared pytest configuration: the emulator fixtures users get from ``stigg_async.testing``."""

pytest_plugins = ["stigg_async.testing"]
