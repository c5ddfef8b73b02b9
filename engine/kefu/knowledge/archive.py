"""The built-pack archive: one reproducible tar.gz with a manifest of sha256 checksums.

Layout::

    manifest.json        identity, plugins, embedding model, eval figures, {path: sha256}
    pack/...             the pack's source files (pack.toml, intents.csv, faq.jsonl, docs/...)
    model/intent/...     the trained intent recognizer (its ``save``)
    model/retriever/...  the built retrieval index (its ``save``)

The same inputs give a byte-identical archive: members are sorted, every timestamp, owner and
mode is fixed, and the gzip header carries no name or time. Reading verifies the checksum of
every member, refuses members the manifest does not list (and listed files that are missing),
links, devices and paths that would escape the destination.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import IO, Any

from kefu.knowledge.errors import ArchiveError

MANIFEST = "manifest.json"
FORMAT = 1
_CHUNK = 1 << 20
#: 2000-01-01T00:00:00Z, the timestamp of every member (tar readers dislike 0 less than others).
_EPOCH = 946_684_800


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_checksums(directory: Path) -> dict[str, str]:
    """``{relative posix path: sha256}`` of every file under ``directory``, sorted by path."""
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    return {p.relative_to(directory).as_posix(): sha256_file(p) for p in files}


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The canonical JSON encoding of a manifest (sorted keys, UTF-8, trailing newline)."""
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return (text + "\n").encode("utf-8")


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = _EPOCH
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_archive(staging: Path, manifest: Mapping[str, Any], out: Path) -> dict[str, Any]:
    """Write ``staging``'s files and the manifest (plus their checksums) into ``out``.

    The archive is written next to ``out`` and renamed into place, so a failed build never
    leaves a truncated archive behind. Returns the manifest as written.
    """
    files = tree_checksums(staging)
    if MANIFEST in files:
        raise ValueError(f"{staging} must not contain a {MANIFEST} of its own")
    full = {**manifest, "format": FORMAT, "files": files}
    body = manifest_bytes(full)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        with partial.open("wb") as raw:
            with (
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
                tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
            ):
                tar.addfile(_member(MANIFEST, len(body)), io.BytesIO(body))
                for name in files:
                    path = staging / name
                    with path.open("rb") as stream:
                        tar.addfile(_member(name, path.stat().st_size), stream)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return full


def _open(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise ArchiveError(f"{path} is not a file")
    try:
        return tarfile.open(path, mode="r:gz")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"{path} is not a Kefu pack archive (a tar.gz): {exc}") from exc


def _parse_manifest(data: bytes, where: str) -> dict[str, Any]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ArchiveError(f"{where}: {MANIFEST} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ArchiveError(f"{where}: {MANIFEST} must hold a JSON object")
    if manifest.get("format") != FORMAT:
        raise ArchiveError(
            f"{where}: pack format {manifest.get('format')!r} is not supported "
            f"(this Kefu reads format {FORMAT}); rebuild the pack"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise ArchiveError(f"{where}: {MANIFEST} has no valid 'files' checksum table")
    return manifest


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of an archive, without extracting anything else."""
    with _open(path) as tar:
        try:
            member = tar.getmember(MANIFEST)
            stream = tar.extractfile(member)
        except KeyError as exc:
            raise ArchiveError(f"{path} has no {MANIFEST}: not a built Kefu pack") from exc
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ArchiveError(f"{path} is damaged: {exc}") from exc
        if stream is None:
            raise ArchiveError(f"{path}: {MANIFEST} is not a regular file")
        return _parse_manifest(stream.read(), str(path))


def _safe_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return bool(name) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in name


def _copy(stream: IO[bytes], target: Path) -> str:
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for block in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def extract_verified(path: Path, destination: Path) -> dict[str, Any]:
    """Extract ``path`` into the empty directory ``destination``, verifying every checksum.

    Raises :class:`ArchiveError` listing every mismatching, missing or unexpected member; the
    caller discards ``destination`` then. Returns the manifest.
    """
    manifest = read_manifest(path)
    expected: dict[str, str] = manifest["files"]
    errors: list[str] = []
    seen: set[str] = set()
    with _open(path) as tar:
        try:
            for member in tar:
                name = member.name
                if name == MANIFEST:
                    continue
                if member.isdir():
                    continue
                if not member.isfile():
                    errors.append(f"{name}: not a regular file (links and devices are refused)")
                    continue
                if not _safe_name(name):
                    errors.append(f"{name}: unsafe path")
                    continue
                if name not in expected:
                    errors.append(f"{name}: not listed in {MANIFEST}")
                    continue
                stream = tar.extractfile(member)
                if stream is None:
                    errors.append(f"{name}: cannot be read")
                    continue
                seen.add(name)
                actual = _copy(stream, destination / name)
                if actual != expected[name]:
                    errors.append(
                        f"{name}: checksum mismatch (manifest {expected[name][:12]}…, "
                        f"archive {actual[:12]}…)"
                    )
        except (tarfile.TarError, OSError, EOFError) as exc:
            errors.append(f"damaged archive: {exc}")
    errors.extend(
        f"{name}: listed in {MANIFEST} but missing" for name in sorted(set(expected) - seen)
    )
    if errors:
        raise ArchiveError(f"{path} failed verification:\n  " + "\n  ".join(errors))
    (destination / MANIFEST).write_bytes(manifest_bytes(manifest))
    return manifest


def verify_directory(directory: Path) -> dict[str, Any]:
    """Check an extracted pack against its manifest (before loading it); returns the manifest."""
    path = directory / MANIFEST
    if not path.is_file():
        raise ArchiveError(f"{directory} has no {MANIFEST}: not an installed Kefu pack")
    manifest = _parse_manifest(path.read_bytes(), str(directory))
    actual = tree_checksums(directory)
    actual.pop(MANIFEST, None)
    expected: dict[str, str] = manifest["files"]
    errors = [
        f"{name}: checksum mismatch"
        for name in sorted(expected)
        if name in actual and actual[name] != expected[name]
    ]
    errors.extend(f"{name}: missing" for name in sorted(set(expected) - set(actual)))
    errors.extend(
        f"{name}: not listed in {MANIFEST}" for name in sorted(set(actual) - set(expected))
    )
    if errors:
        raise ArchiveError(f"{directory} failed verification:\n  " + "\n  ".join(errors))
    return manifest
