import pytest

from tests.connectors.conftest import commune  # noqa: F401 - the connectors tests' tenant


@pytest.fixture(autouse=True)
def opendata_dir(settings, tmp_path):
    """Published files and the warehouse in the test's temporary folder."""
    settings.VAR_DIR = tmp_path
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"
    settings.OPENDATA_DIR = tmp_path / "opendata"
    settings.OPENDATA_SECRET = "test-secret"
    settings.PILOTIS_PUBLIC_URL = "http://testserver"
    return settings.OPENDATA_DIR
