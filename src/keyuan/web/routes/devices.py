"""The kiosk devices admin page (admin role): pair a tablet (a one-time code shown as a QR
code and as eight typeable characters), see the tablets paired with each office, unpair one.
The page's JS asks `POST /admin/devices/pairing` for the offer (an HTML fragment with the QR
code, drawn here in memory) and unpairs through `/api/admin/devices/…`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.routes.devices import offer_public
from keyuan.api.schemas.devices import PairingIn
from keyuan.services.checkin import devices as svc
from keyuan.services.checkin import offices as offices_svc
from keyuan.web.pages import render
from keyuan.web.printing import qr_svg

router = APIRouter(include_in_schema=False)


@router.get("/admin/devices", response_class=HTMLResponse)
def devices_page(request: Request, deps: ServiceDeps) -> HTMLResponse:
    return render(request, "devices.html", areas=("devices",), devices=svc.devices(deps),
                  offices=[view.office for view in offices_svc.offices(deps)])


@router.post("/admin/devices/pairing", response_class=HTMLResponse)
def pairing(body: PairingIn, request: Request, who: CurrentPrincipal,
            deps: ServiceDeps) -> HTMLResponse:
    """The offer as a fragment of the page: QR code of the pairing URL, the code, its expiry."""
    offer = offer_public(request, svc.offer_pairing(body.office_id, body.name, deps,
                                                    actor=who.actor))
    return render(request, "devices_offer.html", status=201, offer=offer, qr=qr_svg(offer.url))
