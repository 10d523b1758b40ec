"""The schema, one module per area over one `MetaData` (`base.metadata`). Importing the package
loads every area's tables, so `metadata` is complete for migrations and `create_all`."""

from keyuan.adapters.store.tables import (  # noqa: F401  (each module registers its tables)
    accounts,
    attribution,
    capture,
    checkin,
    compliance,
    consultants,
    idempotency,
    throttle,
)
from keyuan.adapters.store.tables.base import metadata

__all__ = ["metadata"]
