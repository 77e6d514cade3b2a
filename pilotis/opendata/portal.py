"""The public portal, no login: every collectivité's published datasets, searchable with facets,
each with its page (metadata, schema, preview, chart, downloads, API examples, history) and a
subscription by e-mail. Only datasets online (public, with a version that succeeded) exist
here; anything else answers 404."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from pilotis.catalog.models import Frequency, Licence
from pilotis.metrics.downloads import chart_contexts
from pilotis.opendata import page
from pilotis.opendata.models import Publication, PublicationVersion, Subscription
from pilotis.opendata.public import public_view
from pilotis.opendata.publish import resource_path
from pilotis.opendata.resources import FORMATS
from pilotis.opendata.vocab import Theme
from pilotis.tenants.access import permissions_in
from pilotis.tenants.models import Tenant

PAGE_SIZE = 20
FACETS = ("theme", "publisher", "format", "licence", "frequency")


def online() -> QuerySet[Publication]:
    """Publications anyone may see."""
    return (
        Publication.objects.filter(public=True, versions__status=PublicationVersion.Status.OK)
        .select_related("tenant")
        .distinct()
    )


def _theme_tenant(request: HttpRequest, tenant: Tenant) -> None:
    """Wear the publisher's identity (its name, logo and colour) on its pages."""
    request.tenant_access = permissions_in(request.user, tenant)  # type: ignore[attr-defined]


def _facet_values(pub: Publication, current: PublicationVersion) -> dict[str, list[str]]:
    return {
        "theme": [pub.theme],
        "publisher": [pub.tenant.code],
        "format": sorted(current.resources),
        "licence": [pub.licence],
        "frequency": [pub.frequency],
    }


FACET_TITLES = {
    "theme": gettext_lazy("Theme"),
    "publisher": gettext_lazy("Publisher"),
    "format": gettext_lazy("Format"),
    "licence": gettext_lazy("Licence"),
    "frequency": gettext_lazy("Update frequency"),
}


def _label(facet: str, value: str, tenants: dict[str, str]) -> str:
    if facet == "theme":
        return str(Theme(value).label) if value in Theme.values else value
    if facet == "publisher":
        return tenants.get(value, value)
    if facet == "format":
        return FORMATS[value].label if value in FORMATS else value
    if facet == "licence":
        return str(Licence(value).label) if value in Licence.values else value
    if facet == "frequency":
        return str(Frequency(value).label) if value in Frequency.values else value
    return value


def search(request: HttpRequest, pubs: QuerySet[Publication]) -> dict[str, Any]:
    """The search: words in the title, description, keywords or publisher (accents ignored),
    then facets; each facet counts what the other chosen facets leave."""
    query = request.GET.get("q", "").strip()
    chosen = {f: request.GET.getlist(f) for f in FACETS if request.GET.getlist(f)}
    entries = []
    for pub in pubs.order_by("title", "pk"):
        current = pub.current()
        if current is None or (query and not page.matches(pub, query)):
            continue
        entries.append((pub, current, _facet_values(pub, current)))

    def kept(values: dict[str, list[str]], skip: str | None = None) -> bool:
        return all(any(v in values[f] for v in wanted) for f, wanted in chosen.items() if f != skip)

    tenants = {p.tenant.code: p.tenant.name for p, _c, _v in entries}
    facets = []
    for facet in FACETS:
        counts: Counter[str] = Counter()
        for _pub, _cur, values in entries:
            if kept(values, skip=facet):
                counts.update(values[facet])
        options = [
            {
                "value": value,
                "label": _label(facet, value, tenants),
                "count": n,
                "checked": value in chosen.get(facet, []),
            }
            for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        if options:
            facets.append({"name": facet, "title": FACET_TITLES[facet], "options": options})
    results = [(p, c) for p, c, v in entries if kept(v)]
    paginator = Paginator(results, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "query": query,
        "facets": facets,
        "page_obj": page_obj,
        "results": list(page_obj.object_list),
        "total": paginator.count,
        "params": params.urlencode(),
        "chosen": bool(chosen or query),
    }


@public_view
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = search(request, online())
    context["publishers"] = (
        Tenant.objects.filter(pk__in=online().values("tenant")).order_by("name").distinct()
    )
    return render(request, "opendata/portal_home.html", context)


@public_view
@require_GET
def publisher(request: HttpRequest, tenant_code: str) -> HttpResponse:
    tenant = get_object_or_404(Tenant, code=tenant_code)
    _theme_tenant(request, tenant)
    context = search(request, online().filter(tenant=tenant))
    context["publisher"] = tenant
    return render(request, "opendata/portal_publisher.html", context)


def _online(tenant_code: str, slug: str) -> tuple[Publication, PublicationVersion]:
    pub = online().filter(tenant__code=tenant_code, slug=slug).first()
    current = pub.current() if pub is not None else None
    if pub is None or current is None:
        raise Http404
    return pub, current


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your e-mail address"))


@public_view
@require_GET
def dataset(request: HttpRequest, tenant_code: str, slug: str) -> HttpResponse:
    pub, current = _online(tenant_code, slug)
    _theme_tenant(request, pub.tenant)
    columns, rows = page.preview(current)
    chart = page.auto_chart(pub, current)
    base = request.build_absolute_uri("/").rstrip("/")
    downloads = [
        {
            "format": FORMATS[key],
            "bytes": info["bytes"],
            "url": reverse("opendata:download", args=[pub.tenant.code, pub.slug, key]),
        }
        for key, info in current.resources.items()
        if key in FORMATS
    ]
    api = f"{base}/api/donnees/{pub.tenant.code}/{pub.slug}/"
    examples = [
        (_("The first rows, as JSON"), f"curl '{api}?page_size=20'"),
        (_("Filtered and sorted"), f"curl '{api}?{columns[0]}__sort=asc&page_size=100'")
        if columns
        else None,
        (
            _("CKAN clients (package_show)"),
            f"curl '{base}/api/3/action/package_show?id={pub.identifier}'",
        ),
        (_("DCAT-AP catalog (harvesters)"), f"curl -H 'Accept: text/turtle' '{base}/catalog'"),
    ]
    context = {
        "pub": pub,
        "current": current,
        "versions": pub.versions.filter(status=PublicationVersion.Status.OK),
        "columns": columns,
        "rows": rows,
        "charts": chart_contexts([chart]) if chart is not None else [],
        "downloads": downloads,
        "examples": [e for e in examples if e],
        "schema_url": (
            f"https://schema.data.gouv.fr/{pub.national_schema}/"
            f"{pub.national_schema_version or 'latest'}/"
            if pub.national_schema
            else ""
        ),
        "form": SubscribeForm(),
    }
    return render(request, "opendata/portal_dataset.html", context)


@public_view
@require_GET
def download(
    request: HttpRequest, tenant_code: str, slug: str, fmt: str, number: int | None = None
) -> HttpResponseBase:
    """A file of the current version (or of version `number`), streamed from disk."""
    pub, current = _online(tenant_code, slug)
    version = current
    if number is not None:
        version = get_object_or_404(
            PublicationVersion, publication=pub, number=number, status=PublicationVersion.Status.OK
        )
    path = resource_path(version, fmt) if fmt in FORMATS else None
    if path is None or not path.exists():
        raise Http404
    name = f"{pub.slug}-v{version.number}.{FORMATS[fmt].extension}"
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type=FORMATS[fmt].media_type
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["ETag"] = f'"{version.resources[fmt]["sha256"]}"'
    return response


@public_view
@require_http_methods(["POST"])
def subscribe(request: HttpRequest, tenant_code: str, slug: str) -> HttpResponse:
    pub, _current = _online(tenant_code, slug)
    form = SubscribeForm(request.POST)
    if form.is_valid():
        Subscription.objects.get_or_create(publication=pub, email=form.cleaned_data["email"])
        messages.success(
            request,
            _("Subscribed: you will get an e-mail when “%(title)s” changes.")
            % {"title": pub.title},
        )
    else:
        messages.error(request, _("Give a valid e-mail address to subscribe."))
    return redirect("opendata:dataset", pub.tenant.code, pub.slug)


@public_view
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    sub = get_object_or_404(Subscription.objects.select_related("publication"), token=token)
    if request.method == "POST":
        title = sub.publication.title
        sub.delete()
        return render(request, "opendata/unsubscribed.html", {"title": title, "done": True})
    return render(
        request, "opendata/unsubscribed.html", {"title": sub.publication.title, "sub": sub}
    )
