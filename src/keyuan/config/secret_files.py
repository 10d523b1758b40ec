"""Secrets by file: `KEYUAN_<FIELD>_FILE` names a file whose content is the setting, the
convention of Docker secrets (`/run/secrets/…`) and of systemd credentials (`%d/…`), so keys
and passwords never sit in the environment or a compose file. Only the secret settings below
have a `_FILE` form (`tls.cert_file` and `sms.credentials_file` are paths by themselves).

The content is used as it is, less trailing line breaks. Giving a setting both ways is refused,
as is a file that cannot be read; neither message ever carries the content."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource

SECRET_FIELDS: tuple[tuple[str, ...], ...] = (
    ("secret_key",), ("vault_key",), ("receipt_key",), ("database_url",),
    ("database_password",), ("sms", "access_key_id"), ("sms", "access_key_secret"),
)
"""The settings with a `_FILE` form, as paths into the settings (section, field)."""
MAX_BYTES = 64 * 1024


class SecretFileError(ValueError):
    """A `_FILE` variable that cannot be used: `keyuan` says `invalid_settings`, names it."""


def variable(path: tuple[str, ...]) -> str:
    """A setting's environment variable: ("sms", "access_key_id") -> KEYUAN_SMS__ACCESS_KEY_ID."""
    return "KEYUAN_" + "__".join(part.upper() for part in path)


FILE_VARIABLES = {variable(path) + "_FILE": path for path in SECRET_FIELDS}


def read_secret(name: str, file: str) -> str:
    path = Path(file)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SecretFileError(f"{name}: cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_BYTES:
        raise SecretFileError(f"{name}: {path} is larger than {MAX_BYTES} bytes")
    try:
        value = data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise SecretFileError(f"{name}: {path} is not UTF-8 text") from exc
    if not value:
        raise SecretFileError(f"{name}: {path} is empty")
    return value


class SecretFilesSource(PydanticBaseSettingsSource):
    """The values of the `_FILE` variables set in the environment, as nested settings."""

    def __init__(self, settings_cls: type[BaseSettings],
                 environ: Mapping[str, str] | None = None) -> None:
        super().__init__(settings_cls)
        self.environ = os.environ if environ is None else environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ gives every value at once

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, path in FILE_VARIABLES.items():
            file = self.environ.get(name)
            if not file:
                continue
            if self.environ.get(variable(path)):
                raise SecretFileError(f"{name}: {variable(path)} is set as well; give one")
            *sections, field = path
            target = out
            for section in sections:
                target = target.setdefault(section, {})
            target[field] = read_secret(name, file)
        return out


class EnvWithoutFileVariables(EnvSettingsSource):
    """The ordinary `KEYUAN_…` variables, less the `_FILE` ones (which would otherwise read as
    unknown fields of a section, e.g. `sms.access_key_secret_file`)."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        skipped = {name.lower() for name in FILE_VARIABLES} | set(FILE_VARIABLES)
        return {k: v for k, v in super()._load_env_vars().items() if k not in skipped}
