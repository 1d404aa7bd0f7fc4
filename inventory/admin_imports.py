"""The admin's import page: a set-up user uploads a small file of one kind, sees what it would
do (the first rows as they will be written, how many are new, changed or unchanged, every
problem on its row), then confirms. Larger files go through ``manage.py import_csv``."""

import base64
import binascii
import io
import secrets

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from .imports import KINDS, import_csv
from .models import Company, ImportRun

MAX_ROWS = 10_000
MAX_BYTES = 2 * 1024 * 1024  # 10,000 rows of ~200 characters
SESSION_KEY = "csv_imports"


def _companies(user) -> list[Company]:
    if user.is_superuser:
        return list(Company.objects.order_by("name"))
    return list(Company.objects.filter(memberships__user=user).order_by("name"))


class UploadForm(forms.Form):
    company = forms.ModelChoiceField(queryset=Company.objects.none(), empty_label=None)
    kind = forms.ChoiceField(choices=[(name, kind.label) for name, kind in KINDS.items()])
    file = forms.FileField(help_text=f"CSV, UTF-8, up to {MAX_ROWS:,} rows; beyond that use manage.py import_csv.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.filter(pk__in=[c.pk for c in _companies(user)]).order_by("name")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"the file is {upload.size / 1024 / 1024:.1f} MB: at most {MAX_BYTES // 1024 // 1024} MB here; use manage.py import_csv"
            )
        return upload


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "result",
        "rows",
        "created",
        "changed",
        "unchanged",
        "errors",
        "file_name",
        "user",
        "finished_at",
        "company",
    ]
    list_filter = ["company", "kind", "result"]
    list_select_related = ["user", "company"]
    search_fields = ["file_name", "file_sha256"]
    change_list_template = "admin/inventory/importrun/change_list.html"
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False  # rows are written by imports, never by hand

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("upload/", self.admin_site.admin_view(self.upload_view), name="inventory_importrun_upload"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": request.user.has_perm("inventory.add_importrun")}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request):
        if not request.user.has_perm("inventory.add_importrun"):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Import a CSV file", "max_rows": MAX_ROWS}
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request)
        form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data["file"].read()
            company, kind = form.cleaned_data["company"], form.cleaned_data["kind"]
            report = import_csv(
                kind=kind,
                stream=io.BytesIO(data),
                company=company,
                user=request.user,
                dry_run=True,
                file_name=form.cleaned_data["file"].name,
                max_rows=MAX_ROWS,
            )
            context["report"] = report
            context["columns"] = columns = [c.header for c in KINDS[kind].columns]
            context["preview"] = [[row["row"], *(row.get(c, "") for c in columns)] for row in report.outcome.preview]
            if report.ok:
                token = secrets.token_urlsafe(16)
                pending = request.session.get(SESSION_KEY, {})
                pending = dict(list(pending.items())[-2:])  # a few previews at most wait for their confirmation
                pending[token] = {
                    "company": company.pk,
                    "kind": kind,
                    "name": form.cleaned_data["file"].name[:255],
                    "data": base64.b64encode(data).decode("ascii"),
                }
                request.session[SESSION_KEY] = pending
                context["token"] = token
        context["form"] = form
        return TemplateResponse(request, "admin/inventory/importrun/upload.html", context)

    def _confirm(self, request):
        pending = request.session.get(SESSION_KEY, {})
        wanted = pending.pop(request.POST.get("token", ""), None)
        request.session[SESSION_KEY] = pending
        if wanted is None:
            messages.warning(request, "That preview was imported already or has expired: upload the file again.")
            return redirect("admin:inventory_importrun_upload")
        company = next((c for c in _companies(request.user) if c.pk == wanted["company"]), None)
        if company is None:
            raise PermissionDenied
        try:
            data = base64.b64decode(wanted["data"])
        except (binascii.Error, KeyError, TypeError):
            messages.error(request, "The preview could not be read back: upload the file again.")
            return redirect("admin:inventory_importrun_upload")
        report = import_csv(
            kind=wanted["kind"], stream=io.BytesIO(data), company=company, user=request.user, file_name=wanted["name"], max_rows=MAX_ROWS
        )
        o = report.outcome
        if report.ok:
            messages.success(
                request,
                f"Imported {wanted['name']} (import #{report.run.pk}): {o.created:,} new, {o.changed:,} changed, {o.unchanged:,} unchanged.",
            )
        else:
            shown = "; ".join(str(p) for p in report.problems[:5])
            messages.error(request, f"Nothing was imported: {shown}" + (" …" if len(report.problems) > 5 else ""))
        return redirect("admin:inventory_importrun_changelist")
