"""Filing counter and filing pack (C24; 办法 15)."""

from __future__ import annotations

from typing import Any

from keyuan.domain.checkin.notice import Notice
from keyuan.domain.compliance.filing import (
    FILING_AT,
    FILING_WORKING_DAYS,
    WARNING_AT,
    FilingState,
    FilingStatus,
    TemplateCounts,
    assess,
)
from keyuan.domain.compliance.retention import RetentionPolicy
from keyuan.domain.errors import UnknownOffice
from keyuan.services.checkin.filing import note_filing_threshold
from keyuan.services.ports import Deps


def filing_overview(deps: Deps, counts: TemplateCounts | None = None) -> list[FilingStatus]:
    """Every legal entity with its live count and state. Enrollment records the moment a count
    reaches the filing threshold (`services/checkin/filing.py`); this records it too when the
    count comes from elsewhere (`counts`), so the deadline never goes unrecorded."""
    with deps.uow() as uow:
        now = deps.clock.now()
        live = counts.by_legal_entity() if counts else uow.compliance.by_legal_entity()
        reached = uow.compliance.filing_reached()
        statuses = []
        for entity in uow.compliance.legal_entities():
            people = live.get(entity, 0)
            if note_filing_threshold(uow, entity, now, people):
                reached[entity] = now
            statuses.append(assess(entity, people, reached.get(entity)))
        uow.commit()
        return statuses


def filing_pack(
    legal_entity: str, deps: Deps, *, counts: TemplateCounts | None = None,
    policy: RetentionPolicy | None = None, actor: str = "admin",
) -> dict[str, Any]:
    """Everything the filing asks for: basic information, purpose and method, the count,
    security measures, rules (notice, retention) and the impact assessment."""
    status = next((s for s in filing_overview(deps, counts) if s.legal_entity == legal_entity),
                  None)
    if status is None:
        raise UnknownOffice(f"No office belongs to legal entity '{legal_entity}'.")
    policy = policy or deps.retention
    with deps.uow() as uow:
        office_ids = uow.compliance.legal_entities()[legal_entity]
        notices = [n for o in office_ids if (n := uow.notices.active(o, "zh-CN")) is not None]
        pia = uow.compliance.latest_assessment()
        uow.audit.append(at=deps.clock.now(), actor=actor, action="filing_pack_generated",
                         subject=None, detail={"legal_entity": legal_entity,
                                               "people": status.people})
        uow.commit()
    return {
        "generated_at": deps.clock.now().isoformat(),
        "basic_information": {"legal_entity": legal_entity, "offices": office_ids,
                              "responsible_person": _first(notices, "responsible_person"),
                              "contact": _first(notices, "controller_contact")},
        "purpose_and_method": {"purpose": _first(notices, "purpose"),
                               "method": _first(notices, "method"),
                               "data_types": _first(notices, "data_types")},
        "count": {"people_with_templates": status.people, "state": status.state.value,
                  "warning_at": WARNING_AT, "filing_at": FILING_AT,
                  "due_since": status.due_since.isoformat() if status.due_since else None,
                  "deadline": status.deadline.isoformat() if status.deadline else None,
                  "working_days": FILING_WORKING_DAYS,
                  "working_day_rule": "Monday to Friday; public holidays not modelled"},
        "security_measures": _SECURITY_MEASURES + ([pia.security_measures] if pia else []),
        "rules": {"retention": _first(notices, "retention"),
                  "after_retention": _first(notices, "after_retention"),
                  "no_deal_template_days": policy.no_deal_template_days,
                  "deal_dispute_days": policy.deal_dispute_days,
                  "rights": _first(notices, "rights")},
        "impact_assessment": pia.body() if pia else None,
    }


_SECURITY_MEASURES = [
    "本地存储：人脸特征仅存于售楼处本地库 (templates stay in the office's own store)",
    "AES-256-GCM 加密，假名化分库，不含姓名/手机号 (encrypted, pseudonymous, separate vault)",
    "不保存人脸照片，仅保存特征值 (no face image kept, template only)",
    "哈希链审计日志，每次比对、访问、删除、导出均记录 (hash-chained audit of every access)",
    "单独同意、撤回即删除、到期自动清除 (separate consent, deletion on withdrawal, auto purge)",
]


def _first(notices: list[Notice], name: str) -> str:
    return str(getattr(notices[0], name)) if notices else ""


def is_due(status: FilingStatus) -> bool:
    return status.state is FilingState.FILING_DUE
