"""Runs a coroutine inline until it first waits, so work that never waits costs no task or timer.

Most per-message steps (screening a short text, a decision for a conversation an agent already
has) finish without ever waiting. :func:`start` runs such a coroutine to its end right away;
only one that really waits is handed back as :class:`Waiting`, whose :meth:`Waiting.finish`
continues it under the caller's task (or in a task of its own) exactly where it stopped.
"""

from __future__ import annotations

import types
from collections.abc import Coroutine, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """The coroutine finished without waiting."""

    value: T


@dataclass(frozen=True, slots=True)
class Waiting(Generic[T]):
    """The coroutine waits on ``awaited`` (what it yielded to the event loop)."""

    coro: Coroutine[Any, Any, T]
    awaited: Any

    async def finish(self) -> T:
        """Continue the coroutine to its end; cancellation and errors reach it as usual."""
        return await _delegate(self.coro, self.awaited)


def start(coro: Coroutine[Any, Any, T]) -> Done[T] | Waiting[T]:
    """Run ``coro`` until it finishes or first waits; its exceptions propagate."""
    try:
        awaited = coro.send(None)
    except StopIteration as stop:
        value: T = stop.value
        return Done(value)
    return Waiting(coro, awaited)


@types.coroutine
def _delegate(coro: Coroutine[Any, Any, T], awaited: Any) -> Generator[Any, Any, T]:
    """Yield ``awaited`` to the task as if ``coro`` did, then pass everything through.

    This is what ``await coro`` does, starting from a coroutine that already made its first
    step: the task blocks on the same future, and what it sends or throws (a cancellation)
    goes on to ``coro``.
    """
    while True:
        try:
            sent = yield awaited
        except BaseException as exc:  # thrown in by the task: a cancellation, GeneratorExit
            try:
                awaited = coro.throw(exc)
            except StopIteration as stop:
                thrown_value: T = stop.value
                return thrown_value
        else:
            try:
                awaited = coro.send(sent)
            except StopIteration as stop:
                sent_value: T = stop.value
                return sent_value
