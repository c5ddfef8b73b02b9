"""Serves the widget, workbench and admin pages, their static assets and the plugin listing."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Final

from litestar import Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from kefu.security.guards import allow
from kefu.security.roles import OVERSIGHT_ROLES
from kefu.settings import Settings
from kefu.web.plugins import PluginCatalogue, PluginListing

WEB_DIR: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = WEB_DIR / "static"
PAGES_DIR: Final = WEB_DIR / "pages"

#: Every page loads only same-origin scripts and styles; nothing inline, no plugins, no framing.
CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
#: The security middleware adds nosniff, Referrer-Policy and its own (broader) policy to every
#: answer; browsers enforce every policy they are sent, so this stricter one still applies.
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-cache",
}
#: Static files are not fingerprinted (there is no build step): cache briefly, then revalidate.
STATIC_MAX_AGE: Final = 600


@cache
def _page(name: str) -> bytes:
    return (PAGES_DIR / name).read_bytes()


def _html(name: str) -> Response[bytes]:
    return Response(_page(name), media_type="text/html", headers=PAGE_HEADERS)


@get("/", include_in_schema=False, sync_to_thread=False)
def demo_page() -> Response[bytes]:
    """A demo shop page with the visitor widget embedded by its one-line snippet."""
    return _html("demo.html")


@get("/workbench", include_in_schema=False, sync_to_thread=False)
def workbench_page() -> Response[bytes]:
    """The agent workbench."""
    return _html("workbench.html")


@get("/admin", include_in_schema=False, sync_to_thread=False)
def admin_page() -> Response[bytes]:
    """The admin pages."""
    return _html("admin.html")


async def _static_headers(response: Any) -> Any:
    # The widget is embedded on other sites, whose pages import its modules cross-origin.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def web_router(settings: Settings) -> Router:
    """The router of Kefu's web pages, mounted by ``create_app``.

    ``settings`` is accepted so page behaviour can follow configuration (e.g. demo mode);
    nothing in it is sent to browsers.
    """
    catalogue = PluginCatalogue()

    @get("/api/plugins", tags=["admin"], guards=[allow(OVERSIGHT_ROLES, {"admin"})])
    async def list_plugins(load: bool = False) -> PluginListing:
        """Installed plugins by namespace (supervisors and admins); ``load=true`` imports each
        once to check it loads (slow: some plugins load models)."""
        return await catalogue.listing(load)

    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(max_age=STATIC_MAX_AGE, public=True),
        after_request=_static_headers,
        name="kefu-static",
    )
    return Router(
        path="/",
        route_handlers=[static, demo_page, workbench_page, admin_page, list_plugins],
    )
