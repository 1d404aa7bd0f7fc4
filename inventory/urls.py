"""Back-office pages. Every URL argument that names a row is called ``<entity>_pk`` and is looked
up inside the active company (tests/inventory/test_views_company.py checks every URL here)."""

from django.urls import path

from .views import allocations, catalog, choices, documents, drafts, home, unassigned

app_name = "inventory"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("company/switch/", home.CompanySwitchView.as_view(), name="company-switch"),
    path("items/", catalog.ItemListView.as_view(), name="item-list"),
    path("items/<int:item_pk>/", catalog.ItemDetailView.as_view(), name="item-detail"),
    path("locations/", catalog.LocationListView.as_view(), name="location-list"),
    path("locations/<int:location_pk>/", catalog.LocationDetailView.as_view(), name="location-detail"),
    path("stock/", catalog.StockListView.as_view(), name="stock-list"),
    path("unassigned/", catalog.UnassignedListView.as_view(), name="unassigned-list"),
    path("unassigned/<int:balance_pk>/assign/", unassigned.UnassignedAssignView.as_view(), name="unassigned-assign"),
    path("documents/", documents.DocumentListView.as_view(), name="document-list"),
    path("documents/new/<str:kind>/", drafts.DocumentCreateView.as_view(), name="document-create"),
    path("documents/new/<str:kind>/line/", drafts.LineRowView.as_view(), name="document-line-row"),
    path("documents/<int:document_pk>/", documents.DocumentDetailView.as_view(), name="document-detail"),
    path("documents/<int:document_pk>/edit/", drafts.DocumentUpdateView.as_view(), name="document-update"),
    path("documents/<int:document_pk>/post/", documents.DocumentPostView.as_view(), name="document-post"),
    path("documents/<int:document_pk>/cancel/", documents.DocumentCancelView.as_view(), name="document-cancel"),
    path("documents/<int:document_pk>/print/", documents.DocumentPrintView.as_view(), name="document-print"),
    path("lines/<int:line_pk>/allocations/", allocations.LineAllocationsView.as_view(), name="line-allocations"),
    path("lines/<int:line_pk>/candidates/", allocations.LineCandidatesView.as_view(), name="line-candidates"),
    # Suggestions of a partner or item type-ahead (inventory/web/choices.py).
    path("choices/<str:source>/", choices.ChoicesView.as_view(), name="choices"),
]
