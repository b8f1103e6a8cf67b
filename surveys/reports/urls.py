from django.urls import path

from . import views as reports

app_name = "reports"
urlpatterns = [
    path("", reports.index, name="index"),
    path("<int:pk>/", reports.round_detail, name="round"),
    path("<int:pk>/report.xlsx", reports.round_report, name="round_report"),
    path("<int:pk>/feedback/", reports.feedback_zip, name="feedback_zip"),
    path("<int:pk>/feedback/<int:unit_pk>/", reports.unit_feedback, name="unit_feedback"),
    path("<int:pk>/ballots.xlsx", reports.ballots_xlsx, name="ballots_xlsx"),
    path("<int:pk>/ballots.csv", reports.ballots_csv, name="ballots_csv"),
]
