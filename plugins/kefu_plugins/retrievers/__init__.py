"""Built-in knowledge retrievers (``kefu.retriever``): ``faiss``, ``bm25`` and ``hybrid``."""

from kefu_plugins.retrievers._checks import IndexNotBuiltError
from kefu_plugins.retrievers.dense import FaissRetriever
from kefu_plugins.retrievers.hybrid import HybridRetriever, reciprocal_rank_fusion
from kefu_plugins.retrievers.sparse import BM25Retriever
from kefu_plugins.retrievers.tokenize import MixedTokenizer
from kefu_plugins.retrievers.vector_index import IndexKind, IndexParams, VectorIndex

__all__ = [
    "BM25Retriever",
    "FaissRetriever",
    "HybridRetriever",
    "IndexKind",
    "IndexNotBuiltError",
    "IndexParams",
    "MixedTokenizer",
    "VectorIndex",
    "reciprocal_rank_fusion",
]
