"""Value objects and their validation: grades, certificates, province codes, money, text limits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import TypeVar

from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.numbering import RULE as NUMBERING_RULE
from shared.domain.numbering import national_number
from shared.domain.regions import is_province_level_division

PROVINCES = frozenset(
    [
        "BJ",
        "TJ",
        "HE",
        "SX",
        "NM",
        "LN",
        "JL",
        "HL",
        "SH",
        "JS",
        "ZJ",
        "AH",
        "FJ",
        "JX",
        "SD",
        "HA",
        "HB",
        "HN",
        "GD",
        "GX",
        "HI",
        "CQ",
        "SC",
        "GZ",
        "YN",
        "XZ",
        "SN",
        "GS",
        "QH",
        "NX",
        "XJ",
    ]
)
HQ_CODE = "HQ"

MAX_NAME = 128
MAX_TEXT = 2000
MAX_FEN = 10**13  # 1,000 亿元: any one amount; sums of many stay far inside 64-bit integers


E = TypeVar("E", bound=Enum)


def parse_enum(cls: type[E], value: object, field: str) -> E:
    """A member of `cls`, or InvalidValue naming the field and the allowed values."""
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise InvalidValue(f"unknown value '{value}'; one of {allowed}", field=field) from None


def repeated_move(state: str, recorded: str, given: object, field: str) -> None:
    """A move to the state a resource is already in records nothing, so a reason sent with it that differs from
    the one on record would be lost: refused (409) naming the field. A reason is given with the move it explains."""
    why = text(given, field, max_length=MAX_TEXT, required=False)
    if why and why != recorded:
        on_record = (
            f"its {field} on record is '{recorded[:80]}'"
            if recorded
            else f"it was recorded without a {field}"
        )
        raise IllegalTransition(
            f"already {state}, and {on_record}: a reason goes with the move it explains and "
            "cannot be changed afterwards",
            field=field,
            current_state=state,
        )


def explained(
    target: Enum, needing_reason: frozenset[Enum], reason: object, field: str = "stateReason"
) -> str:
    """A move's reason; a rejection or failure must say why (no resources, no coverage, no free port …)."""
    why = text(reason, field, max_length=MAX_TEXT, required=False)
    if not why and target in needing_reason:
        raise InvalidValue(
            f"is required when moving to {target.value}: say why — the reason is what the order "
            "and its customer manager are told",
            field=field,
        )
    return why


def province_code(value: str | None, field: str = "province") -> str:
    code = (value or "").strip().upper()
    if code not in PROVINCES:
        raise InvalidValue(f"unknown province code '{value}'", field=field)
    return code


def text(value: object, field: str, *, max_length: int = MAX_NAME, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidValue("is required", field=field)
        return ""
    if not isinstance(value, str):
        raise InvalidValue("must be a string", field=field)
    if len(value) > max_length:
        raise InvalidValue(f"at most {max_length} characters", field=field)
    return plain(value, field).strip()


def plain(value: str, field: str) -> str:
    """`value` unchanged, or InvalidValue when it holds a character no text may hold (see `printable`)."""
    unfit = next((ch for ch in value if not printable(ch)), None)
    if unfit is not None:
        raise InvalidValue(f"holds a character text may not hold (U+{ord(unfit):04X})", field=field)
    return value


def printable(ch: str) -> bool:
    """One rule for both stores: no NUL or other control character but tab and line breaks, no lone surrogate."""
    code = ord(ch)
    if code < 0x20:
        return ch in "\t\n\r"
    return not (0x7F <= code < 0xA0 or 0xD800 <= code <= 0xDFFF)


def fen(value: object, field: str, *, positive: bool = False) -> int:
    """Money is integer fen (分)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue("must be an integer amount in fen", field=field)
    if value < 0 or (positive and value == 0):
        raise InvalidValue("must be positive" if positive else "must not be negative", field=field)
    if value > MAX_FEN:
        raise InvalidValue(f"at most {MAX_FEN} fen", field=field)
    return value


class Grade(str, Enum):
    """大客户分级: 1A is the highest grade; star service level 5 for 1A down to 1 for 5A."""

    A1 = "1A"
    A2 = "2A"
    A3 = "3A"
    A4 = "4A"
    A5 = "5A"

    @classmethod
    def parse(cls, value: object, field: str = "grade") -> Grade:
        try:
            return cls(value)
        except ValueError:
            raise InvalidValue(
                f"unknown grade '{value}'; one of {', '.join(g.value for g in cls)}", field=field
            ) from None

    @property
    def rank(self) -> int:
        return int(self.value[0])

    @property
    def stars(self) -> int:
        return 6 - self.rank

    @property
    def is_national(self) -> bool:
        """High-end individuals (1A–3A) are national customers (R-5, R-26)."""
        return self.rank <= 3


class CertificateType(str, Enum):
    ID_CARD = "idCard"  # 居民身份证
    UNIFIED_SOCIAL_CREDIT_CODE = "unifiedSocialCreditCode"  # 统一社会信用代码


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_card_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


EARLIEST_BIRTH = date(1900, 1, 1)


def validate_id_card(number: str, field: str, today: date | None = None) -> str:
    """GB 11643: region code (GB/T 2260), birth date, sequence, check character."""
    number = number.strip().upper()
    if len(number) != 18 or not number[:17].isdigit():
        raise InvalidValue("an ID card number has 17 digits and a check character", field=field)
    if not is_province_level_division(number[:6]):
        raise InvalidValue(
            f"the region code {number[:6]} is not in the national division list (GB/T 2260)", field=field
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidValue("the birth date in the ID card number is not a date", field=field) from None
    if not EARLIEST_BIRTH <= born <= (today or datetime.now(UTC).date()):
        raise InvalidValue(
            f"the birth date in the ID card number ({born.isoformat()}) is before 1900 or in the future",
            field=field,
        )
    if id_card_check_digit(number[:17]) != number[17]:
        raise InvalidValue("the ID card number's check digit is wrong", field=field)
    return number


def validate_uscc(code: str, field: str) -> str:
    code = code.strip().upper()
    if len(code) != 18 or any(ch not in _USCC_CHARS for ch in code):
        raise InvalidValue(
            "a unified social credit code has 18 characters from 0-9 and A-Y without I, O, S, V, Z",
            field=field,
        )
    if not is_province_level_division(code[2:8]):
        raise InvalidValue(
            f"the region code {code[2:8]} is not in the national division list (GB/T 2260)", field=field
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise InvalidValue("the unified social credit code's check character is wrong", field=field)
    return code


def certificate(kind: object, number: object, field: str = "certificate") -> tuple[str, str]:
    try:
        cert_type = CertificateType(kind)
    except ValueError:
        allowed = ", ".join(c.value for c in CertificateType)
        raise InvalidValue(f"unknown certificate type; one of {allowed}", field=f"{field}.type") from None
    raw = text(number, f"{field}.number", max_length=32)
    if cert_type is CertificateType.ID_CARD:
        return cert_type.value, validate_id_card(raw, f"{field}.number")
    return cert_type.value, validate_uscc(raw, f"{field}.number")


def phone(value: object, field: str) -> str:
    """A phone number as written, if it follows the Chinese numbering plan (shared/domain/numbering.py)."""
    number = text(value, field, max_length=20)
    if national_number(number) is None:
        raise InvalidValue(f"is not {NUMBERING_RULE}", field=field)
    return number


def phone_key(number: str) -> str:
    """Phone numbers compare by their national form: +86 138-0013-8000 and 13800138000 are one number (a string
    that is no number, as a search may give, compares by its digits)."""
    return national_number(number) or "".join(ch for ch in number if ch.isdigit())
