"""What the browser tests share: screenshots, signing in, a second site, the demo shop keys."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.async_api import Page

from kefu.app import DEMO_PASSWORD
from support.server import TESTS_DIR

ARTIFACTS = TESTS_DIR / "artifacts" / "screenshots"
#: The demo shop's API key and webhook secret in these tests.
SHOP_KEY = "web-shop-key-0123456789"
SHOP_WEBHOOK_SECRET = "web-shop-webhook-secret-0123456789"
#: With KEFU_DOCS_SCREENSHOTS=1 every screenshot is also copied to docs/screenshots/.
DOCS_SCREENSHOTS = TESTS_DIR.parent / "docs" / "screenshots"


async def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot under tests/artifacts/screenshots/ (and docs/screenshots/ on demand)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("KEFU_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path


async def sign_in(page: Page, url: str, username: str = "alice") -> None:
    """Open ``url`` (workbench or admin) and sign in as a demo agent."""
    await page.goto(url)
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


@contextmanager
def host_site(html: str, port: int = 0) -> Iterator[str]:
    """Serve one HTML page at http://localhost:<port>/ (another origin than Kefu's 127.0.0.1)."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
