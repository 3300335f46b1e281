from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalSyncConfig(AppConfig):
    name = "portalsync"
    verbose_name = _("Klientenportal Synchronisation")

    def ready(self) -> None:
        from portalsync import checks, signals  # noqa: F401 - registers receivers and checks
        from portalsync.schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="portalsync_schedules")
