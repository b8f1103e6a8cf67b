from django.urls import path

from .views import followup, lifecycle, setup

app_name = "rounds"
urlpatterns = [
    path("", setup.RoundListView.as_view(), name="list"),
    path("new/", setup.round_create, name="create"),
    path("copy/", setup.round_copy, name="copy"),
    path("<int:pk>/", setup.round_detail, name="detail"),
    path("<int:pk>/edit/", setup.round_edit, name="edit"),
    path("<int:pk>/units/", setup.round_units, name="units"),
    path("<int:pk>/questionnaire/", setup.round_questionnaire, name="questionnaire"),
    path("<int:pk>/settings/", setup.round_settings, name="settings"),
    path("<int:pk>/open/", lifecycle.round_open, name="open"),
    path("<int:pk>/close/", lifecycle.round_close, name="close"),
    path("<int:pk>/seal/", lifecycle.round_seal, name="seal"),
    path("<int:pk>/publish/", lifecycle.round_publish, name="publish"),
    path("<int:pk>/reopen/", lifecycle.round_reopen, name="reopen"),
    path("<int:pk>/verify/", lifecycle.round_verify, name="verify"),
    path("<int:pk>/investigations/", followup.investigation_list, name="investigations"),
    path("<int:pk>/investigations/<int:round_unit_pk>/<str:kind>/", followup.investigation_record,
         name="investigate"),
    path("<int:pk>/units/<int:round_unit_pk>/", followup.round_unit_detail, name="unit"),
    path("<int:pk>/units/<int:round_unit_pk>/rectifications/new/", followup.rectification_create,
         name="rectification_create"),
    path("<int:pk>/units/<int:round_unit_pk>/rectifications/<int:rectification_pk>/",
         followup.rectification_edit, name="rectification_edit"),
]
