"""Local stand-ins for the SMS providers' APIs: real HTTP servers in a thread that check each
request exactly as the provider documents it — recomputing the signature with their own
implementation of the documented algorithm (not the product's code), checking the parameters,
headers and body — and answer as the provider does. `script` lists what to do with the next
requests (answer OK, an error code, a 5xx, or sleep past the client's timeout); `requests`
keeps what arrived, so a test can read the code the visitor would have received."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote

ALIYUN_KEY_ID, ALIYUN_SECRET = "LTAI5tFakeKeyIdForTests", "aliyun-SECRET-never-logged-7f3a9c"
TENCENT_KEY_ID, TENCENT_SECRET = "AKIDFakeSecretIdForTests0001", "tencent-SECRET-never-logged-4b2e"


@dataclass
class Step:
    """What the fake does with one request: `kind` is "ok", "error" (HTTP `status`, provider
    `code`), "status" (a bare HTTP `status`), "sleep" (`seconds`, then "ok"), or for Tencent
    "status_code" (a per-number `SendStatusSet` code)."""

    kind: str = "ok"
    code: str = ""
    status: int = 200
    seconds: float = 0.0


@dataclass
class FakeGateway:
    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    script: list[Step] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    region: str = "ap-guangzhou"

    def next_step(self) -> Step:
        return self.script.pop(0) if self.script else Step()

    def last_code(self) -> str:
        """The code the visitor's phone would have shown (from the last accepted request)."""
        return str(self.requests[-1]["code"])


# --- Aliyun: RPC signature v1.0 (HMAC-SHA1), documented in "HTTP协议及签名" -------------------
ALIYUN_PARAMS = {"AccessKeyId", "Action", "Format", "RegionId", "SignatureMethod",
                 "SignatureNonce", "SignatureVersion", "Timestamp", "Version", "PhoneNumbers",
                 "SignName", "TemplateCode", "TemplateParam", "Signature"}


def aliyun_encode(text: str) -> str:
    """RFC 3986 percent-encoding (Python's `quote` keeps only A-Z a-z 0-9 - _ . ~)."""
    return quote(text, safe="")


def aliyun_signature(method: str, params: dict[str, str], secret: str) -> str:
    query = "&".join(f"{aliyun_encode(k)}={aliyun_encode(params[k])}"
                     for k in sorted(params) if k != "Signature")
    to_sign = f"{method}&{aliyun_encode('/')}&{aliyun_encode(query)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(),
                                     hashlib.sha1).digest()).decode()


def _aliyun_problems(handler: BaseHTTPRequestHandler, body: str,
                     fake: FakeGateway) -> tuple[list[str], dict[str, str]]:
    problems = []
    if handler.path != "/":
        problems.append(f"path {handler.path!r}: parameters belong in the body")
    if handler.headers.get("Content-Type") != "application/x-www-form-urlencoded":
        problems.append(f"content-type {handler.headers.get('Content-Type')!r}")
    if "+" in body or "*" in body or re.search(r"%(?:[a-f][0-9a-fA-F]|[0-9A-F][a-f])", body):
        problems.append("body not RFC 3986 encoded ('+', '*' or lower-case hex)")
    params = {}
    for pair in body.split("&"):
        name, _, value = pair.partition("=")
        params[unquote(name)] = unquote(value)
    if set(params) != ALIYUN_PARAMS:
        problems.append(f"parameters {sorted(set(params) ^ ALIYUN_PARAMS)} wrong")
        return problems, params
    fixed = {"Action": "SendSms", "Version": "2017-05-25", "Format": "JSON",
             "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"}
    problems += [f"{k}={params[k]!r}" for k, v in fixed.items() if params[k] != v]
    stamp = params["Timestamp"]
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp) or abs(
            datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
            - time.time()) > 900:
        problems.append(f"Timestamp {stamp!r} is not UTC ISO 8601 within 15 minutes")
    if not re.fullmatch(r"1[3-9]\d{9}", params["PhoneNumbers"]):
        problems.append("PhoneNumbers is not one 11-digit mainland number")
    if params["SignatureNonce"] in fake.nonces:
        problems.append("SignatureNonce reused")
    fake.nonces.add(params["SignatureNonce"])
    try:
        template = json.loads(params["TemplateParam"])
        assert isinstance(template, dict) and re.fullmatch(r"\d{6}", template["code"])
    except (ValueError, AssertionError, KeyError):
        problems.append("TemplateParam is not JSON with a 6-digit code")
    if params["AccessKeyId"] != ALIYUN_KEY_ID:
        problems.append("InvalidAccessKeyId.NotFound")
    elif not hmac.compare_digest(params["Signature"],
                                 aliyun_signature("POST", params, ALIYUN_SECRET)):
        problems.append("SignatureDoesNotMatch")
    return problems, params


# --- Tencent: API 3.0, TC3-HMAC-SHA256, documented in "签名方法 v3" ---------------------------
TENCENT_BODY = {"PhoneNumberSet", "SmsSdkAppId", "SignName", "TemplateId", "TemplateParamSet"}
TENCENT_AUTH = re.compile(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d\d-\d\d)/sms/tc3_request, "
                          r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})")


def tencent_signature(secret: str, headers: dict[str, str], signed: list[str], body: bytes,
                      timestamp: int, service: str = "sms") -> str:
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in signed)
    canonical = "\n".join(["POST", "/", "", canonical_headers, ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    date = datetime.fromtimestamp(timestamp, UTC).date().isoformat()
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{date}/{service}/tc3_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"TC3{secret}".encode()
    for part in (date, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _tencent_problems(handler: BaseHTTPRequestHandler, body: bytes,
                      fake: FakeGateway) -> tuple[list[str], dict[str, Any]]:
    problems: list[str] = []
    headers = {name.lower(): value for name, value in handler.headers.items()}
    expected = {"content-type": "application/json; charset=utf-8", "x-tc-action": "SendSms",
                "x-tc-version": "2021-01-11", "x-tc-region": fake.region,
                "host": fake.base_url.removeprefix("http://")}
    problems += [f"header {k}: {headers.get(k)!r}" for k, v in expected.items()
                 if headers.get(k) != v]
    if handler.path != "/":
        problems.append(f"path {handler.path!r}")
    try:
        payload = json.loads(body)
        assert isinstance(payload, dict) and set(payload) == TENCENT_BODY
        assert re.fullmatch(r"\+861[3-9]\d{9}", payload["PhoneNumberSet"][0])
        assert len(payload["PhoneNumberSet"]) == 1
        assert re.fullmatch(r"\d{6}", payload["TemplateParamSet"][0])
        assert all(isinstance(p, str) for p in payload["TemplateParamSet"])
    except (ValueError, AssertionError, KeyError, IndexError, TypeError):
        return [*problems, "InvalidParameter: body"], {}
    stamp = headers.get("x-tc-timestamp", "")
    if not stamp.isdigit() or abs(int(stamp) - time.time()) > 300:
        return [*problems, "AuthFailure.SignatureExpire"], payload
    found = TENCENT_AUTH.fullmatch(headers.get("authorization", ""))
    if found is None:
        return [*problems, "AuthFailure.InvalidAuthorization"], payload
    secret_id, date, signed_headers, given = found.groups()
    signed = signed_headers.split(";")
    if secret_id != TENCENT_KEY_ID:
        problems.append("AuthFailure.SecretIdNotFound")
    elif date != datetime.fromtimestamp(int(stamp), UTC).date().isoformat() or \
            signed != sorted(signed) or not {"content-type", "host"} <= set(signed) or \
            not set(signed) <= set(headers):
        problems.append("AuthFailure.InvalidAuthorization")
    elif not hmac.compare_digest(given, tencent_signature(TENCENT_SECRET, headers, signed, body,
                                                          int(stamp))):
        problems.append("AuthFailure.SignatureFailure")
    return problems, payload


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGateway
    provider: str

    def log_message(self, format: str, *args: Any) -> None:
        self.fake.log_lines.append(format % args)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        step = self.fake.next_step()
        if self.provider == "aliyun":
            self._aliyun(body.decode("utf-8"), step)
        else:
            self._tencent(body, step)

    def _answer(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout)

    def _aliyun(self, body: str, step: Step) -> None:
        problems, params = _aliyun_problems(self, body, self.fake)
        request_id = str(uuid.uuid4()).upper()
        if step.kind == "sleep":  # checked first: a request that times out was still seen
            time.sleep(step.seconds)
        if problems:
            self.fake.problems += problems
            code = problems[-1] if problems[-1] in (
                "SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound") else "MissingParameter"
            self._answer(400 if code != "InvalidAccessKeyId.NotFound" else 404,
                         {"Code": code, "Message": "; ".join(problems), "RequestId": request_id})
            return
        if step.kind == "status":
            self._answer(step.status, {"Code": "ServiceUnavailable", "RequestId": request_id}
                         if step.status == 503 else {"RequestId": request_id})
            return
        if step.kind == "error":
            self._answer(step.status, {"Code": step.code, "Message": "fake provider error",
                                       "RequestId": request_id})
            return
        code = json.loads(params["TemplateParam"])["code"]
        self.fake.requests.append({**params, "code": code})
        self._answer(200, {"Code": "OK", "Message": "OK", "BizId": f"{time.time_ns()}^0",
                           "RequestId": request_id})

    def _tencent(self, body: bytes, step: Step) -> None:
        problems, payload = _tencent_problems(self, body, self.fake)
        request_id = str(uuid.uuid4())
        if step.kind == "sleep":
            time.sleep(step.seconds)
        if problems:
            self.fake.problems += problems
            code = problems[-1] if problems[-1].startswith("AuthFailure") else \
                "InvalidParameter"
            self._answer(200, {"Response": {"Error": {"Code": code, "Message": "; ".join(
                problems)}, "RequestId": request_id}})
            return
        if step.kind == "status":
            self._answer(step.status, {"message": "bad gateway"})
            return
        if step.kind == "error":  # an error of the whole request (Response.Error)
            self._answer(200, {"Response": {"Error": {"Code": step.code, "Message": "fake"},
                                            "RequestId": request_id}})
            return
        number = payload["PhoneNumberSet"][0]
        if step.kind == "status_code":  # a per-number refusal (SendStatusSet[0].Code)
            self._answer(200, {"Response": {"SendStatusSet": [{
                "SerialNo": "", "PhoneNumber": number, "Fee": 0, "SessionContext": "",
                "Code": step.code, "Message": "fake", "IsoCode": "CN"}],
                "RequestId": request_id}})
            return
        self.fake.requests.append({**payload, "code": payload["TemplateParamSet"][0]})
        self._answer(200, {"Response": {"SendStatusSet": [{
            "SerialNo": f"2028:{time.time_ns()}", "PhoneNumber": number, "Fee": 1,
            "SessionContext": "", "Code": "Ok", "Message": "send success", "IsoCode": "CN"}],
            "RequestId": request_id}})


@contextmanager
def fake_gateway(provider: str) -> Iterator[FakeGateway]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    fake = FakeGateway(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = type("Handler", (_Handler,), {"fake": fake,
                                                                "provider": provider})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
