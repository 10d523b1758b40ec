"""存储期限 in Settings (C18): described, bounded, read from KEYUAN_RETENTION__*, and turned into
the purge's policy with CLI overrides winning."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from keyuan.config.retention import RetentionSettings
from keyuan.config.settings import Settings
from keyuan.domain.compliance.retention import RetentionPolicy
from keyuan.services.compliance.retention import policy_from


def test_c18_the_default_periods_are_the_documented_ones() -> None:
    configured = RetentionSettings()

    assert (configured.template_no_deal_days, configured.dispute_period_days,
            configured.non_buyer_days) == (180, 90, 365)
    assert policy_from(configured) == RetentionPolicy()
    assert all(f.description for f in RetentionSettings.model_fields.values())


@pytest.mark.parametrize("field", ["template_no_deal_days", "dispute_period_days",
                                   "non_buyer_days", "transient_days", "purge_interval_hours"])
@pytest.mark.parametrize("days", [0, -1, 100_000])
def test_c18_a_period_out_of_bounds_is_refused(field: str, days: int) -> None:
    with pytest.raises(ValidationError):
        RetentionSettings.model_validate({field: days})


def test_c18_periods_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYUAN_RETENTION__TEMPLATE_NO_DEAL_DAYS", "30")
    monkeypatch.setenv("KEYUAN_RETENTION__NON_BUYER_DAYS", "200")

    policy = policy_from(Settings().retention)

    assert policy.no_deal_template_days == 30
    assert policy.non_buyer_visit_days == policy.non_buyer_mobile_days == 200
    assert policy.deal_dispute_days == 90


def test_c18_a_given_override_wins_and_a_missing_one_keeps_the_setting() -> None:
    policy = policy_from(RetentionSettings(dispute_period_days=120), deal_dispute_days=None,
                         non_buyer_visit_days=10)

    assert (policy.deal_dispute_days, policy.non_buyer_visit_days,
            policy.non_buyer_mobile_days) == (120, 10, 365)
