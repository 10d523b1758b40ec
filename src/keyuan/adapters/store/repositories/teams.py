"""渠道团队 inside a unit of work (`uow.teams`, `domain.attribution.repositories.TeamStore`)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyuan.adapters.store.locks import locked
from keyuan.adapters.store.tables import attribution as t
from keyuan.domain.attribution.teams import Team


class TeamStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, team: Team) -> None:
        self.session.add(team)
        self.session.flush()

    def team(self, team_id: str, *, lock: bool = False) -> Team | None:
        if lock:
            return locked(self.session, Team, team_id)
        return self.session.get(Team, team_id)

    def teams_of(self, channel_ids: Collection[str]) -> list[Team]:
        if not channel_ids:
            return []
        c = t.channel_teams.c
        return list(self.session.scalars(select(Team).where(
            c.channel_id.in_(list(channel_ids))).order_by(c.created_at, c.id)
            .execution_options(populate_existing=True)))  # what committed before our lock

    def claim_teams(self, registration_ids: Collection[str]) -> dict[str, str | None]:
        if not registration_ids:
            return {}
        r = t.registrations.c
        rows = self.session.execute(select(r.id, r.team_id).where(
            r.id.in_(list(registration_ids))))
        return {rid: team for rid, team in rows}
