from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "pilotis.opendata"
    label = "opendata"
    verbose_name = _("Open data")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pilotis.opendata import metrics  # noqa: F401  (registers the indicators)
