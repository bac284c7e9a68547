"""Names as the API writes them: Python's snake_case attributes become camelCase (`to_status` → `toStatus`)."""

from __future__ import annotations


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
