"""Demo customers: individuals of every grade, groups with members in several provinces."""

from __future__ import annotations

from typing import TYPE_CHECKING

from province.customers.schemas import CustomerCreate, CustomerPatch, MemberCreate
from shared.domain.customer import CustomerStatus
from shared.domain.operator import Operator
from shared.domain.regions import DIVISION_OF_PROVINCE
from shared.domain.values import id_card_check_digit, uscc_check_char

if TYPE_CHECKING:  # the node imports nothing of the demo; the demo only needs its type
    from province.application import ProvinceApplication
    from province.demo.context import DemoContext

SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "伟芳娜敏静磊洋艳勇军"
INDUSTRIES = ("manufacturing", "finance", "government", "education", "logistics")
PROVINCES = ("BJ", "SH", "GD", "ZJ", "SC")


def _id_card(province: str, n: int) -> str:
    first17 = f"{DIVISION_OF_PROVINCE[province]}0106198{n % 10}0{n % 9 + 1}1{n % 9 + 1}{n % 1000:03d}"[:17]
    return first17 + id_card_check_digit(first17)


def _uscc(province: str, n: int) -> str:
    first17 = f"91{DIVISION_OF_PROVINCE[province]}01{n:011d}"[:17]
    return first17 + uscc_check_char(first17)


def managers_of(app: ProvinceApplication) -> list[str]:
    """The province's customer managers as its staff directory holds them (none before HQ's directory arrived)."""
    rows = app.queries.rows(
        "SELECT id FROM {staff} WHERE role = 'customerManager' AND enabled = 1 ORDER BY id"
    )
    return [row["id"] for row in rows if row["id"]]


def load(app: ProvinceApplication, context: DemoContext, by: Operator) -> dict[str, int]:
    code = app.settings.node_code
    grades = ("1A", "2A", "3A", "4A", "5A")
    managers = managers_of(app)

    def managed(n: int) -> dict[str, dict[str, str]]:
        return {"customerManager": {"id": managers[n % len(managers)]}} if managers else {}

    customers = []
    for n in range(10):
        grade = grades[n % 5]
        body = {
            "name": SURNAMES[n] + GIVEN[n],
            "customerKind": "individual",
            "certificate": {"type": "idCard", "number": _id_card(code, n)},
            "grade": grade,
            "contactMedium": [{"mediumType": "phone", "characteristic": {"phoneNumber": f"1380013{n:04d}"}}],
            **managed(n),
        }
        customers.append(app.customers.register_customer(CustomerCreate.model_validate(body), by))
    groups = []
    for n in range(5):
        body = {
            "name": f"{code}{INDUSTRIES[n]}集团{n + 1}",
            "customerKind": "group",
            "certificate": {"type": "unifiedSocialCreditCode", "number": _uscc(code, n + 1)},
            "grade": grades[n % 5],
            "industry": INDUSTRIES[n],
            **managed(n),
        }
        group = app.customers.register_customer(CustomerCreate.model_validate(body), by)
        for m in range(3):
            app.customers.add_member(
                str(group["id"]),
                MemberCreate(
                    name=f"成员{m + 1}",
                    phoneNumber=f"1390{n:02d}{m:05d}",
                    province=PROVINCES[(n + m) % len(PROVINCES)],
                    centrallyPaid=m != 2,
                ),
                by,
            )
        groups.append(group)
    for i, c in enumerate(customers + groups):
        if i % 4 != 3:
            app.customers.update_customer(str(c["id"]), CustomerPatch(status=CustomerStatus.ACTIVE), by)
    app.customers.update_customer(
        str(customers[6]["id"]), CustomerPatch(status=CustomerStatus.SUSPENDED, statusReason="arrears"), by
    )
    app.customers.update_customer(
        str(customers[9]["id"]), CustomerPatch(status=CustomerStatus.CLOSED, statusReason="moved away"), by
    )
    context["customers"] = customers
    context["groups"] = groups
    return {"customers": len(customers) + len(groups)}
