"""Wires the integration module once: settings, adapters, intake, relay, consumers, routes.

``create_app`` builds one :class:`Integration` and mounts its ``route_handlers``, merges its
``state`` and runs ``lifespan`` beside its own; the dialog manager takes ``integration.adapter``
(the assembled customer context) as its business adapter; the conversation domain calls
``integration.hints.on_chat_opened(conversation_id, customer_id)`` when a chat opens for an
identified customer.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import create_async_engine

from kefu import registry
from kefu.bus.base import EventBus
from kefu.bus.factory import create_bus
from kefu.contracts import BusinessAdapter, PluginContext
from kefu.integration.actions import ActionProxy
from kefu.integration.context import ContextAssembler, ContextInvalidator
from kefu.integration.forward import AgentForwarder, Publish
from kefu.integration.hints import HintConsumer, HintEngine
from kefu.integration.http import (
    INTEGRATION_STATE_KEY,
    ActionController,
    CustomerContextController,
    CustomerLinkController,
    IntegrationHttpState,
    WebhookController,
)
from kefu.integration.inbox import EventInbox
from kefu.integration.outbox import OutboxRelay
from kefu.integration.permissions import Principal
from kefu.integration.puller import IncrementalPuller, PullSpec
from kefu.integration.resilience import GuardedCaller
from kefu.integration.signing import SignatureVerifier
from kefu.integration.webhooks import WebhookIngestor
from kefu.store.database import Database

log = logging.getLogger(__name__)


class AdapterSettings(BaseModel):
    """One business source: a ``kefu.adapter`` plugin with its options and deadline."""

    plugin: str
    options: dict[str, Any] = Field(default_factory=dict)
    deadline: float | None = Field(None, gt=0)


class PullerSettings(BaseModel):
    """One legacy table to pull by cursor (see :class:`~kefu.integration.puller.PullSpec`)."""

    url: str = Field(description="SQLAlchemy async URL of the legacy database")
    table: str
    id_column: str = "id"
    updated_column: str = "updated_at"
    event_type: str = "legacy.row.changed"
    customer_column: str | None = None
    batch: int = Field(500, ge=1)
    overlap: float = Field(0.0, ge=0)
    interval: float = Field(5.0, gt=0, description="seconds between polls")


class IntegrationSettings(BaseSettings):
    """Integration settings, from ``KEFU_INTEGRATION_*`` variables (JSON for the dicts)."""

    model_config = SettingsConfigDict(env_prefix="KEFU_INTEGRATION_", extra="forbid", frozen=True)

    webhook_secrets: dict[str, list[str]] = Field(
        default_factory=dict, description="sender name -> its HMAC secrets (2 while rotating)"
    )
    webhook_tolerance: float = Field(300.0, gt=0, description="replay window in seconds")
    webhook_max_body: int = Field(64 * 1024, ge=1024, description="largest webhook body")
    adapters: dict[str, AdapterSettings] = Field(
        default_factory=dict, description="source name -> kefu.adapter plugin and options"
    )
    action_source: str | None = Field(None, description="source that performs actions")
    context_deadline: float = Field(0.2, gt=0, description="default per-source deadline (s)")
    context_ttl: float = Field(30.0, ge=0, description="cache lifetime of a full context (s)")
    action_timeout: float = Field(5.0, gt=0)
    action_rate: float = Field(20.0, gt=0, description="action calls per period (bucket size)")
    action_period: float = Field(1.0, gt=0)
    breaker_threshold: int = Field(5, ge=1, description="failures that open the breaker")
    breaker_recovery: float = Field(30.0, gt=0, description="seconds before a trial call")
    pullers: dict[str, PullerSettings] = Field(
        default_factory=dict, description="puller name -> legacy table to read by cursor"
    )
    order_hint_minutes: float = Field(30.0, gt=0)
    relay_interval: float = Field(1.0, gt=0)
    consumer_name: str = Field("", description="this process's consumer name (default host-pid)")


async def agent_principal(request: Any) -> Principal:
    """The caller of an action: a person (bearer token, with its role) or an API key."""
    from kefu.security.principals import caller_principal

    return await caller_principal(request)


class Integration:
    """Every integration object of one Kefu process, and their start/stop."""

    def __init__(
        self,
        settings: IntegrationSettings,
        database: Database,
        *,
        bus: EventBus | None = None,
        bus_url: str = "memory://",
        publish: Publish | None = None,
        adapters: Sequence[BusinessAdapter] | None = None,
        plugin_context: PluginContext | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self._owns_bus = bus is None
        self.bus = bus if bus is not None else create_bus(bus_url)
        self.relay = OutboxRelay(database, self.bus, interval=settings.relay_interval)
        self.inbox = EventInbox(database)
        verifiers = {
            name: SignatureVerifier(secrets, tolerance=settings.webhook_tolerance)
            for name, secrets in settings.webhook_secrets.items()
        }
        self.ingestor = WebhookIngestor(
            verifiers, self.inbox, self.relay, max_body=settings.webhook_max_body
        )
        deadlines: dict[str, float] = {}
        if adapters is not None:
            sources = list(adapters)
        else:
            sources = []
            for conf in settings.adapters.values():
                adapter = cast(
                    BusinessAdapter,
                    registry.load("kefu.adapter", conf.plugin, plugin_context, **conf.options),
                )
                sources.append(adapter)
                if conf.deadline is not None:
                    deadlines[adapter.name] = conf.deadline
        self.adapter: ContextAssembler | None = None
        self.actions: ActionProxy | None = None
        self.invalidator: ContextInvalidator | None = None
        if sources:
            self.adapter = ContextAssembler(
                sources,
                deadline=settings.context_deadline,
                deadlines=deadlines,
                ttl=settings.context_ttl,
                action_source=settings.action_source,
            )
            caller = GuardedCaller(
                settings.action_source or self.adapter.sources[0].name,
                timeout=settings.action_timeout,
                rate=settings.action_rate,
                period=settings.action_period,
                threshold=settings.breaker_threshold,
                recovery=settings.breaker_recovery,
            )
            self.actions = ActionProxy(
                database,
                self.adapter,
                relay=self.relay,
                caller=caller,
                invalidate=self.adapter.invalidate,
            )
            self.invalidator = ContextInvalidator(self.bus, self.adapter)
        self.hints = HintEngine(
            database,
            relay=self.relay,
            order_window=timedelta(minutes=settings.order_hint_minutes),
        )
        self.pullers = [
            IncrementalPuller(
                create_async_engine(conf.url, pool_pre_ping=True),
                database,
                PullSpec(
                    name=name,
                    table=conf.table,
                    id_column=conf.id_column,
                    updated_column=conf.updated_column,
                    event_type=conf.event_type,
                    customer_column=conf.customer_column,
                    batch=conf.batch,
                    overlap=conf.overlap,
                ),
                relay=self.relay,
            )
            for name, conf in settings.pullers.items()
        ]
        name = settings.consumer_name or f"{socket.gethostname()}-{os.getpid()}"
        self.hint_consumer = HintConsumer(self.bus, self.hints, name=name)
        self.forwarder = (
            AgentForwarder(self.bus, database, publish, name=name) if publish is not None else None
        )
        self.route_handlers = [
            WebhookController,
            ActionController,
            CustomerLinkController,
            CustomerContextController,
        ]
        self.state = {
            INTEGRATION_STATE_KEY: IntegrationHttpState(
                ingestor=self.ingestor,
                actions=self.actions,
                principal=agent_principal,
                hints=self.hints,
                context=self.adapter,
            )
        }

    async def start(self) -> None:
        """Start the bus (when owned), the relay and the consumers."""
        if self._owns_bus:
            await self.bus.start()
        self.relay.start()
        self.hint_consumer.start()
        if self.invalidator is not None:
            self.invalidator.start()
        if self.forwarder is not None:
            self.forwarder.start()
        for puller, conf in zip(self.pullers, self.settings.pullers.values(), strict=True):
            puller.start(conf.interval)

    async def stop(self) -> None:
        """Stop pullers, consumers and relay; close adapters and the bus (when owned)."""
        for puller in self.pullers:
            await puller.stop()
            await puller.source.dispose()
        if self.forwarder is not None:
            await self.forwarder.stop()
        if self.invalidator is not None:
            await self.invalidator.stop()
        await self.hint_consumer.stop()
        await self.relay.stop()
        if self.adapter is not None:
            for source in self.adapter.sources:
                close = getattr(source, "aclose", None)
                if close is not None:
                    await close()
        if self._owns_bus:
            await self.bus.close()

    @asynccontextmanager
    async def lifespan(self, _app: Any = None) -> AsyncIterator[None]:
        """Run between app start-up (after migrations) and shutdown."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()
