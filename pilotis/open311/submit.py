"""POST requests: a new request, written into the warehouse through the connectors pipeline.

A posted request is a one-row load (`source_name` "open311-api"): the same mapping, validation,
quarantine and single Delta commit as any file or API, so the row obeys the table's schema and
lineage like every other — and a row the schema refuses (an e-mail that is not one, a latitude
out of range…) is refused to the client with the pipeline's own reasons, in a 400.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilotis.audit.log import record
from pilotis.connectors import pipeline
from pilotis.connectors.kinds import SOURCE_ROW, RawInput
from pilotis.connectors.mapping import Mapping
from pilotis.connectors.models import LoadRun
from pilotis.connectors.reasons import reasons_of
from pilotis.open311.errors import Open311Error
from pilotis.open311.models import ApiKey, Submission
from pilotis.open311.services import check_answers, get_theme, service_notice
from pilotis.referential.models import Commune
from pilotis.tenants.models import Tenant, TenantKind

SOURCE_NAME = "open311-api"
# The columns of the one-row source, each feeding the canonical field of the same name.
COLUMNS = (
    "service_request_id",
    "requested_datetime",
    "updated_datetime",
    "service_code",
    "service_name",
    "category",
    "description",
    "address",
    "commune_insee",
    "lat",
    "long",
    "channel",
    "media_url",
    "requester_name",
    "requester_email",
    "requester_phone",
)
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
# Which posted parameter a rejected canonical field came from, to tell the client.
PARAMETER_OF = {
    "address": "address_string",
    "requester_email": "email",
    "requester_phone": "phone",
    "requester_name": "first_name/last_name",
    "category": "service_code",
}
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U


def mapping() -> Mapping:
    """The mapping of the one-row source onto the `requests` table."""
    fields: dict[str, Any] = {name: {"column": name} for name in COLUMNS}
    for name in ("requested_datetime", "updated_datetime"):
        fields[name]["format"] = DATETIME_FORMAT
    fields["status"] = {"value": "open"}
    return Mapping.from_dict({"table": "requests", "timezone": "UTC", "fields": fields})


@dataclass
class Submitted:
    service_request_id: str
    token: str
    service_notice: str | None
    account_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "service_request_id": self.service_request_id,
            "token": self.token,
            "service_notice": self.service_notice,
            "account_id": self.account_id,
        }


def authenticate(tenant: Tenant, raw_key: str | None) -> ApiKey:
    """The active API key `raw_key` of `tenant`, or a 403."""
    key = ApiKey.find(tenant, (raw_key or "").strip())
    if key is None:
        raise Open311Error(
            403,
            _("Invalid or missing api_key: ask the collectivité for a key to post requests."),
        )
    return key


def new_request_id(tenant: Tenant, now: datetime) -> str:
    """A short id citizens can read out on the phone: 35288-260301-7K2QX."""
    while True:
        suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(5))
        candidate = f"{tenant.code}-{now:%y%m%d}-{suffix}"
        if not Submission.objects.filter(tenant=tenant, service_request_id=candidate).exists():
            return candidate


def _one(params: Any, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _answers(params: Any) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for name in params:
        match = _ATTRIBUTE.match(name)
        if match:
            answers.setdefault(match.group(1), []).extend(params.getlist(name))
    return answers


def _location(params: Any) -> None:
    lat, long = _one(params, "lat"), _one(params, "long")
    if (lat is None) != (long is None):
        raise Open311Error(400, _("lat and long must be given together."))
    if lat is None and not (_one(params, "address_string") or _one(params, "address_id")):
        raise Open311Error(
            400,
            _("A location is required: lat and long, address_string or address_id."),
        )


def submit(tenant: Tenant, key: ApiKey, params: Any) -> Submitted:
    """File the request posted with `params` (a QueryDict) for `tenant`."""
    service_code = _one(params, "service_code")
    if not service_code:
        raise Open311Error(400, _("service_code is required."))
    theme = get_theme(tenant, service_code)
    if theme is None:
        raise Open311Error(
            400, _("service_code: no service has the code “%(code)s” here."), code=service_code
        )
    _location(params)
    answers = check_answers(tenant, service_code, _answers(params))
    now = timezone.now().astimezone(UTC).replace(microsecond=0)
    request_id = new_request_id(tenant, now)
    name = " ".join(n for n in (_one(params, "first_name"), _one(params, "last_name")) if n)
    commune = None
    if (
        tenant.kind == TenantKind.COMMUNE
        and Commune.objects.filter(code_insee=tenant.code).exists()
    ):
        commune = tenant.code
    row = {
        "service_request_id": request_id,
        "requested_datetime": now.strftime(DATETIME_FORMAT),
        "updated_datetime": now.strftime(DATETIME_FORMAT),
        "service_code": service_code,
        "service_name": theme.label,
        "category": service_code,
        "description": _one(params, "description"),
        "address": _one(params, "address_string"),
        "commune_insee": commune,
        "lat": _one(params, "lat"),
        "long": _one(params, "long"),
        "channel": "mobile" if _one(params, "device_id") else "web",
        "media_url": _one(params, "media_url"),
        "requester_name": name or None,
        "requester_email": _one(params, "email"),
        "requester_phone": _one(params, "phone"),
    }
    run = _load(tenant, row)
    with transaction.atomic():
        submission = Submission.objects.create(
            tenant=tenant,
            service_request_id=request_id,
            service_code=service_code,
            load_run=run,
            api_key=key,
            address_id=_one(params, "address_id") or "",
            attributes=answers,
        )
        ApiKey.objects.filter(pk=key.pk).update(last_used=timezone.now())
    record(
        "open311.post",
        tenant=tenant,
        target=request_id,
        details={"api_key": key.name, "load_id": run.load_id, "service_code": service_code},
    )
    return Submitted(
        service_request_id=request_id,
        token=str(submission.token),
        service_notice=service_notice(tenant, service_code),
        account_id=_one(params, "account_id"),
    )


def one_row(row: dict[str, str | None]) -> RawInput:
    """A source of one row of text columns, as the pipeline reads every source."""

    def batches() -> Iterator[pa.RecordBatch]:
        data = {c: pa.array([row.get(c)], pa.string()) for c in COLUMNS}
        data[SOURCE_ROW] = pa.array([1], pa.int64())
        yield pa.RecordBatch.from_pydict(data)

    return RawInput(
        columns=list(COLUMNS),
        batches=batches,
        estimated_rows=1,
        description=str(_("A request posted to the Open311 API")),
    )


def _load(tenant: Tenant, row: dict[str, str | None]) -> LoadRun:
    run = pipeline.start_run(tenant, mapping(), kind="inline", config={}, source_name=SOURCE_NAME)
    try:
        outcome = pipeline.execute(run, raw=one_row(row))
    except pipeline.LoadError:
        # Another load holds the table (a large import): the client may try again shortly.
        raise Open311Error(
            503, _("The request could not be stored right now; please try again in a minute.")
        ) from None
    if outcome.quarantined:
        problems = [
            f"{PARAMETER_OF.get(r['field'], r['field'])}: {r['message']}"
            for q in pipeline.quarantine_rows(run)
            for r in reasons_of(q)
        ]
        error = Open311Error(400, problems[0] if problems else _("The request was refused."))
        error.details = problems
        raise error
    return run
