"""Benchmark: the home dashboard of an intercommunality of 40 member tenants with every demo
domain (requests, parking, finance, HR, online services, projects, open data), server time of
the real view (Django test client, template rendered) — warm against the named baseline
"cold": the same page with every cache emptied, each figure computed from the warehouse.

Goal (issue 6): warm < 500 ms.

Run: .venv/bin/python bench/bench_home.py [--members 40] [--warm 15]

It builds the demo territory (`pilotis demo`: the Saint-Malo agglomeration, 18 communes) in a
temporary folder, then adds member tenants up to `--members`, each with a copy of the warehouse
tables of a demo commune (a Delta table folder copied is a valid table of its own), so that
every member has every domain a real one has."""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--warm", type=int, default=15)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="pilotis-bench-home-")
    try:
        run(folder, args.members, args.warm)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: str, members: int, warm_runs: int) -> None:
    setup_django(folder)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from pilotis.referential.models import Commune
    from pilotis.tenants.models import Membership, Tenant, TenantKind
    from pilotis.tenants.roles import Role
    from pilotis.warehouse import storage

    setup_test_environment()  # the test client's response.context and an allowed testserver
    started = time.perf_counter()
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    print(f"demo territory built in {time.perf_counter() - started:.0f} s")

    epci = Tenant.objects.get(kind=TenantKind.EPCI)
    demo_members = list(epci.members.order_by("code"))
    with_data = [
        m for m in demo_members if (storage.warehouse_root() / "tenants" / m.code).exists()
    ]
    taken = set(Tenant.objects.values_list("code", flat=True))
    extra = (
        Commune.objects.filter(departement_id="35")
        .exclude(code_insee__in=taken)
        .order_by("code_insee")
    )
    for i, commune in enumerate(extra[: max(0, members - len(demo_members))]):
        model = with_data[i % len(with_data)]
        tenant = Tenant.objects.create(
            code=commune.code_insee,
            kind=TenantKind.COMMUNE,
            name=commune.name,
            population=commune.population,
            parent=epci,
        )
        source = storage.warehouse_root() / "tenants" / model.code
        shutil.copytree(source, storage.warehouse_root() / "tenants" / tenant.code)
    n_members = epci.members.count()
    n_tables = sum(
        1
        for m in epci.members.all()
        for _t in (storage.warehouse_root() / "tenants" / m.code).glob("*")
    )
    print(f"intercommunality {epci.name}: {n_members} members, {n_tables} member tables")

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username="bench",
        email="bench@example.fr",
        password="x",  # noqa: S106
    )
    Membership.objects.create(user=user, tenant=epci, role=Role.ELECTED)
    client = Client()
    client.force_login(user)
    url = f"/t/{epci.code}/tableau-de-bord/"

    def page() -> tuple[float, object]:
        t = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, response.status_code  # noqa: S101
        return elapsed, response

    cache.clear()
    cold, response = page()
    board = response.context["board"]
    print(
        f"cards: {len(board.cards)} in {len(board.domains)} domains "
        f"({', '.join(d for d, _l, _c in board.domains)}); members side by side: "
        f"{len(board.members)} × {len(board.columns)} indicators"
    )
    warm = sorted(page()[0] for _ in range(warm_runs))
    median = statistics.median(warm)
    p90 = warm[int(0.9 * (len(warm) - 1))]
    print(f"baseline cold (caches emptied): {1000 * cold:.0f} ms")
    print(f"warm: median {1000 * median:.0f} ms, p90 {1000 * p90:.0f} ms over {warm_runs} runs")
    print(f"ratio cold / warm: {cold / median:.1f}×")
    print(f"goal warm < 500 ms: {'met' if median < 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
