"""Benchmark: the exact prioritisation of a portfolio (`pilotis.portfolio.prioritise.solve`,
a 0–1 integer programme solved by HiGHS) against the named baseline "brute force": every subset
of the projects checked against the yearly budgets, staff-days and dependencies — what a
spreadsheet macro would do, and what the tests compare the solver with.

Run: .venv/bin/python bench/bench_portfolio.py [--projects 20] [--large 200] [--seed 7]

Prints, for a portfolio small enough for brute force, both timings, their ratio and that both
found the same value; then the solver alone on a large portfolio (a regional operator's)."""

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pilotis.portfolio.prioritise import Candidate, Capacity, solve  # noqa: E402

YEARS = (2026, 2027, 2028, 2029)


def portfolio(n: int, seed: int) -> tuple[list[Candidate], list[Capacity]]:
    rng = random.Random(seed)
    candidates = []
    for i in range(n):
        start = rng.randrange(len(YEARS))
        years = YEARS[start : start + rng.randint(1, 3)]
        deps = tuple(j + 1 for j in range(i) if rng.random() < 2 / max(n, 1))
        candidates.append(
            Candidate(
                id=i + 1,
                value=round(rng.uniform(5, 100), 1),
                costs={y: float(rng.randint(5, 150)) * 1000 for y in years},
                staff={y: float(rng.randint(10, 200)) for y in years},
                mandatory=i == 0,  # one mandatory project, the first (cheap enough)
                depends_on=deps,
            )
        )
    demand = {y: sum(c.costs.get(y, 0) for c in candidates) for y in YEARS}
    staff = {y: sum(c.staff.get(y, 0) for c in candidates) for y in YEARS}
    return candidates, [Capacity(y, 0.55 * demand[y], 0.65 * staff[y]) for y in YEARS]


def brute_force(candidates: list[Candidate], capacities: list[Capacity]) -> float:
    best = -1.0
    must = {c.id for c in candidates if c.mandatory}
    for size in range(len(candidates) + 1):
        for subset in itertools.combinations(candidates, size):
            ids = {c.id for c in subset}
            if not must <= ids or any(d not in ids for c in subset for d in c.depends_on):
                continue
            fits = all(
                sum(c.costs.get(cap.year, 0) for c in subset) <= cap.budget
                and sum(c.staff.get(cap.year, 0) for c in subset) <= cap.staff_days
                for cap in capacities
            )
            if fits:
                best = max(best, sum(c.value for c in subset))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--large", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    candidates, capacities = portfolio(args.projects, args.seed)
    start = time.perf_counter()
    found = solve(candidates, capacities)
    solver = time.perf_counter() - start
    start = time.perf_counter()
    expected = brute_force(candidates, capacities)
    baseline = time.perf_counter() - start
    same = found.feasible and abs(found.value - expected) < 1e-6
    print(f"{args.projects} projects, {len(YEARS)} years")
    print(f"  solver (HiGHS milp): {solver * 1000:9.1f} ms, value {found.value:.1f}")
    print(f"  brute force        : {baseline * 1000:9.1f} ms, value {expected:.1f}")
    print(f"  ratio brute force / solver: {baseline / solver:,.0f}× — same value: {same}")
    if not same:
        sys.exit("the solver and brute force disagree")

    candidates, capacities = portfolio(args.large, args.seed)
    start = time.perf_counter()
    found = solve(candidates, capacities)
    solver = time.perf_counter() - start
    print(
        f"{args.large} projects: solver {solver * 1000:.1f} ms, {len(found.chosen)} kept, "
        f"value {found.value:.1f} (brute force: 2^{args.large} subsets, not run)"
    )


if __name__ == "__main__":
    main()
