"""A record of each CSV import (``manage.py import_csv`` or the admin's upload): what was read,
what it did, who ran it and when. An opening-stock file already imported is recognised by its
hash and refused, naming this record."""

from django.conf import settings
from django.db import models

from .company import Company
from .documents import Document


class ImportResult(models.TextChoices):
    DONE = "done", "Imported"
    FAILED = "failed", "Refused (nothing written)"
    DRY_RUN = "dry_run", "Dry run (nothing written)"


class ImportRun(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="import_runs")
    kind = models.CharField(max_length=20)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField("file hash (SHA-256)", max_length=64)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    result = models.CharField(max_length=10, choices=ImportResult.choices)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["company", "kind", "file_sha256"], name="importrun_file")]

    def __str__(self) -> str:
        return f"{self.kind} import #{self.pk} ({self.get_result_display().lower()}, {self.rows} rows)"
