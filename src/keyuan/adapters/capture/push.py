"""What face-capture cameras (人脸抓拍机) send, parsed from the in-memory body.

Accepted shapes (also in the README):
1. `Content-Type: image/jpeg` — the body is one JPEG (full frame or face crop); the capture time
   comes from the `X-Capture-Time` header or the `captured_at` query parameter.
2. `Content-Type: multipart/form-data` or `multipart/mixed` — one event part (`application/json`
   or `application/xml`/`text/xml`) and at least one image part (`image/jpeg`). The capture time
   is the event's `captureTime`/`capture_time`/`dateTime`/`time`/`timestamp` (JSON key or XML
   element, any depth), else the header/query above. With several images, the one whose part
   name mentions `face` is used (capture cameras also send a background scene), else the first.
Times are ISO 8601 with a zone (`2026-11-28T10:00:00+08:00`, `...Z`) or Unix seconds/ms.
Nothing here touches disk: Starlette's UploadFile would spool large parts to a temp file."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from keyuan.domain.bounds import instant_problem
from keyuan.domain.capture.errors import CaptureFormatInvalid, CaptureTimeInvalid
from keyuan.services.capture.ports import PushedCapture

TIME_KEYS = ("capturetime", "capture_time", "datetime", "time", "timestamp")
MAX_EVENT_BYTES = 256_000
_XML_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass
class Part:
    headers: dict[str, str] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def name(self) -> str:
        _, options = parse_options_header(self.headers.get("content-disposition", ""))
        raw = options.get(b"name", b"") + b" " + options.get(b"filename", b"")
        return raw.decode("latin-1").lower()


def parse_push(content_type: str, body: bytes, fallback_time: str | None) -> PushedCapture:
    """One capture from a push request, or CaptureFormatInvalid/CaptureTimeInvalid saying why."""
    kind, options = parse_options_header(content_type or "")
    kind_text = kind.decode("latin-1").lower()
    if kind_text in ("image/jpeg", "image/jpg", "image/pjpeg"):
        return PushedCapture(image=body, captured_at=parse_time(fallback_time))
    if kind_text.startswith("multipart/"):
        boundary = options.get(b"boundary")
        if not boundary:
            raise CaptureFormatInvalid("The multipart body has no boundary.")
        return _from_parts(split_parts(boundary, body), fallback_time)
    raise CaptureFormatInvalid(f"Unsupported Content-Type {kind_text or '(none)'}.")


def split_parts(boundary: bytes, body: bytes) -> list[Part]:
    parts: list[Part] = []
    header: list[bytes] = [b"", b""]

    def begin() -> None:
        parts.append(Part())

    def field_(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def header_end() -> None:
        parts[-1].headers[header[0].decode("latin-1").lower()] = header[1].decode("latin-1")
        header[0], header[1] = b"", b""

    def data_(data: bytes, start: int, end: int) -> None:
        parts[-1].data += data[start:end]

    parser = MultipartParser(boundary, {
        "on_part_begin": begin, "on_header_field": field_, "on_header_value": value,
        "on_header_end": header_end, "on_part_data": data_,
    })
    try:
        parser.write(body)
        parser.finalize()
    except FormParserError as exc:
        raise CaptureFormatInvalid("The multipart body is malformed.") from exc
    return parts


def _from_parts(parts: list[Part], fallback_time: str | None) -> PushedCapture:
    images = [p for p in parts if p.content_type.startswith("image/")]
    if not images:
        raise CaptureFormatInvalid("The multipart event has no image part (image/jpeg).")
    face = next((p for p in images if "face" in p.name), images[0])
    event_time = None
    for part in parts:
        if part.content_type.endswith("json"):
            event_time = _json_time(bytes(part.data))
        elif part.content_type.endswith("xml"):
            event_time = _xml_time(bytes(part.data))
        if event_time:
            break
    return PushedCapture(image=bytes(face.data),
                         captured_at=parse_time(event_time or fallback_time))


def _json_time(data: bytes) -> str | None:
    if len(data) > MAX_EVENT_BYTES:
        raise CaptureFormatInvalid("The event part is too large.")
    try:
        event = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise CaptureFormatInvalid("The JSON event part is not valid JSON.") from exc
    return _find_time(event)


def _find_time(node: Any) -> str | None:
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).lower() in TIME_KEYS and isinstance(value, str | int | float):
                return str(value)
        for value in node.values():
            found = _find_time(value)
            if found:
                return found
    if isinstance(node, list):
        for value in node:
            found = _find_time(value)
            if found:
                return found
    return None


def _xml_time(data: bytes) -> str | None:
    if len(data) > MAX_EVENT_BYTES or _XML_FORBIDDEN.search(data):
        raise CaptureFormatInvalid("The XML event part is too large or declares entities.")
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, LookupError) as exc:  # LookupError: an unknown encoding
        raise CaptureFormatInvalid("The XML event part is not well-formed.") from exc
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1].lower()
        if local in TIME_KEYS and element.text and element.text.strip():
            return element.text.strip()
    return None


def parse_time(raw: str | None) -> datetime:
    """ISO 8601 with a zone, or Unix seconds / milliseconds."""
    if raw is None or not raw.strip():
        raise CaptureTimeInvalid("No capture time: send X-Capture-Time, ?captured_at= or an "
                                 "event time.", reason="missing")
    text = raw.strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        seconds = float(text) / (1000 if len(text.split(".")[0]) > 11 else 1)
        at = datetime.fromtimestamp(seconds, UTC)
        if instant_problem(at) is not None:
            raise CaptureTimeInvalid("The capture time is outside the years 2000–2099.",
                                     reason="out_of_range")
        return at
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CaptureTimeInvalid("The capture time is not ISO 8601 or Unix time.",
                                 reason="unparseable") from exc
    if parsed.tzinfo is None:
        raise CaptureTimeInvalid("The capture time must carry a time zone (e.g. +08:00 or Z).",
                                 reason="no_timezone")
    if instant_problem(parsed) is not None:  # 9999-12-31T23:59:59-14:00 leaves year 9999
        raise CaptureTimeInvalid("The capture time is outside the years 2000–2099.",
                                 reason="out_of_range")
    return parsed.astimezone(UTC)
