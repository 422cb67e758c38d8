"""Web-framework integrations: :mod:`stigg_async.integrations.fastapi` and
:mod:`stigg_async.integrations.aiohttp`.

Import the one you use; this package imports neither framework, so
``import stigg_async`` never pulls in FastAPI. See ``docs/integrations.md``.
"""

__all__: list[str] = []
