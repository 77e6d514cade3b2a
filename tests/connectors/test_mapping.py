"""Mappings: YAML read with clear errors, and proposals from column names and sample values."""

import pytest

from pilotis.connectors.mapping import Mapping, MappingError, propose
from pilotis.warehouse.errors import UnknownTable

BASE = "table: requests\nfields:\n  service_request_id: id\n  status: s\n  requested_datetime: d\n"


def test_a_mapping_round_trips_through_yaml():
    text = BASE + "  lat: {column: Latitude, decimal: ','}\n  channel: {value: phone}\n"
    mapping = Mapping.from_yaml(text)
    assert mapping.fields["lat"].decimal == ","
    assert Mapping.from_yaml(mapping.to_yaml()).to_dict() == mapping.to_dict()
    assert mapping.source_columns() == ["Latitude", "d", "id", "s"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("table: [", "not valid YAML"),
        ("- a\n- b\n", "YAML dictionary"),
        ("fields: {}\n", "which table"),
        (BASE + "  colour: c\n", "no field “colour”"),
        (BASE + "  lat: {column: a, value: 1}\n", "not both"),
        (BASE + "  lat: {colum: a}\n", "unknown option"),
        (BASE + "  commune_insee: {column: c, referential: epci}\n", "only referential"),
        ("table: requests\nfields:\n  service_request_id: id\n", "required field"),
    ],
)
def test_mapping_errors_name_the_problem(text, words):
    with pytest.raises(MappingError, match=words):
        Mapping.from_yaml(text)


def test_unknown_table():
    with pytest.raises(UnknownTable):
        Mapping.from_yaml("table: budget\nfields: {}\n")


def test_a_source_lacking_a_mapped_column_is_refused():
    with pytest.raises(MappingError, match="« d »"):
        Mapping.from_yaml(BASE).check_columns(["id", "s"])


def test_proposal_from_french_column_names_and_values():
    columns = ["N° de demande", "Etat", "Date de création", "Ville", "Catégorie", "Courriel", "X"]
    samples = {
        "N° de demande": ["A1", "A2"],
        "Etat": ["Clôturé", "En cours", "Nouveau"],
        "Date de création": ["03/01/2026 10:00", "04/01/2026 11:00"],
        "Ville": ["Saint-Malo", "Cancale"],
        "Catégorie": ["Voirie", "Propreté urbaine"],
        "Courriel": ["a@b.fr"],
        "X": ["1", "2"],
    }
    proposal = propose(
        "requests", columns, samples, {"category": {"Voirie": "voirie", "Propreté": "proprete"}}
    )
    fields = proposal.fields
    assert fields["service_request_id"].column == "N° de demande"
    assert fields["status"].column == "Etat"
    assert fields["status"].values == {"Clôturé": "closed", "En cours": "open", "Nouveau": "open"}
    assert fields["requested_datetime"].column == "Date de création"
    assert fields["commune_insee"].column == "Ville"
    assert fields["commune_insee"].referential == "commune"  # names, not INSEE codes
    assert fields["category"].values == {"Voirie": "voirie", "Propreté urbaine": "proprete"}
    assert fields["requester_email"].column == "Courriel"
    assert proposal.mapping is not None and not proposal.unmatched_required


def test_proposal_says_which_required_fields_it_could_not_match():
    proposal = propose("requests", ["foo", "bar"], {})
    assert proposal.mapping is None
    assert set(proposal.unmatched_required) == {
        "service_request_id",
        "status",
        "requested_datetime",
    }


def test_the_upload_form_offers_citizen_requests_first_then_by_title():
    from pilotis.connectors.forms import UploadForm

    choices = UploadForm().fields["table"].choices
    assert choices[0][0] == "requests"
    titles = [str(title) for _, title in choices[1:]]
    assert titles == sorted(titles) and len(choices) > 5
