from django.urls import path

from .views import followup as round_followup
from .views import lifecycle as round_lifecycle
from .views import setup as rounds

app_name = "rounds"
urlpatterns = [
    path("", rounds.RoundListView.as_view(), name="list"),
    path("new/", rounds.round_create, name="create"),
    path("copy/", rounds.round_copy, name="copy"),
    path("<int:pk>/", rounds.round_detail, name="detail"),
    path("<int:pk>/edit/", rounds.round_edit, name="edit"),
    path("<int:pk>/units/", rounds.round_units, name="units"),
    path("<int:pk>/questionnaire/", rounds.round_questionnaire, name="questionnaire"),
    path("<int:pk>/settings/", rounds.round_settings, name="settings"),
    path("<int:pk>/open/", round_lifecycle.round_open, name="open"),
    path("<int:pk>/close/", round_lifecycle.round_close, name="close"),
    path("<int:pk>/publish/", round_lifecycle.round_publish, name="publish"),
    path("<int:pk>/reopen/", round_lifecycle.round_reopen, name="reopen"),
    path("<int:pk>/verify/", round_lifecycle.round_verify, name="verify"),
    path("<int:pk>/investigations/", round_followup.investigation_list, name="investigations"),
    path("<int:pk>/investigations/<int:round_unit_pk>/<str:kind>/", round_followup.investigation_record,
         name="investigate"),
    path("<int:pk>/units/<int:round_unit_pk>/", round_followup.round_unit_detail, name="unit"),
    path("<int:pk>/units/<int:round_unit_pk>/rectifications/new/", round_followup.rectification_create,
         name="rectification_create"),
    path("<int:pk>/units/<int:round_unit_pk>/rectifications/<int:rectification_pk>/",
         round_followup.rectification_edit, name="rectification_edit"),
]
