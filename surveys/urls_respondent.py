from django.urls import path

from .views import respondent

app_name = "respondent"
urlpatterns = [
    path("", respondent.start, name="start"),
    path("thanks/", respondent.thanks, name="thanks"),
]
