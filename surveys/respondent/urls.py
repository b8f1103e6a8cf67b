from django.urls import path

from . import views as respondent

app_name = "respondent"
urlpatterns = [
    path("", respondent.start, name="start"),
    path("thanks/", respondent.thanks, name="thanks"),
]
