"""stigg_async."""

from stigg_async._version import __version__

__all__ = ["__version__"]
