"""Integrations: :mod:`stigg_async.integrations.fastapi`, :mod:`stigg_async.integrations.aiohttp`
and :mod:`stigg_async.integrations.openfeature`.

Import the one you use; this package imports none of the frameworks, so
``import stigg_async`` never pulls in FastAPI or OpenFeature. See
``docs/integrations.md`` and ``docs/openfeature.md``.
"""

__all__: list[str] = []
