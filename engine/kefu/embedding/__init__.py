"""The shared sentence embedder: one model per process, used by intent and retrieval plugins."""

from kefu.embedding.embedder import SentenceTransformerEmbedder, shared_embedder

__all__ = ["SentenceTransformerEmbedder", "shared_embedder"]
