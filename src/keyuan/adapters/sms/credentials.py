"""The SMS provider's access key: from the environment (`KEYUAN_SMS__ACCESS_KEY_ID`,
`KEYUAN_SMS__ACCESS_KEY_SECRET`) or a 0600 file of `access_key_id=…` / `access_key_secret=…`
lines. A file readable by group or others is refused with one line, as the vault key is."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from keyuan.adapters.crypto.keyfiles import KeyFileError
from keyuan.config.sms import SmsSettings


class SmsCredentialsError(KeyFileError):
    """The SMS access key is missing, malformed or readable by others."""


@dataclass(frozen=True)
class AccessKey:
    """`repr` shows neither part: an access key must never reach a log."""

    key_id: str = field(repr=False)
    secret: str = field(repr=False)


def load_access_key(settings: SmsSettings) -> AccessKey:
    if settings.credentials_file is None:
        if settings.access_key_id is None or settings.access_key_secret is None:
            raise SmsCredentialsError("no SMS access key: set KEYUAN_SMS__ACCESS_KEY_ID and "
                                      "KEYUAN_SMS__ACCESS_KEY_SECRET, or sms.credentials_file")
        return _checked(settings.access_key_id.get_secret_value(),
                        settings.access_key_secret.get_secret_value(), "the environment")
    return read_credentials_file(settings.credentials_file)


def read_credentials_file(path: Path) -> AccessKey:
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise SmsCredentialsError(f"{path} is readable by group or others; chmod 600 it")
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SmsCredentialsError(f"cannot read the SMS credentials file {path}: "
                                  f"{type(exc).__name__}") from exc
    values: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() in ("access_key_id", "access_key_secret"):
            values[name.strip()] = value.strip()
        elif line.strip() and not line.lstrip().startswith("#"):
            raise SmsCredentialsError(f"{path}: only access_key_id=… and access_key_secret=… "
                                      "lines (and # comments) are allowed")
    return _checked(values.get("access_key_id", ""), values.get("access_key_secret", ""),
                    str(path))


def _checked(key_id: str, secret: str, where: str) -> AccessKey:
    if not key_id or not secret:
        raise SmsCredentialsError(f"{where} lacks the SMS access_key_id or access_key_secret")
    if any(not 0x21 <= ord(char) <= 0x7E for char in key_id + secret):
        raise SmsCredentialsError(f"the SMS access key in {where} has spaces or non-ASCII "
                                  "characters")
    return AccessKey(key_id, secret)
