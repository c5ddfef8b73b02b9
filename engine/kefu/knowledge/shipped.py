"""Locations of the packs shipped with Kefu, for its own ``kefu.pack`` entry points.

The packs live in ``knowledge_packs/`` at the top of Kefu's source tree, beside ``engine/``;
an editable or source install finds them there.
"""

from __future__ import annotations

from pathlib import Path

SOURCE_TREE = Path(__file__).resolve().parents[3] / "knowledge_packs"


def _shipped(name: str) -> Path:
    path = SOURCE_TREE / name
    if not (path / "pack.toml").is_file():
        raise FileNotFoundError(
            f"the shipped pack {name!r} is not at {path}; Kefu's knowledge_packs/ folder ships "
            "with its source tree (install Kefu from a checkout)"
        )
    return path


def ecommerce() -> Path:
    """The shipped e-commerce pack."""
    return _shipped("ecommerce")


def education() -> Path:
    """The shipped education pack."""
    return _shipped("education")


def finance() -> Path:
    """The shipped finance pack."""
    return _shipped("finance")
