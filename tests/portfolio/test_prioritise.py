"""The prioritisation is exact: on small random portfolios it finds the value brute force
finds, and its choice respects budgets, capacities, dependencies, mandatory and what-if."""

import itertools
import random

import pytest

from pilotis.portfolio.prioritise import (
    Candidate,
    Capacity,
    WhatIf,
    kept,
    left_out,
    scaled,
    solve,
    uses,
)

YEARS = (2026, 2027, 2028)


def _portfolio(seed: int) -> tuple[list[Candidate], list[Capacity]]:
    rng = random.Random(seed)
    n = rng.randint(4, 11)
    candidates = []
    for i in range(n):
        years = rng.sample(YEARS, rng.randint(1, 3))
        deps = tuple(j for j in range(i) if rng.random() < 0.15)
        candidates.append(
            Candidate(
                id=i + 1,
                value=round(rng.uniform(5, 100), 1),
                costs={y: float(rng.randint(5, 120)) * 1000 for y in years},
                staff={y: float(rng.randint(10, 150)) for y in years},
                mandatory=rng.random() < 0.1,
                depends_on=tuple(d + 1 for d in deps),
            )
        )
    capacities = [
        Capacity(y, float(rng.randint(60, 250)) * 1000, float(rng.randint(80, 300))) for y in YEARS
    ]
    return candidates, capacities


def _brute_force(
    candidates: list[Candidate], capacities: list[Capacity], what_if: WhatIf
) -> float | None:
    """The best total value over every subset that respects every rule, or None."""
    caps = scaled(capacities, what_if)
    must = kept(candidates, what_if)
    best = None
    ids = [c.id for c in candidates]
    by_id = {c.id: c for c in candidates}
    for size in range(len(ids) + 1):
        for subset in itertools.combinations(ids, size):
            chosen = set(subset)
            if not must <= chosen or chosen & left_out(candidates, what_if):
                continue
            if any(d not in chosen for pid in chosen for d in by_id[pid].depends_on):
                continue
            if any(
                u.cost > u.budget + 1e-6 or u.staff_days > u.capacity + 1e-6
                for u in uses(candidates, caps, chosen)
            ):
                continue
            value = sum(by_id[pid].value for pid in chosen)
            if best is None or value > best + 1e-9:
                best = value
    return best


@pytest.mark.parametrize("seed", range(40))
def test_optimal_against_brute_force(seed):
    candidates, capacities = _portfolio(seed)
    rng = random.Random(1000 + seed)
    what_ifs = [
        WhatIf(),
        WhatIf(budget_percent=rng.choice([-20, 15, 40])),
        WhatIf(
            force=frozenset({rng.choice(candidates).id}),
            exclude=frozenset({rng.choice(candidates).id}) - {candidates[0].id},
        ),
    ]
    for what_if in what_ifs:
        expected = _brute_force(candidates, capacities, what_if)
        found = solve(candidates, capacities, what_if)
        if expected is None:
            assert not found.feasible
            continue
        assert found.feasible, (seed, what_if)
        assert found.value == pytest.approx(expected), (seed, what_if)
        by_id = {c.id: c for c in candidates}
        for pid in found.chosen:  # the choice itself obeys the rules
            assert all(d in found.chosen for d in by_id[pid].depends_on)
        assert kept(candidates, what_if) <= found.chosen
        assert not found.chosen & what_if.exclude
        for use in found.uses:
            assert use.cost <= use.budget + 1e-6
            assert use.staff_days <= use.capacity + 1e-6


def test_budget_decides_and_dependencies_pull_in():
    a = Candidate(1, 50, {2026: 100_000}, {2026: 10})
    b = Candidate(2, 40, {2026: 60_000}, {2026: 10})
    c = Candidate(3, 35, {2026: 50_000}, {2026: 10})
    capacities = [Capacity(2026, 110_000, 100)]
    assert solve([a, b, c], capacities).chosen == {2, 3}  # 75 beats 50
    # c needs a: {b, c} is no longer allowed; a alone (50) beats b alone (40).
    c_needs_a = Candidate(3, 35, {2026: 50_000}, {2026: 10}, depends_on=(1,))
    assert solve([a, b, c_needs_a], capacities).chosen == {1}
    # +50 % budget: 165,000 € → a and c (85) rather than a and b (90)? a+b = 160,000 fits: 90.
    assert solve([a, b, c_needs_a], capacities, WhatIf(budget_percent=50)).chosen == {1, 2}


def test_staff_capacity_binds():
    a = Candidate(1, 60, {2026: 10_000}, {2026: 200})
    b = Candidate(2, 30, {2026: 10_000}, {2026: 90})
    c = Candidate(3, 30, {2026: 10_000}, {2026: 90})
    found = solve([a, b, c], [Capacity(2026, 1_000_000, 200)])
    assert found.chosen == {1}  # 60 either way: a alone is the cheaper
    found = solve([a, b, c], [Capacity(2026, 1_000_000, 200)], WhatIf(staff_percent=-10))
    assert found.chosen == {2, 3}  # 180 days: a no longer fits, b and c just do
    found = solve([a, b, c], [Capacity(2026, 1_000_000, 200)], WhatIf(staff_percent=-15))
    assert found.chosen in ({2}, {3})  # 170 days: one of them only


def test_mandatory_kept_and_infeasible_said():
    legal = Candidate(1, 5, {2026: 90_000}, {2026: 10}, mandatory=True)
    nice = Candidate(2, 90, {2026: 50_000}, {2026: 10})
    found = solve([legal, nice], [Capacity(2026, 100_000, 100)])
    assert found.chosen == {1}
    left_out = solve([legal, nice], [Capacity(2026, 100_000, 100)], WhatIf(exclude=frozenset({1})))
    assert left_out.chosen == {2}
    too_small = solve([legal, nice], [Capacity(2026, 80_000, 100)])
    assert not too_small.feasible
    assert too_small.blocking == [("budget", 2026)]
    conflict = solve(
        [legal, nice],
        [Capacity(2026, 1e6, 100)],
        WhatIf(force=frozenset({2}), exclude=frozenset({2})),
    )
    assert not conflict.feasible and conflict.blocking == [("conflict", 0)]


def test_ties_go_to_the_cheaper_set():
    a = Candidate(1, 50, {2026: 80_000}, {2026: 10})
    b = Candidate(2, 50, {2026: 20_000}, {2026: 10})
    assert solve([a, b], [Capacity(2026, 90_000, 100)]).chosen == {2}


def test_leaving_out_a_project_leaves_out_what_needs_it():
    base = Candidate(1, 10, {2026: 10_000}, {2026: 10})
    needs = Candidate(2, 80, {2026: 10_000}, {2026: 10}, mandatory=True, depends_on=(1,))
    then = Candidate(3, 50, {2026: 10_000}, {2026: 10}, depends_on=(2,))
    other = Candidate(4, 5, {2026: 10_000}, {2026: 10})
    capacities = [Capacity(2026, 1e6, 100)]
    assert solve([base, needs, then, other], capacities).chosen == {1, 2, 3, 4}
    found = solve([base, needs, then, other], capacities, WhatIf(exclude=frozenset({1})))
    assert found.feasible and found.chosen == {4}  # the mandatory one too: the user's choice
    forced = solve(
        [base, needs, then, other],
        capacities,
        WhatIf(force=frozenset({3}), exclude=frozenset({1})),
    )
    assert not forced.feasible and forced.blocking == [("conflict", 0)]
