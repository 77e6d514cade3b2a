from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HrConfig(AppConfig):
    name = "pilotis.hr"
    label = "hr"
    verbose_name = _("Human resources")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the module declaring the HR indicators registers them.
        from pilotis.hr import metrics  # noqa: F401
