"""Coarse lineage: which sources feed a dataset and what is made of it, drawn as a small SVG.

Sources → tables are read from the connectors at read time (configured sources whose mapping
feeds the table, and the source names of its past loads); the other edges are `LineageLink`
rows that other apps declare (`pilotis.catalog.entries.link`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pilotis.catalog.models import Dataset, Kind, LineageLink, NodeKind
from pilotis.tenants.models import Tenant

if TYPE_CHECKING:
    from pilotis.connectors.models import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Node:
    kind: str
    name: str
    label: str
    url: str = ""

    @property
    def kind_label(self) -> str:
        return str(NodeKind(self.kind).label) if self.kind in NodeKind.values else self.kind


@dataclass(frozen=True)
class Graph:
    centre: Node
    upstream: list[Node] = field(default_factory=list)
    downstream: list[Node] = field(default_factory=list)
    # The registered indicators computed from a table (listed beside the drawing).
    indicators: list[Node] = field(default_factory=list)


def sources_of_table(tenant: Tenant, table_name: str) -> list[Source]:
    """The tenant's configured sources whose mapping feeds `table_name`."""
    from pilotis.connectors.models import Source

    found = []
    for source in Source.objects.filter(tenant=tenant).order_by("name"):
        try:
            if source.table_name() == table_name:
                found.append(source)
        except Exception:  # noqa: BLE001 - a broken mapping must not break the catalog
            log.info("source %s: mapping unreadable, left out of the lineage", source.pk)
    return found


def lineage_graph(dataset: Dataset) -> Graph:
    tenant = dataset.tenant
    centre = Node(dataset.kind, dataset.name, dataset.title)
    upstream: list[Node] = []
    if dataset.kind == Kind.TABLE:
        upstream += _source_nodes(tenant, dataset.name)
    links = LineageLink.objects.filter(tenant=tenant)
    entries = {
        (d.kind, d.name): d
        for d in Dataset.objects.filter(tenant=tenant).only("kind", "name", "slug", "title")
    }
    for row in links.filter(to_kind=dataset.kind, to_name=dataset.name):
        upstream.append(_node(tenant, row.from_kind, row.from_name, entries))
    downstream = [
        _node(tenant, row.to_kind, row.to_name, entries)
        for row in links.filter(from_kind=dataset.kind, from_name=dataset.name)
    ]
    indicators = _indicator_nodes(tenant, dataset.name) if dataset.kind == Kind.TABLE else []
    return Graph(centre, _unique(upstream), _unique(downstream), indicators)


def _indicator_nodes(tenant: Tenant, table_name: str) -> list[Node]:
    """The registered indicators computed from the table (their `source_tables`), read from
    the metrics registry at read time like the sources from the connectors."""
    from pilotis.catalog.indicators import url
    from pilotis.metrics import registry

    return [
        Node(NodeKind.INDICATOR, metric.slug, str(metric.label), url(tenant.code, metric.slug))
        for metric in registry.all_metrics()
        if table_name in metric.source_tables
    ]


def _source_nodes(tenant: Tenant, table_name: str) -> list[Node]:
    from pilotis.connectors.models import LoadRun

    nodes = []
    for source in sources_of_table(tenant, table_name):
        nodes.append(
            Node(
                NodeKind.SOURCE,
                source.name,
                source.title or source.name,
                _source_url(tenant, source.name),
            )
        )
    configured = {n.name for n in nodes}
    names = (
        LoadRun.objects.filter(tenant=tenant, table=table_name)
        .exclude(kind=LoadRun.Kind.ROLLBACK)
        .filter(status__in=[LoadRun.Status.SUCCEEDED, LoadRun.Status.ROLLED_BACK])
        .values_list("source_name", flat=True)
        .distinct()
        .order_by("source_name")
    )
    for name in names:
        if name and name not in configured:
            nodes.append(Node(NodeKind.SOURCE, name, name))
    return nodes


def _source_url(tenant: Tenant, name: str) -> str:
    try:
        return reverse("connectors:source", args=[tenant.code, name])
    except NoReverseMatch:
        return ""


def _node(tenant: Tenant, kind: str, name: str, entries: dict[tuple[str, str], Dataset]) -> Node:
    entry = entries.get((kind, name))
    if entry is not None:
        return Node(
            kind, name, entry.title, reverse("catalog:dataset", args=[tenant.code, entry.slug])
        )
    if kind == NodeKind.SOURCE:
        return Node(kind, name, name, _source_url(tenant, name))
    return Node(kind, name, name)


def _unique(nodes: list[Node]) -> list[Node]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for node in nodes:
        if (node.kind, node.name) not in seen:
            seen.add((node.kind, node.name))
            unique.append(node)
    return unique


def describe(graph: Graph) -> str:
    """One sentence saying the graph, for the SVG's accessible name."""
    parts = [_("Lineage of “%(name)s”.") % {"name": graph.centre.label}]
    if graph.upstream:
        parts.append(_("Fed by: %(list)s.") % {"list": ", ".join(n.label for n in graph.upstream)})
    else:
        parts.append(_("No known source."))
    if graph.downstream:
        parts.append(
            _("Used by: %(list)s.") % {"list": ", ".join(n.label for n in graph.downstream)}
        )
    return " ".join(parts)


# Layout of the drawing, in SVG user units.
BOX_W, BOX_H, COL_GAP, ROW_GAP, PAD = 210, 46, 70, 14, 8
MAX_LABEL = 26


def svg(graph: Graph, element_id: str = "lineage") -> SafeString:
    """The graph as an inline SVG, left to right: sources, the dataset, what is made of it."""
    columns = [graph.upstream, [graph.centre], graph.downstream]
    rows = max(len(graph.upstream), len(graph.downstream), 1)
    height = PAD * 2 + rows * BOX_H + (rows - 1) * ROW_GAP
    width = PAD * 2 + 3 * BOX_W + 2 * COL_GAP
    positions: list[list[tuple[float, float]]] = []
    for index, nodes in enumerate(columns):
        x: float = PAD + index * (BOX_W + COL_GAP)
        total = len(nodes) * BOX_H + max(len(nodes) - 1, 0) * ROW_GAP
        top: float = (height - total) / 2
        positions.append([(x, top + i * (BOX_H + ROW_GAP)) for i in range(len(nodes))])
    title = describe(graph)
    parts: list[str] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="lineage-graph" role="img" '
            'viewBox="0 0 {} {}" width="{}" height="{}" aria-label="{}"><title>{}</title>'
            '<defs><marker id="{}-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker></defs>',
            width,
            height,
            width,
            height,
            title,
            title,
            element_id,
        )
    ]
    centre_x, centre_y = positions[1][0]
    for x, y in positions[0]:
        parts.append(_arrow(x + BOX_W, y + BOX_H / 2, centre_x, centre_y + BOX_H / 2, element_id))
    for x, y in positions[2]:
        parts.append(_arrow(centre_x + BOX_W, centre_y + BOX_H / 2, x, y + BOX_H / 2, element_id))
    for nodes, places in zip(columns, positions, strict=True):
        for node, (x, y) in zip(nodes, places, strict=True):
            parts.append(_box(node, x, y, centre=node is graph.centre))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _arrow(x1: float, y1: float, x2: float, y2: float, element_id: str) -> str:
    mid = (x1 + x2) / 2
    return format_html(
        '<path class="lineage-arrow" d="M{},{} C{},{} {},{} {},{}" fill="none" '
        'stroke="currentColor" stroke-width="1.5" marker-end="url(#{}-arrow)"/>',
        x1,
        y1,
        mid,
        y1,
        mid,
        y2,
        x2 - 1,
        y2,
        element_id,
    )


def _box(node: Node, x: float, y: float, centre: bool) -> str:
    label = node.label if len(node.label) <= MAX_LABEL else node.label[: MAX_LABEL - 1] + "…"
    return format_html(
        '<g class="lineage-node{}"><title>{} — {}</title>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="4" fill="{}" stroke="currentColor"/>'
        '<text x="{}" y="{}" class="lineage-kind" font-size="11">{}</text>'
        '<text x="{}" y="{}" class="lineage-label" font-size="13" font-weight="600">{}</text>'
        "</g>",
        " lineage-centre" if centre else "",
        node.kind_label,
        node.label,
        x,
        y,
        BOX_W,
        BOX_H,
        "#eef2f7" if centre else "#ffffff",
        x + 8,
        y + 17,
        node.kind_label,
        x + 8,
        y + 36,
        label,
    )


def sparkline(results: list[bool], label: str) -> SafeString:
    """Pass/fail of the last results of a check, oldest first: a tall bar for a pass, a short
    one marked with a cross for a failure (shape, not colour only)."""
    bar, gap, height = 6, 2, 18
    width = max(len(results), 1) * (bar + gap)
    parts: list[str] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" '
            'viewBox="0 0 {} {}" width="{}" height="{}" aria-label="{}"><title>{}</title>',
            width,
            height,
            width,
            height,
            label,
            label,
        )
    ]
    for index, passed in enumerate(results):
        x = index * (bar + gap)
        if passed:
            parts.append(
                format_html(
                    '<rect class="spark-pass" x="{}" y="2" width="{}" height="{}"/>',
                    x,
                    bar,
                    height - 2,
                )
            )
        else:
            parts.append(
                format_html(
                    '<rect class="spark-fail" x="{}" y="{}" width="{}" height="6"/>',
                    x,
                    height - 6,
                    bar,
                )
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def text_list(graph: Graph) -> list[dict[str, Any]]:
    """The same information as the drawing, for the list under it."""
    groups = [
        {"heading": _("Fed by"), "nodes": graph.upstream},
        {"heading": _("Used by"), "nodes": graph.downstream},
    ]
    if graph.indicators:
        groups.append({"heading": _("Indicators computed from it"), "nodes": graph.indicators})
    return groups
