"""扫码带访: the QR code of an agent's pass, drawn for the channel portal's phone page. The token
is signed again from the stored pass (`escort.pass_token`), drawn in memory, never cached."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from keyuan.api.deps import ServiceDeps
from keyuan.services.attribution import escort as escort_svc
from keyuan.web.printing import qr_svg

router = APIRouter(include_in_schema=False)


@router.get("/api/channels/{channel_id}/escort-passes/{pass_id}/qr.svg")
def pass_qr(channel_id: str, pass_id: str, deps: ServiceDeps) -> Response:
    token = escort_svc.pass_token(channel_id, pass_id, deps)
    return Response(qr_svg(token), media_type="image/svg+xml",
                    headers={"Cache-Control": "no-store"})
