"""The web router over HTTP: pages, their security headers, static caching, plugin listing."""

from __future__ import annotations

import httpx

from support.client import login
from support.server import ServerProcess


async def test_pages_are_served_with_a_strict_policy(shared_web_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=shared_web_server.http_url, timeout=10) as http:
        for path, marker in (
            ("/", b"/static/widget.js"),
            ("/workbench", b"/static/workbench/main.js"),
            ("/admin", b"/static/admin/main.js"),
        ):
            page = await http.get(path)
            assert page.status_code == 200, path
            assert page.headers["content-type"].startswith("text/html")
            assert marker in page.content
            # Every policy sent is enforced: the page's own is the strictest of them.
            policies = page.headers.get_list("content-security-policy")
            assert any("connect-src 'self';" in p for p in policies), policies
            assert all("frame-ancestors 'none'" in p for p in policies)
            assert all("unsafe-inline" not in p and "unsafe-eval" not in p for p in policies)
            assert "nosniff" in page.headers["x-content-type-options"]
            # No inline scripts or styles anywhere, so the policy needs no exceptions.
            assert b"<script>" not in page.content and b"style=" not in page.content

        script = await http.get("/static/widget.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert script.headers["cache-control"] == "max-age=600, public"
        assert script.headers["access-control-allow-origin"] == "*"
        etag = script.headers["etag"]
        again = await http.get("/static/widget.js", headers={"If-None-Match": etag})
        assert again.status_code in (200, 304)
        assert (await http.get("/static/%2e%2e/router.py")).status_code == 404
        assert (await http.get("/static/nothing.js")).status_code == 404


async def test_plugin_listing_is_for_supervisors_and_lists_every_namespace(
    shared_web_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=shared_web_server.http_url, timeout=10) as http:
        assert (await http.get("/api/plugins")).status_code == 401
        alice = await login(shared_web_server.http_url, "alice")
        as_agent = {"Authorization": f"Bearer {alice['token']}"}
        assert (await http.get("/api/plugins", headers=as_agent)).status_code == 403
        bob = await login(shared_web_server.http_url, "bob")  # a supervisor
        answer = await http.get("/api/plugins", headers={"Authorization": f"Bearer {bob['token']}"})
    assert answer.status_code == 200
    listing = answer.json()
    assert listing["loaded"] is False
    names = {(p["namespace"], p["name"]) for p in listing["plugins"]}
    assert {("kefu.policy", "handoff"), ("kefu.bus", "memory")} <= names
    assert all(p["distribution"] for p in listing["plugins"])
