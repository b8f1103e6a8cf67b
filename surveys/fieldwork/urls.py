from django.urls import path

from .views import codes, paper

app_name = "fieldwork"
urlpatterns = [
    path("", codes.index, name="index"),
    path("rounds/<int:pk>/", codes.round_detail, name="round"),
    path("rounds/<int:pk>/issue/", codes.round_issue, name="round_issue"),
    path("rounds/<int:pk>/slips/", codes.round_slips, name="round_slips"),
    path("rounds/<int:pk>/import/", paper.paper_import, name="paper_import"),
    path("rounds/<int:pk>/import/again/", paper.paper_import_again, name="paper_import_again"),
    path("rounds/<int:pk>/import/template.xlsx", paper.paper_import_template, name="paper_import_template"),
    path("units/<int:pk>/", codes.unit_detail, name="unit"),
    path("units/<int:pk>/codes/", codes.codes_issue_view, name="codes_issue"),
    path("units/<int:pk>/forms-issued/", codes.paper_forms_view, name="paper_forms"),
    path("units/<int:pk>/key/", paper.paper_key, name="paper_key"),
    path("units/<int:pk>/paper-batches/", paper.paper_batch_new, name="paper_batch_new"),
    path("code-batches/<int:pk>/slips/", codes.batch_slips, name="slips"),
    path("code-batches/<int:pk>/codes.xlsx", codes.batch_codes_xlsx, name="codes_xlsx"),
    path("code-batches/<int:pk>/void/", codes.batch_void, name="batch_void"),
    path("paper-batches/<int:pk>/pass/<int:pass_no>/", paper.paper_pass, name="paper_pass"),
    path("paper-batches/<int:pk>/close/", paper.paper_batch_close, name="paper_batch_close"),
    path("paper-batches/<int:pk>/reconcile/", paper.paper_reconcile, name="paper_reconcile"),
]
