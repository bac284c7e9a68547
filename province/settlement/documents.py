"""What a bill shows of HQ's settlement of it (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.api.documents import money
from shared.domain.json_types import JSONObject


def revenue_share(
    home: str, lines: Sequence[Mapping[str, object]], apportioned: dict[str, Any] | None
) -> JSONObject:
    """What a bill shows of its revenue share: only what HQ settled (HQ applies the one rule), per delivering
    province with its lines; nothing to share when every line was delivered at home; awaited until HQ's
    apportionment has arrived."""
    if apportioned is None:
        remote = any((line.get("deliveringProvince") or home) != home for line in lines)
        return (
            {"revenueShareStatus": "awaitingHq"}
            if remote
            else {"revenueShare": [], "revenueShareStatus": "notShared"}
        )
    provinces: dict[str, list[dict[str, Any]]] = {}
    for line in apportioned["lines"]:
        provinces.setdefault(line["deliveringProvince"], []).append(
            {
                "id": line["billLineId"],
                "chargeKind": line["chargeKind"],
                "billedAmount": money(line["billedAmount"]),
                "sharePercent": line["sharePercent"],
                "shareAmount": money(line["shareAmount"]),
                "rule": line["rule"],
            }
        )
    return {
        "revenueShare": [
            {
                "province": p,
                "amount": money(sum(s["shareAmount"]["value"] for s in shares)),
                "billLine": shares,
            }
            for p, shares in sorted(provinces.items())
        ],
        "revenueShareStatus": "apportioned",
        "revenueShareDate": apportioned["apportionedAt"],
    }
