"""All configuration, read once by `bootstrap.build`. Environment variables are `KEYUAN_<FIELD>`;
the sections (`face`, `capture`, `retention`, `limits`, `tls`, each in its own module here) are
`KEYUAN_<SECTION>__<FIELD>`. The secrets also read from a file named by `KEYUAN_<FIELD>_FILE`
(Docker secrets, systemd credentials: `config/secret_files.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from keyuan.config.capture import CaptureSettings
from keyuan.config.face import FaceSettings
from keyuan.config.limits import LimitsSettings
from keyuan.config.liveness import LivenessSettings
from keyuan.config.retention import RetentionSettings
from keyuan.config.secret_files import EnvWithoutFileVariables, SecretFilesSource
from keyuan.config.sms import SmsSettings
from keyuan.config.tls import TlsSettings

PLACEHOLDER_SECRET = "change-me-development-only"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KEYUAN_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    environment: Literal["development", "production", "test"] = Field(
        "development", description="Placeholder secrets are refused outside development and test."
    )
    data_dir: Path = Field(Path("var"), description="Where the embedded stores and key files live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the main store; default SQLite at data_dir/keyuan.db."
    )
    database_password: SecretStr | None = Field(
        None, description="Password of `database_url`'s user when the URL carries none, e.g. "
        "from a Docker secret by KEYUAN_DATABASE_PASSWORD_FILE (the compose file does this).",
    )
    vault_path: Path | None = Field(
        None, description="SQLite file of the biometric vault (default data_dir/vault.db). On "
        "PostgreSQL the vault is the `vault` schema of the same database.",
    )
    vault_key: str | None = Field(
        None, description="Base64 AES-256 vault key; default: the 0600 file data_dir/vault.key."
    )
    receipt_key: str | None = Field(
        None, description="Base64 Ed25519 private key (32 bytes) signing consent receipts; "
        "default: the 0600 file data_dir/receipt.key.",
    )
    secret_key: str = Field(
        PLACEHOLDER_SECRET, min_length=16,
        description="Keys the mobile-number hashes and one-time codes (HMAC-SHA256).",
    )
    demo: bool = Field(
        False, description="Demo mode (`keyuan serve --demo`, what `make run` does): records a "
        "DEMONSTRATION impact assessment when none is on record and shows a 演示 / DEMO banner on "
        "every page. Outside demo mode a demonstration assessment licenses no face processing.",
    )
    face_module: Literal["on", "off"] = Field(
        "on", description="'off' runs the whole product on mobile check-in; the engine itself is "
        "`face.engine`. ('dlib', the old spelling of 'on', is still read as 'on'.)",
    )
    @field_validator("face_module", mode="before")
    @classmethod
    def _face_module_old_spelling(cls, value: object) -> object:
        return "on" if value == "dlib" else value

    otp_ttl_seconds: int = Field(300, ge=30, le=3600, description="How long a code is valid.")
    otp_max_attempts: int = Field(5, ge=1, le=10, description="Wrong codes before a code dies.")
    otp_resend_seconds: int = Field(30, ge=0, le=600, description="Minimum gap between two codes.")
    visit_repeat_seconds: int = Field(
        300, ge=0, le=86400, description="Check-ins of one person at one office within this many "
        "seconds of the last are that same visit (double taps, retries, repeated returns).")
    signing_duplicate_seconds: int = Field(
        600, ge=0, le=86400, description="A second signing of the same buyer (ID number and "
        "mobile) for the same unit and price within this many seconds is refused as a duplicate.")
    max_request_bytes: int = Field(
        24_000_000, ge=100_000, le=500_000_000,
        description="Request bodies larger than this are refused before they are read.",
    )
    body_timeout_seconds: float = Field(
        30.0, ge=0.1, le=600,
        description="A request body must arrive in full within this many seconds (else 408).",
    )
    host: str = Field("127.0.0.1", description="Address `serve` binds. Off loopback it serves "
                      "HTTPS (`tls`), or refuses unless `serve --insecure-lan`.")
    port: int = Field(8000, ge=1, le=65535, description="Plain-HTTP port of `serve`: the app on "
                      "loopback; serving HTTPS off loopback, the redirect to HTTPS (`tls`).")
    session_cookie_secure: bool = Field(
        True, description="Secure flag on login cookies; turn off only for plain-HTTP localhost.")
    session_ttl_seconds: int = Field(
        8 * 3600, ge=300, le=7 * 86400, description="How long a login (cookie or bearer) lasts.")
    login_max_failures: int = Field(
        5, ge=1, le=50, description="Wrong passwords for one account from one client address "
        "before that address may not try that account (other addresses still may).")
    login_lockout_seconds: int = Field(
        900, ge=10, le=86400, description="The window of `login_max_failures` (sliding).")
    face: FaceSettings = Field(default_factory=FaceSettings)
    capture: CaptureSettings = Field(default_factory=CaptureSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    liveness: LivenessSettings = Field(default_factory=LivenessSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    tls: TlsSettings = Field(default_factory=TlsSettings)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then `KEYUAN_…` variables, then the files of `KEYUAN_…_FILE` ones."""
        return (init_settings, EnvWithoutFileVariables(settings_cls),
                SecretFilesSource(settings_cls), dotenv_settings, file_secret_settings)

    @model_validator(mode="after")
    def _password_needs_a_url(self) -> Settings:
        if self.database_password is not None:
            if self.database_url is None:
                raise ValueError("database_password is for a database_url (PostgreSQL)")
            if urlsplit(self.database_url).password is not None:
                raise ValueError("database_url carries a password and database_password is set "
                                 "too: give one")
        return self

    @model_validator(mode="after")
    def _no_placeholder_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("KEYUAN_SECRET_KEY must be set in production")
        return self

    @model_validator(mode="after")
    def _no_silent_outbox_in_production(self) -> Settings:
        """In production a code must reach the phone, or the office says it works offline: an
        outbox code that reception reads out proves nothing about who holds the number."""
        if (self.environment == "production" and not self.demo
                and self.sms.provider == "outbox" and not self.sms.offline):
            raise ValueError("sms.provider is 'outbox' (reception reads the codes): set "
                             "KEYUAN_SMS__PROVIDER to aliyun or tencent, or KEYUAN_SMS__OFFLINE="
                             "true to run the mobile path offline on purpose")
        return self

    @property
    def sms_outbox_unacknowledged(self) -> bool:
        """The outbox outside demo mode without `sms.offline`: `serve` warns about it."""
        return self.sms.provider == "outbox" and not self.demo and not self.sms.offline

    @property
    def resolved_database_url(self) -> str:
        """The URL to connect with, `database_password` in it: never print it (`shown_…`)."""
        if self.database_url is not None and self.database_password is not None:
            return _with_password(self.database_url,
                                  quote(self.database_password.get_secret_value(), safe=""))
        return self.database_url or f"sqlite:///{self.data_dir / 'keyuan.db'}"

    @property
    def shown_database_url(self) -> str:
        """The store's URL as printed: any password masked."""
        url = self.resolved_database_url
        return url if urlsplit(url).password is None else _with_password(url, "***")

    @property
    def resolved_vault_path(self) -> Path:
        return self.vault_path or self.data_dir / "vault.db"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def _with_password(url: str, password: str) -> str:
    """`url` with this (already quoted) password for its user."""
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))
