"""The packs shipped with Kefu are registered in ``kefu.pack`` and pass validation."""

from __future__ import annotations

import pytest

from kefu.knowledge import distributions
from kefu.knowledge.loader import check_pack

SHIPPED = ("ecommerce", "education", "finance")


def test_the_shipped_packs_are_registered() -> None:
    assert set(SHIPPED) <= set(distributions.registered())


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_pack_is_valid(name: str) -> None:
    root = distributions.locate(name)
    assert (root / "pack.toml").is_file()
    pack, problems = check_pack(root)
    assert problems == []
    assert pack is not None
    assert (pack.name, pack.meta.vertical) == (name, name)
    assert len(pack.evaluation) >= 20
