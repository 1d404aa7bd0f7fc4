"""The till's pages. Row arguments are ``<entity>_pk`` and looked up in the active company."""

from django.urls import path

from .views import quotations, sales, till

app_name = "pos"

urlpatterns = [
    path("", till.RegisterListView.as_view(), name="registers"),
    path("till/", till.TillView.as_view(), name="till"),
    path("till/new/", till.NewSaleView.as_view(), name="new"),
    path("till/<int:sale_pk>/", till.TillView.as_view(), name="till-sale"),
    path("till/<int:sale_pk>/scan/", till.ScanView.as_view(), name="scan"),
    path("till/<int:sale_pk>/customer/", till.CustomerView.as_view(), name="customer"),
    path("till/<int:sale_pk>/cancel/", till.CancelView.as_view(), name="cancel"),
    path("till/<int:sale_pk>/pay/", sales.PayView.as_view(), name="pay"),
    path("till/<int:sale_pk>/lines/<int:line_pk>/numbers/", till.LineNumbersView.as_view(), name="numbers"),
    path("till/<int:sale_pk>/lines/<int:line_pk>/quantity/", till.LineQuantityView.as_view(), name="quantity"),
    path("till/<int:sale_pk>/lines/<int:line_pk>/price/", till.LinePriceView.as_view(), name="price"),
    path("load/", sales.LoadView.as_view(), name="load"),
    path("refund/", sales.RefundView.as_view(), name="refund"),
    path("close/", sales.SessionCloseView.as_view(), name="close"),
    path("sales/", sales.SaleListView.as_view(), name="sales"),
    path("sales/<int:sale_pk>/receipt/", sales.ReceiptView.as_view(), name="receipt"),
    path("follow-up/", sales.FollowUpListView.as_view(), name="follow-up"),
    path("follow-up/<int:pending_pk>/", sales.FollowUpAssignView.as_view(), name="follow-up-assign"),
    path("quotations/", quotations.QuotationListView.as_view(), name="quotation-list"),
    path("quotations/new/", quotations.QuotationFormView.as_view(), name="quotation-create"),
    path("quotations/<int:quotation_pk>/", quotations.QuotationFormView.as_view(), name="quotation-update"),
]
