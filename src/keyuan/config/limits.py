"""Limits that stop abuse (`KEYUAN_LIMITS__<FIELD>`): per number, paired kiosk device, address,
session, receipt and account, the kiosk's face-work slots and frames per request. A rate is
`{"limit": N, "window_seconds": S}`: at most N in any S seconds (a sliding window)."""

from __future__ import annotations

from ipaddress import ip_network

from pydantic import BaseModel, ConfigDict, Field, field_validator

from keyuan.domain.throttle import Rate


class RateSetting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: int = Field(ge=1, le=1_000_000, description="Attempts allowed in the window.")
    window_seconds: int = Field(ge=1, le=7 * 86400, description="The sliding window.")

    @property
    def rate(self) -> Rate:
        return Rate(self.limit, self.window_seconds)


def _rate(limit: int, seconds: int, description: str) -> RateSetting:
    return Field(default_factory=lambda: RateSetting(limit=limit, window_seconds=seconds),
                 description=description)


HOUR, DAY = 3600, 86400


class LimitsSettings(BaseModel):
    """Throttles (429 with `Retry-After`), the face-work cap (503 `face_busy`) and the frame cap.
    Counts live in the store, so every worker process shares them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trusted_proxies: tuple[str, ...] = Field(
        (), description="Addresses or networks of reverse proxies whose X-Forwarded-For is "
        "believed; empty: the peer address is the client (the header is ignored).")
    kiosk_sessions_per_address: RateSetting = _rate(
        30, 60, "Kiosk sessions started from one client address.")
    kiosk_sessions_per_device: RateSetting = _rate(
        120, HOUR, "Kiosk sessions started by one paired kiosk device.")
    kiosk_session_ttl_seconds: int = Field(
        3600, ge=300, le=DAY, description="A kiosk session unused this long is refused and "
        "purged (empty ones at the next session start, the rest by the retention purge).")
    sms_per_mobile: RateSetting = _rate(5, HOUR, "Check-in codes sent to one mobile number.")
    sms_per_mobile_day: RateSetting = _rate(
        10, DAY, "Check-in codes sent to one mobile number in a day.")
    sms_per_device: RateSetting = _rate(
        30, HOUR, "Check-in codes sent from one paired kiosk device, over every number.")
    sms_per_address: RateSetting = _rate(20, HOUR, "Check-in codes sent from one address.")
    sms_per_session: RateSetting = _rate(3, HOUR, "Check-in codes sent in one kiosk session.")
    code_failures_per_mobile: RateSetting = _rate(
        10, DAY, "Wrong check-in codes for one number across sessions (then it is locked out).")
    code_failures_per_address: RateSetting = _rate(
        30, HOUR, "Wrong check-in codes from one address.")
    code_failures_per_device: RateSetting = _rate(
        30, HOUR, "Wrong check-in codes from one paired kiosk device.")
    pairing_failures_per_address: RateSetting = _rate(
        10, HOUR, "Wrong kiosk pairing codes from one address.")
    rights_codes_per_receipt: RateSetting = _rate(
        5, DAY, "Rights-portal codes sent for one receipt.")
    rights_codes_per_address: RateSetting = _rate(
        20, HOUR, "Rights-portal codes requested from one address.")
    rights_failures_per_receipt: RateSetting = _rate(
        10, DAY, "Wrong rights-portal codes for one receipt, over every code sent for it.")
    rights_failures_per_address: RateSetting = _rate(
        30, HOUR, "Wrong rights-portal codes from one address.")
    receipt_misses_per_address: RateSetting = _rate(
        30, HOUR, "Receipt codes that match no receipt, looked up from one address (rights "
        "portal, receipt and verify pages): what keeps guessing codes hopeless.")
    face_attempts_per_claim: RateSetting = _rate(
        10, HOUR, "1:1 face checks against one claimed person (receipt or mobile).")
    face_attempts_per_address: RateSetting = _rate(
        60, HOUR, "1:1 face checks from one address.")
    login_failures_per_address: RateSetting = _rate(
        50, HOUR, "Failed logins from one address, over every account.")
    login_failures_per_account: RateSetting = _rate(
        20, 300, "Failed logins of one account from all addresses: a short slow-down, never "
        "a long lock (a lock per account would let anyone lock an administrator out).")
    face_workers: int = Field(
        2, ge=1, le=64, description="Kiosk face requests processed at once per server process.")
    face_queue_seconds: float = Field(
        2.0, ge=0, le=60, description="How long a face request waits for a slot before 503.")
    max_frames: int = Field(
        10, ge=1, le=12, description="Images accepted in one enrollment or face check (a "
        "liveness challenge's sequence: one facing the camera and three per movement).")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            ip_network(network, strict=False)  # ValueError names the bad entry
        return value
