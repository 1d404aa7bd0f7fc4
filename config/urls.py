from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from config.health import health

admin.site.site_header = "Lot & serial traceability — setup"
admin.site.site_title = "Lot & serial traceability"


@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links; the icon is the static SVG."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("health/", health, name="health"),
    path("accounts/login/", login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("trace/", include("traceability.urls")),
    path("manufacturing/", include("manufacturing.urls")),
    path("pos/", include("pos.urls")),
    path("", include("inventory.urls")),
]
