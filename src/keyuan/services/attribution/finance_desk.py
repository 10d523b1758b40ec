"""The finance page (`/finance/statements`, 月度结算): every channel to pick from, and the picked
channel's statements with their open disputes. Creating, approving, paying, voiding and deciding
go through the same services as the staff API (`settlement`), which the page's JS calls."""

from __future__ import annotations

from dataclasses import dataclass, field

from keyuan.domain.attribution.channels import Channel
from keyuan.domain.attribution.commission import Dispute, Statement
from keyuan.domain.attribution.teams import TeamSubtotal
from keyuan.domain.errors import UnknownChannel
from keyuan.services.attribution import teams
from keyuan.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class StatementRow:
    statement: Statement
    disputes: list[Dispute]  # the open ones
    teams: list[TeamSubtotal] = field(default_factory=list)  # 门店/团队 lines; [] without teams


@dataclass(frozen=True)
class FinanceDesk:
    channels: list[Channel]
    channel: Channel | None  # the one picked (the first when none is asked for)
    rows: list[StatementRow]  # newest period first


def finance_desk(deps: Deps, channel_id: str | None = None) -> FinanceDesk:
    """The channels, and the picked one's statements; an unknown channel id: `UnknownChannel`."""
    with deps.uow() as uow:
        channels = sorted(uow.attribution.all_channels(), key=lambda c: (c.name, c.id))
        if channel_id:
            channel = uow.attribution.channel(channel_id)
            if channel is None:
                raise UnknownChannel()
        else:
            channel = channels[0] if channels else None
        rows = [] if channel is None else [
            StatementRow(st, uow.attribution.open_disputes_of(st.id), _team_lines(uow, st))
            for st in reversed(uow.attribution.statements_of(channel.id))]
        return FinanceDesk(channels, channel, rows)


def _team_lines(uow: UnitOfWork, statement: Statement) -> list[TeamSubtotal]:
    """The per-team subtotals of a company with teams (the company line first)."""
    lines = teams.rollup(uow, statement)
    return lines if len(lines) > 1 else []
