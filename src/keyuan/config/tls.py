"""HTTPS of `keyuan serve` (`KEYUAN_TLS__<FIELD>`). Off the loopback address browsers keep
Secure cookies and the camera only over HTTPS, so a server on the office network serves HTTPS:
with the office CA's certificate that `keyuan tls init` makes under data_dir/tls/ (`auto`), or
with a certificate and key the office already has (`files`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

TLS_DIR = "tls"
CA_CERT, CA_KEY = "ca.crt", "ca.key"
SERVER_CERT, SERVER_KEY = "server.crt", "server.key"


class TlsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["auto", "off", "files"] = Field(
        "auto", description="'auto': HTTPS off loopback with data_dir/tls/ (`keyuan tls init`), "
        "renewing its server certificate when due; 'files': HTTPS with `cert_file`/`key_file` "
        "(also `serve --tls-cert/--tls-key`) on any address; 'off': plain HTTP only.")
    cert_file: Path | None = Field(None, description="PEM certificate (chain) for 'files'.")
    key_file: Path | None = Field(None, description="PEM private key for 'files'.")
    port: int = Field(8443, ge=1, le=65535,
                      description="HTTPS port when `serve --port` does not name one.")
    redirect: bool = Field(
        True, description="Serving HTTPS off loopback, also listen for plain HTTP on the `port` "
        "setting: it answers 308 to the same path over HTTPS (and hands out the office CA).")
    renew_days: int = Field(
        30, ge=1, le=300, description="`serve` re-issues the server certificate from the office "
        "CA when it expires within this many days (or no longer names the machine's addresses).")

    @model_validator(mode="after")
    def _files_need_both(self) -> TlsSettings:
        if self.mode == "files" and (self.cert_file is None or self.key_file is None):
            raise ValueError("tls.mode 'files' needs both tls.cert_file and tls.key_file")
        return self


def tls_dir(data_dir: Path) -> Path:
    return data_dir / TLS_DIR
