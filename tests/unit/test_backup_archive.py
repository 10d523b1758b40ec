"""The encrypted backup format (`adapters/backup/archive.py`) in memory: files of any size come
back byte for byte; a wrong passphrase is told apart from damage; a flipped, dropped, swapped,
repeated or cut-off chunk, a damaged header and bytes after the end are all `BackupDamaged`."""

from __future__ import annotations

import io
import secrets
import struct

import pytest

from keyuan.adapters.backup import archive
from keyuan.domain.errors import BackupDamaged, BackupPassphraseWrong

PASSPHRASE = "a long enough passphrase"
FAST = 10  # scrypt N = 2^10 here: the format is the same, the test is quick


def sealed(files: dict[str, bytes], passphrase: str = PASSPHRASE) -> bytes:
    out = io.BytesIO()
    writer = archive.ArchiveWriter(out, passphrase, log2_n=FAST)
    for name, data in files.items():
        writer.add_file(name, [data[i:i + 300_000] for i in range(0, len(data), 300_000)] or [b""])
    writer.close()
    return out.getvalue()


def opened(data: bytes, passphrase: str = PASSPHRASE) -> dict[str, bytes]:
    found: dict[str, bytearray] = {}
    for name, _mode, piece in archive.open_archive(io.BytesIO(data), passphrase):
        found.setdefault(name, bytearray()).extend(piece)
    return {name: bytes(content) for name, content in found.items()}


def chunks(data: bytes) -> list[bytes]:
    """The framed chunks after the header, each with its length prefix."""
    out, at = [], archive.HEADER_SIZE
    while at < len(data):
        (size,) = struct.unpack(">I", data[at:at + 4])
        out.append(data[at:at + 4 + size])
        at += 4 + size
    return out


FILES = {"manifest.json": b'{"format": 1}', "store/big": secrets.token_bytes(2_600_000),
         "data/empty": b"", "data/vault.key": b"c2VjcmV0\n"}


def test_files_of_any_size_come_back_byte_for_byte() -> None:
    data = sealed(FILES)
    assert len(chunks(data)) == 3  # 2.6 MB in 1 MiB chunks
    assert opened(data) == FILES
    assert FILES["store/big"][:64] not in data and b"c2VjcmV0" not in data


def test_a_wrong_passphrase_is_named_before_anything_is_read() -> None:
    with pytest.raises(BackupPassphraseWrong):
        archive.open_archive(io.BytesIO(sealed(FILES)), "not the passphrase")


def test_a_damaged_header_is_damage_not_a_wrong_passphrase() -> None:
    data = bytearray(sealed(FILES))
    data[20] ^= 1  # inside the salt
    with pytest.raises(BackupDamaged):
        archive.open_archive(io.BytesIO(bytes(data)), PASSPHRASE)


def rebuilt(data: bytes, parts: list[bytes]) -> bytes:
    return data[:archive.HEADER_SIZE] + b"".join(parts)


@pytest.mark.parametrize("change", ["flip", "drop last", "drop first", "swap", "repeat",
                                    "cut inside", "append", "other header"])
def test_any_change_to_the_chunks_is_damage(change: str) -> None:
    data = sealed(FILES)
    parts = chunks(data)
    if change == "flip":
        middle = bytearray(parts[1])
        middle[len(middle) // 2] ^= 0x01
        damaged = rebuilt(data, [parts[0], bytes(middle), parts[2]])
    elif change == "drop last":  # cut exactly at a chunk boundary
        damaged = rebuilt(data, parts[:-1])
    elif change == "drop first":
        damaged = rebuilt(data, parts[1:])
    elif change == "swap":
        damaged = rebuilt(data, [parts[1], parts[0], parts[2]])
    elif change == "repeat":
        damaged = rebuilt(data, [parts[0], parts[0], parts[1], parts[2]])
    elif change == "cut inside":
        damaged = data[:-100]
    elif change == "append":
        damaged = data + parts[-1]
    else:  # the chunks of another backup with the same passphrase
        damaged = rebuilt(data, chunks(sealed(FILES)))
    with pytest.raises(BackupDamaged):
        opened(damaged)


def test_something_that_is_not_a_backup_is_damage() -> None:
    for data in (b"", b"SQLite format 3\x00" + bytes(200), archive.MAGIC):
        with pytest.raises(BackupDamaged):
            archive.open_archive(io.BytesIO(data), PASSPHRASE)
