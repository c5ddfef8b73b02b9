"""Sensitive-word lists: the ``word<TAB>category<TAB>action`` file format and the default list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kefu.contracts import FilterAction
from kefu_plugins.filters.normalise import normalise

DEFAULT_LIST = "default_words.txt"

_CATEGORY = re.compile(r"^[\w.-]{1,64}$")
_ACTIONS = {action.value: action for action in FilterAction}


class WordListError(ValueError):
    """A word list is unreadable or has a bad line; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class WordEntry:
    """One listed term with its category and what to do when it is found.

    ``action`` ALLOW switches off a term listed earlier (e.g. a default word a site does not want).
    """

    term: str
    category: str
    action: FilterAction
    origin: str


def parse_word_list(text: str, origin: str) -> list[WordEntry]:
    """Parse a word list; ``origin`` (a file name) prefixes every error as ``origin:line``.

    One entry per line as ``word<TAB>category<TAB>action`` with action one of allow, flag, mask,
    block. Blank lines and lines starting with ``#`` are ignored. A word listed twice with
    different settings is an error.
    """
    entries: list[WordEntry] = []
    first_seen: dict[str, tuple[int, WordEntry]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{origin}:{number}"
        fields = line.split("\t")
        if len(fields) != 3:
            raise WordListError(
                f"{where}: expected 'word<TAB>category<TAB>action' (3 tab-separated fields), "
                f"got {len(fields)} in {line!r}"
            )
        term, category, action_name = (field.strip() for field in fields)
        if not term:
            raise WordListError(f"{where}: the word is empty")
        if not _CATEGORY.match(category):
            raise WordListError(
                f"{where}: category {category!r} must be 1-64 letters, digits, '_', '.' or '-'"
            )
        action = _ACTIONS.get(action_name.lower())
        if action is None:
            raise WordListError(
                f"{where}: unknown action {action_name!r}; use one of {', '.join(_ACTIONS)}"
            )
        key = normalise(term).text.strip()
        if not key:
            raise WordListError(
                f"{where}: the word {term!r} is only spaces or invisible characters"
            )
        entry = WordEntry(term, category, action, where)
        previous = first_seen.get(key)
        if previous is not None:
            line_no, earlier = previous
            if (earlier.category, earlier.action) != (category, action):
                raise WordListError(
                    f"{where}: {term!r} is already listed on line {line_no} "
                    f"as {earlier.category}/{earlier.action.value}"
                )
            continue
        first_seen[key] = (number, entry)
        entries.append(entry)
    return entries


def read_word_file(path: Path) -> list[WordEntry]:
    """Read and parse a UTF-8 word-list file, with errors that name it."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise WordListError(f"{path}: sensitive-word file not found") from exc
    except UnicodeDecodeError as exc:
        raise WordListError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise WordListError(f"{path}: cannot read sensitive-word file: {exc}") from exc
    return parse_word_list(text, str(path))


def default_words() -> list[WordEntry]:
    """The built-in list shipped with Kefu (abuse, fraud phrases, self-harm signals)."""
    source = resources.files(__package__).joinpath(DEFAULT_LIST)
    origin = f"kefu_plugins.filters/{DEFAULT_LIST}"
    return parse_word_list(source.read_text(encoding="utf-8"), origin)
