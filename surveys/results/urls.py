from django.urls import path

from . import views as dashboards

app_name = "dashboards"
urlpatterns = [
    path("", dashboards.index, name="index"),
    path("trends/", dashboards.trends, name="trends"),
    path("<int:pk>/", dashboards.round_overview, name="round"),
    path("<int:pk>/units/<int:unit_pk>/", dashboards.unit_detail, name="unit"),
    path("<int:pk>/live/", dashboards.live, name="live"),
]
