"""Valid test data: who acts, certificate numbers with correct check characters, customers, offerings."""

from __future__ import annotations

import itertools
from typing import Any

from shared.domain.operator import Operator
from shared.domain.values import id_card_check_digit, uscc_check_char

BY = Operator(actor="test", role="staff", channel="web")  # who acts, where a test calls commands itself
FORWARD = ("inDevelopment", "tariffApproval", "released")  # a product's steps from design to release

_serial = itertools.count(1)


def id_card(n: int | None = None) -> str:
    n = next(_serial) if n is None else n
    first17 = f"{440000 + n // 1000:06d}199001{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_card_check_digit(first17)


def uscc(n: int | None = None) -> str:
    n = next(_serial) if n is None else n
    first17 = f"9144010{n:010d}"
    return first17 + uscc_check_char(first17)


def id_card_of(region: str, born: str) -> str:
    """A resident ID number of this region code and birth date (yyyymmdd), with its check character."""
    first17 = f"{region}{born}123"
    return first17 + id_card_check_digit(first17)


def credit_code_of(region: str) -> str:
    """A unified social credit code registered in this region, with its check character."""
    first17 = f"91{region}MA5CXXXX1"[:17]
    return first17 + uscc_check_char(first17)


def individual(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "张三",
        "customerKind": "individual",
        "certificate": {"type": "idCard", "number": id_card()},
        "grade": "3A",
        "contactMedium": [{"mediumType": "phone", "characteristic": {"phoneNumber": "13800138000"}}],
    }
    body.update(overrides)
    return body


def group(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "广东某集团有限公司",
        "customerKind": "group",
        "certificate": {"type": "unifiedSocialCreditCode", "number": uscc()},
        "grade": "1A",
        "industry": "manufacturing",
    }
    body.update(overrides)
    return body


def iptv(**overrides: Any) -> dict[str, Any]:
    """A catalog entry HQ does not ship: an IPTV service."""
    return {
        "id": "PO-IPTV",
        "name": "IPTV",
        "kind": "service",
        "oneTimeFee": 0,
        "monthlyFee": 2000,
        **overrides,
    }
