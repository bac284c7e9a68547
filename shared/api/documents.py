"""Pieces of documents both tiers answer with: money in fen, a settlement statement."""

from __future__ import annotations

from typing import Any

from shared.domain.json_types import JSONObject


def money(value: int) -> JSONObject:
    """An amount of integer fen (分), as every document writes money."""
    return {"unit": "fen", "value": value}


def statement_document(province: str, month: str, figures: dict[str, Any], entries: int) -> JSONObject:
    """A province's month of settlement (R-21): per counterpart province, what it is owed and owes."""
    return {
        "province": province,
        "month": month,
        "receivable": money(figures["receivable"]),
        "payable": money(figures["payable"]),
        "net": money(figures["net"]),
        "counterpart": [
            {
                "province": c["province"],
                "receivable": money(c["receivable"]),
                "payable": money(c["payable"]),
                "net": money(c["net"]),
            }
            for c in figures["counterparts"]
        ],
        "entries": entries,
    }
