"""The shared sentence embedder: one model per process, used by intent and retrieval plugins."""

from kefu.embedding.embedder import (
    SentenceTransformerEmbedder,
    default_threads,
    reserve_cpu_for_server,
    set_encoder_threads,
    shared_embedder,
)

__all__ = [
    "SentenceTransformerEmbedder",
    "default_threads",
    "reserve_cpu_for_server",
    "set_encoder_threads",
    "shared_embedder",
]
