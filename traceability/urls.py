"""Traceability pages. Every URL argument that names a row is called ``<entity>_pk`` and is
looked up inside the active company (tests/inventory/test_views_company.py checks every URL)."""

from .views import labels, lots, reports, trace

app_name = "traceability"

urlpatterns = lots.urlpatterns + trace.urlpatterns + reports.urlpatterns + labels.urlpatterns
