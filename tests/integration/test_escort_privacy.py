"""到访确认 stores nothing about a customer who did not consent (PIPL 13, 14; COMPLIANCE C11):
the mobile a channel typed into its 报备, and the number reception checks against it, make no
person row. The escorted visit is kept on the claim only, and the signing still finds it by
the buyer's own mobile. On both stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from keyuan.adapters.store.tables import checkin as tables
from keyuan.adapters.store.tables import metadata
from keyuan.services.attribution import registration as reg

from .test_attribution_services import M1, claim, distributor, escorted, sign

if TYPE_CHECKING:
    from .conftest import Kiosk


def persons(k: Kiosk) -> int:
    with k.deps.uow() as uow:
        return int(uow.visits.session.execute(
            select(func.count()).select_from(tables.persons)).scalar_one())


def every_value(k: Kiosk) -> str:
    """Every stored value of the main store, as one text (what a dump would show)."""
    with k.deps.uow() as uow:
        session = uow.visits.session
        return "\n".join(repr(tuple(row)) for table in metadata.sorted_tables
                         if table.schema is None
                         for row in session.execute(select(table)))


def test_confirming_an_escorted_visit_stores_no_person(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    rid = claim(k, distributor(k))
    before = persons(k)

    escorted(k, rid)

    assert persons(k) == before
    with k.deps.uow() as uow:
        assert uow.persons.by_mobile_hash(k.deps.hasher.mobile(M1)) is None
        [visit] = uow.visits.escorts_of([rid])
        assert (visit.person_id, visit.registration_id, visit.method.value) == (None, rid,
                                                                                "staff")
        [event] = [e for e in uow.audit.all() if e.action == "visit_confirmed"]
        assert event.subject == rid  # the claim, not a person


def test_the_full_number_reception_checks_for_a_masked_claim_is_stored_nowhere(
    store_kiosk: Kiosk,
) -> None:
    k = store_kiosk
    full = "13712345678"
    rid = reg.register(reg.RegisterCmd(distributor(k), "王芳", "137****5678"), k.deps).id

    reg.confirm_visit(reg.ConfirmVisitCmd(rid, full, staff="reception-1"), k.deps)

    dump = every_value(k)
    assert full not in dump and k.deps.hasher.mobile(full) not in dump
    assert "137****5678" in dump  # the claim and the masked number reception checked


def test_the_signing_still_credits_the_escorted_claim_by_the_buyers_mobile(
    store_kiosk: Kiosk,
) -> None:
    k = store_kiosk
    rid = claim(k, distributor(k))
    escorted(k, rid)
    with k.deps.uow() as uow:
        [visit] = uow.visits.escorts_of([rid])

    result = sign(k)

    assert result.decision.registration_id == rid
    assert result.decision.evidence.first_visit is not None
    assert result.decision.evidence.first_visit.id == visit.id
