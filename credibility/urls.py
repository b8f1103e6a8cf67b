from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("s/", include("surveys.respondent.urls")),
    path("accounts/", include("accounts.urls")),
    path("units/", include("units.urls")),
    path("rounds/", include("surveys.rounds.urls")),
    path("fieldwork/", include("surveys.fieldwork.urls")),
    path("results/", include("surveys.results.urls")),
    path("reports/", include("surveys.reports.urls")),
    path("audit/", include("audit.urls")),
    path("jobs/", include("jobs.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "credibility.views.bad_request"
handler404 = "credibility.views.page_not_found"
handler500 = "credibility.views.server_error"
