"""The demonstration sales office that `keyuan init` creates and the demos, benchmarks and tests
play in. A leaf: it imports only the domain, so every edge can name it without a cycle."""

from __future__ import annotations

from keyuan.domain.checkin.person import Office

DEFAULT_OFFICE_ID = "demo-office"


def default_office() -> Office:
    """Built on demand: domain objects must be created after the mappers start."""
    return Office(id=DEFAULT_OFFICE_ID, name="示范售楼处", legal_entity="示范置业有限公司")
