"""Work order pages. Row arguments are ``<entity>_pk`` and looked up in the active company
(tests/inventory/test_views_company.py checks every URL here)."""

from django.urls import path

from . import views

app_name = "manufacturing"

urlpatterns = [
    path("work-orders/", views.WorkOrderListView.as_view(), name="work-order-list"),
    path("kits/", views.KitView.as_view(), name="kit"),
    path("boms/", views.BomListView.as_view(), name="bom-list"),
    path("work-orders/new/", views.WorkOrderCreateView.as_view(), name="work-order-create"),
    path("work-orders/<int:work_order_pk>/", views.WorkOrderDetailView.as_view(), name="work-order-detail"),
    path("work-orders/<int:work_order_pk>/release/", views.WorkOrderReleaseView.as_view(), name="work-order-release"),
    path("work-orders/<int:work_order_pk>/propose/", views.WorkOrderProposeView.as_view(), name="work-order-propose"),
    path("work-orders/<int:work_order_pk>/complete/", views.WorkOrderCompleteView.as_view(), name="work-order-complete"),
    path("work-orders/<int:work_order_pk>/cancel/", views.WorkOrderCancelView.as_view(), name="work-order-cancel"),
    path("work-orders/<int:work_order_pk>/units/", views.WorkOrderUnitsView.as_view(), name="work-order-units"),
]
