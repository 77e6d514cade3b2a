"""Fixtures of the referential tests: the shipped snapshot loaded once, a small package cut from
the real one, and two tenants with people in every role."""

import shutil
import tarfile
from pathlib import Path

import pytest

from pilotis.referential.load import load_snapshot
from pilotis.referential.lookup import CommuneIndex
from pilotis.referential.models import Commune, Departement, Epci, Region
from pilotis.referential.snapshot import read_snapshot
from pilotis.tenants.roles import Role
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory

DATA = Path(__file__).resolve().parent / "data"
PACKAGE = DATA / "package"


@pytest.fixture(scope="session")
def package_tarball(tmp_path_factory) -> Path:
    """The small package packed as `npm pack` packs it: files under `package/`."""
    path = tmp_path_factory.mktemp("npm") / "etalab-decoupage-administratif-6.0.0.tgz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(PACKAGE, arcname="package")
    return path


@pytest.fixture(scope="session")
def shipped_index() -> CommuneIndex:
    """The index of the shipped snapshot, without the database."""
    return CommuneIndex.from_snapshot(read_snapshot())


@pytest.fixture(scope="package")
def _shipped_referential_committed(django_db_setup, django_db_blocker):
    """Load the shipped snapshot once for this package's tests, outside their transactions."""
    with django_db_blocker.unblock():
        counts = load_snapshot()
    yield counts
    with django_db_blocker.unblock():
        for model in (Commune, Epci, Departement, Region):
            model.objects.all().delete()


@pytest.fixture
def referential(_shipped_referential_committed, db) -> dict[str, int]:
    """The whole shipped referential in the database (reloaded if a flush removed it)."""
    if not Commune.objects.filter(pk="35288").exists():
        return load_snapshot()
    return _shipped_referential_committed


@pytest.fixture
def tenants(db):
    """Tenant A (Saint-Malo) with a user per role, tenant B (Cancale) with its own steward."""
    tenant_a = TenantFactory(code="35288", name="Saint-Malo")
    tenant_b = TenantFactory(code="35049", name="Cancale")
    users = {
        role: MembershipFactory(
            tenant=tenant_a, role=role, user=UserFactory(username=f"{role}@saint-malo.fr")
        ).user
        for role in Role.values
    }
    other_steward = MembershipFactory(
        tenant=tenant_b, role=Role.STEWARD, user=UserFactory(username="steward@cancale.fr")
    ).user
    return {"a": tenant_a, "b": tenant_b, "users": users, "other_steward": other_steward}


@pytest.fixture
def package_copy(tmp_path) -> Path:
    """A copy of the small package that a test may change."""
    return Path(shutil.copytree(PACKAGE, tmp_path / "package"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are made by the dozen here; a slow hasher would only slow the tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
