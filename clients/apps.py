from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Klienten")

    def ready(self) -> None:
        from clients import collation  # noqa: F401 - registers the SQLite collation
