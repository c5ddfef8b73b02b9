"""The plugin contracts: the protocols every Kefu plugin implements and the data they exchange.

One protocol per entry-point namespace:

=================  ======================  ==============================================
namespace          protocol                job
=================  ======================  ==============================================
``kefu.intent``    :class:`IntentRecognizer`  classify visitor messages (batched)
``kefu.retriever`` :class:`Retriever`         find knowledge chunks for messages (batched)
``kefu.policy``    :class:`ReplyPolicy`       decide reply / suggest / handoff / block
``kefu.filter``    :class:`MessageFilter`     inspect a message (sensitive words, PII...)
``kefu.adapter``   :class:`BusinessAdapter`   customer context and actions on a business system
=================  ======================  ==============================================

Plugins are classes. The registry instantiates them as ``cls(context, **options)`` where
``context`` is a :class:`PluginContext` (shared embedder, data directory) and ``options`` come
from settings or a knowledge pack. The data types below are small and immutable so that they can
cross threads and processes safely.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Embeddings = npt.NDArray[np.float32]
else:
    Embeddings = Any

#: The label an intent recognizer returns when a message matches none of its intents.
OUT_OF_SCOPE = "out_of_scope"


# --------------------------------------------------------------------------------------------
# Shared embedder
# --------------------------------------------------------------------------------------------


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised sentence embeddings (one row per text)."""

    @property
    def model_id(self) -> str:
        """A stable identifier of the model (recorded in indexes and evaluation reports)."""
        ...

    @property
    def dimension(self) -> int:
        """The width of one embedding."""
        ...

    def encode(self, texts: Sequence[str]) -> Embeddings:
        """Embed a batch of texts synchronously; returns a float32 array of shape (n, dim)."""
        ...


@dataclass(frozen=True, slots=True)
class PluginContext:
    """What the engine hands every plugin it builds: shared, lazily created resources."""

    data_dir: Path
    embedder_factory: Callable[[], Embedder] | None = None

    def embedder(self) -> Embedder:
        """The process-wide shared embedder (loaded once, on first use)."""
        if self.embedder_factory is None:
            raise RuntimeError("this plugin needs an embedder, but none was configured")
        return self.embedder_factory()


# --------------------------------------------------------------------------------------------
# Intent recognition
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntentExample:
    """One labelled training or evaluation text."""

    text: str
    label: str


@dataclass(frozen=True, slots=True)
class IntentScore:
    """One candidate intent with its confidence in [0, 1]."""

    label: str
    confidence: float


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    """What a recognizer says about one text: the label (or OUT_OF_SCOPE) and the ranking."""

    label: str
    confidence: float
    ranking: tuple[IntentScore, ...] = ()

    @property
    def in_scope(self) -> bool:
        """False when the recognizer refused the text as matching none of its intents."""
        return self.label != OUT_OF_SCOPE


@runtime_checkable
class IntentRecognizer(Protocol):
    """Classifies texts into the intents it was fitted on, or refuses them as out of scope."""

    #: True when ``predict`` can reuse the shared embedder's embeddings of the texts.
    uses_embeddings: bool

    @property
    def labels(self) -> tuple[str, ...]:
        """The intents this recognizer knows (after ``fit`` or ``load``)."""
        ...

    def fit(self, examples: Sequence[IntentExample]) -> None:
        """Train on labelled examples, replacing anything learned before."""
        ...

    def predict(
        self, texts: Sequence[str], *, embeddings: Embeddings | None = None
    ) -> list[IntentPrediction]:
        """Classify a batch; ``embeddings`` (rows aligned with ``texts``) saves a second encode."""
        ...

    def save(self, directory: Path) -> None:
        """Write everything needed to ``load`` the fitted model into ``directory``."""
        ...

    def load(self, directory: Path) -> None:
        """Restore a model written by ``save``."""
        ...


# --------------------------------------------------------------------------------------------
# Knowledge retrieval
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable piece of knowledge with a stable id and string metadata for filtering."""

    id: str
    text: str
    source: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hit:
    """A chunk found for a query, with a score where higher is better."""

    chunk: Chunk
    score: float


@runtime_checkable
class Retriever(Protocol):
    """Indexes knowledge chunks and finds the best ones for a batch of queries."""

    uses_embeddings: bool

    def index(self, chunks: Sequence[Chunk]) -> None:
        """Build the index over ``chunks``, replacing the previous one."""
        ...

    def search(
        self,
        queries: Sequence[str],
        k: int = 5,
        filters: Mapping[str, str] | None = None,
        *,
        embeddings: Embeddings | None = None,
    ) -> list[list[Hit]]:
        """For each query, the top ``k`` hits whose metadata matches every ``filters`` item."""
        ...

    def save(self, directory: Path) -> None:
        """Write the index into ``directory``."""
        ...

    def load(self, directory: Path) -> None:
        """Restore an index written by ``save``."""
        ...


# --------------------------------------------------------------------------------------------
# Message filters
# --------------------------------------------------------------------------------------------


class FilterAction(enum.StrEnum):
    """How severe a filter's finding is; the strongest action of all filters wins."""

    ALLOW = "allow"
    FLAG = "flag"
    MASK = "mask"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        """Order for comparing actions: allow < flag < mask < block."""
        return _SEVERITY[self]


_SEVERITY = {
    FilterAction.ALLOW: 0,
    FilterAction.FLAG: 1,
    FilterAction.MASK: 2,
    FilterAction.BLOCK: 3,
}


@dataclass(frozen=True, slots=True)
class Match:
    """One finding in a text: the span ``text[start:end]`` and its category."""

    term: str
    start: int
    end: int
    category: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """A filter's judgement of one text."""

    filter: str
    action: FilterAction = FilterAction.ALLOW
    matches: tuple[Match, ...] = ()
    #: The text with findings masked, when the filter rewrites it (action MASK).
    redacted: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, as stored beside the message."""
        return {
            "filter": self.filter,
            "action": self.action.value,
            "matches": [
                {"term": m.term, "start": m.start, "end": m.end, "category": m.category}
                for m in self.matches
            ],
            "redacted": self.redacted,
        }


@runtime_checkable
class MessageFilter(Protocol):
    """Inspects a message before the assistant sees it; all enabled filters run concurrently."""

    name: str

    async def inspect(self, text: str) -> Verdict:
        """Judge ``text``; never raises on odd input (empty, huge, mixed scripts)."""
        ...


# --------------------------------------------------------------------------------------------
# Business adapters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerContext:
    """What the business systems know about a customer, by section (orders, payments...)."""

    customer_id: str
    sections: Mapping[str, Any] = field(default_factory=dict)
    #: Sources that were slow or down; their sections are missing or stale.
    degraded: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """An action on a business system (refund, coupon, flag order) requested by an agent."""

    kind: str
    customer_id: str
    params: Mapping[str, Any]
    idempotency_key: str
    requested_by: str


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The outcome of an action, shown to the agent."""

    ok: bool
    detail: str
    data: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class BusinessAdapter(Protocol):
    """Connects Kefu to one type of business system."""

    name: str

    async def customer_context(self, customer_id: str) -> CustomerContext:
        """Everything this system knows about the customer."""
        ...

    async def perform(self, action: ActionRequest) -> ActionResult:
        """Carry out an action; must be idempotent on ``action.idempotency_key``."""
        ...


# --------------------------------------------------------------------------------------------
# Reply policies
# --------------------------------------------------------------------------------------------


class DecisionAction(enum.StrEnum):
    """What the assistant does with a visitor's message."""

    REPLY = "reply"  # the bot answers the visitor
    SUGGEST = "suggest"  # an agent owns the conversation: suggest replies to them
    HANDOFF = "handoff"  # route the conversation to a human
    BLOCK = "block"  # the message or the answer is not allowed (compliance)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A candidate reply with where it came from."""

    text: str
    sources: tuple[str, ...] = ()
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class Turn:
    """Everything a reply policy may look at for one visitor message."""

    conversation_id: str
    text: str
    intent: IntentPrediction | None = None
    hits: tuple[Hit, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    context: CustomerContext | None = None
    #: True when an agent owns the conversation (the bot suggests, it does not reply).
    agent_assigned: bool = False
    #: Per-conversation memory kept by the dialog manager (slots, previous intents...).
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """A policy's answer for one turn, with the reasons and sources behind it."""

    action: DecisionAction
    text: str = ""
    sources: tuple[str, ...] = ()
    confidence: float = 0.0
    reasons: tuple[str, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()


@runtime_checkable
class ReplyPolicy(Protocol):
    """Decides what happens with a visitor message, per business vertical."""

    name: str

    async def decide(self, turn: Turn) -> Decision:
        """Decide for one turn; must not raise on odd input."""
        ...
