"""The errors of knowledge-pack handling, and the located problems validation reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with a pack, located by file (relative to the pack) and line."""

    file: str
    line: int | None
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class PackError(Exception):
    """Base class of every knowledge-pack error; its message is meant for the operator."""


class PackInvalidError(PackError):
    """A pack failed validation; ``problems`` lists everything found, in file and line order."""

    def __init__(self, root: str, problems: Iterable[Problem]) -> None:
        self.root = root
        self.problems = tuple(sorted(problems, key=_order))
        count = len(self.problems)
        listing = "\n".join(f"  {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{root}: {count} {noun}\n{listing}")


class ArchiveError(PackError):
    """A built pack archive is unreadable, incomplete, tampered with or unsafe."""


class EmbeddingMismatchError(PackError):
    """A pack's index was built with another embedding model or dimension than Kefu's."""


class PackNotFoundError(PackError, LookupError):
    """No installed pack, version or registered distribution of that name."""


class InstallError(PackError):
    """Installing, activating or rolling back a pack was refused; nothing was changed."""


def _order(problem: Problem) -> tuple[str, int, int, str]:
    return (problem.file, problem.line or 0, problem.column or 0, problem.message)
