from django.urls import path

from portalsync import views

app_name = "portalsync"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("passwort/", views.set_password, name="set_password"),
    path("verbindung-pruefen/", views.check_connection, name="check_connection"),
    path("synchronisieren/", views.full_resync, name="full_resync"),
    path("status/<int:pk>/erneut-senden/", views.retry_client, name="retry"),
    path("protokoll/", views.sync_log, name="log"),
]
