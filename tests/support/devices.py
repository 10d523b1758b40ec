"""Paired kiosk devices for tests, paired the way a tablet pairs: an admin's one-time code
(`services.checkin.devices.offer_pairing`), redeemed (`redeem`). Kiosk API calls then carry the
device token as the `X-Kiosk-Device` header (a browser keeps it in its cookie instead)."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx

from keyuan.api.guard import DEVICE_HEADER
from keyuan.bootstrap import App
from keyuan.services.checkin import devices
from keyuan.services.ports import Deps


class HasApp(Protocol):
    @property
    def app(self) -> App: ...


def pair_device(deps: Deps, office_id: str = "demo-office", name: str = "测试平板") -> str:
    """A new device of `office_id`: its token."""
    offer = devices.offer_pairing(office_id, name, deps, actor="test")
    return devices.redeem(offer.code, deps, client=None).token


def device_headers(target: HasApp | App | Deps, office_id: str = "demo-office") -> dict[str, str]:
    """Headers of a newly paired device of `office_id` (a `Live`, an `App` or its deps)."""
    deps = target if isinstance(target, Deps) else (
        target.deps if isinstance(target, App) else target.app.deps)
    return {DEVICE_HEADER: pair_device(deps, office_id)}


_TABLETS: dict[tuple[int, str, str], tuple[App, str]] = {}


def tablet_headers(target: HasApp | App, tablet: str = "tablet",
                   office_id: str = "demo-office") -> dict[str, str]:
    """The headers of one named tablet of `office_id`, paired at its first use and the same
    for every later call on that app (e.g. one tablet per simulated client address)."""
    app = target if isinstance(target, App) else target.app
    key = (id(app), tablet, office_id)
    found = _TABLETS.get(key)
    if found is None or found[0] is not app:  # the App is kept: its id is not reused
        found = _TABLETS[key] = (app, pair_device(app.deps, office_id, tablet[:60]))
    return {DEVICE_HEADER: found[1]}


def kiosk_client(live: Any, office_id: str = "demo-office", *, timeout: float = 60,
                 **kwargs: Any) -> httpx.Client:
    """An HTTP client of `live` (a `support.live.Live`) that is a paired tablet of
    `office_id`; extra `headers=` are added to the device's."""
    headers = {**device_headers(live, office_id), **kwargs.pop("headers", {})}
    return httpx.Client(base_url=live.base_url, timeout=timeout, headers=headers, **kwargs)


def cli_pairing_url(base_url: str, env: dict[str, str], office_id: str = "demo-office",
                    name: str = "e2e 平板") -> str:
    """`keyuan device pair` (with the server's environment), as an admin runs it next to a
    running `keyuan serve`: the pairing URL it prints (what its QR code holds)."""
    printed = subprocess.run(
        [sys.executable, "-m", "keyuan.cli.main", "device", "pair", "--office", office_id,
         "--name", name, "--url", base_url, "--no-qr"],
        env=env, capture_output=True, text=True, check=True).stdout
    found = re.search(r"open on the tablet: (\S+)", printed)
    assert found is not None, printed
    return found.group(1)


def pair_with_cli(base_url: str, env: dict[str, str], office_id: str = "demo-office",
                  name: str = "e2e 平板") -> dict[str, str]:
    """Pair as an office does with a running `keyuan serve`: the CLI's pairing URL, its code
    redeemed over HTTP. The headers of the new device."""
    url = cli_pairing_url(base_url, env, office_id, name)
    code = parse_qs(urlsplit(url).query)["code"][0]
    paired = httpx.post(f"{base_url}/api/kiosk/pairing", json={"code": code}, timeout=30,
                        verify=False)
    assert paired.status_code == 201, paired.text
    return {DEVICE_HEADER: paired.json()["device_token"]}


def pair_browser(context: Any, live: Any, office_id: str = "demo-office",
                 name: str = "前台平板") -> None:
    """The browser `context` becomes a paired tablet the way an office pairs one: an admin's
    pairing offer (what the QR code on /admin/devices holds), opened here; the pairing page's
    button redeems it and the kiosk of the office opens. The device cookie stays in `context`."""
    offer = devices.offer_pairing(office_id, name, live.app.deps, actor="test")
    open_pairing_url(context, devices.pair_url(live.base_url, offer.code), office_id)


def open_pairing_url(context: Any, url: str, office_id: str = "demo-office") -> None:
    """What a tablet does with the pairing QR code: open its URL, tap "pair", get the kiosk."""
    page = context.new_page()
    try:
        page.goto(url)
        page.locator("#pair-go").click()
        page.wait_for_url(f"**/kiosk/{office_id}*")
    finally:
        page.close()
