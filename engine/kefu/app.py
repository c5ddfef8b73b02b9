"""Builds the Kefu web application: store, channels, filters, policy and routes, wired once.

``kefu serve`` calls :func:`create_app` and runs the result with uvicorn; ``uvicorn
kefu.app:app_from_env --factory`` does the same from ``KEFU_*`` variables.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from sqlalchemy.exc import IntegrityError

from kefu import __version__, registry
from kefu.bus.factory import create_bus
from kefu.contracts import Embedder, MessageFilter, PluginContext
from kefu.conversations.assistant import Assistant, PolicyAssistant
from kefu.conversations.filters import FilterChain
from kefu.conversations.publisher import BusPublisher
from kefu.conversations.service import ConversationService
from kefu.gateway.agent import agent_socket
from kefu.gateway.auth import TokenSigner, hash_password
from kefu.gateway.fanout import ChannelsNotifier, channels_backend
from kefu.gateway.http import AgentAuthController, ConversationController, health
from kefu.gateway.state import STATE_KEY, GatewayState
from kefu.gateway.visitor import visitor_socket
from kefu.settings import Settings, ensure_data_dir, load_settings
from kefu.store.database import Database
from kefu.store.errors import AgentExistsError
from kefu.store.repositories import Agents
from kefu.store.writer import MessageWriter

log = logging.getLogger(__name__)

#: The password of the demo agents seeded when ``settings.demo`` is true.
DEMO_PASSWORD = "kefu-demo"
#: (username, display name) of the demo agents.
DEMO_AGENTS: tuple[tuple[str, str], ...] = (("alice", "Alice"), ("bob", "Bob"))


def _plugin_context(settings: Settings) -> PluginContext:
    def embedder_factory() -> Embedder:
        # Imported on first use: loading torch is slow and most plugins never need it.
        from kefu.embedding.embedder import shared_embedder

        return shared_embedder()

    return PluginContext(data_dir=settings.data_dir, embedder_factory=embedder_factory)


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
        log.info("seeded demo agent %s", username)


def create_app(
    settings: Settings,
    *,
    filters: Sequence[MessageFilter] | None = None,
    assistant: Assistant | None = None,
) -> Litestar:
    """The Kefu ASGI application for ``settings``.

    ``filters`` replaces the ``kefu.filter`` plugins named in ``settings.filters``; ``assistant``
    replaces the default (the ``settings.policy`` reply policy), which is where the dialog
    manager plugs in. Migrations run on start-up; shutdown waits for queued message writes.
    """
    settings = ensure_data_dir(settings)
    context = _plugin_context(settings)
    if filters is None:
        filters = registry.load_all("kefu.filter", settings.filters, context)
    if assistant is None:
        assistant = PolicyAssistant(registry.load("kefu.policy", settings.policy, context))

    database = Database(settings.resolved_database_url)
    writer = MessageWriter(database)
    bus = create_bus(settings.bus_url)
    channels = ChannelsPlugin(
        backend=channels_backend(settings.bus_url), arbitrary_channels_allowed=True
    )
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
        signer=TokenSigner(settings.secret_key),
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
        writer.start()
        log.info("kefu store ready at %s", database.safe_url)
        try:
            yield
        finally:
            await service.drain()
            await writer.close()
            await bus.close()
            await database.close()

    return Litestar(
        route_handlers=[
            visitor_socket,
            agent_socket,
            AgentAuthController,
            ConversationController,
            health,
        ],
        plugins=[channels],
        lifespan=[lifespan],
        state=State({STATE_KEY: state}),
        openapi_config=OpenAPIConfig(title="Kefu", version=__version__),
    )


def app_from_env() -> Litestar:
    """An app configured from ``KEFU_*`` variables and kefu.toml (for ``uvicorn --factory``)."""
    return create_app(load_settings())
