"""Kiosk and receipt endpoints. Each route parses, calls one service, renders."""

from __future__ import annotations

from fastapi import APIRouter

from keyuan.api.deps import ClientAddress, ServiceDeps
from keyuan.api.guard import CurrentDevice
from keyuan.api.schemas.checkin import (
    ChallengeIn,
    ChallengePublic,
    CheckInPublic,
    CodeIn,
    CodeSentPublic,
    DeclinedPublic,
    EnrollIn,
    FaceConsentIn,
    FrameCheckIn,
    FrameCheckPublic,
    NoticePublic,
    PhoneCheckInIn,
    ReceiptPublic,
    ReturnCheckIn,
    ReturnCheckPublic,
    ReturnIn,
    SessionPublic,
    StartSession,
    challenge_public,
    check_in_public,
    notice_public,
    receipt_public,
)
from keyuan.api.schemas.common import decode_frames
from keyuan.services.checkin import challenges as challenges_svc
from keyuan.services.checkin import consent as consent_svc
from keyuan.services.checkin import face as face_svc
from keyuan.services.checkin import kiosk as kiosk_svc
from keyuan.services.checkin import phone as phone_svc

router = APIRouter(prefix="/api")


@router.get("/offices/{office_id}/notice", tags=["notice"])
def get_notice(office_id: str, deps: ServiceDeps, lang: str = "zh-CN") -> NoticePublic:
    return notice_public(kiosk_svc.notice_of(office_id, lang, deps))


@router.post("/kiosk/sessions", status_code=201, tags=["kiosk"])
def start_session(body: StartSession, deps: ServiceDeps, client: ClientAddress,
                  device: CurrentDevice) -> SessionPublic:
    """From a paired device of that office only; the session is that device's."""
    session, notice = kiosk_svc.start_session(body.office_id, deps, client=client,
                                              device=device)
    return SessionPublic(session_id=session.id, office_id=session.office_id,
                         face_available=deps.engine is not None, face_declined=False,
                         notice=notice_public(notice))


@router.post("/kiosk/sessions/{session_id}/decline-face", tags=["kiosk"])
def decline_face(session_id: str, deps: ServiceDeps) -> DeclinedPublic:
    kiosk_svc.decline_face(session_id, deps)
    return DeclinedPublic(session_id=session_id)


@router.post("/kiosk/sessions/{session_id}/face-consent", status_code=201, tags=["kiosk"])
def face_consent(session_id: str, body: FaceConsentIn, deps: ServiceDeps) -> ReceiptPublic:
    consent = kiosk_svc.consent_to_face(kiosk_svc.FaceConsentCmd(
        session_id=session_id, notice_hash=body.notice_hash,
        age_14_or_over=body.age_14_or_over, name=body.name,
    ), deps)
    return receipt_public(consent)


@router.post("/kiosk/sessions/{session_id}/face-enrollment", status_code=201, tags=["kiosk"])
def face_enrollment(session_id: str, body: EnrollIn, deps: ServiceDeps) -> CheckInPublic:
    result = face_svc.enroll_face(face_svc.EnrollCmd(
        session_id=session_id, consent_id=body.consent_id, frames=decode_frames(body.frames),
        frame_times_ms=body.frame_times_ms,
    ), deps)
    return check_in_public(result)


@router.post("/kiosk/sessions/{session_id}/frame-check", tags=["kiosk"])
def frame_check(session_id: str, body: FrameCheckIn, deps: ServiceDeps) -> FrameCheckPublic:
    """Live camera guidance under a face consent: the quality gate's verdict on one frame."""
    advice = face_svc.check_frame(face_svc.FrameCheckCmd(
        session_id=session_id, consent_id=body.consent_id, frame=decode_frames([body.frame])[0],
    ), deps)
    return FrameCheckPublic(ok=advice is None, advice=advice)


@router.post("/kiosk/sessions/{session_id}/phone-code", status_code=202, tags=["kiosk"])
def phone_code(session_id: str, body: CodeIn, deps: ServiceDeps,
               client: ClientAddress) -> CodeSentPublic:
    sent = phone_svc.request_code(session_id, body.mobile, deps, client=client)
    return CodeSentPublic(masked_mobile=sent.masked_mobile, expires_at=sent.expires_at)


@router.post("/kiosk/sessions/{session_id}/phone-check-in", status_code=201, tags=["kiosk"])
def phone_check_in(session_id: str, body: PhoneCheckInIn, deps: ServiceDeps,
                   client: ClientAddress) -> CheckInPublic:
    result = phone_svc.phone_check_in(phone_svc.PhoneCheckInCmd(
        session_id=session_id, mobile=body.mobile, code=body.code,
        notice_hash=body.notice_hash, agree=body.agree, name=body.name, client=client,
    ), deps)
    return check_in_public(result)


@router.post("/kiosk/sessions/{session_id}/return-check", tags=["kiosk"])
def return_check(session_id: str, body: ReturnCheckIn, deps: ServiceDeps,
                 client: ClientAddress) -> ReturnCheckPublic:
    """Before the camera, a receipt claim only: is there a face check-in to compare with?"""
    return ReturnCheckPublic(face_on_file=face_svc.face_on_file(
        session_id, body.receipt_id, deps, client=client))


@router.post("/kiosk/sessions/{session_id}/liveness-challenge", status_code=201,
             tags=["kiosk"])
def liveness_challenge(session_id: str, body: ChallengeIn, deps: ServiceDeps,
                       client: ClientAddress) -> ChallengePublic:
    """活体挑战 for the return visit about to be made: random head movements to ask for, counted
    like a face attempt against the claim; it serves one return of this session, within
    `seconds`."""
    return challenge_public(challenges_svc.issue_for_kiosk(
        session_id, deps, receipt_id=body.receipt_id, mobile=body.mobile, client=client))


@router.post("/kiosk/sessions/{session_id}/return", status_code=201, tags=["kiosk"])
def return_visit(session_id: str, body: ReturnIn, deps: ServiceDeps,
                 client: ClientAddress) -> CheckInPublic:
    renewal = None if body.renewal is None else face_svc.Renewal(
        notice_hash=body.renewal.notice_hash, age_14_or_over=body.renewal.age_14_or_over)
    result = face_svc.return_with_face(face_svc.ReturnCmd(
        session_id=session_id, frames=decode_frames(body.frames),
        frame_times_ms=body.frame_times_ms, receipt_id=body.receipt_id, mobile=body.mobile,
        renewal=renewal, client=client, challenge_id=body.challenge_id,
        frame_steps=body.frame_steps,
    ), deps)
    return check_in_public(result)


@router.get("/receipts/{receipt_id}", tags=["receipts"])
def get_receipt(receipt_id: str, deps: ServiceDeps, client: ClientAddress) -> ReceiptPublic:
    return receipt_public(consent_svc.get_receipt(receipt_id, deps, client=client))


@router.post("/receipts/{receipt_id}/withdraw", tags=["receipts"])
def withdraw(receipt_id: str, deps: ServiceDeps, client: ClientAddress) -> ReceiptPublic:
    return receipt_public(consent_svc.withdraw(receipt_id, deps, client=client))
