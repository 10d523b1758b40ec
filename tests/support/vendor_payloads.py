"""Push bodies shaped as the camera vendors document them (our own examples, written from the
documented field names): Hikvision ISAPI `EventNotificationAlert` face-capture events (XML and
JSON, picture inline or by URL), Dahua face-detection events (snapManager `Events[0].…` lines
with `ImageInfo` offsets, and the eventManager `Code=…;data={…}` line), and the generic JSON +
base64 body."""

from __future__ import annotations

import base64
import json
from datetime import datetime

BOUNDARY = "MIME_boundary"


def multipart(parts: list[tuple[dict[str, str], bytes]], boundary: str = BOUNDARY) -> bytes:
    out = b""
    for headers, data in parts:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        out += f"--{boundary}\r\n{head}\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def generic_json(image: bytes, at: datetime | None, *, data_url: bool = False) -> bytes:
    text = base64.b64encode(image).decode()
    doc: dict[str, object] = {"image": ("data:image/jpeg;base64," + text) if data_url else text,
                              "camera": "entrance-01"}
    if at is not None:
        doc["captured_at"] = at.isoformat()
    return json.dumps(doc).encode()


def hikvision_xml(at: datetime, *, face_url: str | None = None, scene_url: str | None = None,
                  event_type: str = "faceCapture") -> bytes:
    urls = ""
    target = f"<bkgUrl>{scene_url}</bkgUrl>" if scene_url else ""
    if face_url:
        urls = f"<URL>{face_url}</URL>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>192.168.1.64</ipAddress>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<macAddress>44:19:b6:00:00:01</macAddress>
<channelID>1</channelID>
<dateTime>{at.isoformat()}</dateTime>
<activePostCount>1</activePostCount>
<eventType>{event_type}</eventType>
<eventState>active</eventState>
<eventDescription>{event_type}</eventDescription>
<channelName>Camera 01</channelName>
<faceCapture>
<targetAttrs><deviceName>IP CAMERA</deviceName>{target}</targetAttrs>
<faces><face><faceId>1</faceId>
<faceRect><height>0.200</height><width>0.100</width><x>0.400</x><y>0.300</y></faceRect>
<age><value>30</value><ageGroup>middle</ageGroup></age>{urls}
</face></faces>
</faceCapture>
</EventNotificationAlert>""".encode()


def hikvision_json(at: datetime, *, face_url: str | None = None,
                   scene_url: str | None = None) -> bytes:
    face: dict[str, object] = {"faceId": 1, "faceRect": {"height": 0.2, "width": 0.1,
                                                         "x": 0.4, "y": 0.3}}
    if face_url:
        face["URL"] = face_url
    target: dict[str, object] = {"deviceName": "IP CAMERA"}
    if scene_url:
        target["bkgUrl"] = scene_url
    return json.dumps({
        "ipAddress": "192.168.1.64", "portNo": 80, "protocol": "HTTP",
        "macAddress": "44:19:b6:00:00:01", "channelID": 1, "dateTime": at.isoformat(),
        "activePostCount": 1, "eventType": "faceCapture", "eventState": "active",
        "eventDescription": "faceCapture", "channelName": "Camera 01",
        "faceCapture": [{"targetAttrs": target, "faces": [face]}],
    }).encode()


def hikvision_push(event: bytes, *, face: bytes | None = None, scene: bytes | None = None,
                   event_type: str = "application/xml") -> bytes:
    """An ISAPI HTTP-host push: the event part, then the scene and the face pictures."""
    parts: list[tuple[dict[str, str], bytes]] = [({
        "Content-Disposition": 'form-data; name="faceCapture"',
        "Content-Type": event_type, "Content-Length": str(len(event))}, event)]
    if scene is not None:
        parts.append(({"Content-Disposition":
                       'form-data; name="backgroundImage"; filename="backgroundImage.jpg"',
                       "Content-Type": "image/jpeg", "Content-ID": "backgroundImage"}, scene))
    if face is not None:
        parts.append(({"Content-Disposition":
                       'form-data; name="faceImage"; filename="faceImage.jpg"',
                       "Content-Type": "image/jpeg", "Content-ID": "faceImage"}, face))
    return multipart(parts)


def dahua_snap(at: datetime, *, scene: bytes, face: bytes, code: str = "FaceDetection") -> bytes:
    """snapManager shape: the `Events[0].…` text part, then one JPEG part holding the scene and
    the face crop at the offsets its `ImageInfo` gives."""
    lines = [
        f"Events[0].EventBaseInfo.Code={code}", "Events[0].EventBaseInfo.Action=Pulse",
        "Events[0].EventBaseInfo.Index=0", "Events[0].CountInGroup=1",
        "Events[0].ImageInfo[0].Type=0", "Events[0].ImageInfo[0].Width=1920",
        "Events[0].ImageInfo[0].Height=1080", "Events[0].ImageInfo[0].Offset=0",
        f"Events[0].ImageInfo[0].Length={len(scene)}",
        "Events[0].ImageInfo[1].Type=1", "Events[0].ImageInfo[1].Width=160",
        "Events[0].ImageInfo[1].Height=160", f"Events[0].ImageInfo[1].Offset={len(scene)}",
        f"Events[0].ImageInfo[1].Length={len(face)}",
        "Events[0].Name=FaceDetection1", f"Events[0].UTC={int(at.timestamp())}",
    ]
    text = ("\r\n".join(lines) + "\r\n").encode()
    return multipart([({"Content-Type": "text/plain", "Content-Length": str(len(text))}, text),
                      ({"Content-Type": "image/jpeg", "Content-Length": str(len(scene + face))},
                       scene + face)], boundary="myboundary")


def dahua_event(at: datetime, *, face: bytes, code: str = "FaceDetection") -> bytes:
    """eventManager shape: `Code=…;action=…;index=…;data={json}` and the JPEG part."""
    data = json.dumps({"UTC": int(at.timestamp()), "Faces": [{"BoundingBox": [10, 10, 90, 90]}],
                       "Object": {"ObjectType": "HumanFace"}})
    text = f"Code={code};action=Pulse;index=0;data={data}\r\n".encode()
    return multipart([({"Content-Type": "text/plain"}, text),
                      ({"Content-Type": "image/jpeg"}, face)], boundary="myboundary")
