"""The peer review rota (座席轮番担当复核员, seed 004): each day one agent of each team
reviews the others' QA scores, the turns going round the team.

The turn is published and reproducible: the team's agents on the roster when the day is
published (those who work that weekday, when the roster says), in the order of their
ids; the day's reviewer is the one at the day's number (days since 0001-01-01) modulo
their count. Anyone holding the roster and the rule finds the same reviewer, and over n
days with the same n agents each reviews once.

Nothing is kept from one day to the next, so a history replayed in parts gives the same
turns: each part tells the agents of its own on the roster per team and day
(`RotaShare`), `merge` unites them and picks with the same `reviewer`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from callqa.dsl import resolved
from callqa.dsl.i18n import _
from callqa.engine.decisions import Decision
from callqa.engine.runtime.windows import calendar_bounds, calendar_key


@dataclass
class RotaShare:
    """A part's agents on the roster for one team and period of a rota."""

    rota: str
    team: str
    period: str
    at: dt.datetime  # when the period is published
    agents: set[str]


def reviewer(agents: list[str], period_start: dt.date, period: str) -> str:
    """The period's reviewer among `agents` (sorted): turns go round in id order."""
    number = period_start.toordinal() // (7 if period == "week" else 1)
    return agents[number % len(agents)]


def rota_decision(block: resolved.Rota, team: str, period: str, at: dt.datetime,
                  agents: list[str], zone: ZoneInfo) -> Decision:  # fmt: skip
    start = calendar_bounds(period, block.period, zone)[0]
    chosen = reviewer(agents, start.date(), block.period)
    order = ", ".join(agents)
    roles = () if block.publish is None else block.publish.roles
    reason = _(
        "{reviewer} reviews the QA scores of team {team} for {period}: turns go round its "
        "{count} agents on the roster in id order ({order})"
    ).format(reviewer=chosen, team=team, period=period, count=len(agents), order=order)
    return Decision(
        f"{block.id}/{team}/{period}", "rota", team, chosen, reason, block.id, block.location,
        at, {"reviewer": chosen, "agents": len(agents), "order": order}, (), roles,
    )  # fmt: skip


@dataclass
class RotaState:
    """One engine's rota: the next period to publish while anyone is on the roster. With
    `shares` set (a part of a partitioned replay), its agents are kept there, not picked."""

    block: resolved.Rota
    zone: ZoneInfo
    next_period: str | None = None
    shares: list[RotaShare] | None = None
    _ahead: dt.timedelta = field(init=False)

    def __post_init__(self) -> None:
        ahead = 0.0 if self.block.publish is None else self.block.publish.ahead
        self._ahead = dt.timedelta(seconds=ahead)

    def _published_at(self, period: str) -> dt.datetime:
        start = calendar_bounds(period, self.block.period, self.zone)[0]
        return start - self._ahead

    def roster_changed(self, now: dt.datetime, anyone: bool) -> float | None:
        """The roster changed at `now`: start with the first period published after now,
        or stop when no one is left. Returns when the next period is published."""
        if not anyone:
            self.next_period = None
            return None
        if self.next_period is None:
            period = calendar_key(now, self.block.period, self.zone)
            while self._published_at(period).timestamp() <= now.timestamp():
                period = self._following(period)
            self.next_period = period
        return self.next_due()

    def next_due(self) -> float | None:
        if self.next_period is None:
            return None
        return self._published_at(self.next_period).timestamp()

    def due(self, now: dt.datetime, roster: Mapping[str, str | None],
            workdays: Mapping[str, frozenset[int]]) -> list[Decision]:  # fmt: skip
        """Each period published by `now`: per team, its reviewer."""
        out: list[Decision] = []
        while self.next_period is not None:
            period = self.next_period
            at = self._published_at(period)
            if at.timestamp() > now.timestamp():
                break
            start = calendar_bounds(period, self.block.period, self.zone)[0]
            daily = self.block.period == "day"
            teams: dict[str, list[str]] = {}
            for agent, team in roster.items():
                days = workdays.get(agent)  # a day's turn skips agents resting that day
                if team is None or (days is not None and daily and start.weekday() not in days):
                    continue
                teams.setdefault(team, []).append(agent)
            for team in sorted(teams):
                agents = sorted(teams[team])
                if self.shares is not None:
                    self.shares.append(RotaShare(self.block.id, team, period, at, set(agents)))
                else:
                    out.append(rota_decision(self.block, team, period, at, agents, self.zone))
            self.next_period = self._following(period)
        return out

    def _following(self, period: str) -> str:
        end = calendar_bounds(period, self.block.period, self.zone)[1]
        return calendar_key(end, self.block.period, self.zone)


def merged_rota(blocks: Mapping[str, resolved.Rota], shares: list[list[RotaShare]],
                zone: ZoneInfo) -> list[Decision]:  # fmt: skip
    """The parts' shares of each team and period united, and its reviewer picked."""
    whole: dict[tuple[str, str, str], RotaShare] = {}
    for part in shares:
        for share in part:
            key = (share.rota, share.team, share.period)
            if key in whole:
                whole[key].agents |= share.agents
            else:
                whole[key] = RotaShare(share.rota, share.team, share.period, share.at,
                                       set(share.agents))  # fmt: skip
    return [
        rota_decision(
            blocks[share.rota], share.team, share.period, share.at, sorted(share.agents), zone
        )
        for _, share in sorted(whole.items(), key=lambda item: (item[1].at, item[0]))
    ]
