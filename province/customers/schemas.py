"""TMF629 Customer with our extensions (certificate, grade, kind, members, customer manager)."""

from __future__ import annotations

from pydantic import ConfigDict, Field, StrictBool

from shared.api.models import Identified, Part, Reference, RelatedParty, RequestBody, Resource
from shared.domain.customer import MAX_CONTACTS, CustomerKind, CustomerStatus
from shared.domain.values import MAX_NAME, MAX_TEXT, CertificateType, Grade

MAX_PHONE = 20
MAX_ID = 64


class CertificateInput(RequestBody):
    type: CertificateType
    number: str = Field(max_length=32, description="ID card number or unified social credit code.")


class CharacteristicInput(RequestBody):
    phoneNumber: str | None = Field(None, max_length=MAX_PHONE)
    emailAddress: str | None = Field(None, max_length=MAX_NAME)
    street1: str | None = Field(None, max_length=MAX_TEXT)


class ContactMediumInput(RequestBody):
    mediumType: str = Field(max_length=32, description="phone, email or postalAddress")
    preferred: StrictBool | None = None
    characteristic: CharacteristicInput


class ManagerInput(RequestBody):
    """A customer manager of this province in the staff directory: their user name (any case); the name, when
    given, must be the directory's."""

    id: str = Field(max_length=MAX_ID)
    name: str | None = Field(None, max_length=MAX_NAME)


class CustomerCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "张三",
                    "customerKind": "individual",
                    "certificate": {"type": "idCard", "number": "11010519491231002X"},
                    "grade": "3A",
                    "contactMedium": [
                        {"mediumType": "phone", "characteristic": {"phoneNumber": "13800138000"}}
                    ],
                    "customerManager": {"id": "gd.customermanager"},
                }
            ]
        }
    )
    name: str = Field(max_length=MAX_NAME)
    customerKind: CustomerKind = CustomerKind.INDIVIDUAL
    certificate: CertificateInput
    grade: Grade
    contactMedium: list[ContactMediumInput] | None = Field(None, max_length=MAX_CONTACTS)
    industry: str | None = Field(None, max_length=MAX_NAME)
    customerManager: ManagerInput | None = None


class CustomerPatch(RequestBody):
    """A JSON merge patch; `status` moves prospect → active ⇄ suspended → closed."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "active"}, {"grade": "2A"}]})
    name: str | None = Field(None, max_length=MAX_NAME)
    status: CustomerStatus | None = None
    statusReason: str | None = Field(None, max_length=MAX_TEXT)
    grade: Grade | None = None
    contactMedium: list[ContactMediumInput] | None = Field(None, max_length=MAX_CONTACTS)
    industry: str | None = Field(None, max_length=MAX_NAME)
    customerManager: ManagerInput | None = None


class MemberCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "王五", "phoneNumber": "13900139000", "province": "BJ", "centrallyPaid": True}
            ]
        }
    )
    name: str = Field(max_length=MAX_NAME)
    phoneNumber: str = Field(max_length=MAX_PHONE)
    province: str = Field(max_length=2, description="The province the member lives in.")
    customerId: str | None = Field(
        None, description="The member's own customer here, when registered.", max_length=MAX_ID
    )
    centrallyPaid: StrictBool | None = Field(None, description="The group's account pays for the member.")


class Member(Resource):
    """A member of a group (集团成员)."""

    id: str
    href: str | None = None
    groupId: str | None = None
    name: str | None = None
    phoneNumber: str | None = None
    province: str | None = None
    customerId: str | None = None
    centrallyPaid: bool | None = None


class Certificate(Part):
    type: str
    number: str


class ContactMedium(Part):
    mediumType: str
    preferred: bool | None = None
    characteristic: dict[str, str]


class Manager(Part):
    id: str
    name: str | None = None
    since: str | None = None
    until: str | None = None


class ValidFor(Part):
    startDateTime: str | None = None
    endDateTime: str | None = None


class Customer(Identified):
    name: str | None = None
    status: str | None = None
    statusReason: str | None = None
    customerKind: str | None = None
    grade: str | None = None
    starLevel: int | None = Field(None, description="Star service level: 5 for 1A down to 1 for 5A.")
    certificate: Certificate | None = None
    industry: str | None = None
    province: str | None = None
    homeProvince: str | None = None
    readOnly: bool | None = Field(None, description="A group registered in another province (R-20).")
    engagedParty: Reference | None = None
    contactMedium: list[ContactMedium] | None = None
    relatedParty: list[RelatedParty] | None = None
    customerManager: Manager | None = None
    customerManagerHistory: list[Manager] | None = None
    member: list[Member] | None = None
    validFor: ValidFor | None = None
    version: int | None = None
    lastUpdate: str | None = None
