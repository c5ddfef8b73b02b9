"""Top-k selection over a score vector, shared by the exact search paths of the retrievers."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Scores = npt.NDArray[np.float32]
Positions = npt.NDArray[np.int64]


def top_k(scores: Scores, k: int, positions: Positions | None = None) -> tuple[Scores, Positions]:
    """The ``k`` best scores, descending, with their positions (``positions[i]`` for score i).

    Ties keep the order of ``positions`` (index order), so results are deterministic.
    """
    ids = np.arange(len(scores), dtype=np.int64) if positions is None else positions
    if k < len(scores):
        candidates = np.sort(np.argpartition(-scores, k - 1)[:k])
    else:
        candidates = np.arange(len(scores))
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    return scores[order].astype(np.float32), ids[order]
