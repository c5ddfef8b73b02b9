"""The education reply policy: course information and learning paths from the course catalog."""

from __future__ import annotations

import graphlib
from collections.abc import Mapping, Sequence
from typing import Any

from kefu.contracts import PluginContext, Suggestion, Turn
from kefu_plugins.policies.default import DefaultPolicy


class EducationPolicy(DefaultPolicy):
    """Answers course questions and lays out learning paths through course prerequisites.

    Options beyond :class:`DefaultPolicy`'s:

    * ``catalog`` -- ``{course_id: {"title": ..., "prerequisites": [ids], "summary": ...}}``,
      usually the knowledge pack's course catalog.
    * ``path_intents`` -- intents that ask what to learn first / in which order.
    """

    name = "education"

    def __init__(
        self,
        context: PluginContext | None = None,
        *,
        catalog: Mapping[str, Mapping[str, Any]] | None = None,
        path_intents: Sequence[str] = ("learning_path", "prerequisites"),
        **options: Any,
    ) -> None:
        super().__init__(context, **options)
        self.catalog = {str(k): dict(v) for k, v in (catalog or {}).items()}
        for course_id, course in self.catalog.items():
            for pre in course.get("prerequisites", []):
                if pre not in self.catalog:
                    raise ValueError(f"course {course_id!r} requires unknown course {pre!r}")
        self.path_intents = frozenset(path_intents)
        # Fail at load time on a cyclic catalog rather than at a visitor's question.
        self.learning_path(list(self.catalog))

    def learning_path(self, targets: Sequence[str]) -> list[str]:
        """Every course needed for ``targets``, prerequisites first (a topological order)."""
        needed: dict[str, list[str]] = {}
        stack = [t for t in targets if t in self.catalog]
        while stack:
            course = stack.pop()
            if course in needed:
                continue
            pres = [str(p) for p in self.catalog[course].get("prerequisites", [])]
            needed[course] = pres
            stack.extend(pres)
        try:
            return list(graphlib.TopologicalSorter(needed).static_order())
        except graphlib.CycleError as exc:
            raise ValueError(f"course prerequisites form a cycle: {exc.args[1]}") from exc

    def candidates(self, turn: Turn) -> list[Suggestion]:
        """A learning path for the course the visitor asks about, then the general candidates."""
        intent = turn.intent
        out: list[Suggestion] = []
        if intent is not None and intent.in_scope and intent.label in self.path_intents:
            target = self._course_of(turn)
            if target is not None:
                path = self.learning_path([target])
                titles = [str(self.catalog[c].get("title", c)) for c in path]
                if len(titles) == 1:
                    text = f"{titles[0]} has no prerequisites: you can start right away."
                else:
                    steps = " → ".join(titles)
                    text = f"To reach {titles[-1]}, take the courses in this order: {steps}."
                out.append(Suggestion(text, tuple(f"catalog#{c}" for c in path), intent.confidence))
        return out + super().candidates(turn)

    def _course_of(self, turn: Turn) -> str | None:
        lowered = turn.text.lower()
        for course_id, course in self.catalog.items():
            title = str(course.get("title", "")).lower()
            if course_id.lower() in lowered or (title and title in lowered):
                return course_id
        for hit in self.usable_hits(turn):
            hit_course = hit.chunk.metadata.get("course")
            if hit_course is not None and hit_course in self.catalog:
                return hit_course
        return None
