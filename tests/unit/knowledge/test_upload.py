"""Receiving a pack archive from a multipart body: streamed to disk, capped, cleaned up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kefu.knowledge.upload import (
    UnsupportedUploadError,
    UploadError,
    UploadTooLargeError,
    receive_archive,
    safe_filename,
)

BOUNDARY = "b0undary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _part(name: str, body: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + body + b"\r\n"


def _body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*")) if root.exists() else []


async def _chunks(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_the_archive_part_is_stored_with_the_text_fields(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 20
    body = _body(_part("activate", b"true"), _part("archive", payload, "../../etc/tiny.kpack"))
    upload = await receive_archive(_chunks(body), CONTENT_TYPE, tmp_path, max_bytes=len(payload))
    assert upload.path.read_bytes() == payload
    assert upload.filename == "tiny.kpack"
    assert upload.path.parent.parent == tmp_path
    assert upload.fields == {"activate": "true"}
    await upload.discard()
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    ("body", "content_type", "error", "words"),
    [
        (_body(_part("archive", b"x" * 101, "a.kpack")), CONTENT_TYPE, UploadTooLargeError, "100"),
        (_body(_part("archive", b"x", "notes.txt")), CONTENT_TYPE, UnsupportedUploadError, "notes"),
        (
            _body(_part("archive", b"x", "a.kpack")),
            "application/json",
            UnsupportedUploadError,
            "json",
        ),
        (_body(_part("activate", b"true")), CONTENT_TYPE, UploadError, "no file field"),
        (_body(_part("archive", b"x" * 65, None)), CONTENT_TYPE, UploadError, "too long"),
        (_part("archive", b"x" * 50, "a.kpack"), CONTENT_TYPE, UploadError, "malformed"),
        (
            _body(_part("archive", b"x", "a.kpack"), _part("archive", b"y", "b.kpack")),
            CONTENT_TYPE,
            UploadError,
            "one archive",
        ),
    ],
    ids=[
        "too-large",
        "not-an-archive",
        "not-multipart",
        "no-file",
        "long-field",
        "truncated",
        "two",
    ],
)
async def test_bad_uploads_leave_nothing_behind(
    tmp_path: Path, body: bytes, content_type: str, error: type[UploadError], words: str
) -> None:
    with pytest.raises(error, match=words):
        await receive_archive(_chunks(body), content_type, tmp_path, max_bytes=100)
    assert _files(tmp_path) == []


def test_safe_filename_keeps_only_the_base_name() -> None:
    assert safe_filename("C:\\packs\\my pack.kpack") == "my_pack.kpack"
    assert safe_filename("../..") == "upload"
