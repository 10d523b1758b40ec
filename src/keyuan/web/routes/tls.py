"""HTTPS on the office network, for those who set devices up: the office CA's certificate as a
download (`/tls/ca.crt`, public: a device installs it before it can trust this server) and a
page with its fingerprint, a QR code of the download and the install steps for iPad, Android
tablets and the signing PC (`/admin/tls`). The CA's private key never leaves data_dir/tls/."""

from __future__ import annotations

import hashlib
import ssl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from keyuan.web.pages import render
from keyuan.web.printing import qr_svg
from keyuan.web.redirect import CA_PATH, ca_response

router = APIRouter(include_in_schema=False)


@router.get(CA_PATH)
def ca_certificate(request: Request) -> Response:
    return ca_response(request.app.state.tls_ca)


@router.get("/admin/tls", response_class=HTMLResponse)
def tls_page(request: Request) -> Response:
    """The download links (the plain-HTTP ones `serve` printed first: a new tablet does not
    trust HTTPS yet), the QR code of the first, and the fingerprint to compare on the device."""
    downloads: list[str] = list(getattr(request.app.state, "ca_downloads", None) or [])
    if not downloads:
        downloads = [str(request.base_url).rstrip("/") + CA_PATH]
    fingerprint = None
    try:
        der = ssl.PEM_cert_to_DER_cert(request.app.state.tls_ca.read_text("ascii"))
        digest = hashlib.sha256(der).hexdigest().upper()
        fingerprint = ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
    except (OSError, ValueError):
        pass
    return render(request, "tls.html", downloads=downloads, fingerprint=fingerprint,
                  qr=qr_svg(downloads[0]) if fingerprint else None)
