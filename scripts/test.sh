#!/usr/bin/env bash
# Installs Kefu with its test tools into .venv and runs every check: lint, types, tests.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/unit -x).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh

# The browser tests drive Debian's Chromium (a browser download is not possible here).
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -q && apt-get install -y -q chromium
fi
# Chinese glyphs for the screenshots (the tests pass without them).
dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || apt-get install -y -q fonts-wqy-zenhei || true

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# constraints.txt pins the CPU build of torch; without it pip pulls ~3 GB of CUDA wheels.
.venv/bin/python -m pip install -q -c constraints.txt -e '.[test]'
# stevedore caches entry points by coarse file times; a fresh install must not read a stale cache.
rm -rf "${HOME}/.cache/python-entrypoints"

.venv/bin/ruff check engine plugins tests benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
