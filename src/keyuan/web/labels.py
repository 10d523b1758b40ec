"""Words for the codes a visitor meets (issue 16 item 6): a receipt's purpose and data types,
a consent's scope, an audit event, a rights request — each code maps to a catalog key of the
area "labels" (`web/catalog/labels.json`, zh-CN and en), so no raw code reaches a receipt or
the readable copy of my data. `tests/unit/test_visitor_labels.py` fails when a code is added
without its words. Also: which retention lines a receipt shows, by the path the visitor took."""

from __future__ import annotations

from keyuan.domain.checkin.consent import (
    ATTRIBUTION,
    ATTRIBUTION_CATEGORY,
    DATA_TYPES,
    ConsentScope,
)
from keyuan.domain.compliance.retention import RetentionPolicy
from keyuan.web.i18n import DEFAULT_LANG, catalog

OTHER = "labels.other"
OTHER_EVENT = "labels.event_other"
PURPOSES = {ATTRIBUTION: "labels.purpose_visit_attribution"}
PURPOSE_CATEGORIES = {ATTRIBUTION_CATEGORY: "labels.purpose_category_attribution"}


def _known(key: str, fallback: str) -> str:
    return key if key in catalog()[DEFAULT_LANG] else fallback


def purpose_key(code: str) -> str:
    """`visit_attribution` → its words; a receipt's `purposeCategory` text too."""
    return PURPOSES.get(code) or PURPOSE_CATEGORIES.get(code) or OTHER


def data_type_key(text: str) -> str:
    """A receipt's `piiCategory` / `spiCat` entry → its words."""
    code = DATA_TYPES.get(text)
    return f"labels.data_{code}" if code else OTHER


def scope_key(scope: str) -> str:
    return _known(f"labels.scope_{scope}", OTHER)


def event_key(action: str) -> str:
    """An audit action (`consent_given`, `account.login`) → its words; an action without words
    (a test keeps this from happening) reads "other processing", never the code."""
    return _known(f"labels.event_{action.replace('.', '_')}", OTHER_EVENT)


def request_key(value: str) -> str:
    """A rights request's kind or status (`export`, `needs_staff`) → its words."""
    return _known(f"labels.request_{value}", OTHER)


def retention_lines(scope: str, policy: RetentionPolicy) -> list[tuple[str, dict[str, int]]]:
    """(catalog key, values) of how long the data of this consent is kept: a face visitor reads
    about the template and the visit records, a mobile visitor about the mobile number and the
    visit records only — never about a template they do not have."""
    visits = ("labels.retention_visits", {"mobile_days": policy.non_buyer_mobile_days,
                                          "visit_days": policy.non_buyer_visit_days})
    if scope == ConsentScope.FACE:
        return [("labels.retention_face", {"deal": policy.deal_dispute_days,
                                           "no_deal": policy.no_deal_template_days}), visits]
    return [visits]
