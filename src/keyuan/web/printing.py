"""Printable pages (zh-CN by default, English on request) and QR codes, rendered in memory: no
image file is ever written. Templates live in `web/templates/print/` and render through the
pages' one Jinja2 environment; every word on them comes from the string catalog (area "print"),
so the printouts and the pages agree."""

from __future__ import annotations

from typing import Any

import qrcode
from qrcode.image.svg import SvgPathImage

from keyuan.web import labels
from keyuan.web.i18n import LANGS, Translator, pick_lang
from keyuan.web.pages import env


def qr_svg(data: str) -> str:
    """An inline SVG QR code of `data` (error correction M), built in memory."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                         image_factory=SvgPathImage)
    code.add_data(data)
    code.make(fit=True)
    text = str(code.make_image().to_string(encoding="unicode"))
    return text[text.index("<svg"):]  # inline in HTML: drop any XML declaration


def page(template: str, lang: str = "zh-CN", switch_url: str | None = None,
         demo: bool = False, **context: Any) -> str:
    """The printable page in `lang` (anything unsupported → zh-CN). Templates get `t` (this
    language), `t_other` (the other one: the receipt prints both, the visitor's first) and
    `word(prefix, value)` for status words the catalog may name, and `labels` (the words of a
    purpose, data type, event … code: `web.labels`). `switch_url`: the same page in
    the other language, for pages served over HTTP (a CLI printout has none). `demo`: print
    the DEMO banner (demo mode)."""
    lang = pick_lang(lang)
    other = next(code for code in LANGS if code != lang)
    t, t_other = Translator(lang), Translator(other)

    def word(prefix: str, value: object) -> str:
        key = f"{prefix}{value}"
        return t(key) if t.has(key) else str(value)

    return env().get_template(f"print/{template}").render(
        lang=lang, other_lang=other, t=t, t_other=t_other, word=word, switch_url=switch_url,
        demo=demo, labels=labels, **context)
