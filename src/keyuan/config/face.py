"""Face settings (`KEYUAN_FACE__<FIELD>`): engine, quality gates and match thresholds. An impact
assessment is bound to every one of them (C23): changing any makes it stale."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class FaceSettings(BaseModel):
    """Face engine, quality gates and match thresholds (Euclidean distances, dlib's 128-d)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hog_score_threshold: float = Field(
        0.2, ge=-1.0, le=3.0,
        description="Drop HOG boxes scoring below this; false boxes score ~0.02-0.16 (public set).",
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
