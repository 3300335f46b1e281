from django.urls import path

from clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("neu/", views.client_create, name="create"),
    path("export/", views.client_export, name="export"),
    path("klientenportal/", views.client_bulk_portal, name="bulk_portal"),
    path("import/", views.client_import, name="import"),
    path("import/<uuid:token>/", views.client_import_preview, name="import_preview"),
    path("<int:pk>/", views.client_edit, name="edit"),
]
