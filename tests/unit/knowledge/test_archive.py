"""The archive: reproducible bytes, verified extraction, refusal of tampered archives."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from kefu.knowledge.archive import (
    MANIFEST,
    extract_verified,
    read_manifest,
    verify_directory,
    write_archive,
)
from kefu.knowledge.errors import ArchiveError


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    root = tmp_path / "staging"
    (root / "model" / "intent").mkdir(parents=True)
    (root / "model" / "intent" / "weights.bin").write_bytes(bytes(range(256)) * 4)
    (root / "pack").mkdir()
    (root / "pack" / "pack.toml").write_text('[pack]\nname = "x"\n')
    return root


def rewrite(archive: Path, target: Path, change: dict[str, bytes | None]) -> None:
    """Copy ``archive`` to ``target`` replacing (bytes) or dropping (None) some members."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source:
            data = source.extractfile(member)
            assert data is not None
            payload = data.read()
            if member.name in change:
                replacement = change.pop(member.name)
                if replacement is None:
                    continue
                payload = bytes(replacement)
            member.size = len(payload)
            out.addfile(member, io.BytesIO(payload))
        for name, extra in change.items():
            assert extra is not None
            info = tarfile.TarInfo(name)
            info.size = len(extra)
            out.addfile(info, io.BytesIO(extra))


def test_same_input_gives_byte_identical_archives(staging: Path, tmp_path: Path) -> None:
    first = tmp_path / "a.tar.gz"
    second = tmp_path / "b.tar.gz"
    write_archive(staging, {"pack": {"name": "x"}}, first)
    (staging / "pack" / "pack.toml").touch()  # a new mtime changes nothing
    write_archive(staging, {"pack": {"name": "x"}}, second)
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == [
        MANIFEST,
        "model/intent/weights.bin",
        "pack/pack.toml",
    ]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.mode) for m in members} == {
        (946_684_800, 0, 0, "", 0o644)
    }
    with gzip.open(first) as gz:
        gz.read(1)
    assert first.read_bytes()[4:8] == b"\x00\x00\x00\x00"  # no timestamp in the gzip header


def test_extraction_verifies_and_returns_the_manifest(staging: Path, tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    written = write_archive(staging, {"pack": {"name": "x"}}, archive)
    assert read_manifest(archive) == written
    target = tmp_path / "out"
    manifest = extract_verified(archive, target)
    assert (
        manifest["files"]["model/intent/weights.bin"]
        == written["files"]["model/intent/weights.bin"]
    )
    assert (target / "model/intent/weights.bin").read_bytes() == bytes(range(256)) * 4
    assert verify_directory(target) == manifest


def test_a_checksum_mismatch_is_refused(staging: Path, tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    write_archive(staging, {}, archive)
    tampered = tmp_path / "t.tar.gz"
    rewrite(archive, tampered, {"model/intent/weights.bin": b"evil"})
    with pytest.raises(ArchiveError, match=r"model/intent/weights.bin: checksum mismatch"):
        extract_verified(tampered, tmp_path / "out")


def test_missing_unlisted_and_unsafe_members_are_all_reported(
    staging: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "a.tar.gz"
    write_archive(staging, {}, archive)
    tampered = tmp_path / "t.tar.gz"
    rewrite(
        archive,
        tampered,
        {"pack/pack.toml": None, "extra.txt": b"x", "../escape.txt": b"x"},
    )
    with pytest.raises(ArchiveError) as raised:
        extract_verified(tampered, tmp_path / "out")
    message = str(raised.value)
    assert "pack/pack.toml: listed in manifest.json but missing" in message
    assert "extra.txt: not listed in manifest.json" in message
    assert "../escape.txt: unsafe path" in message
    assert not (tmp_path / "escape.txt").exists()


def test_not_an_archive_and_foreign_formats(tmp_path: Path, staging: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(ArchiveError, match="is not a Kefu pack archive"):
        read_manifest(junk)
    archive = tmp_path / "a.tar.gz"
    write_archive(staging, {}, archive)
    future = tmp_path / "f.tar.gz"
    manifest = read_manifest(archive)
    manifest["format"] = 99
    rewrite(archive, future, {MANIFEST: json.dumps(manifest).encode()})
    with pytest.raises(ArchiveError, match="pack format 99 is not supported"):
        read_manifest(future)


def test_an_installed_directory_that_changed_is_refused(staging: Path, tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    write_archive(staging, {}, archive)
    target = tmp_path / "out"
    extract_verified(archive, target)
    (target / "pack" / "pack.toml").write_text("changed")
    (target / "stray.bin").write_bytes(b"")
    with pytest.raises(ArchiveError) as raised:
        verify_directory(target)
    assert "pack/pack.toml: checksum mismatch" in str(raised.value)
    assert "stray.bin: not listed" in str(raised.value)
