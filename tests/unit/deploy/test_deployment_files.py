"""The Dockerfile and compose file lint clean and stay in step with Kefu's settings."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from kefu.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert Path(found).exists(), "hadolint is part of the test dependencies"
    return found


def settings_fields() -> set[str]:
    return {f"KEFU_{name.upper()}" for name in Settings.model_fields}


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run([hadolint(), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_sets_only_real_settings_and_pins_cpu_torch() -> None:
    text = (ROOT / "Dockerfile").read_text()
    used = set(re.findall(r"\bKEFU_[A-Z_]+", text))
    assert used and used <= settings_fields(), used - settings_fields()
    assert "-c constraints.txt" in text
    assert re.search(r'torch==2\.13\.0', text)


def test_compose_runs_kefu_with_postgres_and_redis() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"kefu", "postgres", "redis"}
    env = services["kefu"]["environment"]
    assert set(env) <= settings_fields(), set(env) - settings_fields()
    assert env["KEFU_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env["KEFU_BUS_URL"].startswith("redis://redis:6379")
    for dependency in ("postgres", "redis"):
        assert services["kefu"]["depends_on"][dependency]["condition"] == "service_healthy"
        assert "healthcheck" in services[dependency]
