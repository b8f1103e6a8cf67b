from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/report.xlsx", views.round_report, name="round_report"),
    path("<int:pk>/feedback/", views.feedback_zip, name="feedback_zip"),
    path("<int:pk>/feedback/<int:unit_pk>/", views.unit_feedback, name="unit_feedback"),
    path("<int:pk>/ballots.xlsx", views.ballots_xlsx, name="ballots_xlsx"),
    path("<int:pk>/ballots.csv", views.ballots_csv, name="ballots_csv"),
]
