"""Builds the Kefu web application: store, channels, filters, policy and routes, wired once.

``kefu serve`` calls :func:`create_app` and runs the result with uvicorn; ``uvicorn
kefu.app:app_from_env --factory`` does the same from ``KEFU_*`` variables.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from sqlalchemy.exc import IntegrityError

from kefu import __version__, registry
from kefu.assistant.factory import Assistant as AssistantBundle
from kefu.assistant.factory import build_for_app, plugin_context, state_store_for
from kefu.assistant.hook import DialogAssistant
from kefu.bus.factory import create_bus
from kefu.contracts import MessageFilter
from kefu.conversations.assistant import Assistant
from kefu.conversations.filters import FilterChain
from kefu.conversations.publisher import BusPublisher
from kefu.conversations.service import ConversationService
from kefu.embedding import reserve_cpu_for_server
from kefu.gateway.agent import agent_socket
from kefu.gateway.auth import hash_password
from kefu.gateway.fanout import ChannelsNotifier, FramePublisher, channels_backend
from kefu.gateway.http import AgentAuthController, ConversationController, health
from kefu.gateway.state import STATE_KEY, GatewayState
from kefu.gateway.visitor import visitor_socket
from kefu.integration.service import Integration, IntegrationSettings
from kefu.knowledge.errors import PackError
from kefu.knowledge.http import AuditHook, UploadConfig, pack_router
from kefu.knowledge.runtime import PackRuntime
from kefu.knowledge.store import PackStore
from kefu.observability.http import operations_router
from kefu.reports.http import ReportController
from kefu.security.guards import allow, request_caller
from kefu.security.roles import Role
from kefu.security.wiring import SecurityWiring, set_agent_role
from kefu.settings import Settings, ensure_data_dir, load_settings
from kefu.store.database import Database
from kefu.store.errors import AgentExistsError
from kefu.store.repositories import Agents, AuditLog
from kefu.store.writer import MessageWriter
from kefu.web import web_router

log = logging.getLogger(__name__)

#: The password of the demo agents seeded when ``settings.demo`` is true.
DEMO_PASSWORD = "kefu-demo"
#: (username, display name) of the demo agents.
DEMO_AGENTS: tuple[tuple[str, str], ...] = (("alice", "Alice"), ("bob", "Bob"), ("admin", "Admin"))
#: Roles of the demo people (others are agents).
DEMO_ROLES: dict[str, Role] = {"bob": Role.SUPERVISOR, "admin": Role.ADMIN}


async def seed_demo_agents(database: Database, capacity: int) -> None:
    """Create the demo agents unless they exist (safe to run from several processes)."""
    for username, display_name in DEMO_AGENTS:
        async with database.read() as conn:
            if await Agents(conn).by_username(username) is not None:
                continue
        password_hash = await asyncio.to_thread(hash_password, DEMO_PASSWORD)
        try:
            async with database.write() as conn:
                await Agents(conn).create(username, display_name, password_hash, capacity)
        except (AgentExistsError, IntegrityError):
            continue  # another process seeded it first
        if username in DEMO_ROLES:
            await set_agent_role(database, username, DEMO_ROLES[username])
        log.info("seeded demo agent %s", username)


def admin_audit(database: Database) -> AuditHook:
    """Records an admin's HTTP action in the audit log under the caller's name."""

    async def record(
        request: Request[Any, Any, Any], action: str, subject: str, data: Mapping[str, Any]
    ) -> None:
        caller = request_caller(request)
        async with database.write() as conn:
            await AuditLog(conn).record(f"{caller.kind}:{caller.id}", action, subject, data)

    return record


def create_app(
    settings: Settings,
    *,
    filters: Sequence[MessageFilter] | None = None,
    assistant: Assistant | None = None,
    integration_settings: IntegrationSettings | None = None,
) -> Litestar:
    """The Kefu ASGI application for ``settings``.

    ``filters`` replaces the ``kefu.filter`` plugins named in ``settings.filters``; ``assistant``
    replaces the default (the ``settings.policy`` reply policy), which is where the dialog
    manager plugs in. Migrations run on start-up; shutdown waits for queued message writes.
    """
    settings = ensure_data_dir(settings)
    # A server keeps a CPU for its event loop: the encoder gets the others.
    reserve_cpu_for_server()
    context = plugin_context(settings)
    if filters is None:
        filters = [
            registry.load("kefu.filter", name, context, **settings.filter_options.get(name, {}))
            for name in settings.filters
        ]

    database = Database(settings.resolved_database_url)
    writer = MessageWriter(database)
    bus = create_bus(settings.bus_url)
    channels = ChannelsPlugin(
        backend=channels_backend(settings.bus_url), arbitrary_channels_allowed=True
    )
    integration = Integration(
        integration_settings or IntegrationSettings(),
        database,
        bus=bus,
        publish=FramePublisher(channels).publish,
        plugin_context=context,
    )
    security = SecurityWiring(settings, database)
    bot: AssistantBundle | None = None
    runtime: PackRuntime | None = None
    close_state: Any = None
    if assistant is None and settings.pack:
        # A knowledge pack drives the assistant and can be swapped while serving.
        dialog_state, close_state = state_store_for(settings, database)
        runtime = PackRuntime.from_settings(
            settings, dialog_state, context=context, adapter=integration.adapter
        )
        assistant = DialogAssistant(runtime, database)
    elif assistant is None:
        bot = build_for_app(settings, database, context, adapter=integration.adapter)
        assistant = DialogAssistant(bot.manager, database)
    pack_store = PackStore(settings.data_dir)
    service = ConversationService(
        database,
        writer,
        FilterChain(filters),
        assistant,
        ChannelsNotifier(channels),
        events=BusPublisher(bus),
        max_message_chars=settings.max_message_chars,
    )
    state = GatewayState(
        settings=settings,
        database=database,
        writer=writer,
        service=service,
        signer=security.signer,
        channels=channels,
        bus=bus,
    )

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        await database.migrate()
        if database.is_sqlite:
            # SQLite means one process: sockets counted before a crash are gone.
            async with database.write() as conn:
                await Agents(conn).reset_presence()
        if settings.demo:
            await seed_demo_agents(database, settings.agent_capacity)
        await bus.start()
        await security.start()
        writer.start()
        log.info("kefu store ready at %s", database.safe_url)
        watcher: asyncio.Task[None] | None = None
        if runtime is not None:
            try:
                await runtime.reload()
            except PackError as exc:
                log.error("knowledge pack %s not loaded, humans answer: %s", settings.pack, exc)
            watcher = asyncio.create_task(runtime.watch(5.0))
        try:
            async with integration.lifespan():
                yield
        finally:
            await state.heartbeat.aclose()
            if watcher is not None:
                watcher.cancel()
            if runtime is not None:
                await runtime.aclose()
            if close_state is not None:
                await close_state()
            await service.drain()
            await writer.close()
            if bot is not None:
                await bot.aclose()
            await security.close()
            await bus.close()
            await database.close()

    readiness = {
        "database": database.ping,
        "bus": lambda: bus.length("conversations"),
    }

    return Litestar(
        route_handlers=[
            visitor_socket,
            agent_socket,
            AgentAuthController,
            ConversationController,
            health,
            operations_router(readiness),
            ReportController,
            *integration.route_handlers,
            pack_router(
                pack_store,
                runtime,
                guards=[allow({Role.ADMIN}, {"admin"})],
                upload=UploadConfig(
                    settings.data_dir / "uploads",
                    settings.pack_upload_max_bytes,
                    admin_audit(database),
                ),
            ),
            *security.route_handlers,
            web_router(settings),
        ],
        plugins=[channels],
        lifespan=[lifespan],
        state=State({STATE_KEY: state, **integration.state, **security.state}),
        middleware=security.middleware,
        cors_config=security.cors_config,
        openapi_config=OpenAPIConfig(title="Kefu", version=__version__),
        logging_config=None,  # logging is the process's business (kefu serve sets it up)
    )


def app_from_env() -> Litestar:
    """An app configured from ``KEFU_*`` variables and kefu.toml (for ``uvicorn --factory``)."""
    return create_app(load_settings())
