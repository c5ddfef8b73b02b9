"""Fixtures of the browser tests: a Kefu server serving the web pages, and headless Chromium.

Chromium is Debian's package at /usr/bin/chromium (or KEFU_CHROMIUM), driven by Playwright;
a missing browser fails the tests, it never skips them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from demo_shop.launcher import DemoShopProcess
from e2e.web.browser import SHOP_KEY, SHOP_WEBHOOK_SECRET
from support.server import TESTS_DIR, ServerProcess, free_port, server_env

TINY_PACK = TESTS_DIR / "fixtures" / "knowledge" / "tiny"
#: The ``kefu`` command installed beside this Python.
KEFU_CLI = str(Path(sys.executable).with_name("kefu"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _start_server(
    directory: Path,
    settings: dict[str, str],
    extra_env: dict[str, str] | None = None,
    port: int = 0,
    data_dir: Path | None = None,
) -> ServerProcess:
    port = port or free_port()
    if data_dir is None:
        data_dir = directory / "data"
        data_dir.mkdir()
    env = server_env(data_dir, port, **settings)
    env.update(extra_env or {})
    server = ServerProcess(
        env=env, port=port, log_path=directory / f"kefu-{port}.log", module="e2e.web.serve"
    )
    server.start()
    return server


@pytest.fixture
def web_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """A Kefu server with demo agents (alice, bob) and the web pages, on a free port.

    Parametrize it indirectly with a dict of settings (``{"agent_capacity": "1"}``) to change
    them.
    """
    server = _start_server(tmp_path, getattr(request, "param", {}))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Like ``web_server``, shared by tests that only add new visitors (saves start-ups)."""
    server = _start_server(tmp_path_factory.mktemp("web"), {})
    yield server
    server.stop()


@contextmanager
def shop_stack(
    tmp_path: Path, settings: dict[str, str] | None = None, data_dir: Path | None = None
) -> Iterator[tuple[ServerProcess, DemoShopProcess]]:
    """The demo shop (its own uvicorn process) and a Kefu server that reads it through the REST
    adapter and receives its signed webhooks: real context, actions and event hints.

    ``settings`` add or override Kefu settings; ``data_dir`` is Kefu's (prepared beforehand,
    e.g. with a pack installed), a new one by default.
    """
    kefu_port = free_port()
    shop = DemoShopProcess(
        port=free_port(),
        db_path=tmp_path / "shop.db",
        kefu_url=f"http://127.0.0.1:{kefu_port}",
        webhook_secret=SHOP_WEBHOOK_SECRET,
        api_key=SHOP_KEY,
        log_path=tmp_path / "shop.log",
    )
    shop.start()
    adapters = {
        "shop": {"plugin": "rest", "options": {"mapping": "pkg:demo_shop/kefu-adapter.toml"}}
    }
    kefu_dir = tmp_path / "kefu"
    kefu_dir.mkdir()
    try:
        server = _start_server(
            kefu_dir,
            {
                "integration_adapters": json.dumps(adapters),
                "integration_webhook_secrets": json.dumps({"demo-shop": [SHOP_WEBHOOK_SECRET]}),
                "integration_relay_interval": "0.2",
                # The 0.2 s production default can be missed on a busy test machine; these
                # tests are about what the agent sees, not the deadline (tested elsewhere).
                "integration_context_deadline": "5",
                **(settings or {}),
            },
            {"DEMO_SHOP_URL": shop.url, "DEMO_SHOP_API_KEY": SHOP_KEY},
            port=kefu_port,
            data_dir=data_dir,
        )
    except Exception:
        shop.stop()
        raise
    try:
        yield server, shop
    finally:
        server.stop()
        shop.stop()


@pytest.fixture
def shop_web_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, DemoShopProcess]]:
    """``shop_stack`` with Kefu's default settings."""
    with shop_stack(tmp_path) as stack:
        yield stack


@pytest.fixture(scope="session")
def tiny_pack_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test knowledge pack ``tiny``, built once with ``kefu pack build``."""
    archive = tmp_path_factory.mktemp("tiny-pack") / "tiny.kpack"
    _kefu_cli("pack", "build", str(TINY_PACK), "--output", str(archive))
    return archive


def _kefu_cli(*args: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        [KEFU_CLI, *args], capture_output=True, text=True, timeout=300, check=False, env=env
    )
    if done.returncode != 0:
        pytest.fail(f"kefu {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture
def pack_web_server(tmp_path: Path, tiny_pack_archive: Path) -> Iterator[ServerProcess]:
    """A Kefu server whose bot is the installed knowledge pack ``tiny`` (``KEFU_PACK``)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env["KEFU_DATA_DIR"] = str(data_dir)
    _kefu_cli("pack", "install", str(tiny_pack_archive), env=env)
    server = _start_server(tmp_path, {"pack": "tiny"}, data_dir=data_dir)
    yield server
    server.stop()


def chromium_path() -> str:
    """The Chromium binary; fails the test run when it is not installed."""
    path = os.environ.get("KEFU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.fail("Chromium is not installed (apt-get install -y chromium, or set KEFU_CHROMIUM)")
    return path


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the whole run."""
    executable = chromium_path()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def new_page(browser: Browser) -> AsyncIterator[Callable[..., object]]:
    """``await new_page(width=..., height=..., locale=...)``: a page in a fresh context.

    Every page records console errors (``page.kefu_problems``), answers with a status of 400 or
    more (``page.kefu_refused``) and dialogs (``page.kefu_dialogs``); contexts close at
    teardown.
    """
    contexts: list[BrowserContext] = []

    async def open_page(
        width: int = 1280, height: int = 800, locale: str = "en-US", mobile: bool = False
    ) -> Page:
        context = await browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            is_mobile=mobile,
            has_touch=mobile,
        )
        contexts.append(context)
        page = await context.new_page()
        problems: list[str] = []
        dialogs: list[str] = []

        def on_console(message: object) -> None:
            text = str(getattr(message, "text", ""))
            # Endpoints this server lacks answer 404 and the pages say so; that is not a fault.
            if getattr(message, "type", "") == "error" and "status of 404" not in text:
                problems.append(f"console: {text}")

        async def on_dialog(dialog: object) -> None:
            dialogs.append(getattr(dialog, "message", ""))
            await dialog.dismiss()  # type: ignore[attr-defined]

        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
        refused: list[str] = []
        page.on(
            "response",
            lambda r: (
                refused.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 400
                else None
            ),
        )
        page.kefu_refused = refused  # type: ignore[attr-defined]
        page.on("dialog", on_dialog)
        page.kefu_problems = problems  # type: ignore[attr-defined]
        page.kefu_dialogs = dialogs  # type: ignore[attr-defined]
        return page

    yield open_page
    for context in contexts:
        await context.close()


#: Lifetime of an unmask grant (s) in ``short_grant_shop_server``: long enough to look at the
#: clear value, short enough to watch it masked again.
SHORT_UNMASK_TTL = 20


@pytest.fixture
def short_grant_shop_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, DemoShopProcess]]:
    """``shop_stack`` whose unmask grants last ``SHORT_UNMASK_TTL`` seconds."""
    with shop_stack(tmp_path, {"security_unmask_ttl": str(SHORT_UNMASK_TTL)}) as stack:
        yield stack
