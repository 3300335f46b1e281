from django.contrib import admin

from clients.models import Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("number", "short_name", "name", "legal_form", "portal_enabled")
    search_fields = ("short_name", "name", "=number")
    list_filter = ("legal_form", "portal_enabled")
