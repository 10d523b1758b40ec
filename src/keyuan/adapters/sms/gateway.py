"""What the Aliyun and Tencent senders share: one HTTPS POST per attempt with a timeout,
bounded retries with doubling backoff on transient failures only, and the errors the kiosk
gets. Nothing here logs a number, a code, a header or a body: only the provider, the attempt
and the kind of failure."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from keyuan.config.sms import SmsSettings
from keyuan.domain.errors import SmsGatewayUnavailable
from keyuan.domain.sms import SmsAccepted

log = logging.getLogger("keyuan.sms")


class Transient(Exception):
    """The provider answered with a failure worth one more try (its own system error)."""

    def __init__(self, provider_code: str, request_id: str | None = None) -> None:
        super().__init__(provider_code)
        self.provider_code, self.request_id = provider_code, request_id


@dataclass(frozen=True)
class Request:
    """One signed request, rebuilt per attempt (a fresh nonce and timestamp each time)."""

    url: str
    body: bytes
    headers: dict[str, str]


class Gateway:
    """The retry loop around one provider. `build` signs a request; `read` turns an answer into
    `SmsAccepted`, raises `Transient` to retry, or raises an `SmsNotDelivered` to stop."""

    def __init__(self, provider: str, settings: SmsSettings, *,
                 client: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.provider = provider
        self._settings = settings
        # No redirects (a signed request goes to the endpoint only); proxies from the
        # environment (HTTPS_PROXY, NO_PROXY) apply, as an office network may need them.
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(settings.timeout_seconds), follow_redirects=False)
        self._sleep = sleep

    def send(self, build: Callable[[], Request],
             read: Callable[[httpx.Response, int], SmsAccepted]) -> SmsAccepted:
        attempts, failure, request_id = self._settings.attempts, "", None
        for attempt in range(1, attempts + 1):
            request = build()
            try:
                response = self._client.post(request.url, content=request.body,
                                             headers=request.headers)
                return read(response, attempt)
            except Transient as exc:
                failure, request_id = exc.provider_code, exc.request_id
            except httpx.TimeoutException:
                failure = "timeout"
            except httpx.TransportError as exc:
                failure = f"connection_error:{type(exc).__name__}"
            if attempt < attempts:
                wait = self._settings.backoff_seconds * 2 ** (attempt - 1)
                log.warning("sms %s attempt %d/%d failed (%s); retrying in %.1f s",
                            self.provider, attempt, attempts, failure, wait)
                self._sleep(wait)
        log.error("sms %s: no answer after %d attempts (%s)", self.provider, attempts, failure)
        seconds = self._settings.timeout_seconds
        raise SmsGatewayUnavailable(
            f"The SMS service did not answer ({attempts} attempts of up to {seconds:g} s: "
            f"{failure}); the code may not arrive. Please try again shortly, or ask reception.",
            provider_code=failure, request_id=request_id, attempts=attempts,
            retry_after=max(30, round(seconds * attempts)))

    def close(self) -> None:
        self._client.close()


def server_error(response: httpx.Response) -> bool:
    return response.status_code >= 500
