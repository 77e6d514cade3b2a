"""Tenant colours: checked for AA contrast when set, never served unreadable."""

import pytest
from django.core.exceptions import ValidationError

from pilotis.shell.theming import contrast_ratio, stylesheet, validate_brand_colour
from tests.tenants.factories import TenantFactory


def test_contrast_ratio_matches_wcag_reference_values():
    """Black on white is 21:1; #767676 on white is the classic 4.54:1 AA limit."""
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("colour", ["#1f4e79", "#b3261e", "#000091", "#2d6a2e"])
def test_dark_colours_are_accepted(colour):
    validate_brand_colour(colour)


@pytest.mark.parametrize(
    "colour,code",
    [
        ("#ffcc00", "low_contrast"),
        ("#88aaff", "low_contrast"),
        ("blue", "invalid_colour"),
        ("#12345", "invalid_colour"),
    ],
)
def test_light_or_malformed_colours_are_refused(colour, code):
    with pytest.raises(ValidationError) as error:
        validate_brand_colour(colour)
    assert error.value.code == code


@pytest.mark.django_db
def test_unreadable_colour_in_database_is_not_served():
    """Even if a bad colour reaches the database (e.g. by SQL), the stylesheet falls back."""
    tenant = TenantFactory(primary_color="#ffff00")
    assert "#ffff00" not in stylesheet(tenant)
    assert "--brand: #1f4e79" in stylesheet(tenant)


@pytest.mark.django_db
def test_identity_form_refuses_a_light_colour_with_a_french_message(client):
    from pilotis.tenants.models import Membership

    tenant = TenantFactory(code="35999")
    from tests.tenants.factories import UserFactory

    admin = UserFactory(username="admin@t.fr")
    Membership.objects.create(user=admin, tenant=tenant, role="admin")
    client.force_login(admin)
    response = client.post(
        f"/t/{tenant.code}/administration/identite/",
        {"primary_color": "#ffee88", "shares_with_parent": "on"},
    )
    assert response.status_code == 400
    assert "trop claire" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.primary_color == "#1f4e79"
    response = client.post(
        f"/t/{tenant.code}/administration/identite/", {"primary_color": "#7a1f5c"}
    )
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.primary_color == "#7a1f5c"
    assert "--brand: #7a1f5c" in client.get(f"/t/{tenant.code}/theme.css").content.decode()


@pytest.mark.django_db
def test_logo_must_be_a_real_image(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pilotis.tenants.models import Membership
    from tests.tenants.factories import UserFactory

    tenant = TenantFactory(code="35998")
    admin = UserFactory(username="admin2@t.fr")
    Membership.objects.create(user=admin, tenant=tenant, role="admin")
    client.force_login(admin)
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(
        f"/t/{tenant.code}/administration/identite/", {"primary_color": "#1f4e79", "logo": fake}
    )
    assert response.status_code == 400
    png = SimpleUploadedFile(
        "logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png"
    )
    response = client.post(
        f"/t/{tenant.code}/administration/identite/", {"primary_color": "#1f4e79", "logo": png}
    )
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.logo.name.startswith("logos/")
