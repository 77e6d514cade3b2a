from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "pilotis.connectors"
    verbose_name = _("Connectors")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the modules that define source kinds registers them.
        from pilotis.connectors import kinds

        kinds.load_builtin_kinds()
