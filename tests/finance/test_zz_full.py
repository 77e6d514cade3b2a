import time
from tests.tenants.factories import TenantFactory
from pilotis.demo.framework import Territory
from pilotis.demo.generators import finance as demo
from tests.finance.conftest import TODAY

def test_full(db, warehouse, tmp_path):
    epci = TenantFactory(code="243500782", kind="epci", name="SMA", population=84000, siren="243500782")
    communes = [TenantFactory(code=f"35{300+i}", name=f"C{i}", population=46000 if i == 0 else 1000 + 500 * i, parent=epci) for i in range(18)]
    communes[0] = TenantFactory(code="35288", name="Saint-Malo", population=46000, parent=epci)
    land = Territory(epci=epci, communes=communes[:18], folder=tmp_path / "demo")
    (land.folder / "finance").mkdir(parents=True)
    g = demo.FinanceGenerator(today=TODAY)
    t = time.monotonic(); s = g.load(land, g.write(land)); print("FULL", s, time.monotonic() - t)
