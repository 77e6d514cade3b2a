"""Set up an embedded instance: folders, database schema, official referential."""

from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command

from pilotis.referential.models import Commune


def init_instance(say: Callable[[str], None] = lambda _: None) -> None:
    """Create ./var's folders, migrate the database and load the referential once. Idempotent."""
    for folder in (
        settings.VAR_DIR,
        settings.WAREHOUSE_DIR,
        settings.MEDIA_ROOT,
        settings.STATIC_ROOT,
    ):
        folder.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    say("Base de données à jour / database up to date")
    if not Commune.objects.exists():
        call_command("load_referential", verbosity=0)
    say(f"Référentiel : {Commune.objects.count()} communes / referential loaded")
