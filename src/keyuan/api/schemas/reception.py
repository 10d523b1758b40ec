"""Reception workspace wire shapes (前台工作台): today's visits, claims found for 到访确认, and a
check-in on a visitor's behalf. No face image, template, score or distance, and no full mobile:
numbers are masked 前三后四."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Name, Strict
from keyuan.domain.checkin.visit import OnBehalfReason
from keyuan.services.attribution.reception import FoundRegistration, Today, TodayVisit
from keyuan.services.sms import SmsHealth


class TodayVisitPublic(BaseModel):
    visit_id: str
    at: datetime
    method: str = Field(
        description="face_kiosk, phone, staff (到访确认), camera, reception (前台代登记)")
    masked_mobile: str | None
    first_visit: bool
    channel: str | None = Field(
        description="The channel of the 报备 confirmed, or of one naming the customer.")
    registration_id: str | None
    reason: str | None = Field(description="Why reception checked the visitor in on their behalf.")
    consultant: str | None = Field(None, description="The 置业顾问 assigned to this visit.")


class SmsDeliveryPublic(BaseModel):
    at: datetime
    outcome: str


class SmsHealthPublic(BaseModel):
    provider: str
    offline: bool = Field(description="Codes go to the outbox: staff read them out.")
    failing: bool = Field(description="The latest send did not reach the provider.")
    recent: list[SmsDeliveryPublic]


class TodayPublic(BaseModel):
    office_id: str
    office_name: str
    date: date
    visits: list[TodayVisitPublic]
    sms: SmsHealthPublic


class FoundRegistrationPublic(BaseModel):
    registration_id: str
    channel: str
    customer_name: str
    masked_mobile: str
    created_at: datetime
    expected_visit_at: datetime | None
    confirmed_today: bool


class OnBehalfIn(Strict):
    mobile: str = Field(max_length=20, description="The number the visitor states.")
    notice_hash: str = Field(min_length=64, max_length=64,
                             description="The notice shown to the visitor on the reception screen.")
    agree: bool = Field(description="The visitor read the notice and agreed.")
    reason: OnBehalfReason
    name: Name = None


class OnBehalfPublic(BaseModel):
    visit_id: str
    at: datetime
    method: str
    reason: str
    masked_mobile: str
    receipt_id: str | None = Field(
        None, description="This check-in's receipt; none when the number already had a consent "
        "(its receipt is the visitor's own, never handed out at the desk).")
    receipt_code: str | None = Field(
        None, description="回执编号 of that receipt as visitors see and type it "
        "(KY-XXXXX-XXXXX): what the print link names; none when `receipt_id` is none.")


def today_public(board: Today, sms: SmsHealth) -> TodayPublic:
    return TodayPublic(
        office_id=board.office_id, office_name=board.office_name, date=board.window.today,
        visits=[_visit(v) for v in board.visits],
        sms=SmsHealthPublic(provider=sms.provider, offline=sms.offline, failing=sms.failing,
                            recent=[SmsDeliveryPublic(at=d.at, outcome=d.outcome)
                                    for d in sms.recent]))


def _visit(v: TodayVisit) -> TodayVisitPublic:
    return TodayVisitPublic(visit_id=v.visit_id, at=v.at, method=v.method,
                            masked_mobile=v.masked_mobile, first_visit=v.first_visit,
                            channel=v.channel, registration_id=v.registration_id, reason=v.reason,
                            consultant=v.consultant)


def found_public(r: FoundRegistration) -> FoundRegistrationPublic:
    return FoundRegistrationPublic(
        registration_id=r.id, channel=r.channel, customer_name=r.customer_name,
        masked_mobile=r.masked_mobile, created_at=r.created_at,
        expected_visit_at=r.expected_visit_at, confirmed_today=r.confirmed_today)
