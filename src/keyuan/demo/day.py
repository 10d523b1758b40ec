"""`keyuan demo`: one scripted day at one sales office, on real photos, checked against the script.

Everything runs through `bootstrap.build` and the real services with the real dlib engine, in a
throw-away data dir. Photos are read as bytes and turned into kiosk frames in memory (C11, C15);
nothing image-like is ever written. The day's outcome (every step, visits, receipts, gallery,
vault, audit chain) is compared with what the script says should happen.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib.util import find_spec
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from keyuan.adapters.biometrics.engines import is_configured_engine
from keyuan.adapters.clock import FakeClock
from keyuan.adapters.sms.outbox import MemorySender
from keyuan.bootstrap import App, build, prepare_data_dir
from keyuan.config.face import FaceSettings
from keyuan.config.settings import Settings
from keyuan.demo import liveness
from keyuan.demo.faces import (
    CannotStart,
    FaceMaterial,
    bundled_faces,
    find_face_set,
    public_faces,
)
from keyuan.demo.office import default_office, ensure_demo_office
from keyuan.domain.canonical import sha256_hex
from keyuan.domain.checkin.consent import Consent, ConsentScope
from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.compliance.audit import chain_problems
from keyuan.domain.errors import KeyuanError
from keyuan.domain.mobile import mask_mobile
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin import kiosk
from keyuan.services.checkin.face import (
    CheckInResult,
    EnrollCmd,
    ReturnCmd,
    enroll_face,
    return_with_face,
)
from keyuan.services.checkin.phone import PhoneCheckInCmd, phone_check_in, request_code
from keyuan.services.compliance.pia import record_demo_pia
from keyuan.services.ports import UnitOfWork

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)
"""Photos are shrunk to this long side in memory: the HOG detector's cost grows with pixels."""

PREFERRED_PEOPLE = ("df_id01", "df_id03", "df_id10", "fr_obama", "df_id02")
"""Tightest clusters in the public set first (a 4th photo within 0.32 of the mean of 3)."""

MOBILES = {"A": "13912340001", "B": "13912340002", "C": "13912340003", "D": "13912340004",
           "E": "13912340005"}


# --- the script ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    at: str
    """HH:MM, Asia/Shanghai."""
    who: str
    """The visitor at the kiosk (their face, their phone)."""
    action: str
    expect: str
    """"visit:<method>", "declined", "withdrawn" or "refused:<error code>"."""
    says: str
    claims: str | None = None
    """Whose receipt is shown; default the visitor's own."""
    same_visit: bool = False
    """Continue the visitor's kiosk session instead of starting a new one."""
    gallery: int | None = None
    """Gallery size the step must leave behind."""


SCRIPT = (
    Step("09:05", "A", "first_face_visit", "visit:face_kiosk",
         "chooses face: separate consent, kiosk frames, enrolled", gallery=1),
    Step("09:20", "B", "phone_visit", "visit:phone", "chooses phone: SMS code, no biometric"),
    Step("09:40", "C", "decline_face", "declined", "declines face with one tap"),
    Step("09:41", "C", "face_consent", "refused:face_declined_this_visit",
         "face consent again in the same visit", same_visit=True),
    Step("09:42", "C", "phone_visit", "visit:phone", "checks in by phone instead",
         same_visit=True),
    Step("10:10", "D", "first_face_visit", "visit:face_kiosk",
         "chooses face: separate consent, kiosk frames, enrolled", gallery=2),
    Step("11:30", "E", "phone_visit", "visit:phone", "chooses phone"),
    Step("14:00", "A", "face_return", "visit:face_kiosk",
         "returns: shows receipt, other photos, 1:1 verify"),
    Step("14:30", "D", "face_return", "visit:face_kiosk",
         "returns: shows receipt, other photos, 1:1 verify"),
    Step("15:00", "A", "face_return", "refused:not_verified",
         "shows D's receipt with A's own face", claims="D"),
    Step("16:00", "D", "withdraw", "withdrawn", "withdraws face consent (one step)", gallery=1),
    Step("16:10", "D", "face_return", "refused:not_verified",
         "returns by face after withdrawing: the answer a stranger gets"),
    Step("17:00", "B", "phone_visit", "visit:phone", "returns by phone: second visit"),
)

STILL_PHOTO_SCRIPT = (
    Step("09:05", "A", "first_face_visit", "refused:not_live",
         "chooses face: frames of ONE photo moved about, refused as not live", gallery=0),
    Step("09:06", "A", "phone_visit", "visit:phone", "takes the mobile path instead"),
    Step("09:20", "B", "phone_visit", "visit:phone", "chooses phone: SMS code, no biometric"),
    Step("09:40", "C", "decline_face", "declined", "declines face with one tap"),
    Step("09:41", "C", "face_consent", "refused:face_declined_this_visit",
         "face consent again in the same visit", same_visit=True),
    Step("09:42", "C", "phone_visit", "visit:phone", "checks in by phone instead",
         same_visit=True),
    Step("10:10", "D", "first_face_visit", "refused:not_live",
         "chooses face: frames of ONE photo moved about, refused as not live", gallery=0),
    Step("10:11", "D", "phone_visit", "visit:phone", "takes the mobile path instead"),
    Step("11:30", "E", "phone_visit", "visit:phone", "chooses phone"),
    Step("14:00", "A", "phone_visit", "visit:phone", "returns by phone: second visit"),
    Step("16:00", "D", "withdraw", "withdrawn", "withdraws face consent (one step)", gallery=0),
    Step("17:00", "B", "phone_visit", "visit:phone", "returns by phone: second visit"),
)
"""The day when the only photos are scikit-image's two bundled ones (a fresh clone without the
public face set): each visitor's frames are one photo cropped, moved and re-lit, which is the
still-photo attack the liveness check exists to refuse. The demo shows that refusal honestly —
no template, no face visit — and the visitors take the mobile path."""

FACE_VISITORS = tuple(dict.fromkeys(s.who for s in SCRIPT if s.action == "first_face_visit"))


def script_for(faces: dict[str, FaceMaterial]) -> tuple[Step, ...]:
    """SCRIPT when every visitor's frames are a live-looking sequence (distinct photos), else
    STILL_PHOTO_SCRIPT."""
    return SCRIPT if all(m.live for m in faces.values()) else STILL_PHOTO_SCRIPT


# --- playing the day -------------------------------------------------------------------------
@dataclass
class Outcome:
    step: Step
    actual: str
    detail: str
    gallery: int


@dataclass
class Day:
    """The kiosk side of the script: what each visitor does, through the services only."""

    app: App
    clock: FakeClock
    sender: MemorySender
    faces: dict[str, FaceMaterial]
    office_id: str
    script: tuple[Step, ...] = SCRIPT
    labels: dict[str, str] = field(default_factory=dict)
    """person pseudonym -> visitor label; kept in memory by the demo, never stored."""
    receipts: list[str] = field(default_factory=list)
    face_receipt: dict[str, str] = field(default_factory=dict)
    visits: dict[str, tuple[KioskSession, Notice]] = field(default_factory=dict)

    def label(self, person_id: str | None) -> str:
        return self.labels.get(person_id, "?") if person_id is not None else "escort"

    def play(self, step: Step) -> Outcome:
        at = DAY.replace(hour=int(step.at[:2]), minute=int(step.at[3:]))
        if at < self.clock.now():
            raise ValueError(f"script goes back in time at {step.at}")
        self.clock.advance(seconds=(at - self.clock.now()).total_seconds())
        action: Callable[[Step], tuple[str, str]] = getattr(self, step.action)
        try:
            actual, detail = action(step)
        except KeyuanError as exc:
            actual, detail = f"refused:{exc.code}", exc.message + self._verify_note(step)
        return Outcome(step, actual, detail, len(self.app.deps.gallery))

    def _session(self, step: Step) -> tuple[KioskSession, Notice]:
        if not step.same_visit:
            self.visits[step.who] = kiosk.start_session(self.office_id, self.app.deps)
        return self.visits[step.who]

    def _got(self, who: str, consent: Consent) -> None:
        self.labels[consent.person_id] = who
        if consent.id not in self.receipts:
            self.receipts.append(consent.id)
        if consent.scope is ConsentScope.FACE:
            self.face_receipt[who] = consent.id

    def _visit(self, who: str, result: CheckInResult, detail: str) -> tuple[str, str]:
        self._got(who, result.consent)
        return f"visit:{result.visit.method.value}", detail

    def first_face_visit(self, step: Step) -> tuple[str, str]:
        consent = self._face_consent(step)
        material = self.faces[step.who]
        frames = list(material.enroll)
        result = enroll_face(EnrollCmd(self.visits[step.who][0].id, consent.id, frames,
                                       frame_times_ms=material.enroll_times), self.app.deps)
        return self._visit(step.who, result, f"{result.evidence['enrolled_frames']} of "
                           f"{len(frames)} frames enrolled, receipt {consent.id[:8]}")

    def face_consent(self, step: Step) -> tuple[str, str]:
        consent = self._face_consent(step)
        return "consented", f"receipt {consent.id[:8]}"

    def _face_consent(self, step: Step) -> Consent:
        session, notice = self._session(step)
        consent = kiosk.consent_to_face(
            kiosk.FaceConsentCmd(session.id, notice.content_hash, age_14_or_over=True),
            self.app.deps)
        self._got(step.who, consent)
        return consent

    def decline_face(self, step: Step) -> tuple[str, str]:
        session, _ = self._session(step)
        session = kiosk.decline_face(session.id, self.app.deps)
        return ("declined" if session.face_declined else "not declined"), "no reason asked"

    def phone_visit(self, step: Step) -> tuple[str, str]:
        session, notice = self._session(step)
        mobile = MOBILES[step.who]
        request_code(session.id, mobile, self.app.deps)
        recipient, text = self.sender.sent[-1]
        found = re.search(r"\b(\d{6})\b", text)
        if recipient != mobile or found is None:
            return "no code", f"the last SMS went to {mask_mobile(recipient)}"
        result = phone_check_in(PhoneCheckInCmd(session.id, mobile, found.group(1),
                                                notice.content_hash, agree=True), self.app.deps)
        return self._visit(step.who, result, f"code sent to {mask_mobile(mobile)} and entered")

    def face_return(self, step: Step) -> tuple[str, str]:
        session, _ = self._session(step)
        claimed = step.claims or step.who
        material = self.faces[step.who]
        result = return_with_face(ReturnCmd(session.id, list(material.again),
                                            frame_times_ms=material.again_times,
                                            receipt_id=self.face_receipt[claimed]), self.app.deps)
        evidence = result.evidence
        return self._visit(claimed, result, f"claims {claimed}: distance {evidence['distance']:.3f}"
                           f" <= {evidence['threshold']} over {evidence['probe_frames']} frame(s)")

    def withdraw(self, step: Step) -> tuple[str, str]:
        consent = consent_service.withdraw(self.face_receipt[step.who], self.app.deps)
        with self.app.deps.uow() as uow:
            kept = uow.vault.has(consent.person_id)
        if consent.is_active or kept:
            return "not withdrawn", f"consent active: {consent.is_active}, template kept: {kept}"
        return "withdrawn", f"receipt {consent.id[:8]}; no template kept"

    def _verify_note(self, step: Step) -> str:
        with self.app.deps.uow() as uow:
            last = uow.audit.all()[-1]
        if last.action == "face_not_live" and last.at == self.clock.now():
            return (" (the liveness check: one still photo, cropped and moved, is not a live"
                    " face; the visitor takes the mobile path)")
        if step.action != "face_return":
            return ""
        if last.action != "face_verified" or last.at != self.clock.now():
            return ""
        return f" (distance {last.detail['distance']:.3f} > {last.detail['threshold']})"


# --- checking the day against the script -----------------------------------------------------
def check_day(day: Day, outcomes: list[Outcome]) -> list[str]:
    """Everything that differs from the script, in words. Empty when the day went as written."""
    problems = [f"{o.step.at} {o.step.who} {o.step.action}: expected {o.step.expect}, "
                f"got {o.actual} ({o.detail})" for o in outcomes if o.actual != o.step.expect]
    problems += [f"{o.step.at} {o.step.who}: gallery {o.gallery}, expected {o.step.gallery}"
                 for o in outcomes if o.step.gallery is not None and o.gallery != o.step.gallery]
    return problems + _store_problems(day, day.script)


def _store_problems(day: Day, script: tuple[Step, ...]) -> list[str]:
    with day.app.deps.uow() as uow:
        visits = Counter((day.label(v.person_id), v.method.value)
                         for v in uow.visits.for_office(day.office_id))
        receipts = [_receipt(uow, rid) for rid in day.receipts]
        vault = uow.vault.count()
        uncovered = [p for p in uow.vault.pseudonyms()
                     if uow.consents.active_for(p, ConsentScope.FACE) is None]
        events = uow.audit.all()
    expected = _expected(script)
    held = Counter((day.label(c.person_id), c.scope.value, "withdrawn" if c.withdrawn_at
                    else "active") for c in receipts)
    found = {"visits": visits, "receipts": held, "gallery": len(day.app.deps.gallery),
             "vault": vault, "face_verified": Counter(e.action for e in events)["face_verified"]}
    problems = [f"{what}: {_show(found[what])}, expected {_show(want)}"
                for what, want in expected.items() if found[what] != want]
    problems += [f"receipt {c.id[:8]}: sha256 does not match its content" for c in receipts
                 if sha256_hex(c.receipt) != c.receipt_hash]
    problems += [f"template {p[:8]} has no active face consent" for p in uncovered]
    return problems + [f"audit: {p}" for p in chain_problems(events)]


def _expected(script: tuple[Step, ...]) -> dict[str, object]:
    """What the stores must hold after `script`, derived from its steps."""
    withdrawn = {s.who for s in script if s.action == "withdraw"}
    face = {s.who for s in script if s.action == "first_face_visit"}
    phone = {s.who for s in script if s.expect == "visit:phone"}
    final = next((s.gallery for s in reversed(script) if s.gallery is not None), 0)
    return {
        "visits": Counter((s.claims or s.who, s.expect.split(":")[1])
                          for s in script if s.expect.startswith("visit:")),
        "receipts": Counter([(w, "face", "withdrawn" if w in withdrawn else "active") for w in face]
                            + [(w, "phone", "active") for w in phone]),
        "gallery": final,
        "vault": final,
        # C17: one audit entry per 1:1 comparison, matched or not.
        "face_verified": _comparisons(script),
    }


def _comparisons(script: tuple[Step, ...]) -> int:
    """Face returns compared against a template: a withdrawn person's has none left."""
    gone: set[str] = set()
    count = 0
    for s in script:
        if s.action == "withdraw":
            gone.add(s.who)
        elif s.action == "face_return" and (s.claims or s.who) not in gone:
            count += s.expect in ("visit:face_kiosk", "refused:not_verified")
    return count


def _show(value: object) -> str:
    return str(dict(sorted(value.items()))) if isinstance(value, Counter) else str(value)


def _receipt(uow: UnitOfWork, receipt_id: str) -> Consent:
    consent = uow.consents.get(receipt_id)
    if consent is None:
        raise LookupError(f"receipt {receipt_id} vanished")
    return consent


# --- printing --------------------------------------------------------------------------------
def _local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%H:%M")


def _evidence(evidence: dict[str, object]) -> str:
    if "distance" in evidence:
        return f"1:1 distance {evidence['distance']:.3f} <= {evidence['threshold']}"
    if "enrolled_frames" in evidence:
        return f"enrolled from {evidence['enrolled_frames']} frames"
    return f"SMS code to {evidence.get('mobile_verified', '?')}"


def print_tables(day: Day, out: TextIO) -> None:
    with day.app.deps.uow() as uow:
        visits = uow.visits.for_office(day.office_id)
        receipts = [_receipt(uow, rid) for rid in day.receipts]
        events = len(uow.audit.all())
    out.write("\nVisits (Asia/Shanghai)\n  time   visitor  person    method      evidence\n")
    for v in visits:
        out.write(f"  {_local(v.at)}  {day.label(v.person_id):<7}  {(v.person_id or '-')[:8]}"
                  f"  {v.method.value:<10}  {_evidence(v.evidence)}\n")
    out.write("\nReceipts\n  receipt   visitor  scope  status           sha256        check\n")
    for c in receipts:
        status = f"withdrawn {_local(c.withdrawn_at)}" if c.withdrawn_at else "active"
        ok = "ok" if sha256_hex(c.receipt) == c.receipt_hash else "MISMATCH"
        out.write(f"  {c.id[:8]}  {day.label(c.person_id):<7}  {c.scope.value:<5}"
                  f"  {status:<15}  {c.receipt_hash[:12]}  {ok}\n")
    out.write(f"\naudit log: {events} entries\n")


# --- the command -----------------------------------------------------------------------------
def _faces_for(faces: Path | None, out: TextIO) -> dict[str, FaceMaterial]:
    root = faces or find_face_set()
    if root is not None and (root / "labels.csv").is_file():
        out.write(f"faces: public set at {root}\n")
        return public_faces(root, FACE_VISITORS, PREFERRED_PEOPLE)
    where = f"no labels.csv at {root}" if root is not None else "public set absent"
    if find_spec("skimage") is None:
        raise CannotStart(f"{where}, and scikit-image is not installed: pass --faces or "
                          "install scikit-image for its bundled photos")
    out.write(f"faces: {where}; using scikit-image's bundled photos\n")
    a, d = FACE_VISITORS
    return bundled_faces((a, d))


def _settings(data_dir: Path) -> Settings:
    # Pinned, so the environment cannot point the demo at a real store or other thresholds.
    return Settings(environment="development", data_dir=data_dir, database_url=None,
                    vault_path=None, vault_key=None, receipt_key=None, face_module="on",
                    face=FaceSettings(), liveness=liveness.SCRIPTED, demo=True)


def play_day(faces: dict[str, FaceMaterial], data_dir: Path, out: TextIO) -> int:
    """Build the app on `data_dir`, play the script the faces allow (`script_for`), print the
    tables, check. 0 when as scripted."""

    settings = _settings(data_dir)
    prepare_data_dir(settings)
    clock, sender = FakeClock(DAY), MemorySender()
    app = build(settings, clock=clock, sender=sender)
    try:
        if not is_configured_engine(app.deps.engine, settings.face):
            raise RuntimeError("the demo runs on the real configured engine only")
        office = default_office()
        ensure_demo_office(app.deps)
        record_demo_pia(app.deps, legal_entity=office.legal_entity)  # C23: labelled a demo
        script = script_for(faces)
        day = Day(app, clock, sender, faces, office.id, script)
        out.write("".join(f"  {label}: {m.source}\n" for label, m in faces.items()))
        out.write(f"\nA day at office '{office.id}', {DAY:%Y-%m-%d} (Asia/Shanghai)\n")
        if script is not SCRIPT:
            out.write("\nThese frames are one still photo each, cropped, moved and re-lit: the "
                      "liveness check refuses them\n(a still photo never enrolls). Face check-in "
                      "needs distinct photos of one person: pass\n--faces with the public face "
                      "set to see it; this day shows the refusal and the mobile path.\n")
        outcomes = [_play(day, step, out) for step in script]
        print_tables(day, out)
        problems = check_day(day, outcomes)
    finally:
        app.close()
    if problems:
        out.write("\nDIFFERS FROM THE SCRIPT:\n" + "".join(f"  - {p}\n" for p in problems))
        return 1
    kinds = Counter(s.expect.split(":")[0] for s in script)
    out.write(f"\nas scripted: {len(script)} steps, {kinds['visit']} visits, "
              f"{len(day.receipts)} receipts, {kinds['refused']} refusals, gallery and vault "
              f"{len(app.deps.gallery)}, every template under an active consent, audit chain "
              f"intact\n")
    return 0


def _play(day: Day, step: Step, out: TextIO) -> Outcome:
    outcome = day.play(step)
    mark = "ok  " if outcome.actual == step.expect else "DIFF"
    out.write(f"  {step.at}  {step.who}  {mark} {step.says:<54} -> {outcome.actual}: "
              f"{outcome.detail}\n")
    return outcome


def run_demo(faces: Path | None = None, *, data_dir: Path | None = None,
             out: TextIO | None = None) -> int:
    """Play the scripted day; 0 when everything went as scripted, 1 otherwise, 2 when it cannot
    start. `faces` defaults to `find_face_set()`, with scikit-image's photos as the fallback;
    `data_dir` (empty or absent) keeps the stores for inspection instead of a temporary dir."""
    out = out or sys.stdout
    started = time.monotonic()
    if data_dir is not None and data_dir.exists() and any(data_dir.iterdir()):
        out.write(f"refusing to run in {data_dir}: the demo needs an empty data dir\n")
        return 2
    try:
        material = _faces_for(faces, out)
    except CannotStart as exc:
        out.write(f"cannot start: {exc}\n")
        return 2
    out.write(liveness.NOTE)
    if data_dir is not None:
        code = play_day(material, data_dir, out)
    else:
        with tempfile.TemporaryDirectory(prefix="keyuan-demo-") as temporary:
            out.write(f"data dir: {temporary} (temporary, removed at the end)\n")
            code = play_day(material, Path(temporary), out)
    out.write(f"{'OK' if code == 0 else 'FAILED'} in {time.monotonic() - started:.1f} s\n")
    return code

