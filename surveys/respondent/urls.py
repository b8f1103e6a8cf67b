from django.urls import path

from . import views

app_name = "respondent"
urlpatterns = [
    path("", views.start, name="start"),
    path("thanks/", views.thanks, name="thanks"),
]
