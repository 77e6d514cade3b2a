"""Mappings are editable in the administration site, which refuses a mapping it cannot use."""

from pilotis.connectors.admin import SourceForm

MAPPING = (
    "table: requests\nfields:\n  service_request_id: id\n  status: s\n  requested_datetime: d\n"
)


def form(commune, mapping):
    return SourceForm(
        {
            "tenant": commune.pk,
            "name": "gru",
            "kind": "file",
            "config": "{}",
            "mapping": mapping,
            "schedule_minutes": 0,
            "enabled": True,
            "state": "{}",
        }
    )


def test_admin_accepts_a_valid_mapping(commune):
    assert form(commune, MAPPING).is_valid()


def test_admin_refuses_a_mapping_missing_a_required_field(commune):
    bad = form(commune, "table: requests\nfields:\n  service_request_id: id\n")
    assert not bad.is_valid()
    assert "requested_datetime" in str(bad.errors["mapping"])
