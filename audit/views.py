from django.http import HttpResponse
from django.utils import timezone
from django.views.generic import ListView

from accounts.roles import AccountsRequiredMixin, accounts_required

from .export import audit_export
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
    entries = AuditFilterForm(request.GET or None).filter(AuditEntry.objects.all())
    response = HttpResponse(
        audit_export(entries),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y%m%d}.xlsx"'
    return response
