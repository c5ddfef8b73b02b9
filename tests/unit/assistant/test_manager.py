"""The dialog manager: handoff phrases, agent mode, shared embeddings and plugin failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import REGISTRY

from kefu.assistant.manager import Deadlines, DialogManager, TurnRequest
from kefu.assistant.state import DialogState
from kefu.contracts import (
    Chunk,
    CustomerContext,
    Decision,
    DecisionAction,
    Embeddings,
    Hit,
    IntentExample,
    IntentPrediction,
    IntentScore,
    Turn,
)
from kefu.embedding.batcher import MicroBatcher
from kefu_plugins.policies.default import DefaultPolicy


class DictStateStore:
    """Dialog state in a dict (this test's edge)."""

    def __init__(self) -> None:
        self.states: dict[str, DialogState] = {}

    async def get(self, conversation_id: str) -> DialogState:
        return self.states.get(conversation_id, DialogState())

    async def put(self, conversation_id: str, state: DialogState) -> None:
        self.states[conversation_id] = state


class CountingEmbedder:
    """A deterministic 8-dim embedder that counts how many texts it encoded."""

    model_id = "counting"
    dimension = 8

    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, texts: Sequence[str]) -> Embeddings:
        self.encoded += len(texts)
        rows = [np.full(8, (hash(t) % 97) / 97 + 0.01, dtype=np.float32) for t in texts]
        out = np.stack(rows) if rows else np.zeros((0, 8), np.float32)
        normed: Embeddings = out / np.linalg.norm(out, axis=1, keepdims=True).clip(1e-9)
        return normed


class KeywordRecognizer:
    """Labels 'refund' texts as refund; requires the shared embedding when told to."""

    name = "keyword"
    uses_embeddings = True

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.saw_embeddings: list[bool] = []

    @property
    def labels(self) -> tuple[str, ...]:
        return ("refund",)

    def fit(self, examples: Sequence[IntentExample]) -> None:
        return None

    def predict(
        self, texts: Sequence[str], *, embeddings: Embeddings | None = None
    ) -> list[IntentPrediction]:
        if self.fail:
            raise RuntimeError("model file corrupted")
        self.saw_embeddings.append(embeddings is not None)
        out = []
        for text in texts:
            score = 0.95 if "refund" in text.lower() else 0.1
            label = "refund" if score > 0.5 else "out_of_scope"
            out.append(IntentPrediction(label, score, (IntentScore("refund", score),)))
        return out

    def save(self, directory: Path) -> None:
        return None

    def load(self, directory: Path) -> None:
        return None


class OneChunkRetriever:
    """Always finds the refund FAQ."""

    name = "one-chunk"
    uses_embeddings = True

    def __init__(self) -> None:
        self.saw_embeddings: list[bool] = []

    def index(self, chunks: Sequence[Chunk]) -> None:
        return None

    def search(
        self,
        queries: Sequence[str],
        k: int = 5,
        filters: Mapping[str, str] | None = None,
        *,
        embeddings: Embeddings | None = None,
    ) -> list[list[Hit]]:
        self.saw_embeddings.append(embeddings is not None)
        chunk = Chunk(
            "faq-1",
            "How do refunds work?",
            "faq",
            {"intent": "refund", "answer": "Refunds take 3-5 days."},
        )
        return [[Hit(chunk, 0.9)] for _ in queries]

    def save(self, directory: Path) -> None:
        return None

    def load(self, directory: Path) -> None:
        return None


class SlowPolicy:
    """A policy that never answers in time."""

    name = "slow"

    async def decide(self, turn: Turn) -> Decision:
        await asyncio.sleep(5)
        return Decision(DecisionAction.REPLY, text="too late")


class BrokenAdapter:
    """A business system that is down."""

    name = "shop"

    async def customer_context(self, customer_id: str) -> CustomerContext:
        raise ConnectionError("shop unreachable")

    async def perform(self, action: object) -> object:
        raise NotImplementedError


def failures(kind: str, plugin: str, error: str) -> float:
    value = REGISTRY.get_sample_value(
        "kefu_plugin_failures_total", {"kind": kind, "plugin": plugin, "error": error}
    )
    return value or 0.0


@pytest.fixture
async def batcher() -> AsyncIterator[MicroBatcher]:
    b = MicroBatcher(CountingEmbedder(), max_wait_ms=1)
    yield b
    await b.aclose()


def manager(batcher: MicroBatcher, **kw: object) -> DialogManager:
    options: dict[str, object] = {
        "policy": DefaultPolicy(reply_threshold=0.8),
        "state": DictStateStore(),
        "recognizer": KeywordRecognizer(),
        "retriever": OneChunkRetriever(),
        "batcher": batcher,
        "deadlines": Deadlines(analysis=1.0, context=0.2, policy=0.2),
    }
    options.update(kw)
    return DialogManager(**options)  # type: ignore[arg-type]


async def test_confident_question_is_answered_with_one_shared_embedding(
    batcher: MicroBatcher,
) -> None:
    dm = manager(batcher)
    decision = await dm.handle(TurnRequest("c1", "I want a refund"))
    assert decision.action is DecisionAction.REPLY
    assert decision.text == "Refunds take 3-5 days."
    assert decision.sources == ("faq#faq-1",)
    assert isinstance(batcher.embedder, CountingEmbedder)
    assert batcher.embedder.encoded == 1  # one embedding shared by intent and retrieval
    assert dm.recognizer.saw_embeddings == [True]  # type: ignore[union-attr]
    assert dm.retriever.saw_embeddings == [True]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text", ["can I talk to a human?", "转人工", "我要人工客服", "AGENT please"]
)
async def test_asking_for_a_human_hands_off_and_the_bot_then_stays_quiet(
    batcher: MicroBatcher, text: str
) -> None:
    dm = manager(batcher)
    first = await dm.handle(TurnRequest("c1", text))
    assert first.action is DecisionAction.HANDOFF
    assert first.reasons == ("visitor asked for a human",)
    second = await dm.handle(TurnRequest("c1", "I want a refund"))
    assert second.action is DecisionAction.HANDOFF
    assert second.reasons == ("waiting for an agent",)


async def test_agent_owned_conversation_gets_suggestions_not_replies(batcher: MicroBatcher) -> None:
    dm = manager(batcher)
    decision = await dm.handle(TurnRequest("c1", "refund?", agent_assigned=True))
    assert decision.action is DecisionAction.SUGGEST
    assert decision.suggestions[0].text == "Refunds take 3-5 days."
    assert decision.suggestions[0].sources == ("faq#faq-1",)


async def test_a_raising_recognizer_falls_back_to_handoff_and_is_counted(
    batcher: MicroBatcher,
) -> None:
    before = failures("intent", "keyword", "RuntimeError")
    dm = manager(batcher, recognizer=KeywordRecognizer(fail=True))
    decision = await dm.handle(TurnRequest("c1", "I want a refund"))
    assert decision.action is DecisionAction.HANDOFF
    assert any("intent plugin 'keyword' failed" in r for r in decision.reasons)
    assert failures("intent", "keyword", "RuntimeError") == before + 1


async def test_a_policy_that_times_out_falls_back_to_handoff(batcher: MicroBatcher) -> None:
    before = failures("policy", "slow", "timeout")
    dm = manager(batcher, policy=SlowPolicy())
    decision = await dm.handle(TurnRequest("c1", "I want a refund"))
    assert decision.action is DecisionAction.HANDOFF
    assert decision.reasons == ("policy plugin 'slow' timed out",)
    assert failures("policy", "slow", "timeout") == before + 1


async def test_a_down_business_system_keeps_the_bot_from_answering(batcher: MicroBatcher) -> None:
    dm = manager(batcher, adapter=BrokenAdapter())
    decision = await dm.handle(TurnRequest("c1", "I want a refund", customer_id="cust-1"))
    assert decision.action is DecisionAction.HANDOFF
    assert any("context plugin 'shop' failed: ConnectionError" in r for r in decision.reasons)


@pytest.mark.parametrize("text", ["", "   ", "退款 refund 💸" * 3, "x" * 10_000])
async def test_odd_input_gets_a_sensible_decision(batcher: MicroBatcher, text: str) -> None:
    decision = await manager(batcher).handle(TurnRequest("c1", text))
    assert decision.action in (DecisionAction.REPLY, DecisionAction.HANDOFF)
    if not text.strip():
        assert decision.action is DecisionAction.HANDOFF


async def test_state_keeps_turns_and_intent_history(batcher: MicroBatcher) -> None:
    store = DictStateStore()
    dm = manager(batcher, state=store)
    await dm.handle(TurnRequest("c1", "refund please"))
    await dm.handle(TurnRequest("c1", "refund again", agent_assigned=True))
    state = store.states["c1"]
    assert state.turns == 2
    assert state.intents == ("refund", "refund")
    assert state.last_action == "suggest"


def test_plugins_needing_embeddings_require_a_batcher() -> None:
    with pytest.raises(ValueError, match="needs embeddings"):
        DialogManager(
            policy=DefaultPolicy(), state=DictStateStore(), recognizer=KeywordRecognizer()
        )


def test_state_round_trips_through_json() -> None:
    state = DialogState(turns=3, intents=("a", "b"), slots={"order": "A-1"}, handed_off=True)
    assert DialogState.from_json(state.to_json()) == state
