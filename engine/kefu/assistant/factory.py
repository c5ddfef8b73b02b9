"""Builds the dialog manager from settings: plugins loaded once, models and indexes loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kefu import registry
from kefu.assistant.manager import DialogManager
from kefu.assistant.state import DialogStateStore
from kefu.contracts import IntentRecognizer, PluginContext, ReplyPolicy, Retriever

if TYPE_CHECKING:
    from kefu.embedding.batcher import MicroBatcher
    from kefu.settings import Settings


@dataclass(slots=True)
class Assistant:
    """The dialog manager and the resources it owns (closed together on shutdown)."""

    manager: DialogManager
    batcher: MicroBatcher | None

    async def aclose(self) -> None:
        """Stop the inference thread and drain the embedding batcher."""
        await self.manager.aclose()
        if self.batcher is not None:
            await self.batcher.aclose()


def plugin_context(settings: Settings) -> PluginContext:
    """The context every plugin is built with: the data directory and the shared embedder."""
    from kefu.embedding import shared_embedder

    return PluginContext(data_dir=settings.data_dir, embedder_factory=shared_embedder)


def build_assistant(
    settings: Settings,
    state: DialogStateStore,
    *,
    context: PluginContext | None = None,
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
        top_k=settings.assistant_top_k,
    )
    return Assistant(manager, batcher)


def _load_artefact(plugin: IntentRecognizer | Retriever, path: Path, what: str) -> None:
    if not path.is_dir():
        raise FileNotFoundError(f"{what} directory {path} does not exist")
    plugin.load(path)
