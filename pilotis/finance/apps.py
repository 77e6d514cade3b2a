from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "pilotis.finance"
    label = "finance"
    verbose_name = _("Finance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing these modules registers the budget readers (source kinds) and indicators.
        from pilotis.finance import metrics, readers  # noqa: F401
