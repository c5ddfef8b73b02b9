"""Builds the dialog manager from settings: plugins loaded once, models and indexes loaded once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kefu import registry
from kefu.assistant.manager import DialogManager
from kefu.assistant.state import DialogStateStore
from kefu.contracts import (
    BusinessAdapter,
    IntentRecognizer,
    PluginContext,
    ReplyPolicy,
    Retriever,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from kefu.embedding.batcher import MicroBatcher
    from kefu.settings import Settings
    from kefu.store.database import Database


@dataclass(slots=True)
class Assistant:
    """The dialog manager and the resources it owns (closed together on shutdown)."""

    manager: DialogManager
    batcher: MicroBatcher | None
    close_state: Closer | None = None

    async def aclose(self) -> None:
        """Stop the inference thread, drain the embedding batcher, flush and close the state."""
        await self.manager.aclose()
        if self.batcher is not None:
            await self.batcher.aclose()
        if self.close_state is not None:
            await self.close_state()


#: Something to await on shutdown.
Closer = Callable[[], Awaitable[object]]


def state_store_for(settings: Settings, database: Database) -> tuple[DialogStateStore, Closer]:
    """Where dialog state lives, and how to close it on shutdown.

    Redis when the bus is Redis (a cluster: any process may serve any turn); otherwise the
    database behind an in-process write-behind cache (one process serves every turn).
    """
    if settings.bus_scheme == "redis":
        from redis.asyncio import Redis as AsyncRedis

        from kefu.assistant.state import RedisDialogStateStore

        client: Redis[bytes] = AsyncRedis.from_url(settings.bus_url)
        return RedisDialogStateStore(client), client.aclose  # type: ignore[attr-defined]
    from kefu.assistant.state_sql import SqlDialogStateStore, WriteBehindStateStore

    store = WriteBehindStateStore(SqlDialogStateStore(database))
    return store, store.aclose


def build_for_app(
    settings: Settings,
    database: Database,
    context: PluginContext,
    *,
    adapter: BusinessAdapter | None = None,
) -> Assistant:
    """The assistant a Kefu server runs: plugins from settings, state beside the other data."""
    state, close_state = state_store_for(settings, database)
    assistant = build_assistant(settings, state, context=context, adapter=adapter)
    assistant.close_state = close_state
    return assistant


def plugin_context(settings: Settings) -> PluginContext:
    """The context every plugin is built with: the data directory and the shared embedder."""
    from kefu.embedding import shared_embedder

    return PluginContext(data_dir=settings.data_dir, embedder_factory=shared_embedder)


def build_assistant(
    settings: Settings,
    state: DialogStateStore,
    *,
    context: PluginContext | None = None,
    adapter: BusinessAdapter | None = None,
) -> Assistant:
    """Load the configured policy, recognizer and retriever and wire the dialog manager."""
    ctx = context or plugin_context(settings)
    policy: ReplyPolicy = registry.load(
        "kefu.policy", settings.policy, ctx, **settings.policy_options
    )
    recognizer: IntentRecognizer | None = None
    retriever: Retriever | None = None
    if settings.intent:
        recognizer = registry.load("kefu.intent", settings.intent, ctx)
        if settings.intent_model_dir is not None:
            _load_artefact(recognizer, settings.intent_model_dir, "intent model")
    if settings.retriever:
        retriever = registry.load("kefu.retriever", settings.retriever, ctx)
        if settings.retriever_index_dir is not None:
            _load_artefact(retriever, settings.retriever_index_dir, "retrieval index")
    batcher = None
    if any(getattr(p, "uses_embeddings", False) for p in (recognizer, retriever)):
        from kefu.embedding.batcher import MicroBatcher

        batcher = MicroBatcher(ctx.embedder())
    manager = DialogManager(
        policy=policy,
        state=state,
        recognizer=recognizer,
        retriever=retriever,
        batcher=batcher,
        adapter=adapter,
        top_k=settings.assistant_top_k,
    )
    return Assistant(manager, batcher)


def _load_artefact(plugin: IntentRecognizer | Retriever, path: Path, what: str) -> None:
    if not path.is_dir():
        raise FileNotFoundError(f"{what} directory {path} does not exist")
    plugin.load(path)
