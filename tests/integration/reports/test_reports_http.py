"""``GET /api/reports`` on a real Kefu server: who may read it, what it refuses, what it says."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from support.client import login, visitor
from support.server import ServerProcess


@pytest.fixture(scope="module")
def server(kefu_module_server: Any) -> ServerProcess:
    """One demo server (alice is an agent, bob a supervisor, admin an admin)."""
    started: ServerProcess = kefu_module_server()
    return started


async def bearer(server: ServerProcess, username: str) -> dict[str, str]:
    session = await login(server.http_url, username)
    return {"Authorization": f"Bearer {session['token']}"}


async def test_reports_are_for_supervisors_and_admins(server: ServerProcess) -> None:
    # One conversation, closed by its visitor before anyone was needed.
    client, welcome = await visitor(server.ws_url)
    await client.send({"type": "close"})
    await client.expect("event", lambda f: f["name"] == "closed")
    await client.close()

    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        assert (await http.get("/api/reports")).status_code == 401
        refused = await http.get("/api/reports", headers=await bearer(server, "alice"))
        assert refused.status_code == 403
        assert "supervisor" in refused.json()["detail"]
        for username in ("bob", "admin"):
            answer = await http.get(
                "/api/reports",
                params={"days": 2, "tz": "Asia/Shanghai"},
                headers=await bearer(server, username),
            )
            assert answer.status_code == 200, answer.text
            report = answer.json()
            assert report["period"]["days"] == 2 and report["period"]["tz"] == "Asia/Shanghai"
            assert report["conversations"] == 1
            assert sum(d["conversations"] for d in report["per_day"]) == 1
            assert len(report["per_day"]) == 2
            assert report["bot_resolution"] == {"value": 1.0, "count": 1, "of": 1}
            assert report["handoff"] == {"value": 0.0, "count": 0, "of": 1}
            assert report["resolution"]["count"] == 1
            assert report["first_response"] == {
                "count": 0,
                "p50": None,
                "p90": None,
                "buckets": report["first_response"]["buckets"],
            }
            assert [b["label"] for b in report["first_response"]["buckets"]] == [
                "≤30s",
                "≤1m",
                "≤2m",
                "≤5m",
                "≤10m",
                "≤30m",
                "≤1h",
                ">1h",
            ]
    assert welcome["conversation_id"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"days": "0"}, "days"),
        ({"days": "367"}, "days"),
        ({"days": "two"}, "days"),
        ({"tz": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"tz": "+15:00"}, "out of range"),
        ({"tz": ""}, "tz"),
        ({"tz": "x" * 65}, "tz"),
    ],
)
async def test_bad_parameters_are_refused_with_a_clear_error(
    server: ServerProcess, params: dict[str, str], message: str
) -> None:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        answer = await http.get(
            "/api/reports", params=params, headers=await bearer(server, "admin")
        )
    assert answer.status_code == 400
    assert message in answer.text


async def test_reports_are_described_in_the_openapi_document(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        document = (await http.get("/schema/openapi.json")).json()
    operation = document["paths"]["/api/reports"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"days", "tz"}
    assert "Report" in document["components"]["schemas"]
