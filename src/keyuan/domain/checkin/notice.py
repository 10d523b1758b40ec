"""告知: the versioned notice a visitor reads before choosing (C3, C9, C25)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from keyuan.domain.canonical import sha256_hex
from keyuan.domain.checkin.face_uses import ordered, uses_told
from keyuan.domain.errors import NoticeIncomplete

LANGUAGES = ("zh-CN", "en")
"""The languages a notice is published in (zh-CN first: the fallback)."""

REQUIRED_FIELDS: dict[str, str] = {
    "controller": "who processes the data (个人信息处理者)",
    "controller_contact": "how to reach the controller",
    "responsible_person": "the person responsible for personal information (C25)",
    "purpose": "why the data is processed",
    "method": "how it is processed",
    "data_types": "which data are processed",
    "retention": "how long it is kept",
    "after_retention": "what happens when the retention period ends",
    "necessity": "why face processing is necessary, and the alternative",
    "impact": "the impact on the person",
    "rights": "how to exercise rights (access, copy, correct, delete, withdraw)",
}

SECTIONS: tuple[str, ...] = (
    *[name for name in REQUIRED_FIELDS if name in ("controller", "controller_contact",
                                                   "responsible_person", "purpose", "method")],
    "processing",
    *[name for name in REQUIRED_FIELDS if name not in ("controller", "controller_contact",
                                                       "responsible_person", "purpose",
                                                       "method")],
)
"""The order a visitor reads a notice in: the generated processing section follows the method."""

# C9: consent text never grants unlimited, irrevocable or sublicensable rights (SPC 11).
_FORBIDDEN_GRANTS = re.compile(
    r"永久|不可撤销|不可撤回|无限期|转授权|再授权|perpetual|irrevocabl|sublicens|unlimited",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NoticeProblem:
    """One reason a notice cannot be published, as data a page puts in words: a required
    `field` left empty (`found` is ""), or a `field` whose text grants a perpetual,
    irrevocable or sublicensable right (`found`: the words that do, C9)."""

    field: str
    found: str = ""

    @property
    def is_grant(self) -> bool:
        return bool(self.found)

    def __str__(self) -> str:
        if self.is_grant:
            return (f"{self.field} grants a perpetual, irrevocable or sublicensable right "
                    f"('{self.found}')")
        return f"missing {self.field}: {REQUIRED_FIELDS[self.field]}"


@dataclass(eq=False)
class Notice:
    office_id: str
    language: str
    controller: str = ""
    controller_contact: str = ""
    responsible_person: str = ""
    purpose: str = ""
    method: str = ""
    data_types: str = ""
    retention: str = ""
    after_retention: str = ""
    necessity: str = ""
    impact: str = ""
    rights: str = ""
    summary: str = ""
    processing: str = ""
    """Generated at publishing from the face uses switched on (`face_uses.processing_section`),
    never drafted by hand: what the system does with faces, use by use (C3)."""
    face_uses: list[str] = field(default_factory=list)
    """The stable names of the face uses this notice names (`face_uses.FaceUse`)."""
    version: int = 0
    content_hash: str = ""
    published_at: datetime | None = None
    id: int | None = None

    def content(self) -> dict[str, str]:
        skip = {"version", "content_hash", "published_at", "id", "face_uses"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}

    def lint(self) -> list[NoticeProblem]:
        """Every reason this notice cannot be published (missing fields first); empty when it
        can."""
        missing = [NoticeProblem(name) for name in REQUIRED_FIELDS
                   if not getattr(self, name).strip()]
        grants = [NoticeProblem(name, m.group(0)) for name, text in self.content().items()
                  if (m := _FORBIDDEN_GRANTS.search(text))]
        return missing + grants

    def problems(self) -> list[str]:
        """`lint` as sentences (the API's and the command line's `problems`)."""
        return [str(problem) for problem in self.lint()]

    def publish(self, *, version: int, now: datetime, face_uses: Sequence[str] = (),
                processing: str = "") -> None:
        """Fix the text, the generated processing section and the face uses it names under a
        version and a hash that covers all three (C3). The section's words must tell exactly
        the uses recorded (`face_uses.uses_told`): the reader is told what the system does."""
        problems = self.problems()
        told = [use.value for use in uses_told(processing, self.language)]
        if told != [use.value for use in ordered(face_uses)]:
            problems.append(f"the processing section tells of the face uses {told}, "
                            f"not the uses recorded {list(face_uses)}")
        if problems:
            raise NoticeIncomplete("The notice cannot be published: " + "; ".join(problems),
                                   problems=problems)
        self.version = version
        self.face_uses = list(face_uses)
        self.processing = processing
        self.content_hash = sha256_hex({"version": version, **self.content(),
                                        "face_uses": self.face_uses})
        self.published_at = now

    def names(self, use: str) -> bool:
        return use in self.face_uses

    @property
    def is_published(self) -> bool:
        return self.published_at is not None
