"""The Chinese numbering plan (GB/T and MIIT 电信网编号计划), as far as a customer's number is concerned.

A number is a mobile number — 1, then 3 to 9, then nine digits (138 0013 8000) — or a fixed line with its
area code: 010 or 02x with an eight-digit local number (010-6552 9988), or a three-digit area code after the
trunk 0 (0755, 0571, …) with a local number of seven or eight digits (0755-8345 6789); a local number never
starts with 0 or 1. Spaces, hyphens and brackets around the area code are how people write them, and a
leading +86 (or 0086) is the country code, after which a fixed line's trunk 0 may be left out.
"""

from __future__ import annotations

import re

MOBILE = re.compile(r"1[3-9]\d{9}")
FIXED = re.compile(r"0(?:10|2\d)[2-9]\d{7}|0[3-9]\d{2}[2-9]\d{6,7}")
COUNTRY_CODES = ("+86", "0086")
SEPARATORS = re.compile(r"[\s\-()]")
RULE = (
    "a Chinese phone number: a mobile number (1, then 3-9, then nine digits: 13800138000) or a fixed line "
    "with its area code (010-65529988, 0755-83456789)"
)


def national_number(number: str) -> str | None:
    """The number's national form (mobile as is, a fixed line with its trunk 0), or None if it is not one."""
    digits = SEPARATORS.sub("", number)
    for prefix in COUNTRY_CODES:
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            if not MOBILE.fullmatch(digits) and not digits.startswith("0"):
                digits = "0" + digits  # +86 10 6552 9988: the trunk 0 is left out after the country code
            break
    if MOBILE.fullmatch(digits) or FIXED.fullmatch(digits):
        return digits
    return None
