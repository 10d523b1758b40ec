"""Wire shapes of paired kiosk devices: pairing codes (shown once to the admin), the device a
tablet becomes, and the admin's list. A device token leaves the server once, to the tablet
that paired; no listing ever shows it or its hash."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Strict
from keyuan.domain.checkin.devices import NAME_MAX, KioskDevice

DeviceId = Annotated[str, Field(min_length=1, max_length=24)]


class PairingIn(Strict):
    office_id: str = Field(max_length=64)
    name: str = Field(max_length=NAME_MAX,
                      description="What the tablet is called, e.g. 前台平板 1.")


class PairingOfferPublic(BaseModel):
    code: str = Field(description="Eight characters to type on the tablet (ABCD-EFGH).")
    url: str = Field(description="The pairing URL (the QR code's content).")
    office_id: str
    name: str
    expires_at: datetime


class RedeemIn(Strict):
    code: str = Field(max_length=32)


class DevicePublic(BaseModel):
    device_id: str
    office_id: str
    name: str
    demo: bool
    paired_at: datetime
    unpaired_at: datetime | None


class PairedPublic(DevicePublic):
    device_token: str = Field(description="Send it as X-Kiosk-Device on every kiosk call (a "
                              "browser keeps it in an HttpOnly cookie). Shown once.")


def device_public(device: KioskDevice) -> DevicePublic:
    return DevicePublic(device_id=device.id, office_id=device.office_id, name=device.name,
                        demo=device.demo, paired_at=device.paired_at,
                        unpaired_at=device.unpaired_at)
