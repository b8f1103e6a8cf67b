from django.contrib import admin

from .models import Unit, UnitGroup


@admin.register(UnitGroup)
class UnitGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "order"]
    list_filter = ["kind"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "kind", "group", "is_active", "order"]
    list_filter = ["kind", "group", "is_active"]
    search_fields = ["code", "name", "short_name"]
