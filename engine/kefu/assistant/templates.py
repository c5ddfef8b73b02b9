"""Reply templates with ``{slot}`` placeholders filled from intent, hits and customer context."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any


class MissingSlotError(KeyError):
    """A template names a slot the turn cannot fill."""


class _Formatter(string.Formatter):
    """A formatter that allows dotted paths into mappings but no attribute access or indexing."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        value: Any = kwargs
        for part in field_name.split("."):
            if not isinstance(value, Mapping) or part not in value:
                raise MissingSlotError(field_name)
            value = value[part]
        return value, field_name


_FORMATTER = _Formatter()


def slots_in(template: str) -> list[str]:
    """The slot names a template uses, in order of appearance."""
    return [name for _, name, _, _ in _FORMATTER.parse(template) if name]


def render(template: str, slots: Mapping[str, Any]) -> str:
    """Fill ``template`` from ``slots`` (dotted paths reach into nested mappings).

    Raises :class:`MissingSlotError` naming the first slot that is absent, so a policy can fall
    back to another answer instead of sending a reply with a hole in it.
    """
    return _FORMATTER.vformat(template, (), dict(slots))


def try_render(template: str, slots: Mapping[str, Any]) -> str | None:
    """Like :func:`render`, but ``None`` when a slot is missing or the template is malformed."""
    try:
        return render(template, slots)
    except (MissingSlotError, ValueError, IndexError):
        return None
