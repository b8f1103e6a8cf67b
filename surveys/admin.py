from django.contrib import admin

from .models import Item, RespondentCategory, Round, RoundCategory, RoundUnit


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0


class RoundUnitInline(admin.TabularInline):
    model = RoundUnit
    extra = 0
    fields = ["unit", "planned_sample", "paper_forms_issued", "online_ballots", "paper_ballots"]
    readonly_fields = ["online_ballots", "paper_ballots"]
    autocomplete_fields = ["unit"]


class RoundCategoryInline(admin.TabularInline):
    model = RoundCategory
    extra = 0


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "status", "opens_at", "closes_at"]
    list_filter = ["status", "year"]
    readonly_fields = ["status", "opened_at", "closed_at", "published_at", "seal_digest"]
    inlines = [RoundCategoryInline, ItemInline, RoundUnitInline]


@admin.register(RespondentCategory)
class RespondentCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
