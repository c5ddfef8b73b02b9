"""The error every evaluation step raises for bad input: a message meant for the user."""

from __future__ import annotations


class EvaluationError(Exception):
    """Bad evaluation input (a file, a column, an option); the message says what and where."""


class DataError(EvaluationError):
    """A labelled-data, chunks or queries file that cannot be used, with the file in the message."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")
