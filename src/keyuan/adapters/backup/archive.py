"""The encrypted backup file: a versioned header, then AES-256-GCM chunks (the STREAM
construction: a random nonce prefix, a chunk counter and a last-chunk flag in each nonce, the
header as associated data), so a changed, reordered, dropped or cut-off chunk fails
authentication. The key comes from the passphrase through scrypt.

    header  = b"KEYUANBK" | version 1 | kdf 1 (scrypt) | log2 N | r | p | salt (16)
              | nonce prefix (7) | chunk size (4) | passphrase check (16) | header digest (16)
    chunk   = length (4, big-endian) | AES-GCM(ciphertext + tag)

The passphrase check (an HMAC under a second key from the same scrypt output) tells a wrong
passphrase from damage; the header digest (SHA-256, unkeyed) tells a damaged header from a
wrong passphrase. Inside the chunks the plaintext is a sequence of named files:
    b"F" | length (4) | JSON {"name", "mode"}   a file starts
    b"D" | length (4) | bytes                    its data, in pieces
    b"Z"                                         the end of the archive
Nothing is written unencrypted: the writer seals each chunk as it fills."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from keyuan.domain.errors import BackupDamaged, BackupPassphraseWrong

MAGIC = b"KEYUANBK"
VERSION = 1
KDF_SCRYPT = 1
LOG2_N, R, P = 17, 8, 1  # scrypt at 128 MiB: OWASP's minimum for scrypt
MAX_LOG2_N = 20  # a header asking for more memory than this is damage, not a backup of ours
CHUNK = 1 << 20
MAX_CHUNK = 16 << 20
_FIELDS = struct.Struct(">8sBBBBB16s7sI")
_LEN = struct.Struct(">I")
TAG = 16
CHECK, DIGEST = 16, 16
HEADER_SIZE = _FIELDS.size + CHECK + DIGEST


@dataclass(frozen=True)
class _Keys:
    aead: AESGCM
    check: bytes


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> tuple[bytes, bytes]:
    raw = Scrypt(salt=salt, length=64, n=1 << log2_n, r=r, p=p).derive(passphrase.encode())
    return raw[:32], raw[32:]


def _check(check_key: bytes, fields: bytes) -> bytes:
    return hmac.new(check_key, b"keyuan-backup-passphrase|" + fields, "sha256").digest()[:CHECK]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


class ArchiveWriter:
    """Seals what it is given into `out` chunk by chunk; `close()` writes the last chunk."""

    def __init__(self, out: BinaryIO, passphrase: str, *, log2_n: int = LOG2_N) -> None:
        salt, self._prefix = secrets.token_bytes(16), secrets.token_bytes(7)
        fields = _FIELDS.pack(MAGIC, VERSION, KDF_SCRYPT, log2_n, R, P, salt, self._prefix, CHUNK)
        key, check_key = _derive(passphrase, salt, log2_n, R, P)
        checked = fields + _check(check_key, fields)
        self._header = checked + hashlib.sha256(checked).digest()[:DIGEST]
        self._aead = AESGCM(key)
        self._out = out
        self._buffer = bytearray()
        self._counter = 0
        out.write(self._header)

    def add_file(self, name: str, data: Iterable[bytes], *, mode: int = 0o600) -> None:
        self._record(b"F", json.dumps({"name": name, "mode": mode}).encode())
        for piece in data:
            for start in range(0, len(piece), CHUNK):
                self._record(b"D", piece[start:start + CHUNK])

    def close(self) -> None:
        self._buffer += b"Z"
        self._seal(last=True)
        self._out.flush()

    def _record(self, kind: bytes, body: bytes) -> None:
        self._buffer += kind + _LEN.pack(len(body)) + body
        while len(self._buffer) >= CHUNK:
            self._seal(last=False)

    def _seal(self, *, last: bool) -> None:
        piece = bytes(self._buffer[:CHUNK]) if not last else bytes(self._buffer)
        del self._buffer[:len(piece)]
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, last), piece,
                                    self._header)
        self._out.write(_LEN.pack(len(sealed)) + sealed)
        self._counter += 1


def open_archive(source: BinaryIO, passphrase: str) -> Iterator[tuple[str, int, bytes]]:
    """Read the header and check the passphrase now (`BackupPassphraseWrong`,
    `BackupDamaged`); then yield `(name, mode, data piece)` as chunks authenticate. A chunk that
    fails, a missing last chunk or bytes after it raise `BackupDamaged` when reached: the caller
    applies nothing before the generator has ended."""
    header = source.read(HEADER_SIZE)
    if len(header) != HEADER_SIZE or not header.startswith(MAGIC):
        raise BackupDamaged("This is not a keyuan backup file, or its beginning is missing; "
                            "nothing was changed.")
    checked, digest = header[:-DIGEST], header[-DIGEST:]
    if not hmac.compare_digest(hashlib.sha256(checked).digest()[:DIGEST], digest):
        raise BackupDamaged()
    fields, check = checked[:-CHECK], checked[-CHECK:]
    _magic, version, kdf, log2_n, r, p, salt, prefix, chunk = _FIELDS.unpack(fields)
    if version != VERSION or kdf != KDF_SCRYPT:
        raise BackupDamaged(f"Backup format version {version} is not one this keyuan reads; "
                            "nothing was changed.")
    if not (10 <= log2_n <= MAX_LOG2_N and 1 <= r <= 32 and 1 <= p <= 16
            and 0 < chunk <= MAX_CHUNK):
        raise BackupDamaged()
    key, check_key = _derive(passphrase, salt, log2_n, r, p)
    if not hmac.compare_digest(_check(check_key, fields), check):
        raise BackupPassphraseWrong()
    return _files(_plaintext(source, AESGCM(key), prefix, header, chunk))


def _plaintext(source: BinaryIO, aead: AESGCM, prefix: bytes, header: bytes,
               chunk: int) -> Iterator[bytes]:
    counter = 0
    while True:
        size_bytes = source.read(_LEN.size)
        if len(size_bytes) != _LEN.size:
            raise BackupDamaged("The backup file ends too early (cut off); nothing was changed.")
        (size,) = _LEN.unpack(size_bytes)
        if not TAG <= size <= chunk + TAG:
            raise BackupDamaged()
        sealed = source.read(size)
        if len(sealed) != size:
            raise BackupDamaged("The backup file ends too early (cut off); nothing was changed.")
        for last in (False, True):
            try:
                piece = aead.decrypt(_nonce(prefix, counter, last), sealed, header)
            except InvalidTag:
                continue
            break
        else:
            raise BackupDamaged()
        counter += 1
        if last:
            if source.read(1):
                raise BackupDamaged("The backup file has data after its end; nothing was "
                                    "changed.")
            yield piece
            return
        yield piece


def _files(stream: Iterator[bytes]) -> Iterator[tuple[str, int, bytes]]:
    buffer = bytearray()
    name: str | None = None
    mode = 0o600
    ended = False
    for piece in stream:
        if ended and piece:
            raise BackupDamaged()
        buffer += piece
        while buffer and not ended:
            kind = bytes(buffer[:1])
            if kind == b"Z":
                ended = True
                del buffer[:1]
                break
            if len(buffer) < 1 + _LEN.size:
                break
            (size,) = _LEN.unpack(buffer[1:1 + _LEN.size])
            if len(buffer) < 1 + _LEN.size + size:
                break
            body = bytes(buffer[1 + _LEN.size:1 + _LEN.size + size])
            del buffer[:1 + _LEN.size + size]
            if kind == b"F":
                meta = json.loads(body)
                name, mode = str(meta["name"]), int(meta["mode"])
                yield name, mode, b""
            elif kind == b"D" and name is not None:
                yield name, mode, body
            else:
                raise BackupDamaged()
    if not ended or buffer:
        raise BackupDamaged()
