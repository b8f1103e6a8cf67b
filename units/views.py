from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Case, Count, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import ListView
from django.utils.translation import gettext as _

from accounts.roles import StaffRequiredMixin, staff_required
from credibility.text import aside, series
from sheets import held
from sheets import limits as sheet_limits
from sheets.reader import SheetRefused, read_upload
from sheets.writer import download_name, xlsx_response
from surveys.models import Rectification

from . import services, xlsx
from .forms import GroupForm, ImportForm, UnitFilterForm, UnitForm
from .models import Unit, UnitGroup, UnitKind


class UnitListView(StaffRequiredMixin, ListView):
    template_name = "units/unit_list.html"
    context_object_name = "units"
    paginate_by = 100

    def get_queryset(self):
        self.filter_form = UnitFilterForm(self.request.GET or None)
        queryset = Unit.objects.select_related("group").annotate(rounds=Count("round_units")).order_by(
            Case(When(kind=UnitKind.DISTRICT, then=0), default=1), "group__order", "order", "code")
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


IMPORT_PURPOSE = "units-import"


def _import_page(request, form, errors=(), status=200, notice=""):
    return render(request, "units/unit_import.html",
                  {"form": form, "errors": list(errors), "notice": notice}, status=status)


def _preview(request, plan, token, name, *, changed=False, status=200):
    return render(request, "units/unit_import_preview.html", {
        "plan": plan, "token": token, "name": name, "changed": changed,
    }, status=status)


@staff_required
def units_import(request):
    """Step 1: upload and check the whole file; nothing is saved yet."""
    if request.method != "POST":
        return _import_page(request, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        data = read_upload(upload, sheet_limits.current())
        plan = xlsx.units_plan(data)
    except SheetRefused as refusal:
        return _import_page(request, ImportForm(), refusal.messages, status=400)
    if not plan.has_changes:
        held.release(request, IMPORT_PURPOSE)
        messages.info(request, _("文件与现有名册一致：新增 0 个，更新 0 个，未变 %(unchanged)s 个，没有需要保存的变化。") % {"unchanged": plan.unchanged})
        return redirect("units:list")
    held.hold(request, IMPORT_PURPOSE, data, upload.name)
    # Post/redirect/get: refreshing the preview shows it again instead of re-sending the file.
    return redirect("units:import_confirm", permanent=False)


@staff_required
def units_import_confirm(request):
    """Step 2: GET shows what the held file would change; POST saves exactly that, or nothing."""
    if request.method == "POST" and "cancel" in request.POST:
        held.release(request, IMPORT_PURPOSE)
        messages.info(request, _("已取消导入，未保存任何数据。"))
        return redirect("units:list")
    token = request.POST.get("token") if request.method == "POST" else None
    file = held.held(request, IMPORT_PURPOSE, token)
    if file is None:
        if request.method == "POST":
            return _import_page(request, ImportForm(), [_("待确认的文件已过期或已被新的上传替换，请重新上传。")],
                                status=400)
        return _import_page(request, ImportForm(), notice=_("没有待确认的导入，请先上传文件。"))
    try:
        if request.method != "POST":
            return _preview(request, xlsx.units_plan(file.data), file.token, file.name)
        result = xlsx.units_import(data=file.data, actor=request.user, source="导入单位名册",
                                   expect=request.POST.get("digest", ""), file_name=file.name)
    except xlsx.PlanChanged as changed:
        return _preview(request, changed.plan, file.token, file.name, changed=True, status=409)
    except SheetRefused as refusal:  # the registry changed so that the file no longer fits
        held.release(request, IMPORT_PURPOSE)
        return _import_page(request, ImportForm(), refusal.messages, status=400)
    except IntegrityError:  # another import saved the same codes a moment ago
        return _import_page(request, ImportForm(), [_("名册刚被他人修改，本次未保存任何数据。请重新上传核对。")],
                            status=409)
    held.release(request, IMPORT_PURPOSE)
    groups = _("，新建分组 %(groups_created)s 个") % {"groups_created": len(result.groups_created)}
    if result.groups_created:
        groups += aside(series(result.groups_created))
    messages.success(
        request,
        _("导入完成：新增 %(created)s 个，更新 %(updated)s 个，未变 %(unchanged)s 个%(groups)s。") % {"created": len(result.created), "updated": len(result.updated), "unchanged": result.unchanged, "groups": groups},
    )
    return redirect("units:list")


@staff_required
def units_import_template(request):
    book = xlsx.units_workbook(Unit.objects.none(), title=_("被测评单位名册模板"))
    return xlsx_response(book, download_name(_("被测评单位名册模板"), ext="xlsx"))


@staff_required
def units_export(request):
    filter_form = UnitFilterForm(request.GET or None)
    scope = []
    if filter_form.is_valid():
        data = filter_form.cleaned_data
        scope = [data["group"].name if data["group"] else "", dict(UnitKind.choices).get(data["kind"], ""),
                 {"1": _("启用"), "0": _("已停用")}.get(data["active"], ""), data["q"]]
    book = xlsx.units_workbook(filter_form.filter(Unit.objects.all()))
    return xlsx_response(book, download_name(_("被测评单位名册"), *scope, timezone.localdate()))


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
