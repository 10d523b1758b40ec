"""Push bodies of face-capture cameras, parsed in memory: raw JPEG, multipart JSON/XML events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyuan.adapters.capture.push import parse_push, parse_time
from keyuan.domain.capture.errors import CaptureFormatInvalid, CaptureTimeInvalid

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20 + b"\r\n--not-a-boundary\r\n\xff\xd9"
AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def multipart(parts: list[tuple[str, str, bytes]], boundary: str = "CapBoundary42") -> bytes:
    out = b""
    for name, ctype, data in parts:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                f"filename=\"{name}.bin\"\r\nContent-Type: {ctype}\r\n\r\n").encode() + data
        out += b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def test_raw_jpeg_takes_its_time_from_the_header_value() -> None:
    got = parse_push("image/jpeg", JPEG, "2026-11-28T10:00:00+08:00")
    assert got.image == JPEG and got.captured_at == AT


def test_raw_jpeg_without_any_capture_time_is_refused_with_a_reason() -> None:
    with pytest.raises(CaptureTimeInvalid) as err:
        parse_push("image/jpeg", JPEG, None)
    assert err.value.details["reason"] == "missing"


def test_multipart_json_event_gives_the_image_bytes_unchanged_and_the_event_time() -> None:
    body = multipart([("event", "application/json",
                       b'{"Event": {"CaptureTime": "2026-11-28T02:00:00Z", "Type": "face"}}'),
                      ("faceImage", "image/jpeg", JPEG)])
    got = parse_push("multipart/form-data; boundary=CapBoundary42", body, None)
    assert got.image == JPEG and got.captured_at == AT


def test_multipart_xml_event_prefers_the_face_crop_over_the_background_scene() -> None:
    xml = (b'<?xml version="1.0"?><EventNotificationAlert xmlns="http://www.isapi.org/ver20/XMLSchema">'
           b"<eventType>faceCapture</eventType><dateTime>2026-11-28T10:00:00+08:00</dateTime>"
           b"</EventNotificationAlert>")
    body = multipart([("MoveDetection", "application/xml", xml),
                      ("backgroundImage", "image/jpeg", b"\xff\xd8scene\xff\xd9"),
                      ("faceImage", "image/jpeg", JPEG)])
    got = parse_push("multipart/mixed; boundary=CapBoundary42", body, None)
    assert got.image == JPEG and got.captured_at == AT


def test_xml_declaring_entities_is_refused() -> None:
    xml = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x><dateTime>&a;</dateTime></x>'
    body = multipart([("event", "text/xml", xml), ("face", "image/jpeg", JPEG)])
    with pytest.raises(CaptureFormatInvalid):
        parse_push("multipart/form-data; boundary=CapBoundary42", body, None)


def test_multipart_without_an_image_part_is_refused() -> None:
    body = multipart([("event", "application/json", b'{"time": 1795831200}')])
    with pytest.raises(CaptureFormatInvalid, match="no image part"):
        parse_push("multipart/form-data; boundary=CapBoundary42", body, None)


@pytest.mark.parametrize("ctype", ["application/json", "text/plain", "", "multipart/form-data"])
def test_other_content_types_and_boundaryless_multipart_are_refused(ctype: str) -> None:
    with pytest.raises(CaptureFormatInvalid):
        parse_push(ctype, JPEG, "2026-11-28T02:00:00Z")


@pytest.mark.parametrize("raw", ["1795831200", "1795831200000", "2026-11-28T02:00:00Z"])
def test_unix_seconds_milliseconds_and_iso_times_parse_to_utc(raw: str) -> None:
    assert parse_time(raw) == AT


@pytest.mark.parametrize(("raw", "reason"), [
    ("2026-11-28T02:00:00", "no_timezone"), ("yesterday", "unparseable"), ("  ", "missing"),
    ("9999-12-31T23:59:59-14:00", "out_of_range"), ("0001-01-01T00:00:00+14:00", "out_of_range"),
    ("1999-12-31T23:59:59Z", "out_of_range"), ("9999999999999", "out_of_range"),
])
def test_unusable_times_are_refused_with_their_reason(raw: str, reason: str) -> None:
    with pytest.raises(CaptureTimeInvalid) as err:
        parse_time(raw)
    assert err.value.details["reason"] == reason
