"""Fixtures for knowledge-pack tests: a copy of the tiny pack to edit, built archives."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from knowledge_helpers import TINY

from kefu.knowledge.build import build_pack


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A fresh, editable copy of the tiny valid pack (tfidf + bm25 + default policy)."""
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


@pytest.fixture
def build(tmp_path: Path) -> Callable[[Path], Path]:
    """Build a pack folder in process (no child interpreter) and return its archive."""
    out = tmp_path / "built"
    out.mkdir()

    def run(pack: Path) -> Path:
        return build_pack(pack, out, isolate=False).archive

    return run
