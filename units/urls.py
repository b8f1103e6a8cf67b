from django.urls import path

from . import views

app_name = "units"
urlpatterns = [
    path("", views.UnitListView.as_view(), name="list"),
    path("new/", views.unit_create, name="create"),
    path("import/", views.units_import, name="import"),
    path("import/confirm/", views.units_import_confirm, name="import_confirm"),
    path("import/template.xlsx", views.units_import_template, name="import_template"),
    path("export/", views.units_export, name="export"),
    path("<int:pk>/", views.unit_detail, name="detail"),
    path("<int:pk>/edit/", views.unit_edit, name="edit"),
    path("<int:pk>/active/", views.unit_toggle_active, name="toggle_active"),
    path("<int:pk>/delete/", views.unit_delete, name="delete"),
    path("groups/", views.GroupListView.as_view(), name="groups"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:pk>/", views.group_edit, name="group_edit"),
    path("groups/<int:pk>/move/", views.group_move, name="group_move"),
    path("groups/<int:pk>/delete/", views.group_delete, name="group_delete"),
]
