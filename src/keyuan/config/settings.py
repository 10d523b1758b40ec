"""All configuration, read once by `bootstrap.build`. Environment variables are `KEYUAN_<FIELD>`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from keyuan.config.capture import CaptureSettings

PLACEHOLDER_SECRET = "change-me-development-only"


class FaceSettings(BaseModel):
    """Face engine, quality gates and match thresholds (Euclidean distances, dlib's 128-d)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hog_score_threshold: float = Field(
        0.2, ge=-1.0, le=3.0,
        description="Drop HOG boxes scoring below this; false boxes score ~0.02-0.16 (PRODUCT.md).",
    )
    hog_upsample: int = Field(
        0, ge=0, le=2, description="HOG upsampling for probes (1 finds ~40 px faces, 4x slower)."
    )
    cnn_fallback_for_enrollment: bool = Field(
        True, description="Try the CNN (mmod) detector (~2 s) when HOG finds no enrollment face."
    )
    min_face_px: int = Field(80, ge=20, le=1000, description="Smallest face box side accepted.")
    min_sharpness: float = Field(
        30.0, ge=0.0, le=10_000.0, description="Minimum variance of the Laplacian of the face crop."
    )
    min_brightness: float = Field(40.0, ge=0, le=255, description="Darkest acceptable mean luma.")
    max_brightness: float = Field(220.0, ge=0, le=255, description="Brightest acceptable luma.")
    enroll_min_frames: int = Field(3, ge=3, le=20, description="Good frames per enrollment.")
    verify_threshold: float = Field(
        0.55, gt=0.0, lt=1.5,
        description="1:1 claimed-identity match (kiosk return visits): distance <= this. From "
        "`keyuan eval verify`/`calibrate` on the public set: 0.557 gives FAR 0.1% (TAR 0.976); "
        "0.55 accepted no stranger of 402 pairs and 96.6% of genuine pairs.",
    )
    identify_threshold: float = Field(
        0.40, gt=0.0, lt=1.5,
        description="1:N match: distance <= this, the ceiling for small galleries. From `keyuan "
        "eval calibrate`: holds FPIR <= 0.1% up to ~440 people; above that the service applies "
        "keyuan.services.faces.calibration.threshold_for_gallery(n), which is stricter.",
    )
    identify_review_threshold: float = Field(
        0.48, gt=0.0, lt=1.5,
        description="1:N review band upper edge: identify_threshold < d <= this is 'needs review'; "
        "beyond it is 'unknown', never a guess. Holds review FPIR <= 1% up to ~150 people; larger "
        "galleries use threshold_for_gallery(n, 1%).",
    )
    max_image_pixels: int = Field(
        16_000_000, ge=10_000, le=100_000_000,
        description="Images with more pixels are refused before decoding (decompression bombs).",
    )
    max_image_bytes: int = Field(8_000_000, ge=1_000, le=50_000_000, description="Per-frame cap.")

    @model_validator(mode="after")
    def _bands_ordered(self) -> FaceSettings:
        if not self.identify_threshold < self.identify_review_threshold:
            raise ValueError("identify_threshold must be below identify_review_threshold")
        if self.min_brightness >= self.max_brightness:
            raise ValueError("min_brightness must be below max_brightness")
        return self


    def as_data(self) -> dict[str, Any]:
        """Every setting as plain JSON data: what an impact assessment is bound to (C23)."""
        return self.model_dump(mode="json")

class RetentionSettings(BaseModel):
    """存储期限 (C18): how long data outlives its purpose. Used by `keyuan purge` (as its
    defaults) and by the purge scheduler inside `serve`. Env: `KEYUAN_RETENTION__<FIELD>`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template_no_deal_days: int = Field(
        180, ge=1, le=3650,
        description="A face template is purged this many days after the last visit, no deal.")
    dispute_period_days: int = Field(
        90, ge=1, le=3650,
        description="After a deal is settled, its buyer's template is kept this long (disputes).")
    non_buyer_days: int = Field(
        365, ge=1, le=3650,
        description="Visit records, names and mobile hashes of non-buyers: days after last visit.")
    transient_days: int = Field(
        7, ge=1, le=90, description="Expired one-time codes and outbox messages (mobile numbers).")
    purge_interval_hours: int = Field(
        24, ge=1, le=168, description="How often `serve` runs the purge (also once at start).")


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
    face_module: Literal["dlib", "off"] = Field(
        "dlib", description="Face engine adapter; 'off' runs the whole product on mobile check-in."
    )
    sms_sender: Literal["outbox"] = Field(
        "outbox", description="Where one-time codes go; 'outbox' is a table staff can read."
    )
    otp_ttl_seconds: int = Field(300, ge=30, le=3600, description="How long a code is valid.")
    otp_max_attempts: int = Field(5, ge=1, le=10, description="Wrong codes before a code dies.")
    otp_resend_seconds: int = Field(30, ge=0, le=600, description="Minimum gap between two codes.")
    max_request_bytes: int = Field(
        24_000_000, ge=100_000, le=500_000_000,
        description="Request bodies larger than this are refused before they are read.",
    )
    host: str = Field("127.0.0.1", description="Address `serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `serve` binds.")
    session_cookie_secure: bool = Field(
        True, description="Secure flag on login cookies; turn off only for plain-HTTP localhost.")
    session_ttl_seconds: int = Field(
        8 * 3600, ge=300, le=7 * 86400, description="How long a login (cookie or bearer) lasts.")
    login_max_failures: int = Field(
        5, ge=1, le=50, description="Wrong passwords in a row before an account is locked.")
    login_lockout_seconds: int = Field(
        900, ge=10, le=86400, description="How long a locked account refuses every login.")
    face: FaceSettings = Field(default_factory=FaceSettings)
    capture: CaptureSettings = Field(default_factory=CaptureSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)

    @model_validator(mode="after")
    def _no_placeholder_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("KEYUAN_SECRET_KEY must be set in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'keyuan.db'}"

    @property
    def resolved_vault_path(self) -> Path:
        return self.vault_path or self.data_dir / "vault.db"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
