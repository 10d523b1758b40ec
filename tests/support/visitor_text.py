"""What a visitor must never read (issue 16 item 6), as one check for the unit, integration and
browser tests of receipts and the readable copy: UTC ISO times, `snake_case` codes, JSON
brackets, long hex or base64 runs and CLI commands."""

from __future__ import annotations

import re

ISO_T = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
HEX_RUN = re.compile(r"[0-9a-fA-F]{16,}")
BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
JSON_BRACKETS = re.compile(r"[{}\[\]]")
CLI = re.compile(r"\bkeyuan [a-z]+")
MACHINE = {"ISO time": ISO_T, "code": SNAKE, "hex": HEX_RUN, "base64": BASE64_RUN,
           "JSON": JSON_BRACKETS, "CLI": CLI}


def visible_text(html: str) -> str:
    """The text of an HTML page's body as a reader sees it: no tags, styles or scripts."""
    body = html[html.find("<body"):]
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def machine_text(text: str) -> dict[str, str]:
    """What of `text` is machine text, by kind ({} when it is all for people)."""
    return {kind: found.group(0) for kind, pattern in MACHINE.items()
            if (found := pattern.search(text))}
