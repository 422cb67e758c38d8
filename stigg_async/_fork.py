"""The one fork mechanism: a generation number and callbacks run in a forked child.

A client or cache created before ``os.fork()`` holds the parent's event loop, tasks
and sockets, which do not exist in the child. Objects register here; in the child,
:func:`generation` changes (so a client can tell, off the hot path) and every
registered object's ``on_fork_in_child()`` runs (so a cache stops answering from data
nobody refreshes until it is restarted).
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol

__all__ = ["ForkAware", "generation", "register", "unregister"]


class ForkAware(Protocol):
    """Something that must react in a forked child."""

    def on_fork_in_child(self) -> None:
        """Called in the child right after ``os.fork()``; must not touch the loop."""
        ...


_generation = 0
_registered: weakref.WeakSet[ForkAware] = weakref.WeakSet()


def generation() -> int:
    """Bumped in every forked child: compare with the value seen at creation."""
    return _generation


def register(obj: ForkAware) -> None:
    """Call ``obj.on_fork_in_child()`` in every child forked while ``obj`` lives."""
    _registered.add(obj)


def unregister(obj: ForkAware) -> None:
    """Stop telling ``obj`` about forks (it closed)."""
    _registered.discard(obj)


def _after_fork_in_child() -> None:
    global _generation
    _generation += 1
    for obj in list(_registered):
        obj.on_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
