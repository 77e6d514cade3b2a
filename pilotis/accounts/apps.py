from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pilotis.accounts"
    label = "accounts"

    def ready(self) -> None:
        import pilotis.accounts.signals  # noqa: F401
