"""A use case that fails part-way leaves nothing behind: not its new rows, not its changes to
rows it had read, not its audit entries (the UnitOfWork contract: it rolls back unless
committed, and a test proves it)."""

from __future__ import annotations

from typing import Any

import pytest

from keyuan.domain.checkin.notice import Notice
from keyuan.domain.errors import NoticeIncomplete
from keyuan.services.checkin.setup import publish_notice
from unit.services.harness import Harness, make_harness


class _BrokenSigner:
    """A receipt signer whose key store fails after the consent row was already added."""

    public_key = "cHVibGljLWtleQ=="
    key_id = "broken"

    def sign(self, receipt: dict[str, Any]) -> str:
        raise OSError("the signing key could not be read")


def test_a_consent_that_fails_to_sign_leaves_no_person_consent_or_audit_entry() -> None:
    harness = make_harness(receipt_signer=_BrokenSigner())
    session, notice = harness.start()
    audit_before = len(harness.committed.audit)
    rolled_back_before = harness.fake.rolled_back
    with pytest.raises(OSError, match="signing key"):
        harness.consent_face(session.id, notice.content_hash)
    assert harness.committed.persons == {}
    assert harness.committed.consents == {}
    assert harness.committed.signatures == {}
    assert harness.committed.sessions[session.id].person_id is None  # a change to a read row
    assert len(harness.committed.audit) == audit_before
    assert harness.fake.rolled_back > rolled_back_before


def test_a_refused_notice_is_not_stored(harness: Harness) -> None:
    notices_before = dict(harness.committed.notices)
    incomplete = Notice(office_id=harness.office_id, language="zh-CN", controller="E")
    with pytest.raises(NoticeIncomplete):
        publish_notice(incomplete, harness.deps)
    assert harness.committed.notices == notices_before
    assert harness.actions().count("notice_published") == 2  # the two default notices only
