"""Vendor push profiles: what the face-capture cameras offices already own send, parsed from the
in-memory body (README "Cameras"; each shape tested as the vendors document it).

- `standard` — `push.parse_push` (a JPEG, or a multipart event with an inline JPEG part).
- `generic-json` — `Content-Type: application/json`, `{"image": "<base64>", "captured_at": …}`;
  `image` may carry a data-URL prefix (`data:image/jpeg;base64,`). The base64 text is measured
  against the image cap before it is decoded.
- `hikvision-isapi` — an ISAPI HTTP-host push of a `faceCapture` event: multipart with the
  `EventNotificationAlert` (XML, or JSON in the newer firmware) and the picture inline as an
  image part, or, with the camera's "upload pictures as URL" setting, only a picture URL in the
  event (`URL`, `faceURL`, `bkgUrl` …), which the runtime fetches from the camera itself; such
  an event may also come alone as the body (`application/xml` or `application/json`).
- `dahua` — a Dahua face-detection event in the snapManager/eventManager shape: multipart whose
  `text/plain` part has `Events[0].EventBaseInfo.Code=FaceDetection`-style lines (or
  `Code=FaceDetection;action=Pulse;index=0;data={…}`) and one or more `image/jpeg` parts.

Malformed events get 422 `capture_payload_invalid` with a reason; a body of the wrong kind for
the profile 415 `capture_format_invalid`. Nothing here touches disk or logs."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from python_multipart.multipart import parse_options_header

from keyuan.adapters.capture.push import (
    MAX_EVENT_BYTES,
    Part,
    parse_push,
    parse_time,
    split_parts,
)
from keyuan.domain.capture.cameras import CameraProfile
from keyuan.domain.capture.errors import CaptureFormatInvalid, CapturePayloadInvalid
from keyuan.domain.errors import ImageTooLarge
from keyuan.services.capture.ports import PushedCapture

JSON_IMAGE_FIELD = "image"
JSON_TIME_FIELD = "captured_at"
HIKVISION_FACE_EVENTS = frozenset({"facecapture", "facesnap"})
DAHUA_FACE_CODES = frozenset({"facedetection", "facerecognition"})
_DATA_URL = re.compile(r"data:[\w.+/-]*(?:;[\w.+=-]+)*;base64,", re.IGNORECASE)
_XML_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def base64_cap(max_image_bytes: int) -> int:
    """Characters of base64 an image of `max_image_bytes` needs at most."""
    return 4 * ((max_image_bytes + 2) // 3)


def body_cap(profile: CameraProfile, max_image_bytes: int, event_allowance: int) -> int:
    """The request body cap for a camera of this profile (base64 is 4/3 of the image)."""
    if profile is CameraProfile.GENERIC_JSON:
        return base64_cap(max_image_bytes) + event_allowance
    return max_image_bytes + event_allowance


def parse_profile(profile: CameraProfile, content_type: str, body: bytes,
                  fallback_time: str | None, *, max_image_bytes: int) -> PushedCapture:
    """One capture as the camera's profile reads it; a by-URL picture comes back with
    `picture_url` set and no image (fetched later, from the camera only)."""
    if profile is CameraProfile.GENERIC_JSON:
        return _generic_json(content_type, body, fallback_time, max_image_bytes)
    if profile is CameraProfile.HIKVISION_ISAPI:
        return _hikvision(content_type, body, fallback_time)
    if profile is CameraProfile.DAHUA:
        return _dahua(content_type, body, fallback_time)
    return parse_push(content_type, body, fallback_time)


def _kind(content_type: str) -> tuple[str, dict[bytes, bytes]]:
    kind, options = parse_options_header(content_type or "")
    return kind.decode("latin-1").lower(), options


def _invalid(reason: str, message: str, **details: object) -> CapturePayloadInvalid:
    return CapturePayloadInvalid(message, reason=reason, **details)


# --- generic JSON + base64 ---
def _generic_json(content_type: str, body: bytes, fallback_time: str | None,
                  max_image_bytes: int) -> PushedCapture:
    kind, _ = _kind(content_type)
    if kind != "application/json":
        raise CaptureFormatInvalid("This camera's profile is generic-json: send "
                                   "Content-Type: application/json.")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _invalid("not_json", "The body is not valid JSON.") from exc
    if not isinstance(doc, dict):
        raise _invalid("not_an_object", "The JSON body must be an object.")
    raw = doc.get(JSON_IMAGE_FIELD)
    if not isinstance(raw, str) or not raw.strip():
        raise _invalid("no_image", f'The JSON body has no "{JSON_IMAGE_FIELD}" (the picture as '
                       "base64).", field=JSON_IMAGE_FIELD)
    image = decode_base64(raw, max_image_bytes)
    when = doc.get(JSON_TIME_FIELD)
    if when is not None and _text(when) is None:
        raise _invalid("bad_time_field", f'"{JSON_TIME_FIELD}" is ISO 8601 text or Unix time.',
                       field=JSON_TIME_FIELD)
    return PushedCapture(image=image,
                         captured_at=parse_time(str(when) if when is not None else fallback_time))


def decode_base64(raw: str, max_image_bytes: int) -> bytes:
    """Base64 (standard alphabet, optional data-URL prefix, whitespace ignored) → bytes; too long
    a text is refused (413) before anything is decoded."""
    text = raw.strip()
    prefix = _DATA_URL.match(text)
    if prefix is not None:
        text = text[prefix.end():]
    if len(text) > base64_cap(max_image_bytes) + 64:  # room for line breaks
        raise ImageTooLarge(f"Pictures are capped at {max_image_bytes} bytes.")
    text = "".join(text.split())
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid("bad_base64", "The picture is not valid base64.") from exc
    if not data:
        raise _invalid("no_image", "The picture is empty.")
    if len(data) > max_image_bytes:
        raise ImageTooLarge(f"Pictures are capped at {max_image_bytes} bytes.")
    return data


# --- Hikvision ISAPI ---
@dataclass
class _HikEvent:
    event_type: str = ""
    date_time: str | None = None
    face_urls: list[str] | None = None
    scene_urls: list[str] | None = None


def _multipart(content_type: str, body: bytes, profile: str) -> list[Part]:
    kind, options = _kind(content_type)
    if not kind.startswith("multipart/"):
        raise CaptureFormatInvalid(f"This camera's profile is {profile}: its events come as "
                                   "multipart bodies.")
    boundary = options.get(b"boundary")
    if not boundary:
        raise CaptureFormatInvalid("The multipart body has no boundary.")
    return split_parts(boundary, body)


def _is_scene(name: str) -> bool:
    name = name.lower()
    return "bkg" in name or "background" in name or "scene" in name


def _hikvision(content_type: str, body: bytes, fallback_time: str | None) -> PushedCapture:
    kind, _ = _kind(content_type)
    if kind in ("application/xml", "text/xml", "application/json"):
        # no picture parts to send (pictures by URL): some firmware posts the event alone
        parts = [Part(headers={"content-type": kind}, data=bytearray(body))]
    else:
        parts = _multipart(content_type, body, "hikvision-isapi")
    events = [p for p in parts if p.content_type.endswith(("xml", "json"))]
    if not events:
        raise _invalid("no_event", "The multipart body has no EventNotificationAlert part "
                       "(application/xml or application/json).")
    event = _hik_event(events[0])
    if event.event_type.lower() not in HIKVISION_FACE_EVENTS:
        raise _invalid("not_face_capture", "The event is not a face capture (eventType "
                       "faceCapture).", event_type=event.event_type[:40])
    captured_at = parse_time(event.date_time or fallback_time)
    images = [p for p in parts if p.content_type.startswith("image/")]
    if images:
        face = next((p for p in images if _has_face_name(p)), None)
        chosen = face or next((p for p in images if not _is_scene(_part_label(p))), images[0])
        if not chosen.data:
            raise _invalid("no_picture", "The picture part is empty.")
        return PushedCapture(image=bytes(chosen.data), captured_at=captured_at)
    urls = (event.face_urls or []) + (event.scene_urls or [])
    if not urls:
        raise _invalid("no_picture", "The face-capture event carries no picture: neither an "
                       "image part nor a picture URL.")
    return PushedCapture(image=b"", captured_at=captured_at, picture_url=urls[0])


def _part_label(part: Part) -> str:
    return f"{part.name} {part.headers.get('content-id', '')}".lower()


def _has_face_name(part: Part) -> bool:
    label = _part_label(part)
    return "face" in label and not _is_scene(label)


def _hik_event(part: Part) -> _HikEvent:
    data = bytes(part.data)
    if len(data) > MAX_EVENT_BYTES:
        raise _invalid("event_too_large", "The event part is too large.")
    if part.content_type.endswith("json"):
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise _invalid("bad_event", "The JSON event is not valid JSON.") from exc
        if isinstance(doc, dict) and isinstance(doc.get("EventNotificationAlert"), dict):
            doc = doc["EventNotificationAlert"]  # the XML root kept as a wrapper by some firmware
        if not isinstance(doc, dict):
            raise _invalid("bad_event", "The JSON event must be an object.")
        event = _HikEvent(event_type=str(doc.get("eventType", "")),
                          date_time=_text(doc.get("dateTime")), face_urls=[], scene_urls=[])
        _json_urls(doc, event)
        return event
    if _XML_FORBIDDEN.search(data):
        raise _invalid("bad_event", "The XML event declares entities.")
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, LookupError) as exc:  # LookupError: an unknown encoding
        raise _invalid("bad_event", "The XML event is not well-formed.") from exc
    event = _HikEvent(face_urls=[], scene_urls=[])
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        text = (element.text or "").strip()
        if tag == "eventType" and not event.event_type:
            event.event_type = text
        elif tag == "dateTime" and event.date_time is None and text:
            event.date_time = text
        elif "url" in tag.lower() and "://" in text:
            _add_url(event, tag, text)
    return event


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int | float) and not isinstance(value, bool) \
        else None


def _add_url(event: _HikEvent, key: str, url: str) -> None:
    target = event.scene_urls if _is_scene(key) else event.face_urls
    assert target is not None
    if len(target) < 8:
        target.append(url)


def _json_urls(node: Any, event: _HikEvent, depth: int = 0) -> None:
    if depth > 12:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and "url" in str(key).lower() and "://" in value:
                _add_url(event, str(key), value.strip())
            else:
                _json_urls(value, event, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _json_urls(value, event, depth + 1)


# --- Dahua ---
def _dahua(content_type: str, body: bytes, fallback_time: str | None) -> PushedCapture:
    parts = _multipart(content_type, body, "dahua")
    texts = [p for p in parts if p.content_type in ("text/plain", "")]
    fields: dict[str, str] = {}
    for part in texts:
        if len(part.data) > MAX_EVENT_BYTES:
            raise _invalid("event_too_large", "The event part is too large.")
        fields.update(_dahua_fields(bytes(part.data).decode("utf-8", "replace")))
    code = next((v for k, v in fields.items() if k == "Code" or k.endswith(".Code")), "")
    if not code:
        raise _invalid("no_event", "The multipart body has no Dahua event part (text/plain "
                       "with Events[0].…Code=FaceDetection).")
    if code.lower() not in DAHUA_FACE_CODES:
        raise _invalid("not_face_detection", "The event is not a face detection (Code "
                       "FaceDetection).", event_code=code[:40])
    when = next((v for k, v in fields.items() if k == "UTC" or k.endswith("].UTC")), None)
    captured_at = parse_time(when or fallback_time)
    images = [p for p in parts if p.content_type.startswith("image/") and p.data]
    if not images:
        raise _invalid("no_picture", "The face-detection event carries no image/jpeg part.")
    return PushedCapture(image=_dahua_face(images, fields), captured_at=captured_at)


def _dahua_fields(text: str) -> dict[str, str]:
    """`key=value` lines; the eventManager line `Code=…;action=…;index=…;data={json}` too."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Code=") and ";" in line:
            head, _, data = line.partition(";data=")
            for token in head.split(";"):
                key, sep, value = token.partition("=")
                if sep:
                    fields[key.strip()] = value.strip()
            if data:
                try:
                    doc = json.loads(data)
                except (ValueError, RecursionError) as exc:
                    raise _invalid("bad_event", "The event's data is not valid JSON.") from exc
                if isinstance(doc, dict) and _text(doc.get("UTC")) is not None:
                    fields["UTC"] = str(doc["UTC"])
            continue
        key, sep, value = line.partition("=")
        if sep and key:
            fields[key.strip()] = value.strip()
    return fields


def _dahua_face(images: list[Part], fields: dict[str, str]) -> bytes:
    """The face crop: with one image part that `Events[0].ImageInfo[i].Offset/Length` cut into
    pictures (scene and face), the smallest of them; else the part named for a face, else the
    last part (the face crop follows the scene)."""
    if len(images) == 1:
        data = bytes(images[0].data)
        slices = []
        for i in range(8):
            info = {k.rsplit(".", 1)[-1]: v for k, v in fields.items()
                    if f".ImageInfo[{i}]." in k}
            if not info:
                break
            try:
                offset, length = int(info["Offset"]), int(info["Length"])
                area = int(info.get("Width", "0")) * int(info.get("Height", "0"))
            except (KeyError, ValueError) as exc:
                raise _invalid("bad_image_info", "ImageInfo needs numeric Offset and "
                               "Length.") from exc
            if offset < 0 or length <= 0 or offset + length > len(data):
                raise _invalid("bad_image_info", "ImageInfo points outside the image part.")
            slices.append((area, data[offset:offset + length]))
        return min(slices, key=lambda s: s[0])[1] if slices else data
    named = next((p for p in images if _has_face_name(p)), None)
    return bytes((named or images[-1]).data)
