"""Serving the active version of a pack, and swapping it for a new one without dropping turns.

:class:`PackRuntime` loads the active version of one installed pack into plugin instances,
builds a :class:`~kefu.assistant.manager.DialogManager` over them and routes every turn to the
current one. :meth:`PackRuntime.reload` loads the (new) active version on a worker thread while
the old one keeps serving, then swaps them in one assignment: turns already running finish on
the old manager, later turns use the new one, and the old manager is closed once its last turn
is done. A load that fails (damaged files, checksum, another embedding model, unknown plugin)
leaves the running version in place and is reported in :attr:`PackRuntime.status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kefu.assistant.manager import Deadlines, DialogManager, TurnRequest
from kefu.contracts import BusinessAdapter, Decision, DecisionAction, PluginContext
from kefu.knowledge.errors import PackError
from kefu.knowledge.installed import LoadedPack, load_built, warm_up
from kefu.knowledge.plugins import uses_embeddings

if TYPE_CHECKING:
    from kefu.assistant.state import DialogStateStore
    from kefu.embedding.batcher import MicroBatcher
    from kefu.knowledge.store import PackStore
    from kefu.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RuntimeStatus:
    """What the runtime serves, and the last load error (None after a successful load)."""

    pack: str
    version: str | None
    loaded_at: float | None
    error: str | None
    in_flight: int
    retiring: int

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {
            "pack": self.pack,
            "version": self.version,
            "loaded_at": self.loaded_at,
            "error": self.error,
            "in_flight": self.in_flight,
            "retiring": self.retiring,
        }


@dataclass(slots=True, eq=False)
class _Generation:
    """One loaded version and the turns running on it."""

    loaded: LoadedPack
    manager: DialogManager
    loaded_at: float
    in_flight: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()

    def enter(self) -> None:
        self.in_flight += 1
        self.idle.clear()

    def leave(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self.idle.set()


class PackRuntime:
    """Serves the active version of pack ``name`` from ``store``; hot-swaps it on reload."""

    def __init__(
        self,
        store: PackStore,
        name: str,
        state: DialogStateStore,
        *,
        context: PluginContext,
        adapter: BusinessAdapter | None = None,
        top_k: int = 5,
        deadlines: Deadlines | None = None,
    ) -> None:
        self.store = store
        self.name = name
        self._state = state
        self._context = context
        self._adapter = adapter
        self._top_k = top_k
        self._deadlines = deadlines
        self._current: _Generation | None = None
        self._batcher: MicroBatcher | None = None
        self._error: str | None = None
        self._reload_lock = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()
        self._closed = False

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        state: DialogStateStore,
        *,
        context: PluginContext | None = None,
        adapter: BusinessAdapter | None = None,
    ) -> PackRuntime:
        """A runtime for ``settings.pack`` in ``settings.data_dir`` with the shared embedder."""
        from kefu.assistant.factory import plugin_context
        from kefu.knowledge.store import PackStore

        if not settings.pack:
            raise ValueError("settings.pack names no knowledge pack to serve")
        return cls(
            PackStore(settings.data_dir),
            settings.pack,
            state,
            context=context or plugin_context(settings),
            adapter=adapter,
            top_k=settings.assistant_top_k,
        )

    @property
    def status(self) -> RuntimeStatus:
        """The version being served, when it was loaded, and the last load error."""
        current = self._current
        return RuntimeStatus(
            pack=self.name,
            version=current.loaded.version if current else None,
            loaded_at=current.loaded_at if current else None,
            error=self._error,
            in_flight=current.in_flight if current else 0,
            retiring=len(self._retiring),
        )

    @property
    def adapter(self) -> BusinessAdapter | None:
        """The business adapter every version's dialog manager reads customer context from."""
        return self._adapter

    @property
    def manager(self) -> DialogManager | None:
        """The dialog manager new turns go to (None before the first successful load)."""
        return self._current.manager if self._current else None

    @property
    def loaded(self) -> LoadedPack | None:
        """The pack version new turns are answered from."""
        return self._current.loaded if self._current else None

    async def reload(self) -> RuntimeStatus:
        """Load the store's active version and swap it in; keep the old one if that fails.

        Raises :class:`~kefu.knowledge.errors.PackError` describing the failure (also kept in
        :attr:`status`). Reloading the version already served reloads it from disk as well.
        """
        if self._closed:
            raise PackError("the pack runtime is closed")
        async with self._reload_lock:
            try:
                loaded = await asyncio.to_thread(self._load_active)
                generation = _Generation(loaded, self._manager_for(loaded), time.time())
            except Exception as exc:
                message = str(exc) if isinstance(exc, PackError) else f"{type(exc).__name__}: {exc}"
                self._error = message
                served = self._current.loaded.version if self._current else "nothing"
                log.error(
                    "pack %s: reload failed, still serving %s: %s", self.name, served, message
                )
                raise PackError(message) from exc
            previous, self._current = self._current, generation
            self._error = None
            log.info("pack %s: now serving version %s", self.name, loaded.version)
            if previous is not None:
                task = asyncio.create_task(self._retire(previous), name="kefu-pack-retire")
                self._retiring.add(task)
                task.add_done_callback(self._retiring.discard)
            return self.status

    async def handle(self, request: TurnRequest) -> Decision:
        """Run one turn on the version current when it starts; never raises for a plugin fault."""
        generation = self._current
        if generation is None:
            reason = "no knowledge pack is loaded" + (f": {self._error}" if self._error else "")
            action = DecisionAction.SUGGEST if request.agent_assigned else DecisionAction.HANDOFF
            return Decision(action, reasons=(reason,))
        generation.enter()
        try:
            return await generation.manager.handle(request)
        finally:
            generation.leave()

    async def watch(self, interval: float = 5.0) -> None:
        """Reload whenever another process changes the active version (runs until cancelled)."""
        while True:
            await asyncio.sleep(interval)
            try:
                active = await asyncio.to_thread(self.store.active, self.name)
            except PackError as exc:
                log.warning("pack %s: cannot read the active version: %s", self.name, exc)
                continue
            current = self._current.loaded if self._current else None
            if current is None or (active.version, active.path) != (
                current.version,
                current.directory,
            ):
                with contextlib.suppress(PackError):
                    await self.reload()

    async def aclose(self) -> None:
        """Wait for running turns, then close every manager and the embedding batcher."""
        self._closed = True
        async with self._reload_lock:
            current, self._current = self._current, None
        if current is not None:
            await self._retire(current)
        if self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)
        if self._batcher is not None:
            await self._batcher.aclose()

    # ----------------------------------------------------------------------------------------

    def _load_active(self) -> LoadedPack:
        active = self.store.active(self.name)
        loaded = load_built(active.path, self._context)
        warm_up(loaded, self._context)
        return loaded

    def _manager_for(self, loaded: LoadedPack) -> DialogManager:
        plugins = loaded.plugins
        batcher = None
        if uses_embeddings(plugins):
            if self._batcher is None:
                from kefu.embedding.batcher import MicroBatcher

                self._batcher = MicroBatcher(self._context.embedder())
            batcher = self._batcher
        return DialogManager(
            policy=plugins.policy,
            state=self._state,
            recognizer=plugins.recognizer,
            retriever=plugins.retriever,
            batcher=batcher,
            adapter=self._adapter,
            top_k=self._top_k,
            deadlines=self._deadlines,
        )

    @staticmethod
    async def _retire(generation: _Generation) -> None:
        await generation.idle.wait()
        await generation.manager.aclose()
