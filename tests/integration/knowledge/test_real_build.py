"""A real pack built with the real built-in plugins and the real embedding model.

Uses the ``embedding`` intent recognizer and the ``hybrid`` retriever (FAISS + BM25) over
all-MiniLM-L6-v2: reproducible archives, install, answers through the runtime, and refusal of an
index built with another embedding model or dimension.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kefu.assistant.manager import TurnRequest
from kefu.assistant.state import DialogState
from kefu.contracts import DecisionAction, Embedder, Embeddings, PluginContext
from kefu.embedding import shared_embedder
from kefu.knowledge.archive import sha256_file
from kefu.knowledge.build import build_pack
from kefu.knowledge.errors import EmbeddingMismatchError, PackError
from kefu.knowledge.install import install
from kefu.knowledge.runtime import PackRuntime
from kefu.knowledge.store import PackStore

pytestmark = pytest.mark.slow

TINY = Path(__file__).parents[2] / "fixtures" / "knowledge" / "tiny"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real shared embedder, loaded once per test session."""
    return shared_embedder()


@pytest.fixture(scope="module")
def dense_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny pack switched to the embedding recognizer and the hybrid retriever."""
    root = tmp_path_factory.mktemp("dense") / "tiny"
    shutil.copytree(TINY, root)
    toml = root / "pack.toml"
    toml.write_text(
        toml.read_text()
        .replace('intent = "tfidf"', 'intent = "embedding"')
        .replace('retriever = "bm25"', 'retriever = "hybrid"')
    )
    return root


@pytest.fixture(scope="module")
def archive(dense_pack: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pack built once in a child interpreter (the way ``kefu pack build`` does)."""
    out = tmp_path_factory.mktemp("built")
    return build_pack(dense_pack, out, isolate=True).archive


class OtherEmbedder:
    """An embedder of another model or width, standing in for a different Kefu install."""

    def __init__(self, model_id: str, dimension: int) -> None:
        self._model_id = model_id
        self._dimension = dimension

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Embeddings:
        rows = np.ones((len(texts), self._dimension), dtype=np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True).astype(np.float32)
        return np.asarray(rows / norms, dtype=np.float32)


class MemoryStates:
    """Dialog state in a dict."""

    def __init__(self) -> None:
        self.states: dict[str, DialogState] = {}

    async def get(self, conversation_id: str) -> DialogState:
        return self.states.get(conversation_id, DialogState())

    async def put(self, conversation_id: str, state: DialogState) -> None:
        self.states[conversation_id] = state


def test_builds_are_byte_identical_and_record_the_model(
    archive: Path, dense_pack: Path, tmp_path: Path, embedder: Embedder
) -> None:
    again = build_pack(dense_pack, tmp_path, isolate=True)
    assert sha256_file(again.archive) == sha256_file(archive)
    assert again.manifest["embedding"] == {
        "model_id": embedder.model_id,
        "dimension": embedder.dimension,
    }
    assert again.manifest["plugins"]["intent"]["name"] == "embedding"
    assert again.report.intent_accuracy is not None and again.report.intent_accuracy >= 0.75
    assert again.report.recall_at_5 == 1.0


async def test_installed_pack_answers_an_eval_query(
    archive: Path, tmp_path: Path, embedder: Embedder
) -> None:
    store = PackStore(tmp_path / "data")
    installed = install(archive, store, embedder_factory=lambda: embedder)
    assert installed.active and installed.version == "1.0.0"
    runtime = PackRuntime(
        store, "tiny", MemoryStates(), context=PluginContext(tmp_path, lambda: embedder)
    )
    await runtime.reload()
    decision = await runtime.handle(TurnRequest("c1", "my card still has not come"))
    assert decision.action is DecisionAction.REPLY, decision.reasons
    assert decision.text == "Cards arrive within 5 working days of your order."
    assert decision.sources[0].startswith("tiny#faq/card-arrival")
    await runtime.aclose()


@pytest.mark.parametrize(
    ("model_id", "dimension", "message"),
    [
        ("sentence-transformers/all-MiniLM-L6-v2", 512, "built with 384-dimensional embeddings"),
        ("acme/other-encoder", 384, "built with embedding model"),
    ],
)
def test_an_index_of_another_embedding_is_refused(
    archive: Path, tmp_path: Path, model_id: str, dimension: int, message: str
) -> None:
    store = PackStore(tmp_path / "data")
    other = OtherEmbedder(model_id, dimension)
    with pytest.raises(EmbeddingMismatchError, match=message):
        install(archive, store, embedder_factory=lambda: other)
    assert store.versions() == []
    assert [p.name for p in store.root.iterdir()] == [".lock"]


async def test_the_runtime_refuses_it_too_and_keeps_nothing_half_loaded(
    archive: Path, tmp_path: Path, embedder: Embedder
) -> None:
    store = PackStore(tmp_path / "data")
    install(archive, store, embedder_factory=lambda: embedder)
    other = OtherEmbedder(embedder.model_id, 768)
    runtime = PackRuntime(
        store, "tiny", MemoryStates(), context=PluginContext(tmp_path, lambda: other)
    )
    with pytest.raises(PackError, match="rebuild the pack"):
        await runtime.reload()
    assert runtime.status.version is None
    decision = await runtime.handle(TurnRequest("c1", "my card still has not come"))
    assert decision.action is DecisionAction.HANDOFF
    assert "768 dimensions" in decision.reasons[0]
    await runtime.aclose()
