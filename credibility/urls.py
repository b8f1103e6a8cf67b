from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("s/", include("surveys.urls_respondent")),
    path("accounts/", include("accounts.urls")),
    path("units/", include("units.urls")),
    path("rounds/", include("surveys.urls_rounds")),
    path("fieldwork/", include("surveys.urls_fieldwork")),
    path("results/", include("surveys.urls_dashboards")),
    path("reports/", include("surveys.urls_reports")),
    path("audit/", include("audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "credibility.views.bad_request"
handler404 = "credibility.views.page_not_found"
handler500 = "credibility.views.server_error"
