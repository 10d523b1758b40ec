"""Vendor push profiles, parsed in memory: generic JSON + base64, Hikvision ISAPI face-capture
events (inline or by URL), Dahua face-detection events; the by-URL host policy."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyuan.adapters.capture.camera_picture import allowed_url
from keyuan.adapters.capture.vendors import parse_profile
from keyuan.domain.capture.cameras import CameraProfile, camera_profile, picture_host
from keyuan.domain.capture.errors import (
    CameraPictureRefused,
    CameraProfileInvalid,
    CaptureFormatInvalid,
    CapturePayloadInvalid,
)
from keyuan.domain.errors import ImageTooLarge, KeyuanError
from support import vendor_payloads as vp

FACE = b"\xff\xd8\xff\xe0face" + bytes(range(256)) * 4 + b"\xff\xd9"
SCENE = b"\xff\xd8\xff\xe0scene" + bytes(range(255, -1, -1)) * 8 + b"\xff\xd9"
AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
CAP = 100_000
MP = f"multipart/form-data; boundary={vp.BOUNDARY}"
DAHUA_MP = "multipart/x-mixed-replace; boundary=myboundary"


def parse(profile: CameraProfile, ctype: str, body: bytes, fallback: str | None = None):  # type: ignore[no-untyped-def]
    return parse_profile(profile, ctype, body, fallback, max_image_bytes=CAP)


def reason(profile: CameraProfile, ctype: str, body: bytes) -> str:
    with pytest.raises(CapturePayloadInvalid) as err:
        parse(profile, ctype, body)
    assert err.value.status == 422
    return str(err.value.details["reason"])


def test_generic_json_decodes_base64_with_or_without_a_data_url_prefix() -> None:
    for data_url in (False, True):
        got = parse(CameraProfile.GENERIC_JSON, "application/json; charset=utf-8",
                    vp.generic_json(FACE, AT, data_url=data_url))
        assert got.image == FACE and got.captured_at == AT and got.picture_url is None
    no_time = parse(CameraProfile.GENERIC_JSON, "application/json", vp.generic_json(FACE, None),
                    "2026-11-28T10:00:00+08:00")
    assert no_time.captured_at == AT


def test_generic_json_bad_payloads_say_why() -> None:
    g, j = CameraProfile.GENERIC_JSON, "application/json"
    assert reason(g, j, b"{not json") == "not_json"
    assert reason(g, j, b"[1, 2]") == "not_an_object"
    assert reason(g, j, b'{"picture": "AAAA"}') == "no_image"
    assert reason(g, j, b'{"image": "***not base64***"}') == "bad_base64"
    assert reason(g, j, b'{"image": "AAAA", "captured_at": true}') == "bad_time_field"
    with pytest.raises(CaptureFormatInvalid):
        parse(g, "image/jpeg", FACE)
    too_big = base64.b64encode(b"\xff" * (CAP + 10)).decode()
    with pytest.raises(ImageTooLarge):
        parse(g, j, f'{{"image": "{too_big}"}}'.encode())


def test_hikvision_inline_xml_and_json_events_give_the_face_not_the_scene() -> None:
    for event, kind in ((vp.hikvision_xml(AT), "application/xml"),
                        (vp.hikvision_json(AT), "application/json")):
        got = parse(CameraProfile.HIKVISION_ISAPI, MP,
                    vp.hikvision_push(event, face=FACE, scene=SCENE, event_type=kind))
        assert got.image == FACE and got.captured_at == AT and got.picture_url is None


def test_hikvision_by_url_names_the_face_picture_before_the_scene() -> None:
    face_url, scene_url = "http://192.168.1.64/picture/face.jpg", "http://192.168.1.64/bkg.jpg"
    for event in (vp.hikvision_xml(AT, face_url=face_url, scene_url=scene_url),
                  vp.hikvision_json(AT, face_url=face_url, scene_url=scene_url)):
        kind = "application/json" if event.startswith(b"{") else "application/xml"
        got = parse(CameraProfile.HIKVISION_ISAPI, MP, vp.hikvision_push(event, event_type=kind))
        assert got.picture_url == face_url and got.image == b"" and got.captured_at == AT
    alone = parse(CameraProfile.HIKVISION_ISAPI, "application/xml; charset=UTF-8",
                  vp.hikvision_xml(AT, face_url=face_url))
    assert alone.picture_url == face_url and alone.captured_at == AT
    wrapped = b'{"EventNotificationAlert": ' + vp.hikvision_json(AT, face_url=face_url) + b"}"
    assert parse(CameraProfile.HIKVISION_ISAPI, "application/json",
                 wrapped).picture_url == face_url
    scene_only = parse(CameraProfile.HIKVISION_ISAPI, MP,
                       vp.hikvision_push(vp.hikvision_xml(AT, scene_url=scene_url)))
    assert scene_only.picture_url == scene_url


def test_hikvision_bad_events_say_why() -> None:
    h = CameraProfile.HIKVISION_ISAPI
    assert reason(h, MP, vp.multipart([({"Content-Type": "image/jpeg"}, FACE)])) == "no_event"
    assert reason(h, MP, vp.hikvision_push(vp.hikvision_xml(AT, event_type="VMD"),
                                           face=FACE)) == "not_face_capture"
    assert reason(h, MP, vp.hikvision_push(vp.hikvision_xml(AT))) == "no_picture"
    assert reason(h, MP, vp.hikvision_push(b"<EventNotificationAlert>", face=FACE)) == "bad_event"
    assert reason(h, MP, vp.hikvision_push(b'<!DOCTYPE x [<!ENTITY a "b">]><x/>',
                                           face=FACE)) == "bad_event"
    assert reason(h, MP, vp.hikvision_push(b"{oops", face=FACE,
                                           event_type="application/json")) == "bad_event"
    unknown_encoding = b'<?xml version="1.0" encoding="U-TF-8"?><EventNotificationAlert/>'
    assert reason(h, MP, vp.hikvision_push(unknown_encoding, face=FACE)) == "bad_event"
    with pytest.raises(CaptureFormatInvalid):
        parse(h, "image/jpeg", FACE)


def test_dahua_snap_event_cuts_the_face_crop_out_at_its_image_info_offset() -> None:
    got = parse(CameraProfile.DAHUA, DAHUA_MP, vp.dahua_snap(AT, scene=SCENE, face=FACE))
    assert got.image == FACE and got.captured_at == AT


def test_dahua_event_manager_line_with_json_data() -> None:
    got = parse(CameraProfile.DAHUA, DAHUA_MP, vp.dahua_event(AT, face=FACE))
    assert got.image == FACE and got.captured_at == AT


def test_dahua_bad_events_say_why() -> None:
    d = CameraProfile.DAHUA
    assert reason(d, DAHUA_MP, vp.dahua_snap(AT, scene=SCENE, face=FACE,
                                             code="VideoMotion")) == "not_face_detection"
    heartbeat = vp.multipart([({"Content-Type": "text/plain"}, b"Heartbeat")], "myboundary")
    assert reason(d, DAHUA_MP, heartbeat) == "no_event"
    text_only = vp.multipart([({"Content-Type": "text/plain"},
                               b"Events[0].Code=FaceDetection\r\nEvents[0].UTC=1796000000")],
                             "myboundary")
    assert reason(d, DAHUA_MP, text_only) == "no_picture"
    lying = vp.dahua_snap(AT, scene=SCENE, face=FACE).replace(
        f"Offset={len(SCENE)}".encode(), b"Offset=99999999")
    assert reason(d, DAHUA_MP, lying) == "bad_image_info"
    bad_data = vp.dahua_event(AT, face=FACE).replace(b"data={", b"data={{")
    assert reason(d, DAHUA_MP, bad_data) == "bad_event"


def test_profiles_and_picture_hosts_are_checked() -> None:
    assert camera_profile(" Hikvision-ISAPI ") is CameraProfile.HIKVISION_ISAPI
    with pytest.raises(CameraProfileInvalid):
        camera_profile("axis")
    assert picture_host(" 192.168.1.64:8080 ") == "192.168.1.64:8080"
    assert picture_host("[fe80::1]:80") == "[fe80::1]:80"
    for bad in ("http://192.168.1.64", "192.168.1.64/pic", "cam:0", "cam:70000", "a b"):
        with pytest.raises(CameraProfileInvalid):
            picture_host(bad)


def test_only_the_cameras_own_host_and_port_over_http_or_https_may_be_fetched() -> None:
    assert allowed_url("http://192.168.1.64/pic/1.jpg", "192.168.1.64").host == "192.168.1.64"
    assert allowed_url("http://192.168.1.64:80/p", "192.168.1.64").port in (None, 80)
    assert allowed_url("https://cam.local:8443/p", "cam.local:8443").port == 8443
    for url, host, why in [
        ("http://192.168.1.65/p", "192.168.1.64", "other_host"),
        ("http://192.168.1.64:8080/p", "192.168.1.64", "other_host"),
        ("http://192.168.1.64/p", "192.168.1.64:8080", "other_host"),
        ("http://169.254.169.254/latest/meta-data", "192.168.1.64", "other_host"),
        ("ftp://192.168.1.64/p", "192.168.1.64", "scheme"),
        ("file:///etc/passwd", "192.168.1.64", "scheme"),
        ("http://admin:x@192.168.1.64/p", "192.168.1.64", "userinfo"),
        ("http://192.168.1.64/p", "", "no_picture_host"),
    ]:
        with pytest.raises(CameraPictureRefused) as err:
            allowed_url(url, host)
        assert err.value.details["reason"] == why, url


DEEP = b"[" * 200_000


def test_deeply_nested_json_is_a_clear_refusal_not_a_crash() -> None:
    assert reason(CameraProfile.GENERIC_JSON, "application/json", DEEP) == "not_json"
    assert reason(CameraProfile.HIKVISION_ISAPI, "application/json", DEEP[:200_000]) == \
        "bad_event"
    line = b"Code=FaceDetection;action=Pulse;index=0;data=" + DEEP[:100_000]
    dahua = vp.multipart([({"Content-Type": "text/plain"}, line),
                          ({"Content-Type": "image/jpeg"}, FACE)], "myboundary")
    assert reason(CameraProfile.DAHUA, DAHUA_MP, dahua) == "bad_event"
    with pytest.raises(CaptureFormatInvalid):
        parse(CameraProfile.STANDARD, MP, vp.multipart([
            ({"Content-Disposition": 'form-data; name="event"', "Content-Type":
              "application/json"}, DEEP[:200_000]),
            ({"Content-Disposition": 'form-data; name="face"', "Content-Type": "image/jpeg"},
             FACE)]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=st.sampled_from(list(CameraProfile)),
       kind=st.sampled_from(["application/json", "application/xml", MP, DAHUA_MP, "image/jpeg",
                             "text/plain", ""]),
       seed=st.sampled_from([b"", vp.generic_json(FACE, AT), vp.hikvision_xml(AT),
                             vp.hikvision_json(AT, face_url="http://c/p"),
                             vp.hikvision_push(vp.hikvision_xml(AT), face=FACE, scene=SCENE),
                             vp.dahua_snap(AT, scene=SCENE, face=FACE),
                             vp.dahua_event(AT, face=FACE)]),
       cut=st.integers(min_value=0, max_value=4000),
       noise=st.binary(max_size=64))
def test_any_body_for_any_profile_is_parsed_or_refused_with_a_keyuan_error(
    profile: CameraProfile, kind: str, seed: bytes, cut: int, noise: bytes,
) -> None:
    body = seed[:cut] + noise + seed[cut:]
    try:
        parse(profile, kind, body, "2026-11-28T02:00:00Z")
    except KeyuanError as exc:
        assert 400 <= exc.status < 500
