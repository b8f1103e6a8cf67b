from django.views.generic import ListView

from accounts.roles import AccountsRequiredMixin, accounts_required
from sheets.writer import xlsx_response

from .export import audit_filename, audit_workbook
from .forms import AuditFilterForm
from .models import AuditEntry


class AuditListView(AccountsRequiredMixin, ListView):
    """The trail for administrators: filterable, read only."""

    template_name = "audit/audit_list.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form = AuditFilterForm(self.request.GET or None)
        return self.filter_form.filter(AuditEntry.objects.all())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


@accounts_required
def audit_download(request):
    form = AuditFilterForm(request.GET or None)
    entries = form.filter(AuditEntry.objects.all())
    span = (form.cleaned_data["since"], form.cleaned_data["until"]) if form.is_valid() else (None, None)
    return xlsx_response(audit_workbook(entries), audit_filename(*span))
