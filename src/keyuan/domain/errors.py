"""Domain errors. Services raise these; one handler in `api.errors` maps them to
`{"error": code, "message": ...}` with the status named here. Nothing else catches them."""

from __future__ import annotations


class KeyuanError(Exception):
    """Base of every error a user can cause. `code` is stable and machine-readable."""

    code = "error"
    status = 400
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, **details: object) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


# --- the request itself, and the store behind it ---
class InvalidText(KeyuanError):
    code, status = "invalid_text", 422
    default_message = "Text may not contain NUL or other control characters."


class StoreUnavailable(KeyuanError):
    code, status = "store_unavailable", 503
    default_message = ("The data store cannot be written or reached right now (read-only disk, "
                       "full disk or database down); nothing was saved. Try again later.")


# --- images (arrive as bytes, decoded in memory) ---
class NotAnImage(KeyuanError):
    code, status, default_message = "not_an_image", 400, "The data is not a JPEG or PNG image."


class ImageTruncated(KeyuanError):
    code, status, default_message = "image_truncated", 400, "The image data is incomplete."


class ImageTooLarge(KeyuanError):
    code, status, default_message = "image_too_large", 413, "The image has too many pixels."


class ImageShapeRefused(KeyuanError):
    code, status = "image_shape_refused", 422
    default_message = "The image is too small or too narrow to hold a face."


# --- quality gates (reason codes) ---
class FaceQualityError(KeyuanError):
    status = 422


class NoFace(FaceQualityError):
    code, default_message = "no_face", "No face was found. Please face the camera."


class MultipleFaces(FaceQualityError):
    code, default_message = "multiple_faces", "More than one face is visible. One person at a time."


class FaceTooSmall(FaceQualityError):
    code, default_message = "face_too_small", "The face is too small. Please move closer."


class FaceTooBlurry(FaceQualityError):
    code, default_message = "face_too_blurry", "The image is blurred. Please hold still."


class FaceTooDark(FaceQualityError):
    code, default_message = "face_too_dark", "The face is too dark."


class FaceTooBright(FaceQualityError):
    code, default_message = "face_too_bright", "The face is over-exposed."


class NotEnoughFrames(FaceQualityError):
    code, default_message = "not_enough_frames", "Not enough good frames to enroll."


class EngineModelInvalid(KeyuanError):
    """A face model's weight file is missing or does not match its pinned SHA-256: it is never
    loaded. The operator's to fix (reinstall); the phone path keeps working."""

    code, status = "engine_model_invalid", 500
    default_message = "A face model file is missing or altered; face features are unavailable."


# --- consent and notice ---
class ConsentMissing(KeyuanError):
    code, status = "consent_missing", 403
    default_message = "No valid consent covers this processing."


class ConsentWithdrawn(KeyuanError):
    code, status, default_message = "consent_withdrawn", 403, "This consent has been withdrawn."


class PurposeMismatch(KeyuanError):
    code, status = "purpose_mismatch", 403
    default_message = "The template's purpose does not cover this use."


class NoticeIncomplete(KeyuanError):
    code, status = "notice_incomplete", 422
    default_message = "The notice is missing required content."


class NoticeMismatch(KeyuanError):
    code, status = "notice_mismatch", 409
    default_message = "The consent refers to a notice that is not the office's current notice."


class InvalidNotice(KeyuanError):
    code, status, default_message = "invalid_notice", 422, "The notice draft is not valid."


class UnknownNotice(KeyuanError):
    code, status, default_message = "unknown_notice", 404, "No such notice."


class NoticeAlreadyPublished(KeyuanError):
    code, status = "notice_already_published", 409
    default_message = "This notice is already published; published notices never change."


class NoActiveNotice(KeyuanError):
    code, status, default_message = "no_active_notice", 409, "The office has no published notice."


class UseNotInNotice(KeyuanError):
    code, status = "use_not_in_notice", 409
    default_message = "The notice in force does not name this face use: publish one that does."


class LaneNotInNotice(KeyuanError):
    code, status = "lane_not_in_notice", 409
    default_message = ("The notice in force does not name this camera's lane and alternative "
                       "route: publish it again (`keyuan notice republish`).")


class LivenessNotInNotice(KeyuanError):
    code, status = "liveness_not_in_notice", 409
    default_message = ("The notice in force does not tell of the liveness check as it runs now: "
                       "publish it again (`keyuan notice republish`).")


class ConsentNotCovering(KeyuanError):
    code, status = "consent_renewal_needed", 409
    default_message = ("The consent was given under a notice that did not name this face use: "
                       "ask the visitor for consent again.")


class FaceUseOff(KeyuanError):
    code, status = "face_use_off", 409
    default_message = "This face use is switched off in the configuration."


class MinorNotEligible(KeyuanError):
    code, status = "minor_face_refused", 403
    default_message = "Face check-in is not offered to people under 14. Please use mobile check-in."


class FaceDeclinedThisVisit(KeyuanError):
    code, status = "face_declined_this_visit", 409
    default_message = "Face check-in was declined in this visit; mobile check-in continues."


class FaceModuleDisabled(KeyuanError):
    code, status = "face_module_disabled", 409
    default_message = "Face check-in is switched off at this office. Mobile check-in works."


class AlreadyEnrolled(KeyuanError):
    code, status, default_message = "already_enrolled", 409, "This person already has a template."


# --- identity and codes ---
class InvalidMobile(KeyuanError):
    code, status = "invalid_mobile", 422
    default_message = "The mobile number is not a valid mainland China mobile number."


class CodeInvalid(KeyuanError):
    code, status, default_message = "code_invalid", 400, "The code is wrong."


class CodeExpired(KeyuanError):
    code, status, default_message = "code_expired", 410, "The code has expired. Request a new one."


class TooManyAttempts(KeyuanError):
    code, status = "too_many_attempts", 429
    default_message = "Too many wrong codes. Request a new one."


class CodeRateLimited(KeyuanError):
    code, status = "code_rate_limited", 429
    default_message = "A code was sent moments ago. Please wait before asking again."


# --- the SMS gateway (a real provider: Aliyun or Tencent Cloud SMS) ---
class SmsNotDelivered(KeyuanError):
    """The gateway did not take the code. `outcome` (a `domain.sms.DeliveryOutcome` value)
    is recorded per delivery with the provider's own `provider_code` and `request_id`;
    `retry_after`, when set, is sent as the `Retry-After` header."""

    code, status, outcome = "sms_gateway_refused", 502, "refused"
    default_message = ("The SMS service refused to send the code (the office's SMS account "
                       "needs attention). Please ask reception.")

    def __init__(self, message: str | None = None, *, provider_code: str = "",
                 request_id: str | None = None, attempts: int = 1,
                 retry_after: int | None = None) -> None:
        super().__init__(message)
        self.provider_code, self.request_id, self.attempts = provider_code, request_id, attempts
        self.retry_after = retry_after


class SmsGatewayThrottled(SmsNotDelivered):
    code, status, outcome = "sms_gateway_throttled", 429, "throttled"
    default_message = ("The SMS service is limiting messages to this number right now. "
                       "Please wait before asking for a new code, or ask reception.")


class SmsNumberRefused(SmsNotDelivered):
    code, status, outcome = "sms_number_refused", 422, "number_refused"
    default_message = "The SMS service cannot send to this number. Please check it."


class SmsGatewayUnavailable(SmsNotDelivered):
    code, status, outcome = "sms_gateway_unavailable", 503, "unavailable"
    default_message = ("The SMS service did not answer; the code may not arrive. Please try "
                       "again shortly, or ask reception.")


class UnknownPerson(KeyuanError):
    code, status, default_message = "unknown_person", 404, "No such person."


class UnknownOffice(KeyuanError):
    code, status, default_message = "unknown_office", 404, "No such office."


# --- offices and their controller (the legal entity named by notices and receipts) ---
class InvalidOffice(KeyuanError):
    code, status, default_message = "invalid_office", 422, "The office details are not valid."


class InvalidCreditCode(KeyuanError):
    code, status = "invalid_credit_code", 422
    default_message = ("The unified social credit code is not valid (18 characters, GB "
                       "32100-2015).")


class InvalidContact(KeyuanError):
    code, status = "invalid_contact", 422
    default_message = "The contact is neither a phone number nor an e-mail address."


class OfficeExists(KeyuanError):
    code, status, default_message = "office_exists", 409, "An office with this id exists."


class LegalEntityExists(KeyuanError):
    code, status = "legal_entity_exists", 409
    default_message = "A legal entity with this name or credit code exists."


class UnknownLegalEntity(KeyuanError):
    code, status, default_message = "unknown_legal_entity", 404, "No such legal entity."


class ControllerIncomplete(KeyuanError):
    """The office's legal entity lacks what a notice must name about the controller (PIPL
    art. 17): the kiosk does not start until an admin completes it."""

    code, status = "controller_incomplete", 409
    default_message = ("Check-in is not open at this office yet: the details of who is "
                       "responsible for your personal information are not complete. Please ask "
                       "the staff.")


class NoOfficeYet(UnknownOffice):
    """Nothing is pre-created outside demo mode: an admin adds the office first."""

    code = "no_office_yet"
    default_message = ("No sales office is set up yet: an admin adds one with `keyuan office "
                       "add` or on /admin/offices.")


class OfficeRequired(KeyuanError):
    """A command that acts on one office was not told which, and there are several."""

    code, status = "office_required", 400
    default_message = "There are several sales offices: name one with --office."


class SessionPersonMismatch(KeyuanError):
    code, status = "session_person_mismatch", 409
    default_message = ("This kiosk session already checked someone in. Each visitor starts a "
                       "new session.")


# --- paired kiosk devices (the reception tablets) ---
class DeviceNotPaired(KeyuanError):
    code, status = "device_not_paired", 401
    default_message = ("This tablet is not paired with the sales office (or was unpaired). "
                       "Ask the administrator to pair it: /admin/devices or "
                       "`keyuan device pair`.")


class DeviceOtherOffice(KeyuanError):
    code, status = "device_other_office", 403
    default_message = "This tablet is paired with another sales office."


class PairingCodeInvalid(KeyuanError):
    code, status = "pairing_code_invalid", 400
    default_message = ("The pairing code is wrong, has expired or was already used. Ask the "
                       "administrator for a new one.")


class InvalidDeviceName(KeyuanError):
    code, status = "invalid_device_name", 422
    default_message = "A device name is 1 to 60 characters."


class UnknownDevice(KeyuanError):
    code, status, default_message = "unknown_device", 404, "No such kiosk device."


class DeviceAlreadyUnpaired(KeyuanError):
    code, status = "device_already_unpaired", 409
    default_message = "The device is already unpaired."


class UnknownSession(KeyuanError):
    code, status, default_message = "unknown_session", 404, "No such kiosk session."


class UnknownConsent(KeyuanError):
    code, status = "unknown_consent", 404
    default_message = "No receipt has that code. Check the code on your receipt and try again."


class ReceiptCodeInvalid(KeyuanError):
    code, status = "receipt_code_invalid", 422
    default_message = ("That is not a receipt code. A receipt code looks like KY-7F3KQ-9Q2MX: "
                       "KY and ten letters and digits.")


class NotVerified(KeyuanError):
    code, status = "not_verified", 401
    default_message = "The face did not match the claimed person. Mobile check-in works."


class TemplateModelMismatch(KeyuanError):
    """A stored template was made by a face model this server cannot run: templates of two
    models live in different spaces and are never compared."""

    code, status = "template_model_mismatch", 409
    default_message = ("This face check-in was made with another face engine and cannot be "
                       "compared here. Please use the mobile path.")


class SecondFactorNeeded(KeyuanError):
    code, status = "second_factor_needed", 409
    default_message = ("The face check is uncertain. Check an ID document of the visitor and "
                       "confirm you did, or use the mobile path.")


class PossiblyKnown(KeyuanError):
    """Enrollment found a likely earlier face check-in of the same person: no second record is
    made, and nobody is shown who it may be."""

    code, status = "possibly_checked_in_before", 409
    default_message = ("You may have checked in here before. Please use \"I have been here "
                       "before\" with your receipt or mobile number.")


# --- liveness challenges (活体挑战: head movements asked before a face decision) ---
class ChallengeError(KeyuanError):
    """A decision's liveness challenge cannot serve it; the page asks for a new one or offers
    the mobile path."""


class ChallengeMissing(ChallengeError):
    code, status = "challenge_missing", 422
    default_message = ("This face check needs a liveness challenge: ask for one, follow its "
                       "prompts, and send its id with the frames. Mobile check-in always works.")


class ChallengeUnknown(ChallengeError):
    code, status = "challenge_unknown", 404
    default_message = "No liveness challenge has that id. Ask for a new one."


class ChallengeElsewhere(ChallengeError):
    code, status = "challenge_elsewhere", 403
    default_message = ("That liveness challenge was issued for another kiosk session, desk or "
                       "office. Ask for a new one here.")


class ChallengeUsed(ChallengeError):
    code, status = "challenge_used", 409
    default_message = ("That liveness challenge has already served a face check: each serves "
                       "one. Ask for a new one.")


class ChallengeExpired(ChallengeError):
    code, status = "challenge_expired", 410
    default_message = "That liveness challenge has expired. Ask for a new one."


# --- compliance (receipts, impact assessment, retention, rights) ---
class ImpactAssessmentMissing(KeyuanError):
    code, status = "impact_assessment_missing", 409
    default_message = ("Face features need a recorded personal-information impact assessment "
                       "(PIA) of the current face settings. Mobile check-in works.")


class ImpactAssessmentStale(ImpactAssessmentMissing):
    code = "impact_assessment_stale"
    default_message = ("The face settings changed since the last impact assessment; record a "
                       "new one before face features run again. Mobile check-in works.")


class ImpactAssessmentIsDemo(ImpactAssessmentMissing):
    code = "impact_assessment_demo"
    default_message = ("The impact assessment on record is a demonstration, which covers demo "
                       "mode only; record the office's own (`keyuan pia record`) before face "
                       "features run. Mobile check-in works.")


class ImpactAssessmentIncomplete(KeyuanError):
    code, status = "impact_assessment_incomplete", 422
    default_message = "The impact assessment is missing required content."


class ReceiptNotSigned(KeyuanError):
    code, status = "receipt_not_signed", 404
    default_message = "This consent has no signed receipt."


# --- attribution and settlement (判客, 佣金结算) ---
class InvalidIdNumber(KeyuanError):
    code, status = "invalid_id_number", 422
    default_message = "The ID number is not a valid 18-digit resident ID (GB 11643)."


class InvalidRegistration(KeyuanError):
    code, status, default_message = "invalid_registration", 422, "The registration is incomplete."


class InvalidThresholds(KeyuanError):
    code, status, default_message = "invalid_thresholds", 422, "A risk threshold is out of range."


# 报备 answered at once (domain.attribution.registration.conflict_of); never names another channel
class RegistrationDuplicate(KeyuanError):
    code, status = "registration_duplicate", 409
    default_message = "This channel has already registered this customer."


class RegistrationCustomerKnown(KeyuanError):
    code, status = "registration_customer_known", 409
    default_message = "The customer has already visited the sales office."


class RegistrationProtectedElsewhere(KeyuanError):
    code, status = "registration_protected_elsewhere", 409
    default_message = "The customer is already registered and protected."


class UnknownChannel(KeyuanError):
    code, status, default_message = "unknown_channel", 404, "No such channel."


class ChannelInactive(KeyuanError):
    code, status = "channel_inactive", 409
    default_message = "This channel, or agent, is deactivated: it takes no new registrations."


class UnknownAgent(KeyuanError):
    code, status, default_message = "unknown_agent", 404, "No such agent."


class UnknownSigning(KeyuanError):
    code, status, default_message = "unknown_signing", 404, "No such signing."


class UnknownVisit(KeyuanError):
    code, status, default_message = "unknown_visit", 404, "No such visit."


class ReceptionQueryInvalid(KeyuanError):
    code, status = "reception_query_invalid", 422
    default_message = ("Search by the registration id, the last four digits of the mobile, the "
                       "masked mobile (138****5678) or the full number.")


class VisitAlreadyConfirmed(KeyuanError):
    """到访确认 once per registration: a second confirmation (or a parallel one) is refused."""

    code, status = "visit_already_confirmed", 409
    default_message = "This registration's visit has already been confirmed."


# 扫码带访 (QR escort, domain.attribution.escort): the agent's one-time pass at reception
class EscortPassForged(KeyuanError):
    code, status = "escort_pass_forged", 422
    default_message = ("This QR code is not a pass keyuan issued, or it was altered: its "
                       "signature does not match. Ask the agent to show a new one.")


class EscortCodeUnknown(KeyuanError):
    code, status = "escort_code_unknown", 404
    default_message = "No pass has this code. Check the eight characters on the agent's phone."


class EscortPassExpired(KeyuanError):
    code, status = "escort_pass_expired", 410
    default_message = "This pass has expired. Ask the agent to show a new one."


class EscortPassUsed(KeyuanError):
    code, status = "escort_pass_used", 409
    default_message = "This pass has already been used: a pass confirms one visit only."


class EscortPassOtherOffice(KeyuanError):
    code, status = "escort_pass_other_office", 409
    default_message = "This pass was issued for another sales office."


class EscortRegistrationInvalid(KeyuanError):
    code, status = "escort_registration_invalid", 409
    default_message = ("This registration can no longer be confirmed by an escort (its window "
                       "has passed, it was marked, its visit is already confirmed or its "
                       "channel is deactivated).")


class EscortInputInvalid(KeyuanError):
    code, status = "escort_input_invalid", 422
    default_message = "Give either the scanned QR code or the typed code, not both."


class NoConsultantAvailable(KeyuanError):
    """轮排: every consultant of the office is marked away today, or there is none."""

    code, status = "no_consultant_available", 409
    default_message = ("No consultant is available: every sales account is marked away today, "
                       "or the office has none (an admin adds accounts of the sales role).")


class UnknownConsultant(KeyuanError):
    code, status = "unknown_consultant", 404
    default_message = "No such consultant: choose an enabled account of the sales role."


class ConsultantAway(KeyuanError):
    code, status = "consultant_away", 409
    default_message = "This consultant is marked away today: mark them available first."


class ConsultantAlreadyAssigned(KeyuanError):
    """One consultant per visit: a second assignment (or a parallel one) is refused."""

    code, status = "consultant_already_assigned", 409
    default_message = "This visit already has a consultant."


class ConsultantNotAssigned(KeyuanError):
    """A reassignment names a visit no consultant has yet: assign one first."""

    code, status = "consultant_not_assigned", 409
    default_message = "This visit has no consultant yet: assign one first."


class ConsultantChanged(KeyuanError):
    """A reassignment of a visit someone else reassigned since the page showed it."""

    code, status = "consultant_changed", 409
    default_message = ("Someone reassigned this visit meanwhile: look at who has it now, then "
                       "reassign it again if still needed.")


class ConsultantUnchanged(KeyuanError):
    """A reassignment to the consultant who has the visit already (a second press)."""

    code, status = "consultant_unchanged", 409
    default_message = "This consultant already has this visit."


class QueuePlaceInvalid(KeyuanError):
    code, status = "queue_place_invalid", 422
    default_message = "The place in the queue must be between 1 and the number of consultants."


class VisitNotToday(KeyuanError):
    code, status = "visit_not_today", 409
    default_message = "Reception assigns consultants to today's visits only."


class ReviewNotPending(KeyuanError):
    code, status = "review_not_pending", 409
    default_message = "This attribution is not waiting for review."


# signing desk: sending an automatic decision to review
class AlreadyInReview(KeyuanError):
    code, status = "already_in_review", 409
    default_message = "This signing is already waiting for a manager's review."


class AlreadyReviewed(KeyuanError):
    code, status = "already_reviewed", 409
    default_message = "A manager already reviewed this signing; raise a dispute instead."


class AlreadySettled(KeyuanError):
    code, status = "already_settled", 409
    default_message = ("This signing's commission is in an approved or paid statement; raise a "
                       "dispute on that statement instead.")


class InvalidAgreement(KeyuanError):
    code, status, default_message = "invalid_agreement", 422, "The channel agreement is invalid."


class UnknownStatement(KeyuanError):
    code, status, default_message = "unknown_statement", 404, "No such settlement statement."


class StatementStateError(KeyuanError):
    code, status = "statement_state", 409
    default_message = "The statement cannot make that change in its current state."


class StatementPeriodOverlap(KeyuanError):
    code, status = "statement_period_overlap", 409
    default_message = ("Another statement of this channel covers part of that period; void it "
                       "first or choose a period that does not overlap.")


class DeskConsentMissing(KeyuanError):
    code, status = "desk_consent_missing", 403
    default_message = ("The buyer has not given the signing desk's face-check consent: record "
                       "it (POST /api/offices/{office_id}/desk-consents) before any photo, chip "
                       "photo or face receipt. Signing by ID number and mobile always works.")


class DeskConsentRefused(KeyuanError):
    code, status = "desk_consent_refused", 403
    default_message = ("The buyer refused the desk's face check: no photo, chip photo or face "
                       "receipt is compared. Sign by ID number and mobile; attribution is the "
                       "same.")


class UnderFourteenNoFace(KeyuanError):
    code, status = "under_14_no_face", 403
    default_message = ("The ID number says the buyer is under 14: no face processing (C5). Sign "
                       "by ID number and mobile; attribution is the same.")


class DuplicateSigning(KeyuanError):
    code, status = "duplicate_signing", 409
    default_message = ("This buyer signed for the same unit and price moments ago; that signing "
                       "stands (details.signing_id).")


class IdempotencyKeyReused(KeyuanError):
    code, status = "idempotency_key_reused", 422
    default_message = ("That Idempotency-Key was used for a different request; use a new key "
                       "for a new request.")


class IdempotencyKeyInvalid(KeyuanError):
    code, status = "invalid_idempotency_key", 422
    default_message = "An Idempotency-Key is 1 to 255 visible ASCII characters."


class IdempotencyKeyInFlight(KeyuanError):
    code, status = "idempotency_key_in_flight", 409
    default_message = "The first request with that Idempotency-Key is still running; retry."


class UnknownDispute(KeyuanError):
    code, status, default_message = "unknown_dispute", 404, "No such dispute."


class NoMobileOnFile(KeyuanError):
    code, status = "no_mobile_on_file", 409
    default_message = ("No mobile number is on file for this receipt, so no code can be sent. "
                       "Please ask at the sales office or write to the responsible person named "
                       "in the notice; staff will verify you in person.")


class RightsAccessDenied(KeyuanError):
    code, status = "rights_access_denied", 401
    default_message = "Verify with your receipt id and the code sent to your mobile first."


class RightsFaceNotVerified(KeyuanError):
    code, status = "rights_face_not_verified", 403
    default_message = ("The live face did not match this receipt's face template, so no rights "
                       "session was opened. Check the visitor's identity another way and answer "
                       "the request through the staff queue.")


class UnknownRightsRequest(KeyuanError):
    code, status, default_message = "unknown_rights_request", 404, "No such rights request."


class InvalidListFilter(KeyuanError):
    """A search or filter of a list (the distributor portal's registrations or statements)
    that cannot be read: refused in words, never silently widened."""

    code, status = "invalid_filter", 422
    default_message = "The search or filter cannot be read."


class InvalidDashboardRange(KeyuanError):
    code, status = "invalid_dashboard_range", 422
    default_message = "days must be a whole number from 1 to 366."


# --- throttles (answered 429 or 503 with a Retry-After header) ---
class Throttled(KeyuanError):
    """Too many attempts of one kind from one subject in a window. `retry_after`: seconds until
    one more attempt would be allowed (sent as the `Retry-After` header)."""

    code, status = "rate_limited", 429
    default_message = "Too many attempts. Please wait before trying again."

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class SmsThrottled(Throttled):
    code = "sms_rate_limited"
    default_message = ("Too many codes were sent to this number, from this device or in this "
                       "visit. Please wait, or ask reception.")


class CodeLockedOut(Throttled):
    code = "code_locked_out"
    default_message = ("Too many wrong codes for this number or from this device. Please wait, "
                       "or ask reception.")


class SessionsThrottled(Throttled):
    code = "kiosk_sessions_rate_limited"
    default_message = "Too many kiosk sessions were started from this device. Please wait."


class PairingThrottled(Throttled):
    code = "pairing_rate_limited"
    default_message = "Too many wrong pairing codes from this address. Please wait."


class FaceAttemptsThrottled(Throttled):
    code = "face_attempts_rate_limited"
    default_message = ("Too many face checks for this person or from this device. Please use "
                       "mobile check-in, or wait.")


class RightsThrottled(Throttled):
    code = "rights_rate_limited"
    default_message = ("Too many codes or wrong codes for this receipt or from this device. "
                       "Please wait, or ask at the sales office.")


class ReceiptLookupThrottled(Throttled):
    code = "receipt_lookup_rate_limited"
    default_message = ("Too many receipt codes that do not exist were tried from this device. "
                       "Please wait, or ask at reception.")


class FaceBusy(Throttled):
    """Every face-work slot of this server is taken: the request is refused at once instead of
    queueing behind minutes of CPU."""

    code, status = "face_busy", 503
    default_message = "Face check-in is busy. Please try again in a moment, or use your mobile."


class TooManyFrames(KeyuanError):
    code, status = "too_many_frames", 422
    default_message = "Too many images in one request."


class FrameTimesMismatch(KeyuanError):
    """The capture times of a face request's frames do not pair up with the frames: each frame
    needs its own time (liveness reads how they are spread), so the request is refused before
    any frame is decoded."""

    code, status = "frame_times_mismatch", 422
    default_message = "Each frame needs its own capture time (frame_times_ms): the counts differ."


# --- backup, restore and the vault key (`keyuan backup|restore|vault rotate-key`) ---
class BackupPassphraseWrong(KeyuanError):
    code, status = "backup_passphrase_wrong", 400
    default_message = "The passphrase does not open this backup; nothing was changed."


class BackupDamaged(KeyuanError):
    code, status = "backup_damaged", 400
    default_message = ("The backup file is damaged or incomplete (it failed authentication); "
                       "nothing was changed.")


class BackupPassphraseMissing(KeyuanError):
    code, status = "backup_passphrase_missing", 400
    default_message = ("No passphrase: give --passphrase-file, set KEYUAN_BACKUP_PASSPHRASE, or "
                       "run the command in a terminal to be asked.")


class BackupPassphraseWeak(KeyuanError):
    code, status = "backup_passphrase_weak", 400
    default_message = "A backup passphrase needs at least 12 characters."


class BackupFileExists(KeyuanError):
    code, status = "backup_file_exists", 409
    default_message = "That file exists already: name a new file, nothing was overwritten."


class BackupFailed(KeyuanError):
    code, status = "backup_failed", 500
    default_message = "The store could not be copied; no backup file was left."


class BackupStoreMismatch(KeyuanError):
    code, status = "backup_store_mismatch", 409
    default_message = ("The backup is of another kind of store (SQLite and PostgreSQL restore "
                       "onto their own kind only); nothing was changed.")


class RestoreTargetNotEmpty(KeyuanError):
    code, status = "restore_target_not_empty", 409
    default_message = ("The store here already holds data: `keyuan restore FILE --force` "
                       "replaces it (everything in it is lost); nothing was changed.")


class RestoreKeyConflict(KeyuanError):
    code, status = "restore_key_conflict", 409
    default_message = ("A key set in the environment (KEYUAN_VAULT_KEY or KEYUAN_RECEIPT_KEY) "
                       "differs from the backup's: unset it or set the backup's; nothing was "
                       "changed.")


class RestoreUnverified(KeyuanError):
    code, status = "restore_unverified", 500
    default_message = "The restored office does not match the backup's manifest."


class ServeRunning(KeyuanError):
    code, status = "serve_running", 409
    default_message = ("`keyuan serve` (or `keyuan capture pull`) is running on this data "
                       "directory: stop it first; nothing was changed.")


class MaintenanceRunning(KeyuanError):
    code, status = "maintenance_running", 409
    default_message = ("A restore or a vault key rotation is running on this data directory: "
                       "try again when it has finished.")


class VaultKeyFromEnvironment(KeyuanError):
    code, status = "vault_key_from_environment", 409
    default_message = ("The vault key comes from KEYUAN_VAULT_KEY: rotate it where it is kept "
                       "(this command rotates the key file data_dir/vault.key only).")


class RestoreSecretKeyDiffers(KeyuanError):
    code, status = "restore_secret_key_differs", 409
    default_message = ("KEYUAN_SECRET_KEY here is not the one of the office that was backed up: "
                       "mobile numbers and codes are keyed with it, so set it to the old "
                       "server's value first; nothing was changed.")


# 共同购房人: a signing names one main buyer and any co-buyers (domain.attribution.household)
class NoMainBuyer(KeyuanError):
    code, status = "no_main_buyer", 422
    default_message = "A signing names exactly one main buyer (主购人): mark one buyer as main."


class SeveralMainBuyers(KeyuanError):
    code, status = "several_main_buyers", 422
    default_message = ("A signing names exactly one main buyer (主购人): more than one buyer is "
                       "marked as main.")


class TooManyBuyers(KeyuanError):
    code, status = "too_many_buyers", 422
    default_message = "A signing names at most six buyers."


class DuplicateBuyer(KeyuanError):
    code, status = "duplicate_buyer", 422
    default_message = "The same person is named twice on the signing: name each buyer once."
