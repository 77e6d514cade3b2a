"""Personal data never leaves through the public API: the requester's name, e-mail and phone are
never published, and e-mails and phone numbers written in free texts are blanked out."""

import duckdb
import pytest

from pilotis.open311.privacy import redact
from pilotis.warehouse import storage
from tests.open311.conftest import (
    SENTINEL_EMAIL,
    SENTINEL_NAME,
    SENTINEL_PHONE,
    SENTINELS,
    get,
    post,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rappeler au 06 12 34 56 78 svp", "Rappeler au [phone removed] svp"),
        ("tél. 02.99.40.71.11.", "tél. [phone removed]."),
        ("tel:0612345678", "tel:[phone removed]"),
        ("+33 6 12 34 56 78", "[phone removed]"),
        ("+33 (0)6 12 34 56 78", "[phone removed]"),
        ("0033612345678", "[phone removed]"),
        ("06-12-34-56-78", "[phone removed]"),
        ("+44 20 7946 0958", "[phone removed]"),
        ("Call (312) 555-1234 or 312-555-1234", "Call [phone removed] or [phone removed]"),
        ("écrire à jean.dupont+311@mairie-saint-malo.fr.", "écrire à [e-mail removed]."),
        ("MAIL: A.B@EXAMPLE.COM;x@y.bzh", "MAIL: [e-mail removed];[e-mail removed]"),
        # What is not contact data stays.
        ("Demande 2024-000123 du 2012-12-01", "Demande 2024-000123 du 2012-12-01"),
        ("12 rue de la Paix 35400 Saint-Malo", "12 rue de la Paix 35400 Saint-Malo"),
        ("lampadaire n° 1234567890", "lampadaire n° 1234567890"),
        ("GPS 48.6493, -2.0257 ; trou de 35 cm", "GPS 48.6493, -2.0257 ; trou de 35 cm"),
        ("le 01/02/2024 à 10h30", "le 01/02/2024 à 10h30"),
        ("voir https://www.saint-malo.fr/contact", "voir https://www.saint-malo.fr/contact"),
        ("", ""),
        (None, None),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_the_sentinels_are_in_the_warehouse(loaded):
    """The personal data really is there to leak: the sweep below can fail."""
    con = duckdb.connect()
    storage.register(con, "t", loaded.code, "requests")
    found = con.sql(
        "SELECT requester_name, requester_email, requester_phone, description FROM t "
        "WHERE service_request_id = 'R1'"
    ).fetchall()
    assert found == [
        (
            SENTINEL_NAME,
            SENTINEL_EMAIL,
            SENTINEL_PHONE,
            f"Trou profond. Rappeler {SENTINEL_EMAIL} ou au 06 98 76 54 32.",
        )
    ]


def test_no_answer_ever_carries_personal_data(client, loaded, api_key, now):
    posted = post(
        client,
        "requests.json",
        {
            "api_key": api_key,
            "service_code": "bruit",
            "address_string": "Quai Saint-Louis",
            "first_name": "Zébulon",
            "last_name": "Sentinelle-Privée",
            "email": SENTINEL_EMAIL,
            "phone": SENTINEL_PHONE,
            "description": f"Bruit la nuit, écrire à {SENTINEL_EMAIL}",
        },
    )
    assert posted.status_code == 200
    answers = [posted]
    request_id = posted.json()[0]["service_request_id"]
    token = posted.json()[0]["token"]
    for fmt in ("json", "xml"):
        for path in (
            f"requests.{fmt}",
            f"requests/R1.{fmt}",
            f"requests/R2.{fmt}",
            f"requests/R3.{fmt}",
            f"requests/{request_id}.{fmt}",
            f"tokens/{token}.{fmt}",
            f"services.{fmt}",
            f"services/nids.{fmt}",
            f"discovery.{fmt}",
        ):
            answers.append(get(client, path))
        answers.append(get(client, f"requests.{fmt}", service_request_id=f"R1,R2,R3,{request_id}"))
        answers.append(get(client, f"requests.{fmt}", status="open", page_size="1"))
        answers.append(get(client, f"requests.{fmt}", start_date="nonsense"))
        bad = {
            "api_key": api_key,
            "service_code": "bruit",
            "address_string": "x",
            "email": "zebulon@",
        }
        answers.append(post(client, f"requests.{fmt}", bad))
    assert all(a.status_code in (200, 400) for a in answers)
    everything = "\n".join(a.content.decode() for a in answers)
    assert request_id in everything and "R1" in everything  # the sweep saw the requests
    for sentinel in SENTINELS:
        assert sentinel.lower() not in everything.lower(), sentinel
    for column in ("requester_name", "requester_email", "requester_phone"):
        assert column not in everything
    assert "Bruit la nuit, écrire à [e-mail removed]" in everything
