"""Installing a knowledge pack by uploading its archive to ``POST /api/packs`` on a real server.

A good archive is installed, listed with its evaluation figures and, when activated, served at
once; a damaged, mistyped or oversized upload gets a clear error and changes nothing installed.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixtures_servers import ServerFactory
from kefu.knowledge.build import build_pack
from kefu.knowledge.store import PackStore
from support.client import FrameClient, login, new_id, visitor

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "knowledge" / "tiny"
CARD_ANSWER = "Cards arrive within 5 working days of your order."
NEW_CARD_ANSWER = "Cards now arrive within 2 days."


def _build(root: Path, version: str, answer: str) -> Path:
    pack = root / f"tiny-{version}"
    shutil.copytree(TINY, pack)
    toml = pack / "pack.toml"
    toml.write_text(toml.read_text().replace('version = "1.0.0"', f'version = "{version}"'))
    faq = pack / "faq.jsonl"
    faq.write_text(faq.read_text().replace(CARD_ANSWER, answer))
    out = root / f"out-{version}"
    out.mkdir()
    return build_pack(pack, out, isolate=False).archive


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny pack built as version 1.0.0 and as 1.1.0 (with another card answer)."""
    root = tmp_path_factory.mktemp("upload-packs")
    return {
        "1.0.0": _build(root, "1.0.0", CARD_ANSWER),
        "1.1.0": _build(root, "1.1.0", NEW_CARD_ANSWER),
    }


async def _token(server_url: str, username: str) -> dict[str, str]:
    answer = await login(server_url, username)
    return {"Authorization": f"Bearer {answer['token']}"}


async def _upload(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    filename: str = "tiny.kpack",
    activate: str | None = None,
) -> httpx.Response:
    data = {} if activate is None else {"activate": activate}
    files = {"archive": (filename, content, "application/gzip")}
    return await http.post("/api/packs", headers=headers, files=files, data=data)


async def _ask(client: FrameClient, text: str) -> str:
    await client.send({"type": "message", "client_msg_id": new_id(), "text": text})
    ack = await client.expect("ack")
    reply = await client.expect(
        "message", lambda f: f.get("sender") == "bot" and f["seq"] > ack["seq"], wait=30
    )
    answer: str = reply["text"]
    return answer


def _leftovers(data_dir: Path) -> list[Path]:
    uploads = data_dir / "uploads"
    return sorted(uploads.rglob("*")) if uploads.exists() else []


async def test_uploaded_archive_is_installed_listed_and_served_at_once(
    kefu_server: ServerFactory, tmp_path: Path, archives: dict[str, Path]
) -> None:
    data_dir = tmp_path / "data"
    PackStore(data_dir).install_archive(archives["1.0.0"])
    server = kefu_server(data_dir=data_dir, pack="tiny")
    admin = await _token(server.http_url, "admin")
    visitor_client, _ = await visitor(server.ws_url)
    assert await _ask(visitor_client, "my card still has not come") == CARD_ANSWER

    async with httpx.AsyncClient(base_url=server.http_url, timeout=120) as http:
        # Installed without activation: listed, but the served version stays.
        response = await _upload(http, admin, archives["1.1.0"].read_bytes(), "tiny-1.1.0.kpack")
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        assert body["installed"]["version"] == "1.1.0"
        assert body["installed"]["active"] is False
        assert body["serving"] is None
        listed = (await http.get("/api/packs", headers=admin)).json()
        assert [(p["version"], p["active"]) for p in listed["packs"]] == [
            ("1.0.0", True),
            ("1.1.0", False),
        ]
        assert listed["packs"][1]["eval"]["intent_accuracy"] is not None
        assert listed["packs"][1]["source"] == "upload:tiny-1.1.0.kpack"
        assert listed["serving"]["version"] == "1.0.0"

        # The same archive again, activated: the process swaps it in before answering.
        response = await _upload(
            http, admin, archives["1.1.0"].read_bytes(), "tiny-1.1.0.kpack", activate="true"
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["installed"]["active"] is True
        assert body["serving"]["version"] == "1.1.0"
        assert body["serving"]["error"] is None
        assert await _ask(visitor_client, "my card still has not come") == NEW_CARD_ANSWER

        # Who installed what is in the audit log.
        entries = (
            await http.get("/api/audit", params={"action": "pack.install"}, headers=admin)
        ).json()
        assert [e["data"]["version"] for e in entries] == ["1.1.0", "1.1.0"]
        assert {e["subject"] for e in entries} == {"pack:tiny"}
        assert entries[0]["actor"].startswith("agent:")
        assert [e["data"]["activate"] for e in entries] == [False, True]
    await visitor_client.close()
    assert _leftovers(data_dir) == []


def _tampered(archive: Path) -> bytes:
    """The archive with one answer changed after it was built (its checksum no longer fits)."""
    out = io.BytesIO()
    edited = 0
    with tarfile.open(archive, "r:gz") as src, tarfile.open(fileobj=out, mode="w:gz") as dst:
        for member in src.getmembers():
            extracted = src.extractfile(member) if member.isfile() else None
            data = extracted.read() if extracted is not None else None
            if data is not None and member.name.endswith("faq.jsonl"):
                data = data.replace(b"within 3 days", b"within 9 days")
                member.size = len(data)
                edited += 1
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    assert edited == 1
    return out.getvalue()


async def test_bad_uploads_are_refused_and_change_nothing(
    kefu_server: ServerFactory, tmp_path: Path, archives: dict[str, Path]
) -> None:
    data_dir = tmp_path / "data"
    PackStore(data_dir).install_archive(archives["1.0.0"])
    server = kefu_server(data_dir=data_dir, pack="tiny", pack_upload_max_bytes="200000")
    admin = await _token(server.http_url, "admin")
    good = archives["1.1.0"].read_bytes()
    assert len(good) < 200_000

    async with httpx.AsyncClient(base_url=server.http_url, timeout=120) as http:
        before = (await http.get("/api/packs", headers=admin)).json()

        async def refused(response: httpx.Response, status: int, words: str) -> None:
            assert response.status_code == status, response.text
            assert words in response.json()["detail"], response.json()
            assert (await http.get("/api/packs", headers=admin)).json() == before
            assert _leftovers(data_dir) == []

        await refused(
            await _upload(http, admin, b"this is not a gzip file", activate="true"),
            422,
            "the archive was refused, nothing installed changed: tiny.kpack",
        )
        await refused(
            await _upload(http, admin, _tampered(archives["1.1.0"]), activate="true"),
            422,
            "faq.jsonl",
        )
        await refused(
            await _upload(http, admin, good, filename="notes.txt", activate="true"),
            415,
            "'notes.txt' is not a pack archive",
        )
        await refused(
            await http.post("/api/packs", headers=admin, json={"source": str(archives["1.1.0"])}),
            415,
            "multipart/form-data",
        )
        await refused(
            await http.post("/api/packs", headers=admin, files={"other": ("a.kpack", good)}),
            400,
            "unexpected file field 'other'",
        )
        await refused(
            await _upload(http, admin, good, activate="maybe"),
            400,
            "'activate' must be true or false",
        )
        await refused(
            await _upload(http, admin, good + b"\0" * 300_000, activate="true"),
            413,
            "larger than the upload limit of 200000 bytes",
        )

        # A body that does not announce its length is cut off while it streams.
        async def chunks() -> Any:
            boundary = b"kefu-test-boundary"
            yield b"--" + boundary + b"\r\n"
            yield b'Content-Disposition: form-data; name="archive"; filename="big.kpack"\r\n\r\n'
            for _ in range(40):
                yield b"\1" * 10_000
            yield b"\r\n--" + boundary + b"--\r\n"

        streamed = await http.post(
            "/api/packs",
            headers={**admin, "Content-Type": "multipart/form-data; boundary=kefu-test-boundary"},
            content=chunks(),
        )
        await refused(streamed, 413, "larger than the upload limit")


async def test_only_admins_may_upload(
    kefu_server: ServerFactory, tmp_path: Path, archives: dict[str, Path]
) -> None:
    server = kefu_server(data_dir=tmp_path / "data")
    good = archives["1.0.0"].read_bytes()
    async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as http:
        for username in ("alice", "bob"):
            response = await _upload(http, await _token(server.http_url, username), good)
            assert response.status_code == 403, response.text
        assert (await _upload(http, {}, good)).status_code == 401
        admin = await _token(server.http_url, "admin")
        assert (await http.get("/api/packs", headers=admin)).json()["packs"] == []
        response = await _upload(http, admin, good)
        assert response.status_code == 201, response.text
        # Not activated by default, and this server serves no pack.
        assert response.json()["installed"]["active"] is False
        assert response.json()["serving"] is None


async def test_uploads_may_exceed_the_general_body_limit_other_routes_may_not(
    kefu_server: ServerFactory, tmp_path: Path
) -> None:
    # Real packs (indexes, embeddings) are megabytes: the 1 MiB cap on request bodies must not
    # stand in front of the upload route, whose own limit applies instead.
    server = kefu_server(data_dir=tmp_path / "data", security_max_body_bytes=str(1024 * 1024))
    admin = await _token(server.http_url, "admin")
    big = b"\x1f\x8b" + bytes(range(256)) * 6_000  # 1.5 MB, gzip magic, not an archive
    async with httpx.AsyncClient(base_url=server.http_url, timeout=120) as http:
        response = await _upload(http, admin, big)
        assert response.status_code == 422, response.text
        assert "the archive was refused" in response.json()["detail"]
        elsewhere = await http.post(
            "/api/agents/login", content=b"{" + b" " * 1_500_000 + b"}", headers=admin
        )
        assert elsewhere.status_code == 413, elsewhere.text
        assert (await http.get("/api/packs", headers=admin)).json()["packs"] == []
