"""Time arithmetic in SQL that SQLite and PostgreSQL spell differently.

SQLite stores Kefu's timestamps as ISO text in UTC, PostgreSQL as ``timestamptz``; these two
constructs compile to each dialect's own functions so report queries stay portable.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class unix_seconds(FunctionElement[int]):
    """Whole seconds since 1970-01-01 UTC of a timestamp (rounded down)."""

    type = sa.BigInteger()
    name = "kefu_unix_seconds"
    inherit_cache = True


class seconds_between(FunctionElement[float]):
    """Seconds from the first timestamp to the second, to the millisecond."""

    type = sa.Float()
    name = "kefu_seconds_between"
    inherit_cache = True


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(unix_seconds)
@compiles(seconds_between)
def _unsupported(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"{element.name} is only defined for SQLite and PostgreSQL")


@compiles(unix_seconds, "sqlite")
def _unix_seconds_sqlite(element: unix_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(element, compiler, **kw)
    return f"CAST(strftime('%s', {value}) AS INTEGER)"


@compiles(unix_seconds, "postgresql")
def _unix_seconds_postgresql(element: unix_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(element, compiler, **kw)
    return f"CAST(floor(EXTRACT(EPOCH FROM {value})) AS BIGINT)"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    # julianday() is a day count in floating point: round to whole milliseconds.
    return f"(round((julianday({end}) - julianday({start})) * 86400000.0) / 1000.0)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"
