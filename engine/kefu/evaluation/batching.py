"""Running a plugin over many texts in fixed-size batches, with an optional progress bar."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
DEFAULT_BATCH_SIZE = 256


def in_batches(
    call: Callable[[list[str]], Sequence[T]],
    texts: Sequence[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    description: str = "",
) -> list[T]:
    """``call`` on consecutive batches of ``texts``; the results concatenated, rows aligned."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    items = list(texts)
    results: list[T] = []
    with tqdm(total=len(items), desc=description, disable=not progress, unit="text") as bar:
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            out = call(batch)
            if len(out) != len(batch):
                raise RuntimeError(f"the plugin returned {len(out)} results for {len(batch)} texts")
            results.extend(out)
            bar.update(len(batch))
    return results
