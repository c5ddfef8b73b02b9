"""Receives a pack archive sent as ``multipart/form-data``: streamed to disk, size-capped.

The request body is parsed as it arrives (never held in memory): the file part goes to a fresh
directory under ``directory`` in chunks, each written off the event loop, and the upload stops
with :class:`UploadTooLargeError` as soon as the file passes ``max_bytes``. Whatever goes wrong,
the partial file is removed.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from multipart import (  # type: ignore[import-untyped]
    MultipartError,
    MultipartSegment,
    ParserLimitReached,
    PushMultipartParser,
    parse_options_header,
)

#: The form field that carries the archive.
FILE_FIELD = "archive"
#: What ``kefu pack build`` writes; anything else is refused before it is stored.
ARCHIVE_SUFFIXES = (".kpack", ".tar.gz", ".tgz")
#: Form text fields are flags: a few bytes each.
MAX_TEXT_FIELD = 64
#: Room for the multipart framing and text fields on top of the archive itself.
FORM_OVERHEAD = 64 * 1024

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadError(Exception):
    """The request is not a usable archive upload; ``status_code`` is the HTTP answer."""

    status_code = 400


class UnsupportedUploadError(UploadError):
    """Not ``multipart/form-data``, or the file is not a pack archive by its name."""

    status_code = 415


class UploadTooLargeError(UploadError):
    """The archive (or the whole request) is larger than the configured cap."""

    status_code = 413


@dataclass(slots=True)
class ReceivedUpload:
    """An archive stored under a private directory, and the form's text fields."""

    path: Path
    filename: str
    fields: dict[str, str] = field(default_factory=dict)

    async def discard(self) -> None:
        """Remove the stored archive and its directory."""
        await asyncio.to_thread(shutil.rmtree, self.path.parent, True)


def safe_filename(name: str) -> str:
    """``name`` without directories or unusual characters (kept readable in messages)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip("._") or "upload"
    return cleaned[-128:]


def boundary_of(content_type: str) -> bytes:
    """The multipart boundary of a ``Content-Type`` header; raises UnsupportedUploadError."""
    kind, options = parse_options_header(content_type)
    boundary = options.get("boundary", "")
    if kind != "multipart/form-data" or not boundary:
        raise UnsupportedUploadError(
            f"send the archive as multipart/form-data with a file field {FILE_FIELD!r} "
            f"(got Content-Type {content_type or 'none'!r})"
        )
    return str(boundary).encode("latin-1")


def check_declared_length(content_length: str | None, max_bytes: int) -> None:
    """Refuse early when ``Content-Length`` already says the request is too large."""
    declared = int(content_length) if content_length and content_length.isdigit() else 0
    if declared > max_bytes + FORM_OVERHEAD:
        raise UploadTooLargeError(_too_large(max_bytes))


def _too_large(max_bytes: int) -> str:
    return (
        f"the archive is larger than the upload limit of {max_bytes} bytes "
        "(setting pack_upload_max_bytes, KEFU_PACK_UPLOAD_MAX_BYTES)"
    )


def _check_archive_name(filename: str) -> None:
    if not filename.lower().endswith(ARCHIVE_SUFFIXES):
        allowed = ", ".join(ARCHIVE_SUFFIXES)
        raise UnsupportedUploadError(
            f"{filename!r} is not a pack archive: upload the {allowed} file that "
            "`kefu pack build` writes"
        )


class _Receiver:
    """The state of one upload while its parts arrive."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.fields: dict[str, str] = {}
        self.upload: ReceivedUpload | None = None
        self._out: BinaryIO | None = None
        self._text: bytearray | None = None
        self._name = ""
        self._written = 0

    async def begin(self, segment: MultipartSegment) -> None:
        name = segment.name or ""
        if segment.filename is None:
            self._name, self._text = name, bytearray()
            return
        if name != FILE_FIELD:
            raise UploadError(f"unexpected file field {name!r}; send the archive as {FILE_FIELD!r}")
        if self.upload is not None:
            raise UploadError("send one archive per request")
        filename = safe_filename(segment.filename)
        _check_archive_name(filename)
        private = await asyncio.to_thread(self._private_directory)
        self.upload = ReceivedUpload(private / filename, filename)
        self._out = await asyncio.to_thread(self.upload.path.open, "wb")

    def _private_directory(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="upload-", dir=self.directory))

    async def data(self, chunk: bytes) -> None:
        if self._out is not None:
            self._written += len(chunk)
            if self._written > self.max_bytes:
                raise UploadTooLargeError(_too_large(self.max_bytes))
            await asyncio.to_thread(self._out.write, chunk)
        elif self._text is not None:
            self._text.extend(chunk)
            if len(self._text) > MAX_TEXT_FIELD:
                raise UploadError(f"form field {self._name!r} is too long")

    async def end(self) -> None:
        if self._out is not None:
            out, self._out = self._out, None
            await asyncio.to_thread(out.close)
        elif self._text is not None:
            self.fields[self._name] = self._text.decode("utf-8", "replace").strip()
            self._text = None

    async def abort(self) -> None:
        if self._out is not None:
            out, self._out = self._out, None
            await asyncio.to_thread(out.close)
        if self.upload is not None:
            await self.upload.discard()
            self.upload = None


async def receive_archive(
    stream: AsyncIterator[bytes], content_type: str, directory: Path, max_bytes: int
) -> ReceivedUpload:
    """Store the ``archive`` file part of a multipart body under ``directory``.

    Raises :class:`UploadError` (or a subclass) for anything but one ``.kpack``/``.tar.gz``
    file of at most ``max_bytes`` bytes; nothing is left on disk then.
    """
    parser = PushMultipartParser(
        boundary_of(content_type), max_segment_count=16, max_segment_size=max_bytes + 1
    )
    receiver = _Receiver(directory, max_bytes)
    try:
        async for chunk in stream:
            for event in parser.parse(chunk):
                if isinstance(event, MultipartSegment):
                    await receiver.begin(event)
                elif event:
                    await receiver.data(event)
                else:
                    await receiver.end()
            if parser.closed:
                break
        parser.close()
    except ParserLimitReached as exc:
        await receiver.abort()
        raise UploadTooLargeError(_too_large(max_bytes)) from exc
    except MultipartError as exc:
        await receiver.abort()
        raise UploadError(f"the multipart/form-data body is malformed: {exc}") from exc
    except BaseException:
        await receiver.abort()
        raise
    if receiver.upload is None:
        raise UploadError(f"the form has no file field {FILE_FIELD!r} with the pack archive")
    receiver.upload.fields = receiver.fields
    return receiver.upload


__all__ = [
    "ARCHIVE_SUFFIXES",
    "FILE_FIELD",
    "ReceivedUpload",
    "UnsupportedUploadError",
    "UploadError",
    "UploadTooLargeError",
    "boundary_of",
    "check_declared_length",
    "receive_archive",
    "safe_filename",
]
