"""`pilotis kpi TENANT METRIC [--by DIMENSION] [--from DATE] [--to DATE] [--json]`."""

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from pilotis.errors import PilotisError
from pilotis.metrics import registry
from pilotis.tenants.access import data_scope
from pilotis.tenants.models import Tenant

# option → Query.filters key (the Scope field it narrows)
FILTERS = {
    "commune": "communes",
    "service": "services",
    "category": "categories",
    "channel": "channels",
}


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"Date illisible : {text} (attendu AAAA-MM-JJ)\n"
            f"Unreadable date: {text} (expected YYYY-MM-DD)"
        ) from None


class Command(BaseCommand):
    help = (
        "An indicator of a tenant, as the pages show it. Without METRIC, lists the indicators. "
        "Example: pilotis kpi 35288 requests.volume --by category --from 2025-01-01 "
        "--to 2025-12-31 --json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant", help="official code of the tenant (INSEE or SIREN)")
        parser.add_argument("metric", nargs="?", help="the indicator, e.g. requests.volume")
        parser.add_argument("--by", help="break down by this dimension")
        parser.add_argument("--from", dest="start", type=_date, help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", type=_date, help="last day (YYYY-MM-DD)")
        for name in FILTERS:
            parser.add_argument(f"--{name}", action="append", default=[], help=f"only this {name}")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("fr")
        tenant = Tenant.objects.filter(code=options["tenant"]).first()
        if tenant is None:
            raise CommandError(
                f"Collectivité inconnue : {options['tenant']}\nUnknown tenant: {options['tenant']}"
            )
        if not options["metric"]:
            self._list(options["json"])
            return
        default_start, default_end = registry.default_period(options["end"])
        filters = {key: tuple(options[option]) for option, key in FILTERS.items()}
        try:
            query = registry.Query(
                tenant_codes=data_scope(tenant),
                start=options["start"] or default_start,
                end=options["end"] or default_end,
                by=options["by"],
                filters={k: v for k, v in filters.items() if v},
            )
            result = registry.evaluate(options["metric"], query)
        except PilotisError as error:
            raise CommandError(error.bilingual()) from None
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
            return
        self._table(result)

    def _list(self, as_json: bool) -> None:
        metrics = registry.all_metrics()
        if as_json:
            self.stdout.write(json.dumps([m.describe() for m in metrics], ensure_ascii=False))
            return
        for metric in metrics:
            dims = ", ".join(metric.dimensions) or "—"
            self.stdout.write(f"{metric.slug:32} {metric.label} ({metric.unit}; --by {dims})")

    def _table(self, result: registry.Result) -> None:
        metric = result.metric
        self.stdout.write(
            f"{metric.label} — {result.query.start.isoformat()} → {result.query.end.isoformat()}"
        )
        for row in result.rows:
            key = row.get("key")
            label = "Total" if row.get("total") else "—" if key is None else str(key)
            value = row.get("value")
            shown = "—" if value is None else _number(value, metric.unit)
            self.stdout.write(f"  {label:30} {shown}")


def _number(value: Any, unit: str) -> str:
    if isinstance(value, float):
        text = f"{value:,.1f}".replace(",", " ").replace(".", ",")
    else:
        text = f"{value:,}".replace(",", " ")
    return {"percent": f"{text} %", "days": f"{text} j"}.get(unit, text)
