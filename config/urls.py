from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Lot & serial traceability"
admin.site.site_title = "Lot & serial traceability"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Until the back-office pages exist, the set-up screens are the home page.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
