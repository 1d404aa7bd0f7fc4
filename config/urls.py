from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

admin.site.site_header = "Lot & serial traceability — setup"
admin.site.site_title = "Lot & serial traceability"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("trace/", include("traceability.urls")),
    path("manufacturing/", include("manufacturing.urls")),
    path("", include("inventory.urls")),
]
