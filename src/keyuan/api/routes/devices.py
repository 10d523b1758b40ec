"""Paired kiosk devices: an admin offers a pairing (a one-time code and its URL), a tablet
redeems it and keeps its device token (an HttpOnly, SameSite=Strict cookie, Secure over HTTPS;
API callers read it from the answer), an admin lists and unpairs devices. Audited."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from keyuan.api.deps import ClientAddress, ServiceDeps
from keyuan.api.guard import DEVICE_COOKIE, CurrentPrincipal
from keyuan.api.schemas.devices import (
    DeviceId,
    DevicePublic,
    PairedPublic,
    PairingIn,
    PairingOfferPublic,
    RedeemIn,
    device_public,
)
from keyuan.services.checkin import devices as svc

router = APIRouter(prefix="/api", tags=["devices"])

DEVICE_COOKIE_SECONDS = 400 * 86400  # the longest a browser keeps a cookie


def keep_device_token(request: Request, response: Response, token: str) -> None:
    """The tablet's device token as a cookie no script can read, sent only by same-site
    requests, Secure whenever the page came over HTTPS."""
    response.set_cookie(DEVICE_COOKIE, token, max_age=DEVICE_COOKIE_SECONDS, path="/",
                        secure=request.url.scheme == "https", httponly=True, samesite="strict")


def offer_public(request: Request, offer: svc.PairingOffer) -> PairingOfferPublic:
    return PairingOfferPublic(code=offer.code, url=svc.pair_url(str(request.base_url), offer.code),
                              office_id=offer.office_id, name=offer.device_name,
                              expires_at=offer.expires_at)


@router.post("/kiosk/pairing", status_code=201)
def redeem(body: RedeemIn, request: Request, response: Response, deps: ServiceDeps,
           client: ClientAddress) -> PairedPublic:
    """The tablet (or an API client) redeems a pairing code: single use, ~10 minutes."""
    paired = svc.redeem(body.code, deps, client=client)
    keep_device_token(request, response, paired.token)
    return PairedPublic(**device_public(paired.device).model_dump(), device_token=paired.token)


@router.get("/admin/devices")
def list_devices(deps: ServiceDeps) -> list[DevicePublic]:
    return [device_public(d) for d in svc.devices(deps)]


@router.post("/admin/devices/pairing-codes", status_code=201)
def offer(body: PairingIn, request: Request, who: CurrentPrincipal,
          deps: ServiceDeps) -> PairingOfferPublic:
    return offer_public(request, svc.offer_pairing(body.office_id, body.name, deps,
                                                   actor=who.actor))


@router.post("/admin/devices/{device_id}/unpair")
def unpair(device_id: DeviceId, who: CurrentPrincipal, deps: ServiceDeps) -> DevicePublic:
    """The device's next kiosk request is refused (`device_not_paired`)."""
    return device_public(svc.unpair(device_id, deps, actor=who.actor))
