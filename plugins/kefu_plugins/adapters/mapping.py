"""Loading adapter mapping files (TOML or YAML) into checked structures, with precise errors.

A mapping can be given as a path, as ``pkg:<package>/<file>`` (a file shipped inside an
installed package, e.g. ``pkg:demo_shop/kefu-adapter.toml``), or as an already-parsed dict.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from kefu.integration.errors import AdapterConfigError

S = TypeVar("S", bound=msgspec.Struct)


def read_mapping(source: str | Path | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The mapping as a dict and a label naming where it came from (for error messages)."""
    if isinstance(source, Mapping):
        return dict(source), "<inline mapping>"
    text_source = str(source)
    if text_source.startswith("pkg:"):
        package, _, name = text_source[4:].partition("/")
        if not package or not name:
            raise AdapterConfigError(f"{text_source!r}: use pkg:<package>/<file>")
        try:
            text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError) as exc:
            raise AdapterConfigError(f"mapping {text_source!r} not found: {exc}") from exc
        label, suffix = text_source, Path(name).suffix
    else:
        path = Path(text_source)
        if not path.is_file():
            raise AdapterConfigError(f"mapping file {path} does not exist")
        text = path.read_text(encoding="utf-8")
        label, suffix = str(path), path.suffix
    try:
        if suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = tomllib.loads(text)
    except Exception as exc:  # tomllib.TOMLDecodeError or yaml.YAMLError
        raise AdapterConfigError(f"{label}: cannot parse: {exc}") from exc
    if not isinstance(data, dict):
        raise AdapterConfigError(f"{label}: the top level must be a table of settings")
    return data, label


def parse_mapping(data: Mapping[str, Any], schema: type[S], label: str) -> S:
    """Convert a parsed mapping into ``schema``; AdapterConfigError names the bad field."""
    try:
        return msgspec.convert(dict(data), schema)
    except msgspec.ValidationError as exc:
        raise AdapterConfigError(f"{label}: {exc}") from exc
