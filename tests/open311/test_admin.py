"""The Django admin of the Open311 server: a key is shown once at creation and stored hashed,
revoking it takes effect at once, service attributes are checked."""

import hashlib
import re

import pytest
from django.contrib.auth import get_user_model

from pilotis.audit.models import AuditEvent
from pilotis.open311.models import ApiKey, ServiceAttribute
from tests.open311.conftest import post

KEY = re.compile(r'<code id="open311-api-key">(p311_[A-Za-z0-9_-]+)</code>')


@pytest.fixture
def admin_client(client, town):
    user = get_user_model().objects.create_superuser("root@pilotis.fr", "root@pilotis.fr", "x")
    client.force_login(user)
    return client


def pothole(api_key):
    return {
        "api_key": api_key,
        "service_code": "bruit",
        "address_string": "Rue Jacques Cartier",
    }


def test_a_key_created_in_the_admin_is_shown_once_and_stored_hashed(admin_client, town):
    response = admin_client.post(
        "/admin/open311/apikey/add/",
        {"tenant": town.pk, "name": "Appli citoyenne", "active": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    raw = KEY.search(page).group(1)
    assert "not shown again" in page
    key = ApiKey.objects.get()
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {str(v) for v in ApiKey.objects.values().get().values()}
    assert AuditEvent.objects.filter(action="open311.key_create", tenant=town).count() == 1
    # The key works, and its page never shows it again.
    assert post(admin_client, "requests.json", pothole(raw)).status_code == 200
    change = admin_client.get(f"/admin/open311/apikey/{key.pk}/change/").content.decode()
    assert key.prefix in change and raw not in change
    assert raw not in admin_client.get("/admin/open311/apikey/").content.decode()


def test_revoking_a_key_in_the_admin_refuses_it_at_once(admin_client, town):
    key = ApiKey(tenant=town, name="Ancienne appli")
    raw = key.set_new_key()
    key.save()
    assert post(admin_client, "requests.json", pothole(raw)).status_code == 200
    admin_client.post(
        "/admin/open311/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.active is False
    assert AuditEvent.objects.filter(action="open311.key_revoke").count() == 1
    assert post(admin_client, "requests.json", pothole(raw)).status_code == 403
    # Unticking "active" on the key's page does the same, and is audited too.
    key.active = True
    key.save()
    admin_client.post(f"/admin/open311/apikey/{key.pk}/change/", {"name": key.name})
    key.refresh_from_db()
    assert key.active is False
    assert AuditEvent.objects.filter(action="open311.key_revoke").count() == 2


def attribute(town, **fields):
    values = {
        "tenant": town,
        "service_code": "nids",
        "code": "TYPE",
        "datatype": "singlevaluelist",
        "description": "Quel type ?",
        "values": [{"key": "1", "name": "Un"}],
        **fields,
    }
    return ServiceAttribute(**values)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"service_code": "inconnu"}, "service_code"),
        ({"values": []}, "values"),
        ({"values": [{"key": "1"}]}, "values"),
        ({"values": [{"key": "1", "name": "a"}, {"key": "1", "name": "b"}]}, "values"),
        ({"datatype": "string"}, "values"),
    ],
)
def test_attributes_are_checked(town, fields, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        attribute(town, **fields).full_clean()
    assert field in caught.value.message_dict


def test_a_good_attribute_passes(town):
    attribute(town).full_clean()
    attribute(town, datatype="string", values=[]).full_clean()


def test_attributes_are_edited_in_the_admin(admin_client, town):
    response = admin_client.post(
        "/admin/open311/serviceattribute/add/",
        {
            "tenant": town.pk,
            "service_code": "bruit",
            "code": "HEURE",
            "variable": "on",
            "datatype": "datetime",
            "order": 1,
            "description": "À quelle heure ?",
            "values": "[]",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    definition = admin_client.get("/open311/v2/35288/services/bruit.json").json()
    assert [a["code"] for a in definition["attributes"]] == ["HEURE"]
    assert admin_client.get("/open311/v2/35288/services.json").json()[0]["metadata"] is True
