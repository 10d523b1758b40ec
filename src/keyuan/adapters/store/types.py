"""Column types shared by the tables, and the JSON columns that hold typed domain values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from keyuan.domain.attribution.adjudication import Decision
from keyuan.domain.attribution.commission import StatementLine


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware UTC (SQLite would drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: keyuan stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DecisionJSON(TypeDecorator[Decision]):
    """A signing's `Decision`, stored as its JSON (`Decision.to_json`)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Decision | None, dialect: Dialect) -> Any:
        return None if value is None else value.to_json()

    def process_result_value(self, value: Any, dialect: Dialect) -> Decision | None:
        return None if value is None else Decision.from_json(value)


class StatementLinesJSON(TypeDecorator[list[StatementLine]]):
    """A statement's lines, stored as a JSON list (`StatementLine.to_json`)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: list[StatementLine] | None, dialect: Dialect) -> Any:
        return None if value is None else [line.to_json() for line in value]

    def process_result_value(self, value: Any, dialect: Dialect) -> list[StatementLine] | None:
        return None if value is None else [StatementLine.from_json(line) for line in value]
