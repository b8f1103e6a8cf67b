from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import ListView
from django.utils.translation import gettext as _

from accounts.roles import StaffRequiredMixin, staff_required
from surveys.models import Rectification

from . import services, xlsx
from .forms import GroupForm, ImportForm, UnitFilterForm, UnitForm
from .models import Unit, UnitGroup


class UnitListView(StaffRequiredMixin, ListView):
    template_name = "units/unit_list.html"
    context_object_name = "units"
    paginate_by = 100

    def get_queryset(self):
        self.filter_form = UnitFilterForm(self.request.GET or None)
        queryset = Unit.objects.select_related("group").annotate(rounds=Count("round_units")).order_by(
            "kind", "group__order", "order", "code")
        return self.filter_form.filter(queryset)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["query"] = self.request.GET.urlencode()
        return context


def _save_unit(request, unit=None):
    form = UnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if unit is None:
            unit = services.unit_create(actor=request.user, source="新建单位", **fields)
        else:
            unit = services.unit_update(unit=Unit.objects.get(pk=unit.pk), actor=request.user,
                                        source="编辑单位", **fields)
        messages.success(request, _("已保存单位 %(unit)s。") % {"unit": unit})
        return redirect("units:detail", pk=unit.pk)
    return render(request, "units/unit_form.html", {"form": form, "unit": unit})


@staff_required
def unit_create(request):
    return _save_unit(request)


@staff_required
def unit_edit(request, pk):
    return _save_unit(request, get_object_or_404(Unit, pk=pk))


@staff_required
def unit_detail(request, pk):
    unit = get_object_or_404(Unit.objects.select_related("group"), pk=pk)
    round_units = unit.round_units.select_related("round").order_by("-round__year", "-round__opens_at")
    rectifications = Rectification.objects.filter(round_unit__unit=unit).select_related("round_unit__round")
    return render(request, "units/unit_detail.html", {
        "unit": unit, "round_units": round_units, "rectifications": rectifications,
        "can_delete": services.unit_can_delete(unit), "today": timezone.localdate(),
    })


@staff_required
@require_POST
def unit_toggle_active(request, pk):
    unit = get_object_or_404(Unit, pk=pk)
    if unit.is_active:
        services.unit_deactivate(unit=unit, actor=request.user, source="单位详情")
        messages.success(request, _("已停用 %(unit)s；以后的测评不再列出该单位，历史记录保留。") % {"unit": unit})
    else:
        services.unit_activate(unit=unit, actor=request.user, source="单位详情")
        messages.success(request, _("已启用 %(unit)s。") % {"unit": unit})
    return redirect("units:detail", pk=unit.pk)


@staff_required
def unit_delete(request, pk):
    unit = get_object_or_404(Unit, pk=pk)
    if request.method == "POST":
        try:
            services.unit_delete(unit=unit, actor=request.user, source="删除单位")
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("units:detail", pk=unit.pk)
        messages.success(request, _("已删除 %(unit)s。") % {"unit": unit})
        return redirect("units:list")
    return render(request, "units/unit_confirm_delete.html",
                  {"unit": unit, "can_delete": services.unit_can_delete(unit)})


@staff_required
def units_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = xlsx.units_import(data=form.cleaned_data["file"].read(), actor=request.user,
                                       source="导入单位名册")
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(
                request,
                _("导入完成：新增 %(created)s 个，更新 %(updated)s 个，未变 %(unchanged)s 个，新建分组 %(groups_created)s 个。") % {"created": len(result.created), "updated": len(result.updated), "unchanged": result.unchanged, "groups_created": len(result.groups_created)},
            )
            return redirect("units:list")
    return render(request, "units/unit_import.html", {"form": form, "errors": errors})


@staff_required
def units_export(request):
    filter_form = UnitFilterForm(request.GET or None)
    data = xlsx.units_export(filter_form.filter(Unit.objects.all()))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="units-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


class GroupListView(StaffRequiredMixin, ListView):
    template_name = "units/group_list.html"
    context_object_name = "groups"

    def get_queryset(self):
        return UnitGroup.objects.annotate(unit_count=Count("units")).order_by("kind", "order", "name")


def _save_group(request, group=None):
    form = GroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if group is None:
                services.group_create(actor=request.user, source="新建分组", **fields)
            else:
                services.group_update(group=UnitGroup.objects.get(pk=group.pk), actor=request.user,
                                      source="编辑分组", **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已保存分组。"))
            return redirect("units:groups")
    return render(request, "units/group_form.html", {"form": form, "group": group})


@staff_required
def group_create(request):
    return _save_group(request)


@staff_required
def group_edit(request, pk):
    return _save_group(request, get_object_or_404(UnitGroup, pk=pk))


@staff_required
@require_POST
def group_move(request, pk):
    group = get_object_or_404(UnitGroup, pk=pk)
    services.group_move(group=group, direction=-1 if request.POST.get("direction") == "up" else 1,
                        actor=request.user, source="分组排序")
    return redirect("units:groups")


@staff_required
@require_POST
def group_delete(request, pk):
    group = get_object_or_404(UnitGroup, pk=pk)
    try:
        services.group_delete(group=group, actor=request.user, source="分组列表")
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("已删除分组 %(group)s。") % {"group": group})
    return redirect("units:groups")
