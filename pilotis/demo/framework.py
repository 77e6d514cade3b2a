"""The demo territory and the generator framework each capability extends.

A generator writes the files a real municipal program would export (Windows-1252 `;` CSV with
dd/mm/yyyy dates and decimal commas, XLSX, JSON API dumps) into the demo folder, then loads them
the way a user would. Generators are seeded: the same territory gives the same files.
"""

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from pilotis.tenants.models import Tenant

# The CA du Pays de Saint-Malo Agglomération: 18 communes, a real intercommunality.
DEMO_EPCI_SIREN = "243500782"
DEMO_SEED = 35


@dataclass
class Territory:
    """What generators build on: the EPCI tenant, its member tenants and a seeded RNG."""

    epci: Tenant
    communes: list[Tenant]
    folder: Path
    seed: int = DEMO_SEED
    say: Callable[[str], None] = field(default=lambda _: None)

    def rng(self, name: str) -> random.Random:
        """A random generator of its own for each generator, so adding one changes no other."""
        return random.Random(f"{self.seed}:{name}")  # noqa: S311 - demo data, not secrets

    def tenants(self) -> Iterator[Tenant]:
        yield self.epci
        yield from self.communes


class DemoGenerator:
    """One capability's demo data. Subclass, set `name`, write files, load them."""

    name: ClassVar[str]
    order: ClassVar[int] = 100

    def write(self, territory: Territory) -> list[Path]:
        """Write the exported files into `territory.folder / self.name`; return their paths."""
        raise NotImplementedError

    def load(self, territory: Territory, paths: list[Path]) -> str:
        """Load the files as a user would; return a one-line summary (French)."""
        raise NotImplementedError


GENERATORS: dict[str, type[DemoGenerator]] = {}


def register(generator: type[DemoGenerator]) -> type[DemoGenerator]:
    """Class decorator adding a generator; two generators may not share a name."""
    if generator.name in GENERATORS:
        raise ValueError(f"A demo generator named {generator.name!r} is already registered")
    GENERATORS[generator.name] = generator
    return generator


def run_generators(territory: Territory) -> list[str]:
    summaries = []
    for generator_class in sorted(GENERATORS.values(), key=lambda g: (g.order, g.name)):
        generator = generator_class()
        (territory.folder / generator.name).mkdir(parents=True, exist_ok=True)
        paths = generator.write(territory)
        summary = generator.load(territory, paths)
        territory.say(f"  {generator.name}: {summary}")
        summaries.append(summary)
    return summaries
