"""The office CA and the server certificate of `keyuan serve` (`keyuan tls init`), with
`cryptography` only: no openssl binary, no network.

data_dir/tls/ holds `ca.crt` + `ca.key` (the office CA, ten years, key 0600: it never leaves
this machine; tablets and PCs install `ca.crt` once) and `server.crt` + `server.key` (one year,
key 0600), issued for the machine's names (hostname, hostname.local, localhost) and addresses
(every non-loopback, non-link-local IPv4/IPv6 of its interfaces, read from the interfaces with
psutil, plus 127.0.0.1 and ::1). `serve` re-issues the server certificate from the same CA when
it is due (`renewal_due`): devices that trust the CA never notice."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import re
import socket
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import psutil
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from keyuan.config.tls import CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY
from keyuan.domain.errors import KeyuanError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
T = TypeVar("T")
CA_DAYS = 3650
SERVER_DAYS = 365
BACKDATE = timedelta(hours=1)  # a tablet whose clock runs a little behind still accepts it
_DNS_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


class TlsError(KeyuanError):
    """The office CA or certificate is missing, unreadable or unsafe: one line, no traceback."""
    code, status = "tls", 400


@dataclass(frozen=True)
class Names:
    """What a server certificate is issued for."""
    dns: tuple[str, ...]
    ips: tuple[IPAddress, ...]

    def __or__(self, other: Names) -> Names:
        return Names(_unique((*self.dns, *other.dns)), _unique((*self.ips, *other.ips)))


@dataclass(frozen=True)
class CertInfo:
    path: Path
    subject: str
    not_before: datetime
    not_after: datetime
    names: Names
    sha256: str
    """SHA-256 of the certificate (DER), as colon-separated hex: what a device shows."""
    spki_sha256: str
    """Base64 SHA-256 of the public key (SPKI): what `--ignore-certificate-errors-spki-list`
    and certificate pinning name."""
    is_ca: bool


def _unique(items: Iterable[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(items))


def usable(address: IPAddress) -> bool:
    """An address another machine on the office network could reach this one at."""
    return not (address.is_loopback or address.is_link_local or address.is_unspecified
                or address.is_multicast)


def lan_addresses() -> list[IPAddress]:
    """This machine's own non-loopback, non-link-local addresses (IPv4 first), read from its
    interfaces (no network access, no `ip` command)."""
    found: list[IPAddress] = []
    for addresses in psutil.net_if_addrs().values():
        for entry in addresses:
            if entry.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            try:
                address = ipaddress.ip_address(entry.address.split("%", 1)[0])
            except ValueError:
                continue
            if usable(address):
                found.append(address)
    return sorted(_unique(found), key=lambda a: (a.version, a))


def machine_names() -> Names:
    """Hostname, hostname.local (mDNS on the office network), localhost; every LAN address
    plus 127.0.0.1 and ::1."""
    host = socket.gethostname().strip().rstrip(".")
    dns = [host] if _DNS_NAME.match(host) else []
    short = host.split(".", 1)[0]
    if _DNS_NAME.match(short) and "." not in host:
        dns.append(f"{short}.local")
    dns.append("localhost")
    loopback = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    return Names(_unique(dns), _unique([*lan_addresses(), *loopback]))


def parse_names(dns: Sequence[str], ips: Sequence[str]) -> Names:
    """Names and addresses given on the command line; a bad one is refused, named."""
    for name in dns:
        if not _DNS_NAME.match(name.rstrip(".")):
            raise TlsError(f"not a host name: {name!r}")
    parsed: list[IPAddress] = []
    for text in ips:
        try:
            parsed.append(ipaddress.ip_address(text))
        except ValueError as exc:
            raise TlsError(f"not an IP address: {text!r}") from exc
    return Names(_unique(n.rstrip(".").lower() for n in dns), _unique(parsed))


def _write(path: Path, data: bytes, mode: int) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one; a key file is
    0600 from its first byte."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def _read_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if not path.is_file():
        raise TlsError(f"{path} is missing: run `keyuan tls init`")
    if path.stat().st_mode & 0o077:
        raise TlsError(f"{path} is readable by others; chmod 600 it")
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TlsError(f"{path} is not an EC private key")
    return key


def _read_cert(path: Path) -> x509.Certificate:
    if not path.is_file():
        raise TlsError(f"{path} is missing: run `keyuan tls init`")
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError as exc:
        raise TlsError(f"{path} is not a PEM certificate") from exc


def ensure_ca(directory: Path, now: datetime) -> bool:
    """The office CA (created once, ten years). True when created now."""
    cert_path, key_path = directory / CA_CERT, directory / CA_KEY
    if cert_path.exists() or key_path.exists():
        _read_key(key_path), _read_cert(cert_path)  # both there, key private
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    host = socket.gethostname().split(".", 1)[0][:40] or "office"
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "keyuan"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"keyuan office CA {host} {now:%Y-%m-%d}"),
    ])
    public = key.public_key()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256()))
    _write(key_path, _key_pem(key), 0o600)  # the key first: a CA cert without it is useless
    _write(cert_path, cert.public_bytes(Encoding.PEM), 0o644)
    return True


def issue_server(directory: Path, names: Names, now: datetime,
                 days: int = SERVER_DAYS) -> CertInfo:
    """A new server key and certificate for `names`, signed by the office CA."""
    ca_key, ca_cert = _read_key(directory / CA_KEY), _read_cert(directory / CA_CERT)
    if not names.dns and not names.ips:
        raise TlsError("a server certificate needs at least one name or address")
    key = ec.generate_private_key(ec.SECP256R1())
    common = (names.dns or (str(names.ips[0]),))[0]
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names.dns]
    sans += [x509.IPAddress(a) for a in names.ips]
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "keyuan"),
                                     x509.NameAttribute(NameOID.COMMON_NAME, common[:64])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write(directory / SERVER_KEY, _key_pem(key), 0o600)
    _write(directory / SERVER_CERT, cert.public_bytes(Encoding.PEM), 0o644)
    return read_info(directory / SERVER_CERT)


def init(directory: Path, names: Names, now: datetime) -> tuple[bool, CertInfo]:
    """(CA created now, the new server certificate)."""
    created = ensure_ca(directory, now)
    return created, issue_server(directory, names, now)


def read_info(path: Path) -> CertInfo:
    cert = _read_cert(path)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = (), ()
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    digest = cert.fingerprint(hashes.SHA256())
    return CertInfo(
        path=path, subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        names=Names(dns, ips),  # type: ignore[arg-type]
        sha256=":".join(f"{b:02X}" for b in digest),
        spki_sha256=base64.b64encode(hashlib.sha256(spki).digest()).decode(), is_ca=is_ca)


def renewal_due(directory: Path, now: datetime, within_days: int,
                names: Names | None = None) -> str | None:
    """Why the server certificate should be re-issued now, or None: missing, expiring within
    `within_days`, or no longer naming one of `names` (the machine's address changed)."""
    path = directory / SERVER_CERT
    if not path.exists() or not (directory / SERVER_KEY).exists():
        return "no server certificate"
    info = read_info(path)
    if info.not_after - now <= timedelta(days=within_days):
        return f"it expires {info.not_after:%Y-%m-%d}"
    missing = [] if names is None else [
        *(n for n in names.dns if n not in info.names.dns),
        *(str(a) for a in names.ips if a not in info.names.ips)]
    if missing:
        return f"it does not name {', '.join(missing)}"
    return None


def renew_if_due(directory: Path, now: datetime, within_days: int,
                 names: Names | None = None) -> tuple[str, CertInfo] | None:
    """Re-issue the server certificate when due, for the names it had plus `names` (new
    addresses are added, none is dropped). (reason, new certificate), or None."""
    reason = renewal_due(directory, now, within_days, names)
    if reason is None:
        return None
    old = directory / SERVER_CERT
    previous = read_info(old).names if old.exists() else Names((), ())
    return reason, issue_server(directory, previous | (names or Names((), ())), now)


def has_office_ca(directory: Path) -> bool:
    return (directory / CA_CERT).is_file() and (directory / CA_KEY).is_file()
