"""The dialog manager: one visitor turn through intent, retrieval, customer context and policy.

The embedding of a message is computed once (micro-batched with other visitors' messages) and
shared by the intent recognizer and the retriever. Plugin inference runs on one dedicated worker
thread, never on the event loop. Any plugin that raises or overruns its deadline is recorded in
the decision's reasons and in metrics, and the turn falls back to a human: a broken plugin never
takes the gateway down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from kefu.assistant.human_request import asks_for_human
from kefu.assistant.state import DialogState, DialogStateStore
from kefu.contracts import (
    BusinessAdapter,
    CustomerContext,
    Decision,
    DecisionAction,
    Hit,
    IntentPrediction,
    IntentRecognizer,
    ReplyPolicy,
    Retriever,
    Turn,
    Verdict,
)
from kefu.observability.metrics import PLUGIN_FAILURES, PLUGIN_SECONDS, TURNS

if TYPE_CHECKING:
    from kefu.contracts import Embeddings
    from kefu.embedding.batcher import MicroBatcher

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """A stored visitor message the assistant should act on."""

    conversation_id: str
    text: str
    verdicts: tuple[Verdict, ...] = ()
    agent_assigned: bool = False
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Deadlines:
    """How long each stage of a turn may take, in seconds."""

    analysis: float = 2.0
    context: float = 0.5
    policy: float = 1.0


class PluginFailure(Exception):
    """A plugin raised or overran its deadline; carries what to record."""

    def __init__(self, kind: str, plugin: str, cause: BaseException) -> None:
        self.kind = kind
        self.plugin = plugin
        self.error = "timeout" if isinstance(cause, TimeoutError) else type(cause).__name__
        detail = "timed out" if self.error == "timeout" else f"failed: {self.error}: {cause}"
        super().__init__(f"{kind} plugin {plugin!r} {detail}")


class DialogManager:
    """Decides what happens with each visitor message, keeping per-conversation state."""

    def __init__(
        self,
        *,
        policy: ReplyPolicy,
        state: DialogStateStore,
        recognizer: IntentRecognizer | None = None,
        retriever: Retriever | None = None,
        batcher: MicroBatcher | None = None,
        adapter: BusinessAdapter | None = None,
        top_k: int = 5,
        deadlines: Deadlines | None = None,
        max_chars: int = 2_000,
    ) -> None:
        needs_embeddings = any(
            p is not None and getattr(p, "uses_embeddings", False) for p in (recognizer, retriever)
        )
        if needs_embeddings and batcher is None:
            raise ValueError("the intent recognizer or retriever needs embeddings: pass a batcher")
        self.policy = policy
        self.recognizer = recognizer
        self.retriever = retriever
        self.adapter = adapter
        self._state = state
        self._batcher = batcher if needs_embeddings else None
        self._top_k = top_k
        self._deadlines = deadlines or Deadlines()
        self._max_chars = max_chars
        # One thread for plugin inference: models are not shared across threads, and the
        # event loop stays free.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-assistant")

    async def aclose(self) -> None:
        """Stop the inference thread (the batcher is owned and closed by whoever built it)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def handle(self, request: TurnRequest) -> Decision:
        """Run one turn and return the decision; never raises for a plugin's fault."""
        cid = request.conversation_id
        state = await self._load_state(cid)
        decision, intent = await self._decide(request, state)
        new_state = state.after(
            intent=intent.label if intent is not None else None,
            action=decision.action.value,
            handed_off=decision.action is DecisionAction.HANDOFF,
        )
        try:
            await self._state.put(cid, new_state)
        except Exception:
            log.exception("could not save dialog state of conversation %s", cid)
        TURNS.labels(decision.action.value).inc()
        return decision

    async def _load_state(self, conversation_id: str) -> DialogState:
        try:
            return await self._state.get(conversation_id)
        except Exception:
            log.exception("could not load dialog state of conversation %s", conversation_id)
            return DialogState()

    async def _decide(
        self, request: TurnRequest, state: DialogState
    ) -> tuple[Decision, IntentPrediction | None]:
        if not request.agent_assigned:
            if asks_for_human(request.text):
                return Decision(
                    DecisionAction.HANDOFF, reasons=("visitor asked for a human",)
                ), None
            if state.handed_off:
                return Decision(DecisionAction.HANDOFF, reasons=("waiting for an agent",)), None
        text = request.text[: self._max_chars]
        failures: list[PluginFailure] = []
        analysis, context = await asyncio.gather(
            self._guard(failures, "analysis", self._analyse(text), self._deadlines.analysis),
            self._context(request.customer_id, failures),
        )
        intent, hits = analysis if analysis is not None else (None, ())
        turn = Turn(
            conversation_id=request.conversation_id,
            text=text,
            intent=intent,
            hits=hits,
            verdicts=request.verdicts,
            context=context,
            agent_assigned=request.agent_assigned,
            state=state.as_mapping(),
        )
        decision = await self._guard(
            failures,
            "policy",
            self._timed("policy", self.policy.decide(turn)),
            self._deadlines.policy,
        )
        if decision is None or (failures and decision.action is DecisionAction.REPLY):
            # Never let the bot answer from a partial picture: a human takes over.
            action = DecisionAction.SUGGEST if request.agent_assigned else DecisionAction.HANDOFF
            kept = decision.suggestions if decision is not None else ()
            fallback = Decision(action, suggestions=kept, reasons=tuple(str(f) for f in failures))
            return fallback, intent
        if failures:
            decision = replace(decision, reasons=(*decision.reasons, *(str(f) for f in failures)))
        return decision, intent

    async def _guard(
        self,
        failures: list[PluginFailure],
        stage: str,
        work: Awaitable[T],
        deadline: float,
    ) -> T | None:
        """Await ``work`` within ``deadline``; record and count any failure instead of raising."""
        try:
            return await asyncio.wait_for(work, deadline)
        except PluginFailure as exc:
            recorded = exc
        except Exception as exc:  # includes TimeoutError
            recorded = PluginFailure(stage, self._plugin_name(stage), exc)
        failures.append(recorded)
        PLUGIN_FAILURES.labels(recorded.kind, recorded.plugin, recorded.error).inc()
        log.warning("%s", recorded)
        return None

    def _plugin_name(self, stage: str) -> str:
        if stage == "analysis":
            parts = [_name_of(p) for p in (self.recognizer, self.retriever) if p is not None]
            return "+".join(parts) or "none"
        owner: Any = {"policy": self.policy, "context": self.adapter}.get(stage)
        return stage if owner is None else _name_of(owner)

    async def _timed(self, kind: str, work: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            return await work
        finally:
            PLUGIN_SECONDS.labels(kind, self._plugin_name(kind)).observe(
                time.perf_counter() - started
            )

    async def _analyse(self, text: str) -> tuple[IntentPrediction | None, tuple[Hit, ...]]:
        """Embed once, then recognise the intent and retrieve knowledge on the worker thread."""
        embeddings: Embeddings | None = None
        if self._batcher is not None:
            try:
                embeddings = (await self._batcher.encode(text)).reshape(1, -1)
            except Exception as exc:
                raise PluginFailure("embedder", "shared", exc) from exc
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._infer, text, embeddings)

    def _infer(
        self, text: str, embeddings: Embeddings | None
    ) -> tuple[IntentPrediction | None, tuple[Hit, ...]]:
        intent: IntentPrediction | None = None
        hits: tuple[Hit, ...] = ()
        if self.recognizer is not None:
            intent = _call(
                "intent", self.recognizer, lambda r: r.predict([text], embeddings=embeddings)[0]
            )
        if self.retriever is not None:
            found = _call(
                "retriever",
                self.retriever,
                lambda r: r.search([text], self._top_k, None, embeddings=embeddings)[0],
            )
            hits = tuple(found)
        return intent, hits

    async def _context(
        self, customer_id: str | None, failures: list[PluginFailure]
    ) -> CustomerContext | None:
        if self.adapter is None or not customer_id:
            return None
        return await self._guard(
            failures,
            "context",
            self._timed("context", self.adapter.customer_context(customer_id)),
            self._deadlines.context,
        )


def _name_of(plugin: Any) -> str:
    """A plugin's ``name`` attribute, else its class name."""
    return str(getattr(plugin, "name", type(plugin).__name__))


def _call(kind: str, plugin: Any, fn: Callable[[Any], T]) -> T:
    """Run one plugin call on the worker thread, timing it and naming it in any failure."""
    name = _name_of(plugin)
    started = time.perf_counter()
    try:
        return fn(plugin)
    except Exception as exc:
        raise PluginFailure(kind, name, exc) from exc
    finally:
        PLUGIN_SECONDS.labels(kind, name).observe(time.perf_counter() - started)
