"""The child side of an isolated build (see :mod:`kefu.knowledge.build`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kefu.knowledge.build import build_pack
from kefu.knowledge.errors import PackInvalidError


def main(argv: list[str]) -> int:
    """Entry point of the isolated build: ``SOURCE OUT RESULT_JSON --progress|--quiet``."""
    source, out, result_file, mode = argv
    result: dict[str, Any]
    try:
        built = build_pack(source, out, progress=mode == "--progress", isolate=False)
        result = {
            "archive": str(built.archive),
            "manifest": built.manifest,
            "report": built.report.to_dict(),
        }
    except PackInvalidError as exc:
        result = {"error": "invalid", "problems": [p.to_dict() for p in exc.problems]}
    except Exception as exc:  # reported to the parent, which raises it as a PackError
        result = {"error": type(exc).__name__, "message": f"{type(exc).__name__}: {exc}"}
    Path(result_file).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
