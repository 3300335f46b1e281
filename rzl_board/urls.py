from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from rzl_board import views
from rzl_board.forms import LoginForm

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="clients:list", permanent=False), name="home"),
    path("anmelden/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("klienten/", include("clients.urls")),
    path("stamm/einstellungen/klientenportal-synchronisation/", include("portalsync.urls")),
    path("aenderungsprotokoll/", include("audit.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "rzl_board.views.bad_request"
handler403 = "rzl_board.views.permission_denied"
handler404 = "rzl_board.views.page_not_found"
handler500 = "rzl_board.views.server_error"
