"""Printable pages (zh-CN by default) and QR codes, rendered in memory: no image file is ever
written. Templates live in `keyuan/compliance/templates/`."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import qrcode
from jinja2 import Environment, PackageLoader, select_autoescape
from qrcode.image.svg import SvgPathImage


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=PackageLoader("keyuan.compliance", "templates"),
                       autoescape=select_autoescape(["html"]))


def qr_svg(data: str) -> str:
    """An inline SVG QR code of `data` (error correction M), built in memory."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                         image_factory=SvgPathImage)
    code.add_data(data)
    code.make(fit=True)
    text = str(code.make_image().to_string(encoding="unicode"))
    return text[text.index("<svg"):]  # inline in HTML: drop any XML declaration


def page(template: str, **context: Any) -> str:
    return _env().get_template(template).render(**context)
