from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "pilotis.portfolio"
    label = "portfolio"
    verbose_name = _("Digital projects")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pilotis.portfolio import metrics  # noqa: F401  (registers the indicators)
