"""Pages of the kiosk area: the reception tablet's check-in page.

One page per office, shown only on a paired tablet (its device cookie); any other browser gets
the "this tablet is not paired" page (401), in both languages. In demo mode a loopback caller
without a device is paired with a labelled demo device on the spot (audited), so `make run`
gives a working kiosk in one step; nothing else is ever paired without an admin's code. The
notice is rendered here, in the page's language, so the visitor reads
it before any choice and the consent calls carry the hash of exactly that version (C3). The
page's JS then drives the steps through the public kiosk API; nothing here writes anything."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import device_token
from keyuan.api.routes.devices import keep_device_token
from keyuan.domain.checkin.devices import KioskDevice
from keyuan.domain.checkin.notice import SECTIONS
from keyuan.services.checkin import devices as devices_svc
from keyuan.services.checkin import kiosk as kiosk_svc
from keyuan.services.ports import Deps
from keyuan.web.i18n import Translator
from keyuan.web.pages import lang_of, render

router = APIRouter(include_in_schema=False)


def _demo_pairs(request: Request, deps: Deps) -> bool:
    """Demo mode, asked by this machine itself (no proxy in between)."""
    peer = request.client.host if request.client else ""
    return deps.demo and peer in ("127.0.0.1", "::1", "localhost") \
        and "x-forwarded-for" not in request.headers


def _query(request: Request) -> str:
    return f"?{urlencode({'lang': request.query_params['lang']})}" \
        if "lang" in request.query_params else ""


def unpaired_page(request: Request) -> Response:
    """Both languages at once: whoever reads it, the tablet says what is wrong."""
    other = "en" if lang_of(request) == "zh-CN" else "zh-CN"
    return render(request, "kiosk_unpaired.html", status=401, t_other=Translator(other))


@router.get("/kiosk", response_class=HTMLResponse)
def kiosk_home(request: Request, deps: ServiceDeps) -> Response:
    """A tablet bookmarks /kiosk; it opens the office it is paired with (in demo mode on
    loopback, this installation's first office)."""
    device = devices_svc.paired_device(device_token(request), deps)
    if device is not None:
        office_id = device.office_id
    elif _demo_pairs(request, deps):
        office_id = kiosk_svc.installation_office(deps)
    else:
        return unpaired_page(request)
    return RedirectResponse(f"/kiosk/{office_id}{_query(request)}", status_code=303)


@router.get("/kiosk/pair", response_class=HTMLResponse)
def pair_page(request: Request) -> Response:
    """What the pairing QR code opens (`?code=` filled in), or where the code is typed."""
    code = request.query_params.get("code", "")[:32]
    return render(request, "kiosk_pair.html", areas=("kiosk",), code=code)


@router.get("/kiosk/{office_id}", response_class=HTMLResponse)
def kiosk_page(office_id: str, request: Request, deps: ServiceDeps) -> Response:
    """The check-in page: notice, two equal choices, then the chosen path (JS steps)."""
    device: KioskDevice | None = devices_svc.paired_device(device_token(request), deps)
    if device is None and not _demo_pairs(request, deps):
        return unpaired_page(request)
    page = kiosk_svc.kiosk_page(office_id, lang_of(request), deps)  # UnknownOffice → 404 page
    if device is not None and device.office_id != office_id:  # another office's tablet
        return RedirectResponse(f"/kiosk/{device.office_id}{_query(request)}", status_code=303)
    sections = [(f"kiosk.section_{name}", getattr(page.notice, name))
                for name in SECTIONS if getattr(page.notice, name)]
    response = render(request, "kiosk.html", areas=("kiosk", "challenge", "liveness"),
                      office_id=page.office_id,
                      office_name=page.office_name, notice=page.notice, sections=sections,
                      face_on=page.face_on, sms_offline=page.sms_offline,
                      challenge=deps.liveness.challenge_required)
    if device is None:  # demo mode on loopback only
        keep_device_token(request, response, devices_svc.pair_demo(page.office_id, deps).token)
    return response
