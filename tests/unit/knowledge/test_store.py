"""Installing, listing, activating and rolling back built packs; refusals change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from knowledge_helpers import set_version

from kefu.knowledge.errors import ArchiveError, InstallError, PackError, PackNotFoundError
from kefu.knowledge.install import install
from kefu.knowledge.store import PackStore


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (the lock file aside) with its content."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_install_list_and_rollback(
    tiny: Path, build: Callable[[Path], Path], tmp_path: Path
) -> None:
    store = PackStore(tmp_path / "data")
    first = store.install_archive(build(tiny))
    assert (first.name, first.version, first.vertical, first.active) == (
        "tiny",
        "1.0.0",
        "general",
        True,
    )
    assert first.path == tmp_path / "data" / "packs" / "tiny" / "1.0.0"
    assert (first.path / "model" / "intent").is_dir()
    assert first.eval is not None and first.eval["intent_accuracy"] == 1.0

    set_version(tiny, "1.1.0")
    second = store.install_archive(build(tiny))
    assert second.active
    assert [(v.version, v.active) for v in store.versions("tiny")] == [
        ("1.0.0", False),
        ("1.1.0", True),
    ]
    assert store.rollback("tiny").version == "1.0.0"
    assert store.active("tiny").version == "1.0.0"
    with pytest.raises(InstallError, match="no earlier version to roll back to"):
        store.rollback("tiny")
    assert store.activate("tiny", "1.1.0").version == "1.1.0"
    assert store.rollback("tiny").version == "1.0.0"


def test_installing_without_activating(
    tiny: Path, build: Callable[[Path], Path], tmp_path: Path
) -> None:
    store = PackStore(tmp_path / "data")
    store.install_archive(build(tiny))
    set_version(tiny, "2.0.0")
    added = store.install_archive(build(tiny), activate=False)
    assert not added.active
    assert store.active("tiny").version == "1.0.0"


def test_reinstalling_the_same_version_reactivates_it(
    tiny: Path, build: Callable[[Path], Path], tmp_path: Path
) -> None:
    store = PackStore(tmp_path / "data")
    archive = build(tiny)
    store.install_archive(archive)
    set_version(tiny, "1.1.0")
    store.install_archive(build(tiny))
    again = store.install_archive(archive)
    assert again.version == "1.0.0" and again.active
    assert len(store.versions("tiny")) == 2


def test_different_content_under_an_installed_version_is_refused(
    tiny: Path, build: Callable[[Path], Path], tmp_path: Path
) -> None:
    store = PackStore(tmp_path / "data")
    store.install_archive(build(tiny))
    before = snapshot(store.root)
    set_version(tiny, "1.0.0", answer="We never open.")
    with pytest.raises(InstallError, match="already installed with different content"):
        store.install_archive(build(tiny))
    assert snapshot(store.root) == before


def test_a_tampered_archive_changes_nothing(
    tiny: Path, build: Callable[[Path], Path], tmp_path: Path
) -> None:
    import io
    import tarfile

    store = PackStore(tmp_path / "data")
    store.install_archive(build(tiny))
    before = snapshot(store.root)
    set_version(tiny, "1.1.0")
    archive = build(tiny)
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as out:
        for member in source:
            data = source.extractfile(member)
            assert data is not None
            payload = data.read()
            if member.name == "pack/faq.jsonl":
                payload = payload.replace(b"5 working days", b"5 working years")
            out.addfile(member, io.BytesIO(payload))
    with pytest.raises(ArchiveError, match=r"pack/faq\.jsonl: checksum mismatch"):
        store.install_archive(tampered)
    assert snapshot(store.root) == before
    assert not list(store.root.glob(".staging-*"))


def test_a_failing_check_changes_nothing(
    tiny: Path, build: Callable[[Path], Path], tmp_path: Path
) -> None:
    store = PackStore(tmp_path / "data")
    archive = build(tiny)

    def refuse(directory: Path, manifest: dict[str, Any]) -> None:
        assert (directory / "manifest.json").is_file()
        raise InstallError("refused by the check")

    with pytest.raises(InstallError, match="refused by the check"):
        store.install_archive(archive, check=refuse)
    assert snapshot(store.root) == {}
    assert store.versions() == []


def test_unknown_names_and_versions(tmp_path: Path) -> None:
    store = PackStore(tmp_path / "data")
    with pytest.raises(PackNotFoundError, match="no active version of pack 'ghost'"):
        store.active("ghost")
    with pytest.raises(PackNotFoundError, match=r"has no installed version .9\.9\.9."):
        store.activate("ghost", "9.9.9")
    with pytest.raises(PackNotFoundError, match="is not installed"):
        store.rollback("ghost")


def test_install_refuses_a_pack_whose_plugin_is_not_installed(
    tiny: Path, build: Callable[[Path], Path], tmp_path: Path
) -> None:
    """An archive built elsewhere with a plugin this Kefu lacks is refused before recording."""
    import io
    import tarfile

    from kefu.knowledge.archive import manifest_bytes

    archive = build(tiny)
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(foreign, "w:gz") as out:
        manifest = json.loads(source.extractfile("manifest.json").read())  # type: ignore[union-attr]
        toml = source.extractfile("pack/pack.toml").read()  # type: ignore[union-attr]
        toml = toml.replace(b'retriever = "bm25"', b'retriever = "vendor_search"')
        import hashlib

        manifest["files"]["pack/pack.toml"] = hashlib.sha256(toml).hexdigest()
        for member in source:
            data = source.extractfile(member)
            assert data is not None
            payload = data.read()
            if member.name == "pack/pack.toml":
                payload = toml
            elif member.name == "manifest.json":
                payload = manifest_bytes(manifest)
            member.size = len(payload)
            out.addfile(member, io.BytesIO(payload))
    store = PackStore(tmp_path / "data")
    with pytest.raises(PackError, match=r"no plugin .vendor_search. in namespace"):
        install(foreign, store)
    assert store.versions() == []


def _no_embedder() -> Any:
    raise AssertionError("the tiny pack's plugins never need an embedder")


BREAKAGES: dict[str, tuple[str, str, str]] = {
    # name: (file, how to break it, expected message)
    "malformed toml": ("pack.toml", "append:[plugins\n", "pack.toml:21:9: is not valid TOML"),
    "missing file": ("faq.jsonl", "delete", "faq.jsonl: is missing (required)"),
    "duplicate id": (
        "faq.jsonl",
        'append:{"id": "hours", "question": "Open late?", "answer": "No."}\n',
        "faq.jsonl:4: duplicate id 'hours' (first on line 3)",
    ),
    "unknown plugin": (
        "pack.toml",
        "replace:tfidf:bert",
        "pack.toml:11: unknown intent plugin 'bert'",
    ),
    "byte-order mark": ("intents.csv", "bom", "intents.csv:1: starts with a UTF-8 byte-order"),
    "latin-1 text": ("docs/returns.md", "latin1", "docs/returns.md:9: is not UTF-8 (byte 0xe9"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_bad_pack_folder_is_refused_and_nothing_changes(
    breakage: str, tiny: Path, build: Callable[[Path], Path], tmp_path: Path
) -> None:
    from kefu.knowledge.errors import PackInvalidError

    store = PackStore(tmp_path / "data")
    store.install_archive(build(tiny))
    before = snapshot(store.root)
    set_version(tiny, "1.1.0")
    file, how, expected = BREAKAGES[breakage]
    path = tiny / file
    if how == "delete":
        path.unlink()
    elif how == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    elif how == "latin1":
        path.write_bytes(path.read_bytes() + "\nCaf\u00e9 returns.\n".encode("latin-1"))
    elif how.startswith("append:"):
        path.write_text(path.read_text() + how.removeprefix("append:"))
    else:
        old, new = how.removeprefix("replace:").split(":")
        path.write_text(path.read_text().replace(f'"{old}"', f'"{new}"'))
    with pytest.raises(PackInvalidError) as raised:
        install(tiny, store, embedder_factory=_no_embedder)
    assert any(str(problem).startswith(expected) for problem in raised.value.problems), [
        str(p) for p in raised.value.problems
    ]
    assert snapshot(store.root) == before
    assert store.active("tiny").version == "1.0.0"


def test_licence_and_notice_files_travel_with_the_pack(
    tiny: Path, build: Callable[[Path], Path], tmp_path: Path
) -> None:
    (tiny / "NOTICE.md").write_text("Contains data under CC BY 4.0.\n")
    (tiny / "LICENSES").mkdir()
    (tiny / "LICENSES" / "CC-BY-4.0.txt").write_text("licence text\n")
    (tiny / "LICENSES" / ".DS_Store").write_bytes(b"junk")
    installed = PackStore(tmp_path / "data").install_archive(build(tiny))
    assert (installed.path / "pack" / "NOTICE.md").read_text() == "Contains data under CC BY 4.0.\n"
    assert (installed.path / "pack" / "LICENSES" / "CC-BY-4.0.txt").is_file()
    assert not (installed.path / "pack" / "LICENSES" / ".DS_Store").exists()
