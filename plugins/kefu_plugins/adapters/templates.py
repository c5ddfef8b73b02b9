"""``{placeholder}`` substitution for adapter mappings: paths, bodies and query parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kefu.integration.errors import AdapterConfigError

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def lookup(source: Any, dotted: str) -> Any:
    """The value at a dotted path (``a.b.0.c``) inside dicts and lists, or None."""
    value = source
    for part in dotted.split(".") if dotted else ():
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _resolve(name: str, values: Mapping[str, Any]) -> Any:
    head = name.split(".", 1)[0]
    if head not in values:
        raise AdapterConfigError(f"unknown placeholder {{{name}}}; known: {', '.join(values)}")
    return lookup(values, name)


def render(template: Any, values: Mapping[str, Any], *, url: bool = False) -> Any:
    """Fill placeholders: a string that is one placeholder keeps the value's type; others are
    formatted as text (URL-quoted when ``url``); dicts and lists are rendered recursively."""
    if isinstance(template, Mapping):
        return {k: render(v, values, url=url) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, values, url=url) for v in template]
    if not isinstance(template, str):
        return template
    whole = _PLACEHOLDER.fullmatch(template)
    if whole and not url:
        return _resolve(whole.group(1), values)

    def text(match: re.Match[str]) -> str:
        value = _resolve(match.group(1), values)
        rendered = "" if value is None else str(value)
        return quote(rendered, safe="") if url else rendered

    return _PLACEHOLDER.sub(text, template)


def placeholders(template: Any) -> set[str]:
    """Every placeholder name used in a template."""
    if isinstance(template, Mapping):
        return set().union(*(placeholders(v) for v in template.values())) if template else set()
    if isinstance(template, list):
        return set().union(*(placeholders(v) for v in template)) if template else set()
    if isinstance(template, str):
        return set(_PLACEHOLDER.findall(template))
    return set()


def check_customer_id(customer_id: object) -> str:
    """Validate a customer id before it goes into a URL or a query."""
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise ValueError("customer_id must be a non-empty string")
    if len(customer_id) > 128:
        raise ValueError("customer_id must be at most 128 characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in customer_id):
        raise ValueError("customer_id must not contain control characters")
    return customer_id
