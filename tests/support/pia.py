"""An office's own impact assessment for tests (C23): complete content, not a demonstration, so
face features run outside demo mode as they would in a real office."""

from __future__ import annotations

from keyuan.domain.compliance.pia import ImpactAssessment
from keyuan.services.compliance.pia import record_assessment
from keyuan.services.ports import Deps

CONTENT = {
    "legality_necessity": "到访归属证据：仅经单独同意处理人脸特征；不同意者手机号登记，无不利。",
    "impact_risks": "特征泄露、误识别、超期保存；影响限于到访归属证据。",
    "security_measures": "本地加密存储，假名化分库，不保存照片，哈希链审计，撤回即删除。",
    "effectiveness": "措施与风险相称，每次人脸设置变更后重新评估。",
}


def record_office_pia(deps: Deps) -> ImpactAssessment:
    return record_assessment(CONTENT, deps, assessor="合规负责人 (test)")
