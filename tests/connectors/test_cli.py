"""`pilotis ingest` and `pilotis loads`, as a clerk or a script uses them."""

import json

import pytest
from django.core.management import CommandError, call_command

from pilotis.connectors.models import LoadRun

CSV = (
    "N° demande;Statut;Date de la demande;Commune;Thème;Latitude;Objet\r\n"
    "D1;Clôturée;03/01/2026 09:15;Saint-Malo;Voirie;48,65;Nid de poule\r\n"
    "D2;En cours;04/01/2026 10:00;Cancale;Propreté;48,67;Dépôt sauvage\r\n"
    "D3;Fermée;05/01/2026;Saint-Malo;Bruit;48,6;Tapage\r\n"
    'D4;Clôturée;32/01/2026 10:00;Saint-Malo;Voirie;48,6;=HYPERLINK("http://x")\r\n'
)


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "export gru.csv"
    path.write_bytes(CSV.encode("cp1252"))
    return path


def ingest(*args):
    from io import StringIO

    out = StringIO()
    call_command("ingest", *args, stdout=out)
    return out.getvalue()


def test_ad_hoc_file_with_automatic_mapping_prints_one_json_object(commune, export):
    result = json.loads(
        ingest("--tenant", commune.code, "--table", "requests", str(export), "--json")
    )
    assert result["read"] == 4 == result["loaded"] + result["quarantined"]
    assert result["quarantined"] == 1  # the impossible date 32/01
    assert result["version"] == 0
    run = LoadRun.objects.get(pk=result["load_id"])
    assert run.source_name == "export gru.csv"
    again = json.loads(
        ingest("--tenant", commune.code, "--table", "requests", str(export), "--json")
    )
    assert again["version"] is None and again["loaded"] == 3


def test_quarantine_export_neutralises_formulas(commune, export, tmp_path):
    result = json.loads(
        ingest("--tenant", commune.code, "--table", "requests", str(export), "--json")
    )
    out = tmp_path / "rejets.csv"
    call_command("loads", "quarantine", result["load_id"], "--output", str(out))
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ";=HYPERLINK" not in text
    assert "32/01/2026 10:00" in text


def test_rollback_and_list_from_the_command_line(commune, export):
    from io import StringIO

    result = json.loads(
        ingest("--tenant", commune.code, "--table", "requests", str(export), "--json")
    )
    call_command("loads", "rollback", result["load_id"], stdout=StringIO())
    listing = StringIO()
    call_command("loads", "list", "--tenant", commune.code, stdout=listing)
    assert result["load_id"] in listing.getvalue()
    assert LoadRun.objects.get(pk=result["load_id"]).status == LoadRun.Status.ROLLED_BACK


def test_explicit_mapping_file(commune, export, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "table: requests\nfields:\n  service_request_id: N° demande\n"
        "  status: {column: Statut, values: {Clôturée: closed, En cours: open, Fermée: closed}}\n"
        "  requested_datetime: Date de la demande\n",
        encoding="utf-8",
    )
    result = json.loads(
        ingest(
            "--tenant",
            commune.code,
            "--table",
            "requests",
            str(export),
            "--mapping",
            str(mapping),
            "--json",
        )
    )
    assert (result["loaded"], result["quarantined"]) == (3, 1)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--tenant", "99999", "--table", "requests", "x.csv"], "Collectivité inconnue"),
        (["--tenant", "35288", "--source", "nope"], "Source inconnue"),
        (["--tenant", "35288", "--table", "nope", "FILE"], "Unknown table"),
        (["--tenant", "35288"], "Donnez --source"),
    ],
)
def test_errors_are_clear_and_bilingual(commune, export, args, words):
    args = [str(export) if a == "FILE" else a for a in args]
    with pytest.raises(CommandError, match=words):
        ingest(*args)


def test_a_file_whose_columns_are_not_recognised_is_refused(commune, tmp_path):
    path = tmp_path / "autre.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        ingest("--tenant", commune.code, "--table", "requests", str(path))
    assert "service_request_id" in str(error.value) and "« a »" in str(error.value)
    assert LoadRun.objects.count() == 0
