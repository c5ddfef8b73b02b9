"""The web pages' scripts never hand text to an HTML or code parser.

Every script under engine/kefu/web/static/ builds its DOM through ``el()``/``replace()``
(text nodes only). This scan fails, naming file:line, as soon as one uses a sink that parses
markup or code: innerHTML, outerHTML, insertAdjacentHTML, document.write, eval, new Function,
or setTimeout/setInterval given a string.
"""

from __future__ import annotations

import re
from pathlib import Path

import kefu.web

STATIC = Path(kefu.web.__file__).parent / "static"

#: (name, pattern) of each unsafe sink.
SINKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("innerHTML", re.compile(r"\binnerHTML\b")),
    ("outerHTML", re.compile(r"\bouterHTML\b")),
    ("insertAdjacentHTML", re.compile(r"\binsertAdjacentHTML\b")),
    ("createContextualFragment", re.compile(r"\bcreateContextualFragment\b")),
    ("document.write", re.compile(r"\bdocument\s*\.\s*write(?:ln)?\s*\(")),
    ("eval(", re.compile(r"\beval\s*\(")),
    ("new Function", re.compile(r"\bnew\s+Function\b")),
    ("string timer", re.compile(r"\bset(?:Timeout|Interval)\s*\(\s*[\"'`]")),
)


def _code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line that is not only a comment.

    A code line is scanned whole, trailing comment included: a sink named there fails too.
    """
    lines: list[tuple[int, str]] = []
    in_block = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_block:
            if "*/" not in stripped:
                continue
            in_block = False
            stripped = stripped.split("*/", 1)[1].strip()
            if not stripped:
                continue
        elif stripped.startswith("//"):
            continue
        elif stripped.startswith("/*"):
            if "*/" not in stripped[2:]:
                in_block = True
                continue
            rest = stripped[2:].split("*/", 1)[1].strip()
            if not rest:
                continue
        lines.append((number, line))
    return lines


def unsafe_sinks(directory: Path) -> list[str]:
    """``path:line: sink: code`` for each unsafe DOM sink in the .js files under ``directory``."""
    found: list[str] = []
    for path in sorted(directory.rglob("*.js")):
        shown = path.relative_to(directory)
        for number, line in _code_lines(path.read_text(encoding="utf-8")):
            for name, pattern in SINKS:
                if pattern.search(line):
                    found.append(f"{shown}:{number}: {name}: {line.strip()}")
    return found


def test_static_scripts_use_no_unsafe_sink() -> None:
    scripts = sorted(STATIC.rglob("*.js"))
    # The scan must see the real pages: the widget, the workbench and the admin scripts.
    assert {p.parent.name for p in scripts} >= {"static", "widget", "workbench", "admin", "shared"}
    assert len(scripts) >= 20, scripts
    assert unsafe_sinks(STATIC) == []


BAD = """\
// innerHTML in a comment is no sink.
/* neither is
   el.innerHTML = x in a block comment */
import { el } from "./dom.js";
node.innerHTML = text;
const copy = node.outerHTML;
node.insertAdjacentHTML("beforeend", text);
document.write(text);
const value = eval(source);
const fn = new Function("a", source);
setTimeout("tick()", 10);
setInterval( 'tick()', 10);
setTimeout(() => tick(), 10);
const retrieval = retrieval(x); // a call whose name ends in eval
range.createContextualFragment(text);
ok(); /* setTimeout(`x`, 1) */
"""


def test_scanner_names_each_unsafe_line(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "bad.js").write_text(BAD, encoding="utf-8")
    (tmp_path / "good.js").write_text(
        "// Builds nodes; never innerHTML.\nreplace(root, el('p', {}, text));\n"
        "setTimeout(() => note.remove(), 4000);\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("node.innerHTML = x;\n", encoding="utf-8")
    found = unsafe_sinks(tmp_path)
    where = [line.split(": ", 2)[:2] for line in found]
    assert where == [
        ["shared/bad.js:5", "innerHTML"],
        ["shared/bad.js:6", "outerHTML"],
        ["shared/bad.js:7", "insertAdjacentHTML"],
        ["shared/bad.js:8", "document.write"],
        ["shared/bad.js:9", "eval("],
        ["shared/bad.js:10", "new Function"],
        ["shared/bad.js:11", "string timer"],
        ["shared/bad.js:12", "string timer"],
        ["shared/bad.js:15", "createContextualFragment"],
        ["shared/bad.js:16", "string timer"],
    ], found
    assert found[0] == "shared/bad.js:5: innerHTML: node.innerHTML = text;"


def test_scanner_passes_a_clean_directory(tmp_path: Path) -> None:
    (tmp_path / "clean.js").write_text(
        "export const x = el('b', { text: label });\nsetInterval(() => poll(), 5000);\n",
        encoding="utf-8",
    )
    assert unsafe_sinks(tmp_path) == []
