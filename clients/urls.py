from django.urls import path

from clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("neu/", views.client_create, name="create"),
    path("<int:pk>/", views.client_edit, name="edit"),
]
