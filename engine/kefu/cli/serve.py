"""``kefu serve`` and ``kefu demo``: run the gateway with uvicorn on the configured store."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from kefu.observability.logs import configure_logging
from kefu.settings import Settings, ensure_data_dir, load_settings

if TYPE_CHECKING:
    from litestar import Litestar

DEMO_BANNER = """
Kefu is running on the embedded default (SQLite file + in-memory bus).

  Visitor widget demo : http://{host}:{port}/
  Agent workbench     : http://{host}:{port}/workbench
  API schema          : http://{host}:{port}/schema/openapi.json
  Data directory      : {data_dir}

  Demo agents         : alice / {password}    bob / {password}
"""


#: Environment variable that tells worker processes which log level ``kefu serve`` was given.
WORKER_LOG_LEVEL_ENV = "KEFU_LOG_LEVEL"
#: Seconds a worker may take to start or to answer the supervisor's health check. Loading the
#: embedding model and plugins takes far longer than uvicorn's default of 5 s on a busy host,
#: and a worker that misses it is killed and restarted in a loop.
WORKER_HEALTHCHECK_SECONDS = 120


def websocket_options(settings: Settings, *, ws_deflate: bool) -> dict[str, Any]:
    """uvicorn's WebSocket arguments for Kefu: frame size, compression, and no keepalive timer.

    uvicorn's own keepalive pings every socket from a ``loop.call_later`` timer of its own;
    Kefu turns it off (``ws_ping_interval=None``) because its clients send ``ping`` frames and
    one idle sweeper per process closes sockets silent for ``ws_idle_timeout`` seconds
    (``kefu.gateway.heartbeat``).
    """
    return {
        "ws_max_size": settings.max_frame_bytes * 4,
        "ws_per_message_deflate": ws_deflate,
        "ws_ping_interval": None,
        "ws_ping_timeout": None,
    }


def workers_refusal(settings: Settings, workers: int) -> str | None:
    """Why ``settings`` cannot run ``workers`` processes, or None when they can.

    Several processes need a store and a bus they all share: the memory bus cannot fan a
    message out to sockets held by another process, and a SQLite file is one process's store.
    """
    if workers < 1:
        return "--workers must be at least 1"
    if workers == 1:
        return None
    problems = []
    if settings.resolved_database_url.startswith("sqlite"):
        problems.append("the store is SQLite (set KEFU_DATABASE_URL to PostgreSQL)")
    if settings.bus_scheme != "redis":
        problems.append(
            f"the bus is {settings.bus_scheme}:// and cannot fan out across processes "
            "(set KEFU_BUS_URL to redis://host:6379/0)"
        )
    if settings.demo:
        problems.append("demo mode runs its demo shop inside the one process")
    if not problems:
        return None
    return f"--workers {workers} needs PostgreSQL and Redis shared by every process: " + "; ".join(
        problems
    )


def worker_app() -> Litestar:
    """One worker process's app, for ``kefu serve --workers N`` (a uvicorn factory).

    Each worker reads the same ``KEFU_*`` settings as the parent and sets up its own logging.
    """
    from kefu.app import create_app

    settings = load_settings()
    json_logs = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    configure_logging(settings.log_level, json_logs=json_logs)
    return create_app(settings)


def _run_workers(settings: Settings, workers: int, log_level: str, *, ws_deflate: bool) -> None:
    """Serve with ``workers`` uvicorn worker processes sharing one listening socket."""
    import uvicorn

    # Workers are fresh interpreters: hand them the resolved listen address and the secret
    # (generated once here, so the processes never race to create it) through the environment.
    settings = ensure_data_dir(settings)
    os.environ["KEFU_HOST"] = settings.host
    os.environ["KEFU_PORT"] = str(settings.port)
    os.environ[WORKER_LOG_LEVEL_ENV] = log_level.upper()
    if not os.environ.get("KEFU_SECRET_KEY") and settings.secret_key:
        os.environ["KEFU_SECRET_KEY"] = settings.secret_key
    click.echo(f"Kefu: starting {workers} worker processes on {settings.host}:{settings.port}")
    uvicorn.run(
        "kefu.cli.serve:worker_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_level=log_level.lower(),
        log_config=None,
        lifespan="on",
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        **websocket_options(settings, ws_deflate=ws_deflate),
    )


def _run(
    host: str | None,
    port: int | None,
    *,
    demo: bool,
    log_level: str | None,
    workers: int = 1,
    ws_deflate: bool = False,
) -> None:
    import uvicorn

    from kefu.app import create_app

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if demo:
        overrides["demo"] = True
    settings = load_settings(**overrides)
    json_logs = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    configure_logging(log_level or settings.log_level, json_logs=json_logs)
    refusal = workers_refusal(settings, workers)
    if refusal is not None:
        raise click.UsageError(refusal)
    if workers > 1:
        _run_workers(settings, workers, log_level or settings.log_level, ws_deflate=ws_deflate)
        return
    if settings.demo:
        from kefu.app import DEMO_PASSWORD

        click.echo(
            DEMO_BANNER.format(
                host=settings.host,
                port=settings.port,
                data_dir=settings.data_dir.resolve(),
                password=DEMO_PASSWORD,
            )
        )
    shop = None
    integration_settings = None
    if settings.demo:
        from kefu.integration.demo import start_demo_business

        shop, integration_settings = start_demo_business(
            settings.data_dir, f"http://{settings.host}:{settings.port}"
        )
        click.echo(f"  Demo shop (business system): {shop.url}\n")
    app = create_app(settings, integration_settings=integration_settings)
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=(log_level or settings.log_level).lower(),
            log_config=None,  # keep the handlers configure_logging installed
            lifespan="on",
            **websocket_options(settings, ws_deflate=ws_deflate),
        )
    finally:
        if shop is not None:
            shop.stop()


@click.command()
@click.option("--host", default=None, help="Interface to listen on (KEFU_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (KEFU_PORT).")
@click.option("--log-level", default=None, help="debug, info, warning, error.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes sharing the port; more than 1 needs PostgreSQL and Redis.",
)
@click.option(
    "--ws-deflate/--no-ws-deflate",
    default=False,
    show_default=True,
    help="Accept permessage-deflate on WebSockets when browsers offer it. Off by default: "
    "chat frames are small, and each compressed socket keeps zlib state (about 44 KiB).",
)
def serve(
    host: str | None, port: int | None, log_level: str | None, workers: int, ws_deflate: bool
) -> None:
    """Start the Kefu server (gateway, assistant, event bus) in this process or N workers."""
    _run(host, port, demo=False, log_level=log_level, workers=workers, ws_deflate=ws_deflate)


@click.command()
@click.option("--host", default=None, help="Interface to listen on (KEFU_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (KEFU_PORT).")
def demo(host: str | None, port: int | None) -> None:
    """Start Kefu with demo agents and data, and print the URLs and credentials."""
    os.environ.setdefault("KEFU_DEMO", "1")
    _run(host, port, demo=True, log_level=None)
