"""Retention settings (`KEYUAN_RETENTION__<FIELD>`): how long data outlives its purpose (C18)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
    open_deal_cap_days: int = Field(
        365, ge=30, le=3650,
        description="A deal stuck in review or never settled keeps its buyer's template at most "
        "this many days after signing.")
    purge_retry_minutes: int = Field(
        15, ge=1, le=24 * 60,
        description="After a failed purge run (logged, counted in /metrics, shown on the "
        "compliance dashboard), the next try comes this many minutes later.")
    purge_interval_hours: int = Field(
        24, ge=1, le=168, description="How often `serve` runs the purge (also once at start).")
