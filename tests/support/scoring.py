"""Activity histories for the scoring tests: a fixed "now", one activity, a random history."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tenants import scoring
from tenants.community.validate import ActivityIn, IdentityRef

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def act(who: str, kind: str, when: datetime, source: str, weight: float | None = None, target: str | None = None,
        meta: dict | None = None) -> ActivityIn:
    return ActivityIn(member=IdentityRef("telegram", who, display_name=who.title()), type=kind, occurred_at=when,
                      source_id=source, channel="telegram", weight=weight, meta=meta or {},
                      target=IdentityRef("telegram", target, display_name=target.title()) if target else None)


def random_history(rng: random.Random, n: int, prefix: str) -> list[ActivityIn]:
    kinds = list(scoring.DEFAULT_WEIGHTS)
    people = [f"m{i}" for i in range(40)]
    out = []
    for i in range(n):
        who = people[min(int(rng.paretovariate(1.2)) - 1, 39)]
        when = NOW - timedelta(seconds=rng.randrange(400 * 86400))
        out.append(act(who, rng.choice(kinds), when, f"{prefix}{i}",
                       weight=rng.choice([None, None, None, rng.uniform(0, 9)]),
                       target=rng.choice([None, rng.choice(people)]),
                       meta={"nps": rng.randrange(11)} if rng.random() < 0.05 else None))
    return out
