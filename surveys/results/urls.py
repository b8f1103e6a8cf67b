from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.index, name="index"),
    path("trends/", views.trends, name="trends"),
    path("<int:pk>/", views.round_overview, name="round"),
    path("<int:pk>/units/<int:unit_pk>/", views.unit_detail, name="unit"),
    path("<int:pk>/live/", views.live, name="live"),
]
