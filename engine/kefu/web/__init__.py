"""Kefu's browser side: the visitor widget, the agent workbench and the admin pages.

:func:`web_router` serves them (static assets under ``/static``, pages at ``/``,
``/workbench`` and ``/admin``) plus the read-only plugin listing the admin page shows.
"""

from kefu.web.router import web_router

__all__ = ["web_router"]
