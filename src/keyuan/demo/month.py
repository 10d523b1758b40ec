"""`keyuan demo month`: a month of 判客 and 佣金结算 at one office, checked against its script.

5 distributors, 2 referrers (老带新), 59 people — 9 ordinary channel deals, one customer per
fraud pattern the rules judge, two households (主购人 + 共同购房人: the wife-first pattern and an
honest couple), 24 who never buy, and two gaming distributors whose 15 customers the rules let
pass one by one but the 风控报告 flags (刷报备, 卡点带访, 保护期后重报 at one; the same
customers at the second project and a masked number two people fit at the other) — ending in
settlement statements whose totals must equal the amounts worked out by hand below, and the
risk report: five signals on the gaming channels, none on the honest ones (`demo/risk.py`).
Faces come from the public face set (real dlib engine), read as bytes and turned into frames
in memory only (C11, C15); without the set the month runs on synthetic faces and the fake
engine, and says so. Exit 0 when everything went as scripted, 1 on any difference, 2 when it
cannot start. It prints each customer by the pattern they play (先到访后报备, 撞单, 截客,
刷报备 … `demo/patterns.py`) and each channel by its name.
"""

from __future__ import annotations

import io
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from PIL import Image

from keyuan.adapters.biometrics.fake import FakeEngine, FakeLandmarker, posed_face
from keyuan.adapters.clock import FakeClock
from keyuan.adapters.sms.outbox import MemorySender
from keyuan.bootstrap import App, build, prepare_data_dir
from keyuan.config.face import FaceSettings
from keyuan.config.settings import Settings
from keyuan.demo import consultants as gu
from keyuan.demo import liveness
from keyuan.demo import patterns as words
from keyuan.demo.faces import CannotStart, FaceMaterial, find_face_set, public_faces
from keyuan.demo.office import (
    DEMO_ENTITY_NAME,
    default_office,
    demo_entity,
    ensure_demo_office,
)
from keyuan.demo.risk import check_risk
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.commission import AgreementKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.person import Office
from keyuan.domain.errors import KeyuanError
from keyuan.services.attribution import desk_consent, escort, settlement, signing, teams
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import statements as exports
from keyuan.services.checkin import kiosk
from keyuan.services.checkin.face import EnrollCmd, ReturnCmd, enroll_face, return_with_face
from keyuan.services.checkin.offices import ensure_office
from keyuan.services.checkin.phone import PhoneCheckInCmd, phone_check_in, request_code
from keyuan.services.compliance.pia import record_demo_pia
from keyuan.services.faces.engine import FaceEngine

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, 0, 0, tzinfo=SHANGHAI)  # a Monday
PERIOD = (datetime(2026, 11, 1, tzinfo=SHANGHAI), datetime(2026, 12, 15, tzinfo=SHANGHAI))
WAN = 10_000_00  # 1 万元 in fen

# label → (kind, name, agreement kind, value, tiers, referral reward in fen)
CHANNELS = {
    "D1": (ChannelKind.DISTRIBUTOR, "链家分销", AgreementKind.PERCENT, 150, (), 0),
    "D2": (ChannelKind.DISTRIBUTOR, "贝壳分销", AgreementKind.FIXED, 2 * WAN, ((2, 25_000_00),), 0),
    "D3": (ChannelKind.DISTRIBUTOR, "房天下分销", AgreementKind.PERCENT, 100, (), 0),
    "R1": (ChannelKind.REFERRER, "老业主张先生", AgreementKind.FIXED, 1 * WAN, (), 0),
    "R2": (ChannelKind.REFERRER, "老业主李女士", AgreementKind.FIXED, 0, (), 5_000_00),
    # gaming the rules, caught by the 风控报告 (demo/risk.py); no deal of theirs signs
    "D4": (ChannelKind.DISTRIBUTOR, "恒通分销", AgreementKind.PERCENT, 100, (), 0),
    "D5": (ChannelKind.DISTRIBUTOR, "速达分销", AgreementKind.PERCENT, 100, (), 0),
}
AGENT = ("D5", "赵经纪")
"""The gaming agent: registers for D5 here and for its twin at the second project."""
SECOND_OFFICE = ("demo-office-2", "示范二期售楼处")
CHANNEL_NAMES = {label: spec[1] for label, spec in CHANNELS.items()}
EXPECTED_TOTALS_FEN = {
    "D1": 14_700_000,  # 1.5% × (300 + 240 + 180 + 260) 万元 = 14.7 万元
    "D2": 5_000_000,  # 2 deals reach the ≥2 tier: 2 × 2.5 万元
    "D3": 6_700_000,  # 1% × (200 + 320 + 150) 万元
    "R1": 1_000_000,  # fixed 1 万元
    "R2": 500_000,  # referral reward 5,000 元
    "D4": 0,
    "D5": 0,
}

# 渠道团队: 链家分销 has two stores (门店), each with one agent who registers its customers;
# label → ((store, agent, customers), …) and each store's expected subtotal in fen
STORES = {"D1": (("南京路店", "李雷", ("c01", "c02")), ("淮海路店", "韩梅", ("c03", "f2")))}
EXPECTED_STORE_TOTALS_FEN = {"南京路店": 8_100_000, "淮海路店": 6_600_000}  # 1.5% × 540 / 440 万


@dataclass(frozen=True)
class Ev:
    day: int
    at: str  # HH:MM Beijing time
    kind: str  # register escort qr_escort phone face face_return correct sign review
    who: str
    arg: str | None = None  # channel label; for correct: the new HH:MM
    price_wan: int = 0
    expect: str | None = None  # sign/review: channel label, "natural" or "pending";
    # register: "refused" (answered at once, `reason` the refusal's code)
    reason: str | None = None  # a reason code the decision, a verdict or a refusal must carry
    co: tuple[str, ...] = ()  # sign: the co-buyers (共同购房人) beside `who`, the main buyer
    decided: str | None = None  # sign with co-buyers: whose evidence decided ("visit co1")


RISK_SCRIPT: tuple[Ev, ...] = (
    # 刷报备: 恒通分销 registers five numbers nobody brings
    *(Ev(3 + i, "10:00", "register", f"s{i + 1}", "D4") for i in range(5)),
    # 保护期后重报: two customers registered, never brought, registered again hours after the
    # claims lapsed (72 h) — each claim passes, the pattern is the report's
    *(Ev(2, f"11:0{i}", "register", f"x{i + 1}", "D4") for i in range(2)),
    *(Ev(5, f"16:0{i}", "register", f"x{i + 1}", "D4") for i in range(2)),
    # 卡点带访: three escorts in the last hours before their registrations lapse
    *(Ev(10, f"{9 + i:02d}:00", "register", f"e{i + 1}", "D4") for i in range(3)),
    *(Ev(13, f"08:{20 * i:02d}", "escort", f"e{i + 1}", "D4") for i in range(3)),
    # 跨项目报备: 速达分销's agent registers the same three customers at the second project too
    *(Ev(14, f"10:0{i}", "register_elsewhere", f"p{i + 1}", "D5") for i in range(3)),
    *(Ev(16, f"10:0{i}", "register", f"p{i + 1}", "D5") for i in range(3)),
    *(Ev(16, f"15:0{i}", "escort", f"p{i + 1}", "D5") for i in range(3)),
    # 隐号撞号: a masked claim (前三后四 + name); then two people of that name and mask visit
    Ev(18, "10:00", "register", "m1", "D5"), Ev(19, "11:00", "phone", "m1"),
    Ev(20, "11:00", "phone", "m2"),
)
"""Gaming each rule lets pass, which the 风控报告 shows (`demo/risk.EXPECTED_SIGNALS`)."""

SCRIPT: tuple[Ev, ...] = (
    # ordinary deals, one per line of the statements
    Ev(1, "10:00", "register", "c01", "D1"), Ev(1, "15:00", "qr_escort", "c01", "D1", expect="D1"),
    Ev(4, "11:00", "sign", "c01", price_wan=300, expect="D1"),
    Ev(2, "09:30", "register", "c02", "D1"), Ev(2, "14:00", "face", "c02"),
    Ev(6, "10:00", "sign", "c02", price_wan=240, expect="D1"),
    Ev(3, "09:40", "register", "c03", "D1"), Ev(3, "15:30", "escort", "c03", "D1"),
    Ev(10, "16:00", "sign", "c03", price_wan=180, expect="D1"),
    Ev(5, "09:00", "register", "c04", "D2"), Ev(5, "14:00", "qr_escort", "c04", "D2", expect="D2"),
    Ev(12, "10:00", "sign", "c04", price_wan=400, expect="D2"),
    Ev(6, "09:00", "register", "c05", "D2"), Ev(7, "10:00", "face", "c05"),
    Ev(14, "10:00", "sign", "c05", price_wan=280, expect="D2"),
    Ev(8, "09:00", "register", "c06", "D3"), Ev(8, "15:00", "escort", "c06", "D3"),
    Ev(15, "11:00", "sign", "c06", price_wan=200, expect="D3"),
    Ev(9, "09:00", "register", "c07", "D3"), Ev(10, "11:00", "escort", "c07", "D3"),
    Ev(20, "11:00", "sign", "c07", price_wan=320, expect="D3"),
    Ev(11, "09:00", "register", "c08", "R1"), Ev(12, "15:00", "phone", "c08"),
    Ev(18, "11:00", "sign", "c08", price_wan=220, expect="R1"),
    Ev(13, "09:00", "register", "c09", "R2"), Ev(13, "16:00", "phone", "c09"),
    Ev(21, "11:00", "sign", "c09", price_wan=190, expect="R2"),
    # 先到访后报备: the channel registers a customer who already came on their own — refused at
    # once (the office's default policy); the agent brings them anyway, the deal is natural
    Ev(2, "11:00", "phone", "f1"),
    Ev(4, "10:00", "register", "f1", "D1", expect="refused",
       reason="registration_customer_known"),
    Ev(4, "16:00", "phone", "f1"),
    Ev(9, "10:00", "sign", "f1", price_wan=250, expect="natural", reason="no_valid_registration"),
    # 撞单: a second channel registers a customer the first protects — refused at once, without
    # naming the first; the first channel's registration wins
    Ev(3, "09:00", "register", "f2", "D1"),
    Ev(3, "10:00", "register", "f2", "D2", expect="refused",
       reason="registration_protected_elsewhere"),
    Ev(3, "15:00", "escort", "f2", "D1"),
    Ev(8, "10:00", "sign", "f2", price_wan=260, expect="D1", reason="earliest_valid_registration"),
    # the registration expired (72 h) before the first visit
    Ev(5, "10:00", "register", "f3", "D2"), Ev(9, "11:00", "phone", "f3"),
    Ev(11, "10:00", "sign", "f3", price_wan=210, expect="natural", reason="expired_before_visit"),
    # signing after the 30-day protection period
    Ev(1, "11:00", "register", "f4", "D3"), Ev(1, "16:00", "escort", "f4", "D3"),
    Ev(33, "10:00", "sign", "f4", price_wan=230, expect="natural", reason="protection_expired"),
    # a referral of an existing customer: refused at once
    Ev(2, "16:00", "phone", "f5"),
    Ev(16, "10:00", "register", "f5", "R1", expect="refused",
       reason="registration_customer_known"),
    Ev(16, "15:00", "phone", "f5"),
    Ev(19, "10:00", "sign", "f5", price_wan=270, expect="natural", reason="no_valid_registration"),
    # staff move a walk-in's visit time after a registration (refused at once: the customer
    # was known); the original time decides
    Ev(12, "09:00", "phone", "f6"),
    Ev(12, "10:00", "register", "f6", "D3", expect="refused",
       reason="registration_customer_known"),
    Ev(12, "11:00", "correct", "f6", "10:30"),
    Ev(17, "10:00", "sign", "f6", price_wan=240, expect="natural",
       reason="visit_time_corrected_original_used"),
    # one person, two mobiles: linked by their own face (with consent) → review → natural
    Ev(4, "14:00", "face", "f7"), Ev(10, "10:00", "register", "f7", "D2"),
    Ev(10, "14:00", "escort", "f7", "D2"),
    Ev(13, "15:00", "sign", "f7", price_wan=290, expect="pending",
       reason="denial_on_face_evidence_only"),
    Ev(14, "09:00", "review", "f7", expect="natural"),
    # 共同购房人, wife first: the wife comes on her own; days later a distributor registers her
    # husband (a number nobody knows yet: accepted) and escorts him; they sign together — her
    # visit makes him a known customer, the deal is the household's natural visit (自访)
    Ev(6, "10:00", "phone", "h1w"),
    Ev(8, "09:00", "register", "h1", "D1"), Ev(8, "15:00", "escort", "h1", "D1"),
    Ev(13, "10:00", "sign", "h1", price_wan=280, expect="natural", reason="customer_known",
       co=("h1w",), decided="visit co1"),
    # an honest couple: the distributor registered and escorted the husband; the wife signs
    # beside him without a visit of her own — the channel's registration wins
    Ev(15, "09:00", "register", "h2", "D3"), Ev(15, "14:00", "qr_escort", "h2", "D3", expect="D3"),
    Ev(22, "10:00", "sign", "h2", price_wan=150, expect="D3",
       reason="earliest_valid_registration", co=("h2w",), decided="registration main"),
    # visitors who never buy: some registered and escorted, two by face with a return visit
    *(Ev(2 + i, "10:30", "register", f"n{i + 1:02d}", f"D{i % 3 + 1}") for i in range(6)),
    *(Ev(2 + i, "14:30", "escort", f"n{i + 1:02d}", f"D{i % 3 + 1}") for i in range(6)),
    Ev(3, "11:30", "face", "n07"), Ev(17, "11:30", "face_return", "n07"),
    Ev(5, "11:30", "face", "n08"), Ev(22, "11:30", "face_return", "n08"),
    *(Ev(1 + i, "17:00", "phone", f"n{i + 9:02d}") for i in range(16)),
    *RISK_SCRIPT,
)
FACES = ("f7", "c02", "c05", "n07", "n08")
PREFERRED_PEOPLE = ("df_id01", "df_id03", "df_id10", "fr_obama", "df_id04", "df_id05")
"""People of the public set whose first 3 photos enroll and whose 4th verifies 1:1 (checked
with the real engine; df_id02's first three are refused as not one person)."""
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢"
            "宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
            "吕苏卢丁魏薛沈姜崔钟谭陆汪范金石廖")
"""One surname per customer (the gaming customers after the first 44, so theirs stay put)."""


@dataclass(frozen=True)
class Customer:
    name: str
    mobile: str
    mobile2: str
    id_number: str


def customers() -> dict[str, Customer]:
    """Everyone in the script, co-buyers too; a label ending in "w" is a wife (女士). The
    gaming customers come after the others; `m2` shares `m1`'s name and 前三后四 (another
    person: the masked claim fits both)."""
    gaming = {e.who for e in RISK_SCRIPT}
    labels = sorted({e.who for e in SCRIPT} | {co for e in SCRIPT for co in e.co},
                    key=lambda label: (label in gaming, label))
    if len(labels) > len(SURNAMES):
        raise ValueError(f"{len(labels)} customers but {len(SURNAMES)} surnames")
    out = {}
    for i, label in enumerate(labels):
        first17 = f"3101041985{i // 28 + 1:02d}{i % 28 + 1:02d}{i:03d}"
        title = "女士" if label.endswith("w") else "先生"
        out[label] = Customer(f"{SURNAMES[i]}{title}", f"1371000{i:04d}", f"1590000{i:04d}",
                              first17 + check_digit(first17))
    if "m1" in out and "m2" in out:
        twin = out["m1"]
        out["m2"] = replace(out["m2"], name=twin.name, mobile=f"1375555{twin.mobile[-4:]}")
    return out


# --- faces: frames in memory only ----------------------------------------------------------
def public_frames(root: Path) -> dict[str, FaceMaterial]:
    """The month's face visitors from the public set (people whose photos enroll reliably)."""
    return public_faces(root, FACES, PREFERRED_PEOPLE)


def synthetic_frames() -> dict[str, FaceMaterial]:
    """Colours the fake engine reads as one face each (no photo at all), each frame with its own
    faint texture and head pose as `FakeLandmarker` reads them (`posed_face`): a live camera's
    sequence to the liveness check, three frames to enroll and three others to return."""
    out = {}
    for i, label in enumerate(FACES):
        rgb = (40 + 40 * i, 200 - 30 * i, 90 + 20 * i)
        frames = []
        for seed in range(1, 7):
            buffer = io.BytesIO()
            Image.fromarray(posed_face(rgb, seed=seed, size=(160, 160))).save(buffer, "PNG")
            frames.append(buffer.getvalue())
        out[label] = FaceMaterial("synthetic colour", tuple(frames[:3]), tuple(frames[3:]))
    return out


# --- playing the month -----------------------------------------------------------------------
@dataclass
class Month:
    app: App
    clock: FakeClock
    sender: MemorySender
    frames: dict[str, FaceMaterial]
    office_id: str
    people: dict[str, Customer] = field(default_factory=customers)
    channels: dict[str, str] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)  # channel label → its agent's id
    twin: tuple[str, str] = ("", "")  # the gaming agent's channel and id at the second project
    claims: dict[tuple[str, str], str] = field(default_factory=dict)
    last_visit: dict[str, str] = field(default_factory=dict)
    receipts: dict[str, str] = field(default_factory=dict)
    signings: dict[str, str] = field(default_factory=dict)
    store_agents: dict[tuple[str, str], str] = field(default_factory=dict)  # (channel, who)
    consultants: dict[str, str] = field(default_factory=dict)  # 置业顾问: username → id

    def at(self, ev: Ev) -> datetime:
        return START + timedelta(days=ev.day, hours=int(ev.at[:2]), minutes=int(ev.at[3:]))

    def setup(self) -> None:
        self.consultants = gu.hire(self.app.deps)
        for label, (kind, name, akind, value, tiers, reward) in CHANNELS.items():
            ref = f"HT-2025-{label}" if kind is ChannelKind.REFERRER else None
            channel = reg.create_channel(self.office_id, kind, name, self.app.deps,
                                         contract_ref=ref)
            self.channels[label] = channel.id
            settlement.add_agreement(settlement.AgreementCmd(
                channel.id, akind, value, PERIOD[0], tiers=tiers, referral_reward_fen=reward),
                self.app.deps, actor="finance")
            for store, agent_name, who in STORES.get(label, ()):
                team = teams.add_team(channel.id, store, self.app.deps, actor="admin")
                member = reg.add_agent(channel.id, agent_name, self.app.deps, actor="admin")
                teams.move_agent(member.id, team.id, self.app.deps, actor="admin")
                self.store_agents.update({(label, w): member.id for w in who})
        label, agent = AGENT
        self.agents[label] = reg.add_agent(self.channels[label], agent, self.app.deps).id
        office_id, office_name = SECOND_OFFICE
        ensure_office(Office(id=office_id, name=office_name, legal_entity=DEMO_ENTITY_NAME),
                      demo_entity(), self.app.deps)
        twin = reg.create_channel(office_id, ChannelKind.DISTRIBUTOR, CHANNEL_NAMES[label],
                                  self.app.deps)
        self.twin = (twin.id, reg.add_agent(twin.id, agent, self.app.deps).id)

    def play(self, ev: Ev) -> str | None:
        """Run one event; a problem in words, or None."""
        self.clock.advance(seconds=max(0.0, (self.at(ev) - self.clock.now()).total_seconds()))
        if ev.day in (gu.AWAY_DAY, gu.AWAY_DAY + 1):  # away for one day, then back
            gu.away(self.app.deps, self.office_id, self.consultants["gu-lin"],
                    ev.day == gu.AWAY_DAY)
        try:
            return getattr(self, ev.kind)(ev, self.people[ev.who])  # type: ignore[no-any-return]
        except KeyuanError as exc:
            return f"refused: {exc.code}: {exc.message}"
        except KeyError as exc:
            return f"skipped: the earlier step it needs ({exc}) failed"

    def register(self, ev: Ev, c: Customer) -> str | None:
        mobile = c.mobile2 if ev.who == "f7" else c.mobile
        masked = ev.who in ("c02", "c07", "m1")  # 前三后四 claims match by mobile mask and name
        try:
            claim = reg.register(reg.RegisterCmd(
                self.channels[str(ev.arg)], c.name,
                f"{mobile[:3]}****{mobile[-4:]}" if masked else mobile,
                agent_id=self.store_agents.get((str(ev.arg), ev.who))
                or self.agents.get(str(ev.arg))), self.app.deps)
        except KeyuanError as exc:
            if ev.expect == "refused" and exc.code == ev.reason:
                return None
            raise
        if ev.expect == "refused":
            return f"registered, expected refused with {ev.reason}"
        self.claims[ev.who, str(ev.arg)] = claim.id
        return None

    def register_elsewhere(self, ev: Ev, c: Customer) -> None:
        """The gaming agent registers the customer at the second project (its twin channel)."""
        channel_id, agent_id = self.twin
        reg.register(reg.RegisterCmd(channel_id, c.name, c.mobile, agent_id=agent_id),
                     self.app.deps)

    def escort(self, ev: Ev, c: Customer) -> None:
        mobile = c.mobile2 if ev.who == "f7" else c.mobile
        visit = reg.confirm_visit(reg.ConfirmVisitCmd(
            self.claims[ev.who, str(ev.arg)], mobile, staff="reception-1"), self.app.deps)
        self.last_visit[ev.who] = visit.id
        gu.receive(self.app.deps, self.office_id, visit.id)

    def qr_escort(self, ev: Ev, c: Customer) -> None:
        """扫码带访: the channel's agent shows the pass on a phone, reception's camera reads it."""
        channel, claim = self.channels[str(ev.arg)], self.claims[ev.who, str(ev.arg)]
        issued = escort.issue_pass(escort.IssuePassCmd(
            channel, claim, actor=f"agent:{str(ev.arg).lower()}-demo"), self.app.deps)
        done = escort.confirm_escort(escort.EscortCmd(
            self.office_id, c.mobile, staff="reception-1", token=issued.token), self.app.deps)
        self.last_visit[ev.who] = done.visit.id
        gu.receive(self.app.deps, self.office_id, done.visit.id)

    def phone(self, ev: Ev, c: Customer, session: tuple[KioskSession, Notice] | None = None,
              ) -> None:
        s, notice = session or kiosk.start_session(self.office_id, self.app.deps)
        request_code(s.id, c.mobile, self.app.deps)
        code = re.search(r"(?<!\d)\d{6}(?!\d)", self.sender.sent[-1][1])
        assert code is not None
        result = phone_check_in(PhoneCheckInCmd(s.id, c.mobile, code.group(0),
                                                notice.content_hash, agree=True, name=c.name),
                                self.app.deps)
        self.last_visit[ev.who] = result.visit.id
        gu.receive(self.app.deps, self.office_id, result.visit.id)

    def face(self, ev: Ev, c: Customer) -> None:
        """The mobile, then face consent and enrollment in the same visit (a number new to
        the store cannot join a face already checked in, so the mobile comes first)."""
        session = kiosk.start_session(self.office_id, self.app.deps)
        self.phone(ev, c, session)
        consent = kiosk.consent_to_face(kiosk.FaceConsentCmd(
            session[0].id, session[1].content_hash, age_14_or_over=True, name=c.name),
            self.app.deps)
        material = self.frames[ev.who]
        enrolled = enroll_face(EnrollCmd(session[0].id, consent.id, list(material.enroll),
                                         frame_times_ms=material.enroll_times), self.app.deps)
        gu.same_as(self.app.deps, self.office_id, self.last_visit[ev.who], enrolled.visit.id)
        self.receipts[ev.who] = consent.id

    def face_return(self, ev: Ev, c: Customer) -> None:
        session, _ = kiosk.start_session(self.office_id, self.app.deps)
        material = self.frames[ev.who]
        return_with_face(ReturnCmd(session.id, list(material.again),
                                   frame_times_ms=material.again_times,
                                   receipt_id=self.receipts[ev.who]), self.app.deps)

    def correct(self, ev: Ev, c: Customer) -> None:
        day = self.at(ev).replace(hour=int(str(ev.arg)[:2]), minute=int(str(ev.arg)[3:]))
        reg.correct_visit_time(self.last_visit[ev.who], day, "entered late by reception",
                               self.app.deps, actor="reception-2")

    def sign(self, ev: Ev, c: Customer) -> str | None:
        face = ev.who == "f7"  # signs with the second mobile and shows their own face
        consent = None
        if face:  # the buyer says yes to the desk's face check first (C1)
            notice = desk_consent.desk_notice(self.office_id, "zh-CN", self.app.deps)
            consent = desk_consent.record(desk_consent.DeskConsentCmd(
                office_id=self.office_id, id_number=c.id_number,
                notice_hash=notice.content_hash, given=True, actor="desk-1"), self.app.deps).id
        result = signing.sign(signing.SigningCmd(
            office_id=self.office_id, buyer_name=c.name, id_number=c.id_number,
            mobile=c.mobile2 if face else c.mobile, contract_price_fen=ev.price_wan * WAN,
            actor="desk-1", live_frames=list(self.frames[ev.who].again) if face else (),
            frame_times_ms=self.frames[ev.who].again_times if face else None,
            face_receipt_id=self.receipts.get(ev.who) if face else None,
            desk_consent_id=consent, co_buyers=[self._co_buyer(co) for co in ev.co]),
            self.app.deps)
        self.signings[ev.who] = result.signing.id
        d = result.decision
        got = "pending" if not result.signing.is_final else self._label(d.channel_id)
        reasons = {*d.reason_codes, *(v.reason for v in d.verdicts)}
        if got != ev.expect or (ev.reason and ev.reason not in reasons):
            return (f"decided {words.outcome(got, CHANNEL_NAMES)} ({', '.join(sorted(reasons))})"
                    f", expected {words.outcome(ev.expect, CHANNEL_NAMES)} with {ev.reason}")
        decided = ", ".join(f"{kind} {who}" for kind, who in d.decided_by)
        if ev.decided is not None and ev.decided not in decided:
            return f"decided by {decided or 'nobody'}, expected {ev.decided}"
        return None

    def _co_buyer(self, label: str) -> signing.BuyerCmd:
        """A co-buyer (共同购房人, here the wife) on the ID number and mobile path."""
        c = self.people[label]
        return signing.BuyerCmd(name=c.name, id_number=c.id_number, mobile=c.mobile,
                                relation="spouse")

    def review(self, ev: Ev, c: Customer) -> str | None:
        done = signing.review(signing.ReviewCmd(
            self.signings[ev.who], "manager-1", "same person, visited before the claim",
            confirm=False, registration_id=None), self.app.deps)
        got = self._label(done.channel_id)
        return None if got == ev.expect and done.is_final else \
            f"reviewed to {words.outcome(got, CHANNEL_NAMES)}"

    def step(self, ev: Ev) -> str:
        """The step in words: 签约 先到访后报备 (…) · 王先生 — never the script's labels."""
        return (f"{words.STEPS[ev.kind][0]} {words.both(words.pattern(ev.who))} · "
                f"{self.people[ev.who].name}")

    def line(self, ev: Ev, problem: str | None) -> str:
        """One printed line: when, the step in words, and the outcome (a channel by its name)."""
        if problem:
            told = f"DIFF {problem}"
        else:
            told = f"ok -> {words.outcome(ev.expect, CHANNEL_NAMES)}"
            if ev.co and ev.decided:
                kind, who = ev.decided.split()
                told += f"; {words.decided_by([(kind, who)])}"
        return f"  {self.at(ev):%m-%d %H:%M}  {self.step(ev)}  {told}\n"

    def _label(self, channel_id: str | None) -> str:
        return next((k for k, v in self.channels.items() if v == channel_id), "natural")


# --- settlement and the check ----------------------------------------------------------------
def settle(month: Month, out: TextIO) -> list[str]:
    """Statements for every channel: lines = the scripted wins, totals = the hand-worked sums,
    approved, paid, and the XLSX export totals the same."""
    problems = []
    wins = {lbl: sorted(month.signings.get(e.who, "?") for e in SCRIPT if e.expect == lbl and
                        e.kind in ("sign", "review")) for lbl in CHANNELS}
    out.write("\nStatements (佣金结算单)\n")
    for label, channel_id in month.channels.items():
        st = settlement.generate_statement(channel_id, *PERIOD, month.app.deps)
        st = settlement.mark_paid(settlement.approve(st.id, month.app.deps, actor="finance").id,
                                  month.app.deps, actor="finance")
        rows = list(load_workbook(io.BytesIO(exports.statement_xlsx(st.id, month.app.deps)))
                    .active.iter_rows(values_only=True))
        deals = f"{len(st.lines)} deal" + ("" if len(st.lines) == 1 else "s")
        out.write(f"  {CHANNEL_NAMES[label]}: {deals}, {st.total_fen:,} fen "
                  f"(expected {EXPECTED_TOTALS_FEN[label]:,})\n")
        if sorted(str(line.signing_id) for line in st.lines) != wins[label]:
            problems.append(f"{CHANNEL_NAMES[label]}: statement lines differ from the scripted "
                            "wins")
        if st.total_fen != EXPECTED_TOTALS_FEN[label] or st.total_fen != sum(
                line.amount_fen for line in st.lines):
            problems.append(f"{CHANNEL_NAMES[label]}: total {st.total_fen}, expected "
                            f"{EXPECTED_TOTALS_FEN[label]}")
        if not any(row[0] == "合计 total" and row[4] == st.total_fen for row in rows):
            problems.append(f"{CHANNEL_NAMES[label]}: the XLSX total differs from "
                            f"{st.total_fen}")
        problems += _store_lines(exports.load(st.id, month.app.deps), out)
    return problems


def _store_lines(view: exports.StatementView, out: TextIO) -> list[str]:
    """A company with stores: each store's subtotal, checked against the hand-worked sums; the
    stores' and the company's own lines add up to the statement's total."""
    problems = []
    for sub in view.teams[1:]:
        out.write(f"    门店 {view.team_label(sub)}: {sub.subtree_deals} deals, "
                  f"{sub.subtree_fen:,} fen (expected "
                  f"{EXPECTED_STORE_TOTALS_FEN.get(sub.label, 0):,})\n")
        if sub.subtree_fen != EXPECTED_STORE_TOTALS_FEN.get(sub.label):
            problems.append(f"{view.channel_name} {sub.label}: subtotal {sub.subtree_fen}")
    if view.teams and sum(s.own_fen for s in view.teams) != view.statement.total_fen:
        problems.append(f"{view.channel_name}: the store lines do not add up to the total")
    return problems


def play_month(frames: dict[str, FaceMaterial], engine: FaceEngine | None, data_dir: Path,
               out: TextIO, database_url: str | None = None) -> int:
    settings = Settings(environment="development", data_dir=data_dir, database_url=database_url,
                        vault_path=None, vault_key=None, receipt_key=None, face_module="on",
                        face=FaceSettings(), liveness=liveness.SCRIPTED, demo=True)
    prepare_data_dir(settings)
    clock, sender = FakeClock(START), MemorySender()
    # the fake engine's colours hold no face YuNet could find: its landmarker reads their poses
    landmarker = FakeLandmarker() if isinstance(engine, FakeEngine) else None
    app = build(settings, clock=clock, sender=sender, engine=engine, landmarker=landmarker)
    try:
        office = default_office()
        ensure_demo_office(app.deps)
        record_demo_pia(app.deps, legal_entity=office.legal_entity)
        month = Month(app, clock, sender, frames, office.id)
        month.setup()
        problems = []
        for ev in sorted(SCRIPT, key=month.at):
            problem = month.play(ev)
            if ev.kind in ("sign", "review", "qr_escort") or ev.expect == "refused" or problem:
                out.write(month.line(ev, problem))
            if problem:
                problems.append(f"{month.step(ev)} day {ev.day}: {problem}")
        problems += settle(month, out)
        problems += gu.report(app.deps, office.id, month.signings, out, START)
        problems += check_risk(app.deps, office.id, month.channels, CHANNEL_NAMES, out)[1]
    finally:
        app.close()
    if problems:
        out.write("\nDIFFERS FROM THE SCRIPT:\n" + "".join(f"  - {p}\n" for p in problems))
        return 1
    out.write(f"\nas scripted: {len(month.people)} visitors, {len(month.signings)} signings, "
              f"{len(CHANNELS)} statements totalling {sum(EXPECTED_TOTALS_FEN.values()):,} fen\n")
    return 0


def run_demo_month(faces: Path | None = None, *, data_dir: Path | None = None,
                   out: TextIO | None = None, synthetic: bool = False,
                   database_url: str | None = None) -> int:
    """Play the month; 0 as scripted, 1 on any difference, 2 when it cannot start. Faces from
    `faces` or `find_face_set()` on the real engine; without them (or with `synthetic`),
    synthetic faces on the fake engine. `database_url`: another store than the data dir's SQLite
    (the tests play the month on PostgreSQL too; it must be empty or freshly migrated)."""
    out = out or sys.stdout
    started = time.monotonic()
    if data_dir is not None and data_dir.exists() and any(data_dir.iterdir()):
        out.write(f"refusing to run in {data_dir}: the demo needs an empty data dir\n")
        return 2
    root = None if synthetic else faces or find_face_set()
    try:
        if root is not None and (root / "labels.csv").is_file():
            out.write(f"faces: public set at {root} (real dlib engine)\n")
            frames, engine = public_frames(root), None
        else:
            out.write("faces: SYNTHETIC (solid colours on the fake engine; no public set)\n")
            frames, engine = synthetic_frames(), FakeEngine(FaceSettings())
    except (OSError, ValueError, CannotStart) as exc:
        out.write(f"cannot start: {exc}\n")
        return 2
    out.write(liveness.NOTE)
    if data_dir is not None:
        code = play_month(frames, engine, data_dir, out, database_url)
    else:
        with tempfile.TemporaryDirectory(prefix="keyuan-month-") as temporary:
            code = play_month(frames, engine, Path(temporary), out, database_url)
    out.write(f"{'OK' if code == 0 else 'FAILED'} in {time.monotonic() - started:.1f} s\n")
    return code
